"""From what a caller names (a OneID, retired or not, or an identifier key) to the active OneID."""

from __future__ import annotations

from dataclasses import dataclass

from profilegraph.domain.identifiers import IdentityConfig, OneId
from profilegraph.errors import NotFoundError
from profilegraph.store import admin as admin_store
from profilegraph.store.oneids import one_id_map
from profilegraph.store.ports import GraphAccess, Transaction

__all__ = ["FoundOneId", "active_one_id", "all_one_ids", "find_one_id"]


@dataclass(frozen=True)
class FoundOneId:
    one_id: OneId
    redirected: bool  # the caller named a retired OneID that now answers as ``one_id``


async def active_one_id(tx: Transaction, one_id: str) -> FoundOneId:
    """The active OneID that ``one_id`` is, or redirects to; NotFoundError naming it otherwise."""
    standing = await admin_store.person_standing(tx, one_id)
    if standing is None:
        raise NotFoundError(f"OneID {one_id!r} does not exist")
    if standing.active:
        return FoundOneId(standing.one_id, redirected=False)
    if standing.current is None:
        raise NotFoundError(f"OneID {one_id!r} was retired and has no identifiers left")
    return FoundOneId(standing.current, redirected=True)


async def find_one_id(tx: Transaction, config: IdentityConfig, wanted: str) -> FoundOneId:
    """A OneID, or an identifier key (``type:value``, normalised as ingestion does), to its active OneID."""
    if ":" not in wanted:
        return await active_one_id(tx, wanted)
    key = config.normalise_key(wanted)
    state = await admin_store.identifier_state(tx, key)
    if state is None or state.one_id is None:
        raise NotFoundError(f"identifier {key} belongs to no OneID")
    return FoundOneId(state.one_id, redirected=False)


async def all_one_ids(store: GraphAccess) -> dict[str, str]:
    """Identifier key -> OneID, for every identifier that belongs to a OneID."""
    return await one_id_map(store)
