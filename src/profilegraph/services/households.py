"""The households a consumer belongs to: for family targeting and for customer service."""

from __future__ import annotations

from dataclasses import dataclass

from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.resolution import Household
from profilegraph.services.lookup import find_one_id
from profilegraph.store.households import households_of
from profilegraph.store.ports import GraphAccess, Transaction

__all__ = ["HouseholdsOfPerson", "households_of_person"]


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
