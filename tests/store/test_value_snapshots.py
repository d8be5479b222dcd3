"""Value-map snapshots: appended with their date, never changed, read back as a series."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest

from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.lifecycle import LifecycleConfig
from profilegraph.errors import InvalidInputError
from profilegraph.services.clv import snapshots
from profilegraph.services.ingest import ingest_events
from profilegraph.store.bolt import GraphStore

CONFIG = IdentityConfig()


def _order(n: int, day: str, amount: float) -> dict[str, Any]:
    return {
        "event_id": f"o-{n}",
        "type": "order",
        "ts": f"{day}T10:00:00Z",
        "identifiers": [{"type": "member_id", "value": f"M{n}"}],
        "order": {"order_id": f"order-{n}", "amount": amount},
    }


def _lead(n: int, day: str) -> dict[str, Any]:
    return {
        "event_id": f"i-{n}",
        "type": "identify",
        "ts": f"{day}T10:00:00Z",
        "identifiers": [{"type": "phone", "value": f"1370000{n:04d}"}],
    }


async def _take(store: GraphStore, as_of: str) -> snapshots.ValueMapSnapshot:
    return await snapshots.take_snapshot(
        store, horizon_days=365, lifecycle_config=LifecycleConfig(), taken_by="test", as_of=date.fromisoformat(as_of)
    )


async def test_snapshots_are_appended_never_changed_and_read_by_date(graph_store: GraphStore) -> None:
    await ingest_events(graph_store, [_order(n, "2026-03-01", 100.0 * n) for n in range(1, 5)], CONFIG)
    march = await _take(graph_store, "2026-03-31")
    # A campaign brings new buyers and leads; the structure the brand sees shifts.
    await ingest_events(
        graph_store,
        [_order(n, "2026-04-10", 50.0) for n in range(5, 11)] + [_lead(n, "2026-04-11") for n in range(3)],
        CONFIG,
    )
    april = await _take(graph_store, "2026-04-30")
    again = await _take(graph_store, "2026-04-30")  # a second snapshot of a day is kept beside the first

    series = await snapshots.snapshot_history(graph_store, date(2026, 3, 1), date(2026, 4, 30))
    assert [s.snapshot_id for s in series] == [march.snapshot_id, april.snapshot_id, again.snapshot_id]
    assert series[0] == march  # read back exactly as it was taken, after later ingestion
    assert (march.customers, march.buyers) == (4, 4)
    assert (april.customers, april.buyers) == (13, 10)
    assert sum(april.stages.values()) == april.customers == sum(april.tiers.values())
    assert april.stages.get("potential") == 3
    assert 0.0 <= april.high_value_share <= 1.0
    assert april.high_value_share == pytest.approx(april.tiers.get("high_value", 0) / april.customers)
    assert sum(bucket["count"] for bucket in april.histogram) == april.customers

    assert [s.as_of for s in await snapshots.snapshot_history(graph_store, date(2026, 4, 1), date(2026, 4, 30))] == [
        "2026-04-30",
        "2026-04-30",
    ]
    assert await snapshots.snapshot_history(graph_store, date(2026, 5, 1), date(2026, 5, 31)) == []
    with pytest.raises(InvalidInputError, match="before"):
        await snapshots.snapshot_history(graph_store, date(2026, 5, 1), date(2026, 4, 1))


def _schedule(store: GraphStore) -> Any:
    return snapshots.run_snapshot_schedule(store, every_hours=24, horizon_days=365, lifecycle_config=LifecycleConfig())


async def test_the_schedule_takes_a_snapshot_only_when_the_newest_is_old_enough(graph_store: GraphStore) -> None:
    await ingest_events(graph_store, [_order(1, "2026-03-01", 80.0)], CONFIG)
    task = asyncio.create_task(
        snapshots.run_snapshot_schedule(
            graph_store, every_hours=24, horizon_days=365, lifecycle_config=LifecycleConfig()
        )
    )
    for _ in range(100):
        await asyncio.sleep(0.1)
        if await snapshots.snapshot_history(graph_store, date(2020, 1, 1), date(2029, 12, 31)):
            break
    task.cancel()
    taken = await snapshots.snapshot_history(graph_store, date(2020, 1, 1), date(2029, 12, 31))
    assert [s.taken_by for s in taken] == ["schedule"]
    # A second process starting now finds a fresh snapshot and leaves it be.
    second = asyncio.create_task(
        snapshots.run_snapshot_schedule(
            graph_store, every_hours=24, horizon_days=365, lifecycle_config=LifecycleConfig()
        )
    )
    await asyncio.sleep(1.0)
    second.cancel()
    assert len(await snapshots.snapshot_history(graph_store, date(2020, 1, 1), date(2029, 12, 31))) == 1
