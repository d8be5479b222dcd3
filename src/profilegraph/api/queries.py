"""The query root: profiles by OneID, identifier, order and token; audiences; admin reads.

Built per schema, because the identifier-type enum is the deployment's configured types.
This module leaves annotations unpostponed: the resolvers are defined inside
``build_query`` and refer to that enum.
"""

from datetime import date
from typing import Annotated, TypeVar

import strawberry

from profilegraph.api.context import Info
from profilegraph.api.filters import build_filter_input
from profilegraph.api.health import Health, resolve_health
from profilegraph.api.permissions import CanAdminister, CanLookUp, CanView
from profilegraph.api.profile_pages import load_profile, profile_by_key, profile_page
from profilegraph.api.types.admin import AuditEntry, Conflict, Explanation, audit_entry, conflict, explanation
from profilegraph.api.types.audience import Audience, members
from profilegraph.api.types.audience import audience as audience_of
from profilegraph.api.types.catalog import AudienceMember, CatalogNode, Channel, Content, Product, audience_members
from profilegraph.api.types.common import (
    Connection,
    connection,
    decode_cursor,
    page_size,
)
from profilegraph.api.types.diagnosis import ChurnModel, Segmentation
from profilegraph.api.types.diagnosis import churn_model as churn_model_of
from profilegraph.api.types.diagnosis import segmentation as segmentation_of
from profilegraph.api.types.identity import IdentityTypes
from profilegraph.api.types.lookup import Caller, LookupMatch, caller_of, look_up
from profilegraph.api.types.profile import MAX_HORIZON_DAYS, Profile
from profilegraph.api.types.tags import TagDefinitionType, TagObjectType, definition
from profilegraph.api.types.value import ValueMap, ValueMapSnapshot, value_map, value_map_snapshot
from profilegraph.domain.affinity import Dimension
from profilegraph.domain.audience import Filter
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.tags import ObjectType
from profilegraph.errors import InvalidInputError, NotFoundError
from profilegraph.services import admin
from profilegraph.services import audiences as audience_service
from profilegraph.services import tags as tag_service
from profilegraph.services.clv.audience import value_map as compute_value_map
from profilegraph.services.clv.snapshots import snapshot_history
from profilegraph.services.diagnosis.models import latest_churn_model

__all__ = ["build_query"]

N = TypeVar("N", bound=CatalogNode)


async def _catalog_node(info: Info, kind: ObjectType, key: str, node_type: type[N]) -> N | None:
    record = await info.context.loaders.catalog(kind).load(key)
    return node_type(kind=kind, key=key, properties=record.properties) if record is not None else None


MAX_VALUE_BUCKETS = 100


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

    ProfileFilter = build_filter_input(identity)

    @strawberry.type
    class Query:
        health: Health = strawberry.field(resolver=resolve_health, description="Service version and graph status.")

        @strawberry.field(description="Who the request acts as: name, role, scopes and what the role may do.")
        def caller(self, info: Info) -> Caller:
            return caller_of(info)

        @strawberry.field(description="The identifier types this deployment resolves, in the enum's order.")
        def identifier_types(self) -> list[IdentifierType]:  # type: ignore[valid-type]
            return list(IdentifierType)

        @strawberry.field(
            permission_classes=[CanLookUp],
            description="Profiles a search text names, whatever it is: a phone in any spelling, an e-mail, a member "
            "or platform account id, `type:value`, an order number or a OneID; one match per profile.",
        )
        async def lookup(self, info: Info, query: str) -> list[LookupMatch]:
            return await look_up(info, query)

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
            filter: ProfileFilter | None = None,  # type: ignore[valid-type]
            first: int = 20,
            after: str | None = None,
        ) -> Connection[Profile]:
            size = page_size(info, first)
            start = decode_cursor(after, 1)
            wanted = filter.conditions() if filter is not None else Filter()
            return await profile_page(info, await members(info, wanted), size, start[0] if start else None)

        @strawberry.field(permission_classes=[CanLookUp], description="A product by SKU.")
        async def product(self, info: Info, sku: str) -> Product | None:
            return await _catalog_node(info, ObjectType.PRODUCT, sku, Product)

        @strawberry.field(permission_classes=[CanLookUp], description="A content item by id.")
        async def content(self, info: Info, id: str) -> Content | None:
            return await _catalog_node(info, ObjectType.CONTENT, id, Content)

        @strawberry.field(permission_classes=[CanLookUp], description="A channel by code.")
        async def channel(self, info: Info, code: str) -> Channel | None:
            return await _catalog_node(info, ObjectType.CHANNEL, code, Channel)

        @strawberry.field(
            permission_classes=[CanLookUp],
            description="The consumers with the strongest affinity to a product or content tag: to the tag for a "
            "bool tag, to one `value` of a text or list tag.",
        )
        async def tag_audience(
            self,
            info: Info,
            object_type: TagObjectType,  # type: ignore[valid-type]
            name: str,
            value: str | None = None,
            first: int = 20,
        ) -> list[AudienceMember]:
            dimensions = {ObjectType.PRODUCT: Dimension.PRODUCT_TAG, ObjectType.CONTENT: Dimension.CONTENT_TAG}
            if object_type not in dimensions:
                raise InvalidInputError("affinities are to product and content tags", field="objectType")
            label = name if value is None else f"{name}={value}"
            return await audience_members(info, dimensions[object_type], label, first)

        @strawberry.field(permission_classes=[CanLookUp], description="Tag definitions, by object type and name.")
        async def tag_definitions(
            self,
            info: Info,
            object_type: TagObjectType | None = None,  # type: ignore[valid-type]
        ) -> list[TagDefinitionType]:
            found = await tag_service.tag_definitions(info.context.runtime.store, object_type)
            return [definition(d) for d in found]

        @strawberry.field(permission_classes=[CanLookUp], description="Saved audiences, by name.")
        async def audiences(self, info: Info) -> list[Audience]:
            return [audience_of(a) for a in await audience_service.list_audiences(info.context.runtime.store)]

        @strawberry.field(permission_classes=[CanLookUp], description="A saved audience by id.")
        async def audience(self, info: Info, id: strawberry.ID) -> Audience | None:
            try:
                return audience_of(await audience_service.get_audience(info.context.runtime.store, str(id)))
            except NotFoundError:
                return None

        @strawberry.field(
            permission_classes=[CanLookUp],
            description="The value map's snapshots of the days from `from` to `to` (inclusive), oldest first: "
            "how customers per stage and tier, the high-value share and predicted CLV moved.",
        )
        async def value_map_history(
            self,
            info: Info,
            from_: Annotated[date, strawberry.argument(name="from")],
            to: date,
        ) -> list[ValueMapSnapshot]:
            found = await snapshot_history(info.context.runtime.store, from_, to)
            return [value_map_snapshot(record) for record in found]

        @strawberry.field(
            permission_classes=[CanLookUp],
            description="The churn model in force (profilegraph models train churn), with its holdout metrics.",
        )
        async def churn_model(self, info: Info) -> ChurnModel | None:
            found = await latest_churn_model(info.context.runtime.store)
            return churn_model_of(found) if found else None

        @strawberry.field(
            permission_classes=[CanLookUp],
            description="The discovered segments in force (profilegraph segments discover).",
        )
        async def segments(self, info: Info) -> Segmentation | None:
            found = await info.context.loaders.segmentation.load("")
            return segmentation_of(found) if found else None

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
