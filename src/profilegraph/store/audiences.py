"""Saved audiences: a name and a filter (as JSON); their members are computed when read."""

from __future__ import annotations

from typing import Any, LiteralString

from profilegraph.store.bolt import Record
from profilegraph.store.ports import GraphAccess

__all__ = ["all_audiences", "audience", "save"]

SAVE_AUDIENCE: LiteralString = """
CREATE (a:Audience {audience_id: $audience_id, name: $name, definition: $definition, created_at: $created_at,
                    created_by: $created_by})
"""

GET_AUDIENCE: LiteralString = """
MATCH (a:Audience {audience_id: $audience_id})
RETURN a {.*} AS audience
"""

ALL_AUDIENCES: LiteralString = """
MATCH (a:Audience)
RETURN a {.*} AS audience
ORDER BY a.name, a.audience_id
"""


async def save(store: GraphAccess, row: dict[str, Any]) -> None:
    await store.execute(SAVE_AUDIENCE, **row)


async def audience(store: GraphAccess, audience_id: str) -> Record | None:
    rows = await store.query(GET_AUDIENCE, audience_id=audience_id)
    return rows[0]["audience"] if rows else None


async def all_audiences(store: GraphAccess) -> list[Record]:
    return [row["audience"] for row in await store.query(ALL_AUDIENCES)]
