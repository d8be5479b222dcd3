"""Saved audiences: a name and a filter, whose members and count are computed when read."""

from __future__ import annotations

import json
from typing import Any

import strawberry

from profilegraph.api.context import Info
from profilegraph.api.profile_pages import profile_page
from profilegraph.api.types.common import JSON, Connection, UserError, decode_cursor, page_size
from profilegraph.api.types.profile import Profile
from profilegraph.domain.audience import Filter, filter_to_json
from profilegraph.services.audiences import SavedAudience, select

__all__ = ["Audience", "DefineAudiencePayload", "audience", "members"]


async def members(info: Info, wanted: Filter) -> list[str]:
    """The OneIDs a filter selects now, in OneID order."""
    settings = info.context.config.settings
    return await select(
        info.context.runtime.store,
        wanted,
        context=info.context.config.tags,
        half_life_days=settings.affinity_half_life_days,
        as_of=info.context.loaders.as_of,
    )


@strawberry.type(description="A saved audience: its members are those its filter selects at the time of reading.")
class Audience:
    record: strawberry.Private[SavedAudience]
    found: strawberry.Private[list[list[str]]]  # the members, once read in this request

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.record.audience_id)

    @strawberry.field
    def name(self) -> str:
        return self.record.name

    @strawberry.field(graphql_type=JSON, description="The filter, as the audience engine stores it.")
    def definition(self) -> Any:
        return json.loads(filter_to_json(self.record.definition))

    @strawberry.field
    def created_at(self) -> str:
        return self.record.created_at

    @strawberry.field
    def created_by(self) -> str:
        return self.record.created_by

    async def _members(self, info: Info) -> list[str]:
        if not self.found:
            self.found.append(await members(info, self.record.definition))
        return self.found[0]

    @strawberry.field(description="How many active profiles the filter selects now (exact).")
    async def count(self, info: Info) -> int:
        return len(await self._members(info))

    @strawberry.field(description="The profiles it selects now, in OneID order.")
    async def profiles(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Profile]:
        size = page_size(info, first)
        start = decode_cursor(after, 1)
        return await profile_page(info, await self._members(info), size, start[0] if start else None)


def audience(record: SavedAudience) -> Audience:
    return Audience(record=record, found=[])


@strawberry.type
class DefineAudiencePayload:
    audience: Audience | None
    errors: list[UserError]
