"""The households a consumer belongs to: for family targeting and for customer service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.resolution import Household
from profilegraph.services.lookup import find_one_id
from profilegraph.store.households import households_of
from profilegraph.store.households import households_of_many as _households_of_many
from profilegraph.store.ports import GraphAccess, Transaction

__all__ = ["HouseholdsOfPerson", "households_of_many", "households_of_person"]


@dataclass(frozen=True)
class HouseholdsOfPerson:
    one_id: str
    redirected: bool
    households: tuple[Household, ...]


async def households_of_person(store: GraphAccess, config: IdentityConfig, wanted: str) -> HouseholdsOfPerson:
    """The households of a OneID (retired ones answer for their survivor) or of an identifier's OneID."""

    async def work(tx: Transaction) -> HouseholdsOfPerson:
        found = await find_one_id(tx, config, wanted)
        return HouseholdsOfPerson(found.one_id, found.redirected, tuple(await households_of(tx, found.one_id)))

    return await store.read(work)


async def households_of_many(store: GraphAccess, one_ids: Sequence[str]) -> list[list[Household]]:
    """The households of each OneID, in order: one query for all of them."""
    found = await _households_of_many(store, one_ids)
    return [found.get(one_id, []) for one_id in one_ids]
