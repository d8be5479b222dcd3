"""CPU-bound work off the event loop, stoppable by the caller's cancellation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

__all__ = ["off_the_loop", "read_ahead"]

T = TypeVar("T")
C = TypeVar("C")


async def off_the_loop(work: Callable[[Callable[[], bool]], T]) -> T:
    """Run ``work(stop_requested)`` in a worker thread.

    Long numeric work on the loop's own thread would hold Ctrl-C until it returned. Here
    the caller's cancellation is seen at once, and the work, which polls
    ``stop_requested``, ends at its next check instead of keeping the process alive.
    """
    stop = threading.Event()
    try:
        return await asyncio.to_thread(work, stop.is_set)
    except asyncio.CancelledError:
        stop.set()
        raise


async def read_ahead(chunks: Sequence[C], read: Callable[[C], Awaitable[T]]) -> AsyncIterator[tuple[C, T]]:
    """Each chunk with what ``read`` returns for it, the next chunk read while the caller works on
    this one: the graph server and Python work at the same time. On an error or a cancel the
    read under way is dropped."""
    upcoming = asyncio.create_task(_awaited(read(chunks[0]))) if chunks else None
    try:
        for index, chunk in enumerate(chunks):
            assert upcoming is not None
            found = await upcoming
            upcoming = asyncio.create_task(_awaited(read(chunks[index + 1]))) if index + 1 < len(chunks) else None
            yield chunk, found
    finally:
        if upcoming is not None:
            upcoming.cancel()
            await asyncio.gather(upcoming, return_exceptions=True)


async def _awaited(work: Awaitable[T]) -> T:
    return await work
