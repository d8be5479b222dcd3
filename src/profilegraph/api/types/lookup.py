"""The console's search box and the caller's own credential, as the API serves them."""

from __future__ import annotations

import asyncio
from enum import StrEnum

import strawberry

from profilegraph.api.context import Info
from profilegraph.api.profile_pages import load_profile, profile_by_key
from profilegraph.api.types.common import shown_key
from profilegraph.api.types.profile import Profile
from profilegraph.domain.access import Capability, may
from profilegraph.domain.search import search_candidates

__all__ = ["Caller", "LookupMatch", "caller_of", "look_up"]


class MatchKind(StrEnum):
    ONE_ID = "one_id"
    IDENTIFIER = "identifier"
    ORDER = "order"


LookupKind = strawberry.enum(MatchKind, name="LookupKind", description="What the search text was found as.")


@strawberry.type(description="A profile the search text found, and how.")
class LookupMatch:
    matched_by: LookupKind  # type: ignore[valid-type]
    identifier: str | None = strawberry.field(
        description="The identifier key that matched (masked without `pii:read`), for an identifier match."
    )
    profile: Profile


@strawberry.type(description="Who the request acts as: what a client shows or hides by.")
class Caller:
    name: str
    role: str
    scopes: list[str]
    capabilities: list[str] = strawberry.field(description="What the role may do: viewer, lookup, administer, ...")


def caller_of(info: Info) -> Caller:
    principal = info.context.principal
    return Caller(
        name=principal.name,
        role=str(principal.role),
        scopes=sorted(principal.scopes),
        capabilities=[str(c) for c in Capability if may(principal, c)],
    )


async def look_up(info: Info, typed: str) -> list[LookupMatch]:
    """Every profile the text names as a OneID, an identifier of any type, or an order; one match per profile."""
    candidates = search_candidates(info.context.config.identity, typed)
    loaders = info.context.loaders
    # All loads are started together, so each kind of read is one batched query.
    by_one_id, by_order, by_key = await asyncio.gather(
        load_profile(info, candidates.text),
        loaders.by_order.load(candidates.text),
        asyncio.gather(*(profile_by_key(info, key) for key in candidates.keys)),
    )
    ordered = await load_profile(info, by_order)
    matches: list[LookupMatch] = []
    seen: set[str] = set()

    def add(kind: MatchKind, profile: Profile | None, key: str | None = None) -> None:
        if profile is None or profile.person.one_id in seen:
            return
        seen.add(profile.person.one_id)
        shown = shown_key(info, key, profile.person.one_id) if key else None
        matches.append(LookupMatch(matched_by=kind, identifier=shown, profile=profile))

    add(MatchKind.ONE_ID, by_one_id)
    for key, profile in zip(candidates.keys, by_key, strict=True):
        add(MatchKind.IDENTIFIER, profile, key)
    add(MatchKind.ORDER, ordered)
    return matches
