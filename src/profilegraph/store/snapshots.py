"""Value-map snapshots: appended once each, never changed, read back as a series by date."""

from __future__ import annotations

from typing import Any, LiteralString

from profilegraph.store.bolt import Record
from profilegraph.store.ports import GraphAccess

__all__ = ["latest_taken_at", "save_snapshot", "snapshots_between"]

# CREATE, not MERGE: a snapshot id is new each time, so an existing snapshot is never touched.
SAVE_SNAPSHOT: LiteralString = """
CREATE (:ValueMapSnapshot {snapshot_id: $snapshot_id, taken_at: $taken_at, as_of: $as_of, taken_by: $taken_by,
                           horizon_days: $horizon_days, customers: $customers, buyers: $buyers,
                           historic_total: $historic_total, predicted_total: $predicted_total,
                           high_value_share: $high_value_share, stages: $stages, tiers: $tiers,
                           histogram: $histogram, fitted_at: $fitted_at})
"""

SNAPSHOTS_BETWEEN: LiteralString = """
MATCH (s:ValueMapSnapshot)
WHERE s.as_of >= $first AND s.as_of <= $last
RETURN s {.*} AS snapshot
ORDER BY s.as_of, s.taken_at, s.snapshot_id
"""

LATEST_TAKEN_AT: LiteralString = """
MATCH (s:ValueMapSnapshot)
RETURN max(s.taken_at) AS taken_at
"""


async def save_snapshot(store: GraphAccess, row: dict[str, Any]) -> None:
    await store.execute(SAVE_SNAPSHOT, **row)


async def snapshots_between(store: GraphAccess, first: str, last: str) -> list[Record]:
    """Snapshots whose date (YYYY-MM-DD) is within [first, last], oldest first."""
    return [row["snapshot"] for row in await store.query(SNAPSHOTS_BETWEEN, first=first, last=last)]


async def latest_taken_at(store: GraphAccess) -> str | None:
    rows = await store.query(LATEST_TAKEN_AT)
    return rows[0]["taken_at"] if rows else None
