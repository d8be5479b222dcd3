"""Audience filters: conditions on identity, value, tags and affinities, combined with AND, OR, NOT.

A filter is a tree. Each node ANDs its own conditions with ``all_of`` (AND), ``any_of``
(OR) and ``none_of`` (NOT) of its children. Every condition (a *leaf*) is answered once,
as the set of active OneIDs meeting it, and the tree is set algebra over those sets, so a
count is exact. NOT is the complement within the active OneIDs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from profilegraph.domain.affinity import Dimension
from profilegraph.errors import ErrorCode, InvalidInputError

__all__ = [
    "MAX_FILTER_DEPTH",
    "MAX_FILTER_LEAVES",
    "AffinityLeaf",
    "Filter",
    "IdentityLeaf",
    "Leaf",
    "TagLeaf",
    "ValueLeaf",
    "evaluate",
    "filter_from_json",
    "filter_to_json",
    "leaves",
    "tag_value_matches",
    "tag_value_predicate",
]

MAX_FILTER_DEPTH = 8
MAX_FILTER_LEAVES = 50


@dataclass(frozen=True)
class IdentityLeaf:
    identifier_types: frozenset[str] = frozenset()
    source: str | None = None
    first_seen_from: str | None = None
    first_seen_to: str | None = None
    last_seen_from: str | None = None
    last_seen_to: str | None = None


@dataclass(frozen=True)
class ValueLeaf:
    stage: str | None = None
    tier: str | None = None
    clv_min: float | None = None
    clv_max: float | None = None  # exclusive


@dataclass(frozen=True)
class TagLeaf:
    """Has tag ``name`` (a user tag) with a live value; optionally equal to, in, or within a range."""

    name: str
    eq: str | float | bool | None = None
    in_: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None  # exclusive


@dataclass(frozen=True)
class AffinityLeaf:
    dimension: Dimension
    value: str
    min_score: float


Leaf = IdentityLeaf | ValueLeaf | TagLeaf | AffinityLeaf


@dataclass(frozen=True)
class Filter:
    conditions: tuple[Leaf, ...] = ()
    all_of: tuple[Filter, ...] = ()
    any_of: tuple[Filter, ...] = ()
    none_of: Filter | None = None

    def check(self) -> None:
        """Refuse a tree too deep or too wide to answer in bounded work, or an empty range."""

        def depth(node: Filter) -> int:
            children = [*node.all_of, *node.any_of, *([node.none_of] if node.none_of else [])]
            return 1 + max((depth(child) for child in children), default=0)

        if depth(self) > MAX_FILTER_DEPTH:
            raise InvalidInputError(
                f"the filter nests deeper than {MAX_FILTER_DEPTH} levels", field="filter", code=ErrorCode.INVALID_FILTER
            )
        found = list(_all_leaves(self))
        if len(found) > MAX_FILTER_LEAVES:
            raise InvalidInputError(
                f"the filter has {len(found)} conditions; at most {MAX_FILTER_LEAVES}",
                field="filter",
                code=ErrorCode.INVALID_FILTER,
            )
        for leaf in found:
            low, high = (
                (leaf.clv_min, leaf.clv_max)
                if isinstance(leaf, ValueLeaf)
                else (leaf.min, leaf.max)
                if isinstance(leaf, TagLeaf)
                else (None, None)
            )
            if low is not None and high is not None and low >= high:
                raise InvalidInputError(
                    f"an empty range: min {low} is not below max {high}", field="filter", code=ErrorCode.INVALID_FILTER
                )
            if isinstance(leaf, AffinityLeaf) and not 0 <= leaf.min_score <= 1:
                raise InvalidInputError(
                    "an affinity score lies between 0 and 1", field="filter.affinity.min", code=ErrorCode.INVALID_FILTER
                )


def _all_leaves(node: Filter) -> Iterator[Leaf]:
    yield from node.conditions
    for child in (*node.all_of, *node.any_of, *([node.none_of] if node.none_of else [])):
        yield from _all_leaves(child)


def leaves(node: Filter) -> list[Leaf]:
    """Each distinct condition of the tree once, in the order first met."""
    return list(dict.fromkeys(_all_leaves(node)))


def evaluate(node: Filter, answers: Mapping[Leaf, frozenset[str]], universe: Callable[[], frozenset[str]]) -> set[str]:
    """The OneIDs the tree selects, from each leaf's answer; ``universe`` is asked only when needed."""
    parts: list[set[str]] = [set(answers[leaf]) for leaf in node.conditions]
    parts.extend(evaluate(child, answers, universe) for child in node.all_of)
    if node.any_of:
        parts.append(set().union(*(evaluate(child, answers, universe) for child in node.any_of)))
    if node.none_of is not None:
        parts.append(set(universe()) - evaluate(node.none_of, answers, universe))
    if not parts:
        return set(universe())
    parts.sort(key=len)
    return parts[0].intersection(*parts[1:])


def tag_value_matches(leaf: TagLeaf, value: Any) -> bool:
    """Whether a live tag value meets the leaf; a list value meets eq / in when one of its items does."""
    items = value if isinstance(value, list) else [value]
    if leaf.eq is not None and not any(_same(item, leaf.eq) for item in items):
        return False
    if leaf.in_ is not None and not any(isinstance(item, str) and item in leaf.in_ for item in items):
        return False
    if leaf.min is not None or leaf.max is not None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if (leaf.min is not None and value < leaf.min) or (leaf.max is not None and value >= leaf.max):
            return False
    return True


def tag_value_predicate(leaf: TagLeaf) -> Callable[[Any], bool]:
    """``tag_value_matches`` for one leaf, as a function built once: an audience applies it to
    every value of the tag, tens of thousands of times."""
    if leaf.eq is None and leaf.in_ is None and leaf.min is None and leaf.max is None:
        return lambda value: True
    if leaf.in_ is None and leaf.min is None and leaf.max is None and isinstance(leaf.eq, str):
        wanted = leaf.eq
        return lambda value: value == wanted or (type(value) is list and wanted in value)
    if leaf.eq is None and leaf.in_ is None:
        low = -math.inf if leaf.min is None else leaf.min
        high = math.inf if leaf.max is None else leaf.max
        return lambda value: type(value) in (int, float) and low <= value < high
    return lambda value: tag_value_matches(leaf, value)


def _same(item: Any, wanted: str | float | bool) -> bool:
    if isinstance(wanted, bool) or isinstance(item, bool):
        return isinstance(item, bool) and isinstance(wanted, bool) and item == wanted
    return bool(item == wanted)


# Saved audiences keep their filter as JSON.
_LEAF_KINDS: dict[str, type[Any]] = {
    "identity": IdentityLeaf,
    "value": ValueLeaf,
    "tag": TagLeaf,
    "affinity": AffinityLeaf,
}


def _leaf_json(leaf: Leaf) -> dict[str, Any]:
    kind = next(name for name, cls in _LEAF_KINDS.items() if isinstance(leaf, cls))
    body = {k: (sorted(v) if isinstance(v, frozenset | tuple) else v) for k, v in asdict(leaf).items()}
    return {"kind": kind, **{k: v for k, v in body.items() if v is not None and v != []}}


def _leaf_from(raw: Mapping[str, Any]) -> Leaf:
    body = dict(raw)
    cls = _LEAF_KINDS[body.pop("kind")]
    if cls is IdentityLeaf:
        body["identifier_types"] = frozenset(body.get("identifier_types", ()))
    if cls is TagLeaf and body.get("in_") is not None:
        body["in_"] = tuple(body["in_"])
    if cls is AffinityLeaf:
        body["dimension"] = Dimension(body["dimension"])
    leaf: Leaf = cls(**body)
    return leaf


def _node_json(node: Filter) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if node.conditions:
        out["conditions"] = [_leaf_json(leaf) for leaf in node.conditions]
    if node.all_of:
        out["all_of"] = [_node_json(child) for child in node.all_of]
    if node.any_of:
        out["any_of"] = [_node_json(child) for child in node.any_of]
    if node.none_of is not None:
        out["none_of"] = _node_json(node.none_of)
    return out


def filter_to_json(node: Filter) -> str:
    return json.dumps(_node_json(node), ensure_ascii=False, sort_keys=True)


def _node_from(raw: Mapping[str, Any]) -> Filter:
    return Filter(
        conditions=tuple(_leaf_from(leaf) for leaf in raw.get("conditions", ())),
        all_of=tuple(_node_from(child) for child in raw.get("all_of", ())),
        any_of=tuple(_node_from(child) for child in raw.get("any_of", ())),
        none_of=_node_from(raw["none_of"]) if raw.get("none_of") is not None else None,
    )


def filter_from_json(text: str) -> Filter:
    return _node_from(json.loads(text))
