"""Counting the queries sent to the graph: for metrics, and for tests that bound them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["RoundTrips", "counting", "note_round_trip", "on_round_trip"]


@dataclass
class RoundTrips:
    count: int = 0


_current: ContextVar[RoundTrips | None] = ContextVar("profilegraph_round_trips", default=None)
_listeners: list[Callable[[], None]] = []


def on_round_trip(listener: Callable[[], None]) -> None:
    """Call ``listener`` after every query the process sends (a metrics counter)."""
    _listeners.append(listener)


def note_round_trip() -> None:
    counter = _current.get()
    if counter is not None:
        counter.count += 1
    for listener in _listeners:
        listener()


@contextmanager
def counting() -> Iterator[RoundTrips]:
    """Count the queries sent by this task and the tasks it starts, until the block ends."""
    counter = RoundTrips()
    token = _current.set(counter)
    try:
        yield counter
    finally:
        _current.reset(token)
