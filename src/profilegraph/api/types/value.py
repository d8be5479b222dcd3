"""The customer value map, as marketers read it."""

from __future__ import annotations

import strawberry

from profilegraph.services.clv.audience import ValueMap as ValueMapRecord

__all__ = ["ValueMap", "value_map"]


@strawberry.type
class ValueBucket:
    from_: float | None = strawberry.field(name="from", description="Inclusive lower edge; null is -infinity.")
    to: float | None = strawberry.field(description="Exclusive upper edge; null is +infinity.")
    count: int
    value_total: float


@strawberry.type
class GroupCount:
    name: str
    count: int


@strawberry.type(description="Predicted CLV (historic spend without a fit) by bucket, and profiles per stage and tier.")
class ValueMap:
    customers: int
    buyers: int
    historic_total: float
    predicted_total: float | None
    histogram: list[ValueBucket]
    stages: list[GroupCount]
    tiers: list[GroupCount]
    fitted_at: str | None
    horizon_days: int


def value_map(record: ValueMapRecord) -> ValueMap:
    return ValueMap(
        customers=record.customers,
        buyers=record.buyers,
        historic_total=record.historic_total,
        predicted_total=record.predicted_total,
        histogram=[
            ValueBucket(
                from_=_number(bucket["from"]),
                to=_number(bucket["to"]),
                count=int(bucket["count"] or 0),
                value_total=float(bucket["value_total"] or 0.0),
            )
            for bucket in record.histogram
        ],
        stages=[GroupCount(name=name, count=count) for name, count in sorted(record.stages.items())],
        tiers=[GroupCount(name=name, count=count) for name, count in sorted(record.tiers.items())],
        fitted_at=record.fitted_at,
        horizon_days=record.horizon_days,
    )


def _number(value: float | int | None) -> float | None:
    return None if value is None else float(value)
