"""The audience filter input: conditions on identity, value, tags and affinities, with AND, OR and NOT.

Built per schema (its identifier types are the deployment's). The input refers to itself
(``and``, ``or``, ``not``); strawberry resolves such a name in the defining module when
the schema is built, so ``build_filter_input`` registers the class here before returning it.
Annotations stay unpostponed for the same reason.
"""

from functools import cache
from typing import Any

import strawberry

from profilegraph.api.types.common import JSON
from profilegraph.api.types.diagnosis import ChurnSignal, HighValueTypeEnum, IntentLevelEnum
from profilegraph.api.types.identity import IdentityTypes
from profilegraph.api.types.profile import LifecycleStage, ValueTier
from profilegraph.api.types.tags import AffinityDimension
from profilegraph.domain.audience import AffinityLeaf, Filter, IdentityLeaf, Leaf, TagLeaf, ValueLeaf
from profilegraph.domain.diagnosis import shipped
from profilegraph.domain.events import normalise_timestamp
from profilegraph.errors import ErrorCode, InvalidInputError

__all__ = ["FloatRange", "TimeRange", "build_filter_input"]


def _seen(value: str | None, where: str) -> str | None:
    return None if value is None else normalise_timestamp(value, where)


@strawberry.input(description="An inclusive range of timestamps (ISO 8601; UTC when no offset is given).")
class TimeRange:
    from_: str | None = strawberry.field(default=None, name="from")
    to: str | None = None


@strawberry.input(description="An inclusive-exclusive range: min <= value < max.")
class FloatRange:
    min: float | None = None
    max: float | None = None


@strawberry.input(description="A user tag with a live value; optionally equal to, among, or within a range.")
class TagCondition:
    name: str
    eq: Any = strawberry.field(default=None, graphql_type=JSON | None, description="A string, number or boolean.")
    in_: list[str] | None = strawberry.field(default=None, name="in")
    min: float | None = None
    max: float | None = strawberry.field(default=None, description="Exclusive.")

    def leaf(self) -> TagLeaf:
        if self.eq is not None and (not isinstance(self.eq, str | int | float) or isinstance(self.eq, dict | list)):
            raise InvalidInputError(
                "eq is a string, a number or a boolean", field="filter.tags.eq", code=ErrorCode.INVALID_FILTER
            )
        eq = float(self.eq) if isinstance(self.eq, int) and not isinstance(self.eq, bool) else self.eq
        among = tuple(sorted(set(self.in_))) if self.in_ is not None else None
        return TagLeaf(self.name, eq, among, self.min, self.max)


@strawberry.input(description="An affinity of at least `min` (0..1) to a value along a dimension.")
class AffinityCondition:
    dimension: AffinityDimension  # type: ignore[valid-type]
    value: str
    min: float

    def leaf(self) -> AffinityLeaf:
        return AffinityLeaf(self.dimension, self.value, self.min)


@cache  # one class per schema: queries and mutations take the same input
def build_filter_input(identity: IdentityTypes) -> type:
    IdentifierType = identity.enum

    @strawberry.input(
        description="Audience conditions. Every condition given must hold (AND), as must each filter of `and`, "
        "at least one of `or`, and not `not`."
    )
    class ProfileFilter:
        identifier_types: list[IdentifierType] | None = strawberry.field(  # type: ignore[valid-type]
            default=None, description="Has an identifier of each of these types."
        )
        source: str | None = strawberry.field(default=None, description="Has an identifier seen from this source.")
        first_seen: TimeRange | None = None
        last_seen: TimeRange | None = None
        stage: LifecycleStage | None = None  # type: ignore[valid-type]
        tier: ValueTier | None = None  # type: ignore[valid-type]
        predicted_clv: FloatRange | None = strawberry.field(
            default=None, description="Predicted CLV over the default horizon (historic spend without a fit)."
        )
        tags: list[TagCondition] | None = strawberry.field(default=None, description="Each tag condition holds.")
        affinities: list[AffinityCondition] | None = strawberry.field(
            default=None, description="Each affinity condition holds."
        )
        churn_risk: FloatRange | None = strawberry.field(default=None, description="Churn risk (0..1) in the range.")
        churn_signals: list[ChurnSignal] | None = strawberry.field(
            default=None, description="Each of these churn signals holds."
        )
        high_value_type: list[HighValueTypeEnum] | None = strawberry.field(  # type: ignore[valid-type]
            default=None, description="A high-value customer of one of these sub-types."
        )
        intent: list[IntentLevelEnum] | None = strawberry.field(  # type: ignore[valid-type]
            default=None, description="A potential customer of one of these intent levels."
        )
        segment: list[str] | None = strawberry.field(default=None, description="In one of these segments.")
        and_: list["ProfileFilter"] | None = strawberry.field(default=None, name="and")
        or_: list["ProfileFilter"] | None = strawberry.field(default=None, name="or")
        not_: "ProfileFilter | None" = strawberry.field(default=None, name="not")

        def _diagnosis_leaves(self) -> list[Leaf]:
            """The diagnosis conditions are conditions on the tags the diagnosis writes."""
            found: list[Leaf] = []
            if self.churn_risk is not None:
                found.append(TagLeaf(shipped.CHURN_RISK, min=self.churn_risk.min, max=self.churn_risk.max))
            found.extend(TagLeaf(signal.value, eq=True) for signal in self.churn_signals or ())
            for name, chosen in (
                (shipped.HIGH_VALUE_TYPE, self.high_value_type),
                (shipped.INTENT, self.intent),
                (shipped.SEGMENT, self.segment),
            ):
                if chosen is not None:
                    found.append(TagLeaf(name, in_=tuple(sorted({str(getattr(c, "value", c)) for c in chosen}))))
            return found

        def conditions(self) -> Filter:
            leaves: list[Leaf] = []
            first, last = self.first_seen or TimeRange(), self.last_seen or TimeRange()
            identity_leaf = IdentityLeaf(
                identifier_types=frozenset(t.value for t in self.identifier_types or ()),  # type: ignore[attr-defined]
                source=self.source,
                first_seen_from=_seen(first.from_, "filter.firstSeen.from"),
                first_seen_to=_seen(first.to, "filter.firstSeen.to"),
                last_seen_from=_seen(last.from_, "filter.lastSeen.from"),
                last_seen_to=_seen(last.to, "filter.lastSeen.to"),
            )
            if identity_leaf != IdentityLeaf():
                leaves.append(identity_leaf)
            value = self.predicted_clv or FloatRange()
            value_leaf = ValueLeaf(
                str(self.stage) if self.stage is not None else None,
                str(self.tier) if self.tier is not None else None,
                value.min,
                value.max,
            )
            if value_leaf != ValueLeaf():
                leaves.append(value_leaf)
            leaves.extend(condition.leaf() for condition in self.tags or ())
            leaves.extend(condition.leaf() for condition in self.affinities or ())
            leaves.extend(self._diagnosis_leaves())
            return Filter(
                conditions=tuple(leaves),
                all_of=tuple(child.conditions() for child in self.and_ or ()),
                any_of=tuple(child.conditions() for child in self.or_ or ()),
                none_of=self.not_.conditions() if self.not_ is not None else None,
            )

    globals()["ProfileFilter"] = ProfileFilter
    return ProfileFilter
