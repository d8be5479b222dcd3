"""Loading profiles for the API: by OneID (following redirects), by identifier, and as pages."""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Sequence

from profilegraph.api.context import Info
from profilegraph.api.types.common import Connection, Edge, PageInfo, encode_cursor
from profilegraph.api.types.profile import Profile, profile_of

__all__ = ["load_profile", "load_profiles", "profile_by_key", "profile_page"]


async def load_profile(info: Info, one_id: str | None) -> Profile | None:
    """The profile a OneID answers as today: itself, or the OneID a retired one redirects to."""
    if not one_id:
        return None
    loaders = info.context.loaders
    person = await loaders.person.load(one_id)
    if person is None:
        return None
    if person.status == "active":
        return profile_of(person)
    if person.current is None:
        return None
    current = await loaders.person.load(person.current)
    return profile_of(current, asked=one_id) if current is not None else None


async def profile_by_key(info: Info, key: str) -> Profile | None:
    """The profile holding an identifier: read in one go, the Person with its identifier."""
    person = await info.context.loaders.by_identifier.load(key)
    return profile_of(person) if person is not None else None


async def load_profiles(info: Info, one_ids: Sequence[str | None]) -> list[Profile | None]:
    """Many profiles at once: their loads share each batch (awaited one by one, they would not)."""
    return list(await asyncio.gather(*(load_profile(info, one_id) for one_id in one_ids)))


async def profile_page(info: Info, one_ids: Sequence[str], size: int, after: str | None) -> Connection[Profile]:
    """A page of ``size`` profiles from sorted ``one_ids``, after the OneID ``after``; totalCount is exact."""
    begin = bisect.bisect_right(one_ids, after) if after is not None else 0
    page = one_ids[begin : begin + size]
    loaded = await load_profiles(info, page)
    edges = [Edge(cursor=encode_cursor(p.person.one_id), node=p) for p in loaded if p is not None]
    total = len(one_ids)

    async def count() -> int:
        return total

    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=begin + size < total, end_cursor=edges[-1].cursor if edges else None),
        count_total=count,
    )
