"""The customer value map, as marketers read it."""

from __future__ import annotations

from typing import Any

import strawberry

from profilegraph.services.clv.audience import ValueMap as ValueMapRecord
from profilegraph.services.clv.snapshots import ValueMapSnapshot as SnapshotRecord

__all__ = ["ValueMap", "ValueMapSnapshot", "value_map", "value_map_snapshot"]


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
        histogram=_buckets(record.histogram),
        stages=[GroupCount(name=name, count=count) for name, count in sorted(record.stages.items())],
        tiers=[GroupCount(name=name, count=count) for name, count in sorted(record.tiers.items())],
        fitted_at=record.fitted_at,
        horizon_days=record.horizon_days,
    )


def _buckets(histogram: list[dict[str, Any]]) -> list[ValueBucket]:
    return [
        ValueBucket(
            from_=_number(bucket["from"]),
            to=_number(bucket["to"]),
            count=int(bucket["count"] or 0),
            value_total=float(bucket["value_total"] or 0.0),
        )
        for bucket in histogram
    ]


def _number(value: float | int | None) -> float | None:
    return None if value is None else float(value)


@strawberry.type(description="The value map as it stood on a date (`profilegraph clv snapshot`, or the schedule).")
class ValueMapSnapshot:
    as_of: str = strawberry.field(description="The date it describes (YYYY-MM-DD).")
    taken_at: str
    taken_by: str
    horizon_days: int
    customers: int
    buyers: int
    historic_total: float
    predicted_total: float | None
    high_value_share: float = strawberry.field(description="Customers in the high-value tier, as a share of all.")
    stages: list[GroupCount]
    tiers: list[GroupCount]
    histogram: list[ValueBucket]
    fitted_at: str | None


def value_map_snapshot(record: SnapshotRecord) -> ValueMapSnapshot:
    return ValueMapSnapshot(
        as_of=record.as_of,
        taken_at=record.taken_at,
        taken_by=record.taken_by,
        horizon_days=record.horizon_days,
        customers=record.customers,
        buyers=record.buyers,
        historic_total=record.historic_total,
        predicted_total=record.predicted_total,
        high_value_share=record.high_value_share,
        stages=[GroupCount(name=name, count=count) for name, count in record.stages.items()],
        tiers=[GroupCount(name=name, count=count) for name, count in record.tiers.items()],
        histogram=_buckets(record.histogram),
        fitted_at=record.fitted_at,
    )
