"""Products, content and channels: their records, tags, the consumers they reached, their audience."""

from __future__ import annotations

from typing import Any

import strawberry

from profilegraph.api.context import Info
from profilegraph.api.profile_pages import load_profiles, profile_page
from profilegraph.api.types.common import JSON, Connection, decode_cursor, page_size
from profilegraph.api.types.profile import Profile
from profilegraph.api.types.tags import Affinity, Tag, affinity, tags
from profilegraph.domain.affinity import Dimension
from profilegraph.domain.tags import ObjectType
from profilegraph.errors import InvalidInputError
from profilegraph.services.affinities import scored_candidates
from profilegraph.services.catalog import AUDIENCE_DIMENSION, CatalogObject, reached

__all__ = ["AudienceMember", "CatalogNode", "Channel", "Content", "Product", "audience_members"]

MAX_AUDIENCE = 100


@strawberry.type(description="A consumer with their affinity to what the audience was asked for.")
class AudienceMember:
    profile: Profile
    affinity: Affinity


async def _record(info: Info, kind: ObjectType, key: str) -> CatalogObject | None:
    found: CatalogObject | None = await info.context.loaders.catalog(kind).load(key)
    return found


@strawberry.type
class CatalogNode:
    kind: strawberry.Private[ObjectType]
    key: strawberry.Private[str]
    properties: Any = strawberry.field(graphql_type=JSON, description="The catalog record's properties.")

    @strawberry.field(description="Live tag values, or only those named.")
    async def tags(self, info: Info, names: list[str] | None = None) -> list[Tag]:
        return tags(await info.context.loaders.catalog_tags(self.kind).load(self.key), names)

    @strawberry.field(description="Orders that hold it (products) or were placed through it (channels).")
    async def orders(self, info: Info) -> int:
        record = await _record(info, self.kind, self.key)
        return record.orders if record else 0

    @strawberry.field(description="Interactions with it (content) or through it (channels).")
    async def interactions(self, info: Info) -> int:
        record = await _record(info, self.kind, self.key)
        return record.interactions if record else 0

    @strawberry.field(description="The consumers who bought, viewed or used it, in OneID order.")
    async def profiles(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Profile]:
        size = page_size(info, first)
        start = decode_cursor(after, 1)
        one_ids = await reached(info.context.runtime.store, self.kind, self.key)
        return await profile_page(info, one_ids, size, start[0] if start else None)

    @strawberry.field(
        description="The consumers with the strongest affinity to it: to a product's category, a content "
        "item's topic, a channel itself."
    )
    async def audience(self, info: Info, first: int = 20) -> list[AudienceMember]:
        record = await _record(info, self.kind, self.key)
        value = record.audience_value if record else None
        if value is None:
            return []
        dimension, _ = AUDIENCE_DIMENSION[self.kind]
        return await audience_members(info, dimension, value, first)


async def audience_members(info: Info, dimension: Dimension, value: str, first: int) -> list[AudienceMember]:
    """The ``first`` consumers with the strongest affinity to ``value`` along ``dimension``."""
    if not 0 <= first <= MAX_AUDIENCE:
        raise InvalidInputError(f"first is between 0 and {MAX_AUDIENCE}", field="first")
    ranked = (
        await scored_candidates(
            info.context.runtime.store,
            dimension,
            value,
            as_of=info.context.loaders.as_of,
            half_life_days=info.context.config.settings.affinity_half_life_days,
        )
    )[:first]
    profiles = await load_profiles(info, [one_id for one_id, _ in ranked])
    return [
        AudienceMember(profile=profile, affinity=affinity(found))
        for profile, (_, found) in zip(profiles, ranked, strict=True)
        if profile is not None
    ]


@strawberry.type(description="A product of the catalog.")
class Product(CatalogNode):
    @strawberry.field
    def sku(self) -> str:
        return self.key


@strawberry.type(description="A content item: an article, a video, a live stream.")
class Content(CatalogNode):
    @strawberry.field
    def content_id(self) -> str:
        return self.key


@strawberry.type(description="A channel: a store, a mini-program, a marketplace shop.")
class Channel(CatalogNode):
    @strawberry.field
    def code(self) -> str:
        return self.key
