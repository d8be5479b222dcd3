"""The value map over time: snapshots taken by command or on a schedule, read back as a series.

A brand sees its structure shift after a campaign by comparing the value map before and
after: customers per lifecycle stage and value tier, the share of high-value customers,
the total predicted CLV. Each snapshot is appended with its date and never changed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from profilegraph.domain.lifecycle import LifecycleConfig, Tier
from profilegraph.errors import InvalidInputError, ProfileGraphError
from profilegraph.services.clv._common import today
from profilegraph.services.clv.audience import ValueMap, value_map
from profilegraph.store import snapshots as snapshot_store
from profilegraph.store.ports import GraphAccess

__all__ = ["DEFAULT_BUCKETS", "ValueMapSnapshot", "run_snapshot_schedule", "snapshot_history", "take_snapshot"]

log = logging.getLogger(__name__)

DEFAULT_BUCKETS = (0.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
MAX_HISTORY_DAYS = 3660  # ten years of daily snapshots at most per read


@dataclass(frozen=True)
class ValueMapSnapshot:
    snapshot_id: str
    taken_at: str  # when it was computed (UTC, ISO 8601)
    as_of: str  # the date the value map describes (YYYY-MM-DD)
    taken_by: str
    horizon_days: int
    customers: int
    buyers: int
    historic_total: float
    predicted_total: float | None
    high_value_share: float  # customers in the high-value tier / customers (0 with no customers)
    stages: dict[str, int]
    tiers: dict[str, int]
    histogram: list[dict[str, Any]]
    fitted_at: str | None


def _snapshot(mapped: ValueMap, as_of: date, taken_by: str) -> ValueMapSnapshot:
    high = mapped.tiers.get(str(Tier.HIGH_VALUE), 0)
    return ValueMapSnapshot(
        snapshot_id=uuid.uuid4().hex,
        taken_at=datetime.now(UTC).isoformat(timespec="microseconds"),  # orders two of one day
        as_of=as_of.isoformat(),
        taken_by=taken_by,
        horizon_days=mapped.horizon_days,
        customers=mapped.customers,
        buyers=mapped.buyers,
        historic_total=mapped.historic_total,
        predicted_total=mapped.predicted_total,
        high_value_share=high / mapped.customers if mapped.customers else 0.0,
        stages=dict(sorted(mapped.stages.items())),
        tiers=dict(sorted(mapped.tiers.items())),
        histogram=mapped.histogram,
        fitted_at=mapped.fitted_at,
    )


async def take_snapshot(
    store: GraphAccess,
    *,
    horizon_days: int,
    lifecycle_config: LifecycleConfig,
    taken_by: str,
    as_of: date | None = None,
    buckets: Sequence[float] = DEFAULT_BUCKETS,
) -> ValueMapSnapshot:
    """Compute the value map as of a date and append it to the series."""
    day = as_of or today()
    mapped = await value_map(
        store, buckets=buckets, horizon_days=horizon_days, as_of=day, lifecycle_config=lifecycle_config
    )
    snapshot = _snapshot(mapped, day, taken_by)
    row = asdict(snapshot)
    for name in ("stages", "tiers", "histogram"):
        row[name] = json.dumps(row[name])  # a graph property holds no maps: kept as JSON text
    await snapshot_store.save_snapshot(store, row)
    return snapshot


def _stored(row: dict[str, Any]) -> ValueMapSnapshot:
    return ValueMapSnapshot(
        snapshot_id=str(row["snapshot_id"]),
        taken_at=str(row["taken_at"]),
        as_of=str(row["as_of"]),
        taken_by=str(row["taken_by"]),
        horizon_days=int(row["horizon_days"]),
        customers=int(row["customers"]),
        buyers=int(row["buyers"]),
        historic_total=float(row["historic_total"]),
        predicted_total=None if row.get("predicted_total") is None else float(row["predicted_total"]),
        high_value_share=float(row["high_value_share"]),
        stages=json.loads(row["stages"]),
        tiers=json.loads(row["tiers"]),
        histogram=json.loads(row["histogram"]),
        fitted_at=row.get("fitted_at"),
    )


async def snapshot_history(store: GraphAccess, first: date, last: date) -> list[ValueMapSnapshot]:
    """The snapshots of the days from ``first`` to ``last`` (inclusive), oldest first."""
    if last < first:
        raise InvalidInputError("`to` is before `from`", field="to")
    if (last - first).days > MAX_HISTORY_DAYS:
        raise InvalidInputError(f"ask for at most {MAX_HISTORY_DAYS} days at a time", field="to")
    rows = await snapshot_store.snapshots_between(store, first.isoformat(), last.isoformat())
    return [_stored(dict(row)) for row in rows]


async def run_snapshot_schedule(
    store: GraphAccess, *, every_hours: float, horizon_days: int, lifecycle_config: LifecycleConfig
) -> None:
    """Take a snapshot whenever the newest is ``every_hours`` old, until cancelled.

    Several service processes on one graph each run this; a process that finds a fresh
    snapshot leaves it be, so the series gets about one snapshot per interval.
    """
    interval = timedelta(hours=every_hours)
    while True:
        try:
            latest = await snapshot_store.latest_taken_at(store)
            due = latest is None or datetime.now(UTC) - datetime.fromisoformat(latest) >= interval
            if due:
                snapshot = await take_snapshot(
                    store, horizon_days=horizon_days, lifecycle_config=lifecycle_config, taken_by="schedule"
                )
                log.info("value map snapshot %s taken as of %s", snapshot.snapshot_id, snapshot.as_of)
        except ProfileGraphError:
            log.exception("the scheduled value map snapshot failed; the next try is in a minute")
            await asyncio.sleep(60)
            continue
        await asyncio.sleep(min(interval.total_seconds(), 600))
