"""The query root: profiles by OneID, identifier, order and token; audiences; admin reads.

Built per schema, because the identifier-type enum is the deployment's configured types.
This module leaves annotations unpostponed: the resolvers are defined inside
``build_query`` and refer to that enum.
"""

import asyncio
import bisect
from collections.abc import Sequence

import strawberry

from profilegraph.api.context import Info
from profilegraph.api.health import Health, resolve_health
from profilegraph.api.permissions import CanAdminister, CanLookUp, CanView
from profilegraph.api.types.admin import AuditEntry, Conflict, Explanation, audit_entry, conflict, explanation
from profilegraph.api.types.common import (
    Connection,
    Edge,
    PageInfo,
    connection,
    decode_cursor,
    encode_cursor,
    page_size,
)
from profilegraph.api.types.identity import IdentityTypes
from profilegraph.api.types.profile import MAX_HORIZON_DAYS, LifecycleStage, Profile, ValueTier, profile_of
from profilegraph.api.types.value import ValueMap, value_map
from profilegraph.domain.events import normalise_timestamp
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.errors import InvalidInputError, NotFoundError
from profilegraph.services import admin
from profilegraph.services.clv.audience import value_map as compute_value_map
from profilegraph.services.profiles import AudienceFilter, audience

__all__ = ["build_query", "load_profile", "load_profiles"]

MAX_VALUE_BUCKETS = 100


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


def _seen(value: str | None, where: str) -> str | None:
    return None if value is None else normalise_timestamp(value, where)


@strawberry.input(description="An inclusive range of timestamps (ISO 8601; UTC when no offset is given).")
class TimeRange:
    from_: str | None = strawberry.field(default=None, name="from")
    to: str | None = None


@strawberry.input(description="An inclusive-exclusive range: min <= value < max.")
class FloatRange:
    min: float | None = None
    max: float | None = None


@strawberry.type
class Merge:
    retired: str
    survivor: str
    at: str
    reason: str


@strawberry.type
class MergeHistory:
    one_id: str
    status: str
    current: str
    merged_from: list[Merge]
    merged_into: Merge | None
    audit: list[AuditEntry]


def build_query(config: IdentityConfig, identity: IdentityTypes) -> type:
    IdentifierType, IdentifierInput = identity.enum, identity.input

    @strawberry.input(description="Audience conditions, combined with AND.")
    class ProfileFilter:
        identifier_types: list[IdentifierType] | None = strawberry.field(  # type: ignore[valid-type]
            default=None, description="Has an identifier of each of these types."
        )
        source: str | None = strawberry.field(default=None, description="Has an identifier seen from this source.")
        first_seen: TimeRange | None = None
        last_seen: TimeRange | None = None
        stage: LifecycleStage | None = None  # type: ignore[valid-type]
        tier: ValueTier | None = None  # type: ignore[valid-type]
        predicted_clv: FloatRange | None = strawberry.field(
            default=None, description="Predicted CLV over the default horizon (historic spend without a fit)."
        )

        def conditions(self) -> AudienceFilter:
            first, last = self.first_seen or TimeRange(), self.last_seen or TimeRange()
            value = self.predicted_clv or FloatRange()
            return AudienceFilter(
                identifier_types=frozenset(t.value for t in self.identifier_types or ()),  # type: ignore[attr-defined]
                source=self.source,
                first_seen_from=_seen(first.from_, "filter.firstSeen.from"),
                first_seen_to=_seen(first.to, "filter.firstSeen.to"),
                last_seen_from=_seen(last.from_, "filter.lastSeen.from"),
                last_seen_to=_seen(last.to, "filter.lastSeen.to"),
                stage=self.stage,
                tier=self.tier,
                clv_min=value.min,
                clv_max=value.max,
            )

    @strawberry.type
    class Query:
        health: Health = strawberry.field(resolver=resolve_health, description="Service version and graph status.")

        @strawberry.field(
            permission_classes=[CanView],
            description="The caller's own profile: the one holding the identifier the token's subject names.",
        )
        async def viewer(self, info: Info) -> Profile | None:
            subject = info.context.principal.subject
            if not subject or ":" not in subject:
                return None
            try:
                key = config.normalise_key(subject)
            except InvalidInputError:
                return None
            return await profile_by_key(info, key)

        @strawberry.field(
            permission_classes=[CanLookUp],
            description="A profile by OneID; a retired OneID answers as the one it was merged into.",
        )
        async def profile(self, info: Info, one_id: strawberry.ID) -> Profile | None:
            return await load_profile(info, str(one_id))

        @strawberry.field(
            permission_classes=[CanLookUp],
            description="A profile by one of its identifiers, normalised as ingestion normalises it.",
        )
        async def profile_by_identifier(self, info: Info, type: IdentifierType, value: str) -> Profile | None:  # type: ignore[valid-type]
            key = config.normalise(type.value, value).key  # type: ignore[attr-defined]
            return await profile_by_key(info, key)

        @strawberry.field(permission_classes=[CanLookUp], description="The profile that placed an order.")
        async def profile_by_order(self, info: Info, order_id: str) -> Profile | None:
            return await load_profile(info, await info.context.loaders.by_order.load(order_id))

        @strawberry.field(
            permission_classes=[CanLookUp],
            description="Active profiles meeting every condition, in OneID order; totalCount is exact.",
        )
        async def profiles(
            self,
            info: Info,
            filter: ProfileFilter | None = None,
            first: int = 20,
            after: str | None = None,
        ) -> Connection[Profile]:
            size = page_size(info, first)
            start = decode_cursor(after, 1)
            settings = info.context.config.settings
            one_ids = await audience(
                info.context.runtime.store,
                (filter or ProfileFilter()).conditions(),
                horizon_days=settings.clv_horizon_days,
                as_of=None,
                lifecycle_config=info.context.config.lifecycle,
            )
            begin = bisect.bisect_right(one_ids, start[0]) if start else 0
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

        @strawberry.field(permission_classes=[CanLookUp], description="The customer value map.")
        async def value_map(self, info: Info, buckets: list[float], horizon_days: int | None = None) -> ValueMap:
            settings = info.context.config.settings
            horizon = settings.clv_horizon_days if horizon_days is None else horizon_days
            if not 1 <= horizon <= MAX_HORIZON_DAYS:
                raise InvalidInputError(f"horizonDays is between 1 and {MAX_HORIZON_DAYS}", field="horizonDays")
            if len(buckets) > MAX_VALUE_BUCKETS:
                raise InvalidInputError(f"at most {MAX_VALUE_BUCKETS} bucket edges", field="buckets")
            record = await compute_value_map(
                info.context.runtime.store,
                buckets=buckets,
                horizon_days=horizon,
                as_of=None,
                lifecycle_config=info.context.config.lifecycle,
            )
            return value_map(record)

        @strawberry.field(
            permission_classes=[CanAdminister],
            description="The chain of evidence joining two identifiers, or the rule that keeps them apart.",
        )
        async def explain_link(self, info: Info, a: IdentifierInput, b: IdentifierInput) -> Explanation:  # type: ignore[valid-type]
            record = await admin.explain_link(info.context.runtime.store, config, a.key(), b.key())  # type: ignore[attr-defined]
            return explanation(info, record)

        @strawberry.field(permission_classes=[CanAdminister], description="Merges into and out of a OneID.")
        async def merge_history(self, info: Info, one_id: strawberry.ID) -> MergeHistory | None:
            try:
                record = await admin.merge_history(info.context.runtime.store, str(one_id))
            except NotFoundError:
                return None
            return MergeHistory(
                one_id=record.one_id,
                status=record.status,
                current=record.current,
                merged_from=[
                    Merge(retired=m.retired, survivor=m.survivor, at=m.at, reason=m.reason) for m in record.merged_from
                ],
                merged_into=(
                    Merge(
                        retired=record.merged_into.retired,
                        survivor=record.merged_into.survivor,
                        at=record.merged_into.at,
                        reason=record.merged_into.reason,
                    )
                    if record.merged_into
                    else None
                ),
                audit=[audit_entry(info, entry) for entry in record.audit],
            )

        @strawberry.field(permission_classes=[CanAdminister], description="Links refused by a rule, newest first.")
        async def conflicts(
            self, info: Info, status: str = "open", first: int = 20, after: str | None = None
        ) -> Connection[Conflict]:
            size = page_size(info, first)
            start = decode_cursor(after, 2)
            store = info.context.runtime.store
            found = await admin.list_conflicts(
                store, status=status, limit=size + 1, after=(start[0], start[1]) if start else None
            )
            return connection(
                found,
                size,
                lambda c: (c.detected_at, c.conflict_id),
                lambda c: conflict(info, c),
                lambda: admin.count_conflicts(store, status=status),
            )

        @strawberry.field(permission_classes=[CanAdminister], description="Who did what, when and why: newest first.")
        async def audit_log(
            self,
            info: Info,
            one_id: strawberry.ID | None = None,
            action: str | None = None,
            first: int = 20,
            after: str | None = None,
        ) -> Connection[AuditEntry]:
            size = page_size(info, first)
            start = decode_cursor(after, 2)
            store = info.context.runtime.store
            wanted = str(one_id) if one_id is not None else None
            found = await admin.audit_log(
                store, one_id=wanted, action=action, limit=size + 1, after=(start[0], start[1]) if start else None
            )
            return connection(
                found,
                size,
                lambda e: (e.at, e.audit_id),
                lambda e: audit_entry(info, e),
                lambda: admin.count_audit_entries(store, one_id=wanted, action=action),
            )

    return Query
