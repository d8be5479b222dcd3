"""Reading households: the shared family devices and the OneIDs of the people who use them."""

from __future__ import annotations

from typing import LiteralString

from profilegraph.domain.resolution import Household
from profilegraph.store.bolt import Transaction, run

__all__ = ["households_of"]

HOUSEHOLDS_OF_PERSON: LiteralString = """
MATCH (:Person {one_id: $one_id})<-[:HAS_MEMBER]-(h:Household)
MATCH (h)-[:HAS_MEMBER]->(member:Person)
WITH h, collect(DISTINCT member.one_id) AS members
MATCH (h)-[:REVEALED_BY]->(device:Identifier)
RETURN h.household_id AS household_id, members, collect(DISTINCT device.key) AS devices
ORDER BY household_id
"""


async def households_of(tx: Transaction, one_id: str) -> list[Household]:
    """The households the OneID belongs to (usually none or one)."""
    return [
        Household(row["household_id"], tuple(sorted(row["devices"])), tuple(sorted(row["members"])))
        for row in await run(tx, HOUSEHOLDS_OF_PERSON, one_id=one_id)
    ]
