"""The part of a graph that can matter to a few identifiers: the components they lie in.

A resolution chunk loads thousands of small evidence components at once, and only a
few of them hold a device that joins two people or a number used in eras apart. The
costly graph analyses (articulation points, block-cut trees) run on those components
alone; every other one would only add work, never change an answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["adjacency", "reachable"]


def adjacency(edges: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Each node's neighbours, both ways."""
    neighbours: dict[str, set[str]] = {}
    for a, b in edges:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    return neighbours


def reachable(neighbours: Mapping[str, Iterable[str]], starts: Iterable[str]) -> set[str]:
    """Every node connected to one of ``starts`` (the starts included)."""
    seen: set[str] = set()
    stack = list(starts)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(other for other in neighbours.get(node, ()) if other not in seen)
    return seen
