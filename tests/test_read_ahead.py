"""Reading chunks ahead: in order, never more than the depth in flight, and nothing left running."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest

from profilegraph.services.threads import read_ahead


class _Reads:
    """A reader that records how many reads run at once; each read waits for a turn of the loop."""

    def __init__(self, slow_after: int | None = None) -> None:
        self.slow_after = slow_after
        self.running = 0
        self.most = 0
        self.started: list[int] = []
        self.cancelled: list[int] = []

    def seconds(self, chunk: int) -> float:
        if self.slow_after is not None and chunk > self.slow_after:
            return 10.0
        return 0.001 * (5 - chunk % 5)  # later chunks may finish first

    async def read(self, chunk: int) -> int:
        self.started.append(chunk)
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.sleep(self.seconds(chunk))
            return chunk * 10
        except asyncio.CancelledError:
            self.cancelled.append(chunk)
            raise
        finally:
            self.running -= 1


@pytest.mark.parametrize("depth", [1, 3])
async def test_chunks_come_back_in_order_with_at_most_depth_reads_in_flight(depth: int) -> None:
    reads = _Reads()
    found = []
    async for chunk, value in read_ahead(list(range(12)), reads.read, depth=depth):
        assert reads.running <= depth
        await asyncio.sleep(0.002)  # the caller's work on this chunk, while the next ones are read
        found.append((chunk, value))
    assert found == [(n, n * 10) for n in range(12)]
    assert reads.most == depth
    assert reads.started == list(range(12))


async def test_closing_it_early_cancels_the_reads_under_way() -> None:
    reads = _Reads(slow_after=2)
    async with aclosing(read_ahead(list(range(10)), reads.read, depth=3)) as chunks:
        async for chunk, _ in chunks:
            await asyncio.sleep(0.002)  # the caller's work, while the next chunks are read
            if chunk == 2:
                break
    assert reads.running == 0
    # the chunks read ahead of 2 were dropped, not left running; none after them was started
    assert 3 in reads.cancelled
    assert set(reads.cancelled) <= {3, 4, 5}
    assert max(reads.started) <= 5


async def test_no_chunks_read_nothing() -> None:
    reads = _Reads()
    assert [item async for item in read_ahead([], reads.read, depth=2)] == []
    assert reads.started == []
