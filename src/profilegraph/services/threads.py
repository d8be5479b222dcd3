"""CPU-bound work off the event loop, stoppable by the caller's cancellation."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import TypeVar, cast

__all__ = ["off_the_loop", "read_ahead"]

T = TypeVar("T")
C = TypeVar("C")
_END = object()


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


async def read_ahead(
    chunks: Sequence[C], read: Callable[[C], Awaitable[T]], *, depth: int = 1
) -> AsyncGenerator[tuple[C, T], None]:
    """Each chunk with what ``read`` returns for it, the next ``depth`` chunks read while the caller
    works on this one: the graph server and Python work at the same time. On an error or a
    cancel the reads under way are dropped."""
    upcoming: deque[asyncio.Task[T]] = deque()
    following = iter(chunks)

    def start_next() -> None:
        chunk = next(following, _END)
        if chunk is not _END:
            upcoming.append(asyncio.create_task(_reading(read, cast(C, chunk))))

    try:
        for _ in range(depth):
            start_next()
        for chunk in chunks:
            found = await upcoming.popleft()
            start_next()
            yield chunk, found
    finally:
        for task in upcoming:
            task.cancel()
        await asyncio.gather(*upcoming, return_exceptions=True)


async def _reading(read: Callable[[C], Awaitable[T]], chunk: C) -> T:
    # The read starts inside the task: a task cancelled before it ran leaves no coroutine unawaited.
    return await read(chunk)
