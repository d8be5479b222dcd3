"""Reassigned values: a phone number a carrier gave to someone else after its first holder left it.

A carrier reissues a cancelled number once it has lain unused for a quarantine period
(90 days for Chinese carriers), so a number can be one person's for years and then
another's. Its links then fall into eras: every use by the first holder ends before
every use by the next begins, with at least that quiet period between. When a number
alone holds together people of different eras, each of whom shows a whole person of their
own (two accounts and a device besides the number), and the older holders a number of
their own (they moved on to a new one), only its latest era keeps it: the older holders'
links through it are refused, and kept for audit. Uses that overlap in time, or a side
that shows less, are one person as the evidence says.

Like every rule it looks only at one evidence component, and the link times it reads
are the first and last time each link was seen, which do not depend on arrival order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Protocol

import networkx as nx

from profilegraph.domain.components import adjacency, reachable

__all__ = ["DatedLink", "Reassignment", "reassignments"]


class DatedLink(Protocol):
    """A link between two identifiers with when it was first and last seen (as in resolution)."""

    @property
    def a(self) -> str: ...
    @property
    def b(self) -> str: ...
    @property
    def first_seen(self) -> str: ...
    @property
    def last_seen(self) -> str: ...


@dataclass(frozen=True)
class Reassignment:
    """The links of ``key`` its latest holder does not keep, and when that holder's era begins."""

    key: str
    released: tuple[tuple[str, str], ...]  # (neighbour, last seen together) of the older eras
    kept_from: str  # the first use of the latest era


@lru_cache(maxsize=4096)
def _day(ts: str) -> date:
    return date.fromisoformat(ts[:10])


@dataclass
class _Part:
    """What lies behind one neighbour side of the number, and when the number was used with it."""

    neighbours: list[tuple[str, str]]  # (neighbour key, last seen with the number)
    first: str
    last: str
    shows_a_person: bool  # two accounts and a device of its own
    has_another_of_its_type: bool  # another value of the reassigned one's type: a number of its own


def _parts(
    graph: nx.Graph,
    key: str,
    times: Mapping[str, tuple[str, str]],
    strong: Callable[[str], bool],
) -> list[_Part]:
    """The sides of ``key``: the pieces its removal leaves, with the times of its links into each."""
    seen: set[str] = {key}  # the walk never passes through the number itself
    kind = key.partition(":")[0]
    parts: list[_Part] = []
    for start in sorted(times):
        if start in seen:
            continue
        piece: set[str] = set()
        stack = [start]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            piece.add(node)
            stack.extend(other for other in graph[node] if other not in seen)
        touching = sorted(n for n in piece if n in times)
        parts.append(
            _Part(
                [(n, times[n][1]) for n in touching],
                min(times[n][0] for n in touching),
                max(times[n][1] for n in touching),
                sum(1 for n in piece if strong(n)) >= 2 and any(not strong(n) for n in piece),
                any(n.partition(":")[0] == kind for n in piece),
            )
        )
    return parts


def _quiet_gap(spans: Iterable[tuple[str, str]], quiet_days: int) -> bool:
    """Whether the uses, taken together, leave a gap of at least ``quiet_days`` somewhere."""
    ordered = sorted(spans)
    last = ordered[0][1]
    for first, end in ordered[1:]:
        if (_day(first) - _day(last)).days >= quiet_days:
            return True
        last = max(last, end)
    return False


def reassignments(
    usable: Collection[str],
    links: Iterable[DatedLink],
    quiet_days_of: Callable[[str], int | None],
    strong: Callable[[str], bool],
) -> list[Reassignment]:
    """The reassigned values among a component's ``usable`` identifiers (those that may link).

    ``quiet_days_of`` gives, for a key, the quiet period after which its type's issuer
    reissues a value, or None for types never reissued.
    """
    links = [link for link in links if link.a in usable and link.b in usable]
    times: dict[str, dict[str, tuple[str, str]]] = {}
    for link in links:
        first, last = link.first_seen, link.last_seen or link.first_seen
        for key, other in ((link.a, link.b), (link.b, link.a)):
            if quiet_days_of(key) is not None:
                spans = times.setdefault(key, {})
                earlier = spans.get(other, (first, last))  # a pair listed twice spans both
                spans[other] = (min(first, earlier[0]), max(last, earlier[1]))
    candidates = {
        key: spans
        for key, spans in times.items()
        if len(spans) >= 2 and _quiet_gap(spans.values(), quiet_days_of(key) or 0)
    }
    if not candidates:  # the graph is built only for the rare value used in eras apart
        return []
    # Only the components of the candidates matter; the rest of the chunk is left out.
    neighbours = adjacency((link.a, link.b) for link in links)
    around = reachable(neighbours, candidates)
    graph = nx.Graph()
    graph.add_nodes_from(around)
    graph.add_edges_from((a, b) for a in around for b in neighbours[a] if a < b)
    cuts = set(nx.articulation_points(graph))
    found = []
    for key in sorted(candidates.keys() & cuts):
        quiet = quiet_days_of(key) or 0
        parts = sorted(_parts(graph, key, candidates[key], strong), key=lambda p: (p.first, p.last))
        eras: list[list[_Part]] = [[parts[0]]]
        end = parts[0].last
        for part in parts[1:]:
            if (_day(part.first) - _day(end)).days >= quiet:
                eras.append([])
            eras[-1].append(part)
            end = max(end, part.last)
        # Every era must show a whole person besides the number: less may be the holder's own.
        eras = _merge_eras_without_a_person(eras)
        if len(eras) < 2:
            continue
        # The older holders moved on to a number of their own; one who left without one
        # cannot be told from the same person coming back.
        if not all(any(part.has_another_of_its_type for part in era) for era in eras[:-1]):
            continue
        older = [part for era in eras[:-1] for part in era]
        found.append(
            Reassignment(
                key,
                tuple(sorted(n for part in older for n in part.neighbours)),
                min(part.first for part in eras[-1]),
            )
        )
    return found


def _shows_a_person(era: list[_Part]) -> bool:
    return any(part.shows_a_person for part in era)


def _merge_eras_without_a_person(eras: list[list[_Part]]) -> list[list[_Part]]:
    """Join an era that shows no person of its own to the era before it (or after, for the first)."""
    merged: list[list[_Part]] = []
    for era in eras:
        if merged and not (_shows_a_person(merged[-1]) and _shows_a_person(era)):
            merged[-1].extend(era)
        else:
            merged.append(list(era))
    return merged
