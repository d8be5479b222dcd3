"""Which observed value of an attribute a profile serves: its survivorship rule.

Every value keeps its source and time. By default the most recent value survives; an
attribute configured with a source priority list serves the value of the best-ranked
source that reported one (its most recent), and values of unlisted sources only when no
listed source has one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

__all__ = ["Observed", "SurvivorshipRules", "surviving"]


class Observed(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> Any: ...
    @property
    def source(self) -> str: ...
    @property
    def observed_at(self) -> str: ...
    @property
    def event_id(self) -> str: ...


T = TypeVar("T", bound=Observed)


@dataclass(frozen=True)
class SurvivorshipRules:
    """Attribute name -> its sources, best first. An attribute not named: most recent wins."""

    source_priority: Mapping[str, Sequence[str]]

    def rule_of(self, name: str) -> str:
        sources = self.source_priority.get(name)
        return "source_priority:" + ",".join(sources) if sources else "most_recent"

    def prefers(self, a: Observed, b: Observed) -> bool:
        """Whether ``a`` survives over ``b`` (two values of one attribute)."""
        sources = self.source_priority.get(a.name) or ()
        place_a = sources.index(a.source) if a.source in sources else len(sources)
        place_b = sources.index(b.source) if b.source in sources else len(sources)
        if place_a != place_b:
            return place_a < place_b
        return (a.observed_at, a.event_id) > (b.observed_at, b.event_id)


def surviving(values: Iterable[T], rules: SurvivorshipRules) -> dict[str, T]:
    """The surviving value of each attribute."""
    best: dict[str, T] = {}
    for value in values:
        held = best.get(value.name)
        if held is None or rules.prefers(value, held):
            best[value.name] = value
    return best
