"""CPU-bound work off the event loop, stoppable by the caller's cancellation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["off_the_loop"]

T = TypeVar("T")


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
