"""Audience filters: the set algebra agrees with asking each profile, and filters survive being saved."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from profilegraph.domain.affinity import Dimension
from profilegraph.domain.audience import (
    MAX_FILTER_DEPTH,
    AffinityLeaf,
    Filter,
    IdentityLeaf,
    Leaf,
    TagLeaf,
    ValueLeaf,
    evaluate,
    filter_from_json,
    filter_to_json,
    leaves,
    tag_value_matches,
    tag_value_predicate,
)
from profilegraph.errors import ErrorCode, InvalidInputError

PEOPLE = [f"p{n}" for n in range(12)]
LEAVES: list[Leaf] = [
    TagLeaf("a"),
    TagLeaf("b", eq="x"),
    TagLeaf("c", min=1.0, max=3.0),
    ValueLeaf(stage="active"),
    IdentityLeaf(source="app"),
    AffinityLeaf(Dimension.CHANNEL, "tmall", 0.5),
]


def filters(depth: int = 3) -> st.SearchStrategy[Filter]:
    leaf_tuple = st.lists(st.sampled_from(LEAVES), max_size=2).map(tuple)
    if depth == 0:
        return st.builds(Filter, conditions=leaf_tuple)
    child = filters(depth - 1)
    return st.builds(
        Filter,
        conditions=leaf_tuple,
        all_of=st.lists(child, max_size=2).map(tuple),
        any_of=st.lists(child, max_size=2).map(tuple),
        none_of=st.none() | child,
    )


def _holds(node: Filter, person: str, members: dict[Leaf, frozenset[str]]) -> bool:
    """The filter asked of one person, as its definition reads."""
    return (
        all(person in members[leaf] for leaf in node.conditions)
        and all(_holds(child, person, members) for child in node.all_of)
        and (not node.any_of or any(_holds(child, person, members) for child in node.any_of))
        and (node.none_of is None or not _holds(node.none_of, person, members))
    )


@settings(max_examples=300, deadline=None)
@given(node=filters(), data=st.data())
def test_set_algebra_selects_exactly_the_people_the_filter_holds_for(node: Filter, data: Any) -> None:
    members = {leaf: frozenset(data.draw(st.sets(st.sampled_from(PEOPLE)))) for leaf in LEAVES}
    universe = frozenset(PEOPLE)
    asked = set(leaves(node))
    found = evaluate(node, {leaf: members[leaf] for leaf in asked}, lambda: universe)
    assert found == {person for person in PEOPLE if _holds(node, person, members)}
    assert filter_from_json(filter_to_json(node)) == node


def test_a_list_value_meets_eq_and_in_by_any_item_and_ranges_take_numbers_only() -> None:
    assert tag_value_matches(TagLeaf("t", eq="b"), ["a", "b"])
    assert not tag_value_matches(TagLeaf("t", eq="c"), ["a", "b"])
    assert tag_value_matches(TagLeaf("t", in_=("c", "a")), ["a"])
    assert tag_value_matches(TagLeaf("t", min=1.0, max=2.0), 1.0)
    assert not tag_value_matches(TagLeaf("t", min=1.0, max=2.0), 2.0)
    assert not tag_value_matches(TagLeaf("t", min=0.0), True)  # a bool is no number
    assert not tag_value_matches(TagLeaf("t", eq=True), 1.0)
    assert tag_value_matches(TagLeaf("t"), False) is True


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (Filter(conditions=(ValueLeaf(clv_min=5, clv_max=1),)), "empty range"),
        (Filter(conditions=(TagLeaf("t", min=2, max=2),)), "empty range"),
        (Filter(conditions=(AffinityLeaf(Dimension.CHANNEL, "x", 1.5),)), "between 0 and 1"),
        (Filter(conditions=tuple(TagLeaf(f"t{n}") for n in range(51))), "at most 50"),
    ],
)
def test_filters_that_cannot_be_answered_well_are_refused(node: Filter, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as refused:
        node.check()
    assert refused.value.code is ErrorCode.INVALID_FILTER


def test_a_filter_nested_too_deep_is_refused() -> None:
    node = Filter(conditions=(TagLeaf("t"),))
    for _ in range(MAX_FILTER_DEPTH):
        node = Filter(none_of=node)
    with pytest.raises(InvalidInputError, match="deeper"):
        node.check()


tag_values = st.one_of(
    st.booleans(),
    st.sampled_from([0.0, 0.5, 1.0, 2.5, 3.0]),
    st.sampled_from(["x", "y", ""]),
    st.lists(st.sampled_from(["x", "y", "z"]), max_size=3),
)
tag_leaves = st.builds(
    TagLeaf,
    st.just("t"),
    eq=st.none() | st.sampled_from(["x", "y", 1.0, True]),
    in_=st.none() | st.lists(st.sampled_from(["x", "z"]), min_size=1).map(tuple),
    min=st.none() | st.sampled_from([0.5, 1.0]),
    max=st.none() | st.sampled_from([1.0, 3.0]),
)


@settings(max_examples=500, deadline=None)
@given(leaf=tag_leaves, value=tag_values)
def test_the_predicate_built_once_per_leaf_agrees_with_the_definition(leaf: TagLeaf, value: Any) -> None:
    assert tag_value_predicate(leaf)(value) == tag_value_matches(leaf, value)
