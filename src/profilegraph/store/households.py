"""Reading households: the shared family devices and the OneIDs of the people who use them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import LiteralString

from profilegraph.domain.resolution import Household
from profilegraph.store.bolt import Transaction, run
from profilegraph.store.ports import GraphAccess

__all__ = ["households_of", "households_of_many"]

HOUSEHOLDS_OF_PERSON: LiteralString = """
MATCH (:Person {one_id: $one_id})<-[:HAS_MEMBER]-(h:Household)
MATCH (h)-[:HAS_MEMBER]->(member:Person)
WITH h, collect(DISTINCT member.one_id) AS members
MATCH (h)-[:REVEALED_BY]->(device:Identifier)
RETURN h.household_id AS household_id, members, collect(DISTINCT device.key) AS devices
ORDER BY household_id
"""


HOUSEHOLDS_OF_PERSONS: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:HAS_MEMBER]-(h:Household)
MATCH (h)-[:HAS_MEMBER]->(member:Person)
WITH one_id, h, collect(DISTINCT member.one_id) AS members
MATCH (h)-[:REVEALED_BY]->(device:Identifier)
RETURN one_id, h.household_id AS household_id, members, collect(DISTINCT device.key) AS devices
"""


async def households_of_many(store: GraphAccess, one_ids: Sequence[str]) -> dict[str, list[Household]]:
    """OneID -> the households it belongs to, for many OneIDs in one query."""
    found: dict[str, list[Household]] = {}
    for row in await store.query(HOUSEHOLDS_OF_PERSONS, one_ids=list(one_ids)):
        found.setdefault(row["one_id"], []).append(
            Household(row["household_id"], tuple(sorted(row["devices"])), tuple(sorted(row["members"])))
        )
    return {one_id: sorted(households, key=lambda h: h.household_id) for one_id, households in found.items()}


async def households_of(tx: Transaction, one_id: str) -> list[Household]:
    """The households the OneID belongs to (usually none or one)."""
    return [
        Household(row["household_id"], tuple(sorted(row["devices"])), tuple(sorted(row["members"])))
        for row in await run(tx, HOUSEHOLDS_OF_PERSON, one_id=one_id)
    ]
