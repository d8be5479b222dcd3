"""Tag definitions, values, CEL rules, features, survivorship and affinities: the pure rules."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pytest

from profilegraph.domain.affinity import Dimension, Evidence, affinities, evidence_weight
from profilegraph.domain.features import InteractionRow, Scores, UserFacts, user_features
from profilegraph.domain.rules import EvaluationError, compile_rule, evaluation_order, tag_references
from profilegraph.domain.survivorship import SurvivorshipRules, surviving
from profilegraph.domain.tags import (
    ObjectType,
    TagDefinition,
    TagKind,
    TagValue,
    ValueType,
    coerce_value,
    current_values,
    define,
    expires_at,
)
from profilegraph.errors import ErrorCode, InvalidInputError


def _tag(
    name: str = "t",
    kind: TagKind = TagKind.RULE,
    value_type: ValueType = ValueType.BOOL,
    expression: str | None = "orders > 1",
    object_type: ObjectType = ObjectType.USER,
    ttl: int | None = None,
) -> TagDefinition:
    return define(
        name=name,
        object_type=object_type,
        value_type=value_type,
        kind=kind,
        expression=expression,
        ttl_seconds=ttl,
        created_at="2026-01-01T00:00:00Z",
    )


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"name": "Big Spender"}, "name", "lower case"),
        ({"name": "9lives"}, "name", "starting with a letter"),
        ({"expression": None}, "expression", "needs an expression"),
        ({"kind": TagKind.MANUAL}, "expression", "has no expression"),
        ({"kind": TagKind.EVENT, "object_type": ObjectType.PRODUCT}, "objectType", "consumers"),
        ({"ttl": 0}, "ttlSeconds", "positive"),
    ],
)
def test_a_definition_is_refused_naming_the_field(options: dict, field: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        _tag(**options)
    assert refused.value.field == field
    assert message in refused.value.message


@pytest.mark.parametrize(
    ("value_type", "good", "bad"),
    [
        (ValueType.BOOL, True, 1),
        (ValueType.NUMBER, 3, "3"),
        (ValueType.NUMBER, 2.5, math.inf),
        (ValueType.NUMBER, 1.0, True),
        (ValueType.STRING, "gold", ["gold"]),
        (ValueType.STRING_LIST, ["b", "a", "b"], ["a", 1]),
        (ValueType.STRING_LIST, [], "a"),
    ],
)
def test_values_of_the_wrong_type_are_refused_with_their_code(value_type: ValueType, good: object, bad: object) -> None:
    definition = _tag(kind=TagKind.MODEL, expression=None, value_type=value_type)
    coerce_value(definition, good)
    with pytest.raises(InvalidInputError) as refused:
        coerce_value(definition, bad)
    assert refused.value.code is ErrorCode.TAG_WRONG_TYPE
    assert definition.key in refused.value.message


def test_lists_are_kept_as_sorted_sets_and_numbers_as_floats() -> None:
    assert coerce_value(
        _tag(kind=TagKind.MODEL, expression=None, value_type=ValueType.STRING_LIST), ["b", "a", "b"]
    ) == ["a", "b"]
    assert coerce_value(_tag(kind=TagKind.MODEL, expression=None, value_type=ValueType.NUMBER), 3) == 3.0


def test_a_value_expires_by_its_ttl_unless_given_an_expiry_and_expired_values_are_not_current() -> None:
    definition = _tag(kind=TagKind.MODEL, expression=None, ttl=3600)
    assert expires_at(definition, "2026-01-01T23:30:00Z") == "2026-01-02T00:30:00Z"
    assert expires_at(definition, "2026-01-01T23:30:00Z", "2027-01-01T00:00:00Z") == "2027-01-01T00:00:00Z"
    assert expires_at(_tag(kind=TagKind.MODEL, expression=None), "2026-01-01T00:00:00Z") is None

    def value(name: str, v: object, at: str, until: str | None) -> TagValue:
        return TagValue(name, v, TagKind.MODEL, "job", None, at, until)  # type: ignore[arg-type]

    found = current_values(
        [
            value("a", 1.0, "2026-01-01T00:00:00Z", None),
            value("a", 2.0, "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z"),  # newest, but expired
            value("b", True, "2026-01-02T00:00:00Z", "2026-02-01T00:00:00Z"),
            value("b", False, "2026-01-01T00:00:00Z", None),
        ],
        now="2026-01-05T00:00:00Z",
    )
    assert {name: v.value for name, v in found.items()} == {"a": 1.0, "b": True}


@pytest.mark.parametrize(
    ("expression", "where", "hint"),
    [
        ("orders >= ", "line:column 1:10", "Syntax error"),
        ("order_count > 1", "1:1", "undeclared reference to 'order_count'"),
        ("amount > 100", "1:8", "write 2.0"),
        ("stage + 1", "1:7", "no matching overload"),
    ],
)
def test_a_bad_expression_is_refused_pointing_at_the_problem(expression: str, where: str, hint: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        compile_rule(_tag(expression=expression))
    assert refused.value.code is ErrorCode.INVALID_EXPRESSION
    assert where in refused.value.message
    assert hint in refused.value.message
    assert "^" in refused.value.message  # the caret under the problem


def test_the_result_type_must_be_the_tags() -> None:
    with pytest.raises(InvalidInputError, match="gives int"):
        compile_rule(_tag(expression="orders * 2", value_type=ValueType.STRING))
    compile_rule(_tag(expression="orders * 2", value_type=ValueType.NUMBER))
    compile_rule(_tag(expression="attributes.city", value_type=ValueType.STRING))  # dyn: checked per object


def test_a_rule_sets_clears_or_fails_per_object() -> None:
    features = user_features(UserFacts(attributes={"city": "上海"}), Scores(), date(2026, 1, 1))
    big = compile_rule(_tag(expression="orders >= 1"))
    assert big.evaluate(features) is None  # false clears a bool tag
    assert big.evaluate({**features, "orders": 2}) is True
    city = compile_rule(_tag(expression="attributes.city", value_type=ValueType.STRING))
    assert city.evaluate(features) == "上海"
    missing = compile_rule(_tag(expression="attributes.gender == 'f'"))
    with pytest.raises(EvaluationError):
        missing.evaluate(features)
    wrong = compile_rule(_tag(expression="attributes.city", value_type=ValueType.NUMBER))
    with pytest.raises(EvaluationError, match="not a number"):
        wrong.evaluate(features)


def test_rules_run_after_the_rules_they_read_and_a_cycle_is_refused() -> None:
    a = _tag("a", expression="tags.b == true && tags['c'] == true")
    b = _tag("b", expression="has(tags.c)")
    c = _tag("c", expression="orders > 1")
    assert tag_references(a.expression or "") == {"b", "c"}
    assert [d.name for d in evaluation_order([a, b, c])] == ["c", "b", "a"]
    loop = _tag("c", expression="has(tags.a)")
    with pytest.raises(InvalidInputError, match="cycle"):
        evaluation_order([a, b, loop])
    with pytest.raises(InvalidInputError, match="reads itself"):
        evaluation_order([_tag("d", expression="has(tags.d)")])


def test_user_features_count_orders_and_interactions_in_windows_from_the_as_of_day() -> None:
    facts = UserFacts(
        orders=[
            ("2026-03-01T10:00:00Z", 100.0, "tmall"),  # 0 days
            ("2026-02-20T10:00:00Z", 50.0, None),  # 9 days
            ("2025-12-01T10:00:00Z", 30.0, "pos"),  # 90 days: outside the 90-day window
            ("2026-03-05T10:00:00Z", 999.0, "pos"),  # after as-of: not counted
        ],
        interactions=[InteractionRow("2026-02-27T00:00:00Z", "miniapp")],
        identifier_types={"phone"},
        sources={"app"},
        last_seen="2026-02-27T00:00:00Z",
    )
    features = user_features(facts, Scores(clv_historic=180.0), date(2026, 3, 1))
    assert (features["orders"], features["amount"]) == (3, 180.0)
    assert (features["orders_7d"], features["orders_30d"], features["orders_90d"]) == (1, 2, 2)
    assert (features["amount_30d"], features["orders_180d"]) == (150.0, 3)
    assert (features["days_since_order"], features["days_since_interaction"], features["days_since_seen"]) == (0, 2, 2)
    assert features["channels"] == ["miniapp", "pos", "tmall"]
    assert features["clv_predicted"] == 180.0  # historic stands in without a fit
    empty = user_features(UserFacts(), Scores(), date(2026, 3, 1))
    assert (empty["days_since_order"], empty["orders_365d"]) == (-1, 0)


@dataclass(frozen=True)
class _Seen:
    name: str
    value: str
    source: str
    observed_at: str
    event_id: str = "e"


def test_survivorship_is_most_recent_by_default_or_by_source_priority() -> None:
    values = [
        _Seen("gender", "f", "crm", "2026-01-01T00:00:00Z"),
        _Seen("gender", "m", "app", "2026-03-01T00:00:00Z"),
        _Seen("gender", "x", "pos", "2026-02-01T00:00:00Z"),
        _Seen("city", "北京", "crm", "2026-01-01T00:00:00Z"),
        _Seen("city", "上海", "app", "2026-02-01T00:00:00Z"),
    ]
    default = SurvivorshipRules({})
    assert {n: v.value for n, v in surviving(values, default).items()} == {"gender": "m", "city": "上海"}
    ranked = SurvivorshipRules({"gender": ["pos", "crm"]})
    assert {n: v.value for n, v in surviving(values, ranked).items()} == {"gender": "x", "city": "上海"}
    assert ranked.rule_of("gender") == "source_priority:pos,crm"
    assert ranked.rule_of("city") == "most_recent"
    # an unlisted source counts only when no listed one reported a value
    only_app = SurvivorshipRules({"gender": ["store"]})
    assert surviving(values, only_app)["gender"].value == "m"


def test_affinities_are_shares_of_recency_weighted_evidence() -> None:
    as_of = date(2026, 4, 1)
    assert evidence_weight("2026-04-01T00:00:00Z", as_of, 30) == 1.0
    assert evidence_weight("2026-03-02T00:00:00Z", as_of, 30) == 0.5
    found = affinities(
        [
            Evidence("u1", Dimension.PRODUCT_CATEGORY, "skincare", "2026-04-01T00:00:00Z"),  # 1
            Evidence("u1", Dimension.PRODUCT_CATEGORY, "makeup", "2026-03-02T00:00:00Z"),  # 0.5
            Evidence("u1", Dimension.PRODUCT_CATEGORY, "makeup", "2026-01-31T00:00:00Z"),  # 0.25
            Evidence("u1", Dimension.CHANNEL, "tmall", "2026-01-31T00:00:00Z"),
            Evidence("u2", Dimension.PRODUCT_CATEGORY, "makeup", "2026-03-02T00:00:00Z"),
        ],
        as_of=as_of,
        half_life_days=30,
    )
    table = {(a.owner, a.dimension, a.value): (round(a.score, 6), a.weight, a.evidence) for a in found}
    assert table == {
        ("u1", Dimension.PRODUCT_CATEGORY, "skincare"): (round(1 / 1.75, 6), 1.0, 1),
        ("u1", Dimension.PRODUCT_CATEGORY, "makeup"): (round(0.75 / 1.75, 6), 0.75, 2),
        ("u1", Dimension.CHANNEL, "tmall"): (1.0, 0.25, 1),
        ("u2", Dimension.PRODUCT_CATEGORY, "makeup"): (1.0, 0.5, 1),
    }
    assert [a.value for a in found if a.owner == "u1" and a.dimension is Dimension.PRODUCT_CATEGORY] == [
        "skincare",
        "makeup",
    ]
