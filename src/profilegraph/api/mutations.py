"""The mutation root: ingest events, change identity (merge, split, block, unblock), tags and audiences.

Every mutation answers with a typed payload: its result, and ``errors`` whose ``code`` is
an enum of the schema. An error of the caller's making names the field; a failure of the
graph says only what it was, never the driver's text.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import strawberry

from profilegraph.api.context import Info
from profilegraph.api.filters import build_filter_input
from profilegraph.api.permissions import CanAdminister, CanIngest, CanLookUp, CanSetTags
from profilegraph.api.profile_pages import load_profile, load_profiles
from profilegraph.api.types.audience import DefineAudiencePayload
from profilegraph.api.types.audience import audience as audience_of
from profilegraph.api.types.common import JSON, UserError, shown_key, user_error
from profilegraph.api.types.identity import IdentityTypes
from profilegraph.api.types.profile import Profile
from profilegraph.api.types.tags import DefineTagPayload, TagKindEnum, TagObjectType, TagValueType, definition
from profilegraph.domain.access import Capability, may
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.errors import ErrorCode, GraphError, InvalidInputError, ProfileGraphError
from profilegraph.services import admin
from profilegraph.services import audiences as audience_service
from profilegraph.services import tags as tag_service
from profilegraph.services.ingest import Outcome, ingest_call

__all__ = ["build_mutation"]

log = logging.getLogger(__name__)

T = TypeVar("T")

EventStatus = strawberry.enum(Outcome, name="EventStatus")


@strawberry.type
class EventResult:
    position: int = strawberry.field(description="The event's place in the call, from 0.")
    event_id: str | None
    status: EventStatus  # type: ignore[valid-type]
    errors: list[UserError] = strawberry.field(description="Why a REJECTED event was refused.")
    warnings: list[UserError] = strawberry.field(description="Fields left out of an ACCEPTED event.")


@strawberry.type
class IngestEventsPayload:
    results: list[EventResult]
    accepted: int
    duplicates: int
    rejected: int
    errors: list[UserError]


@strawberry.type
class DeleteTagPayload:
    deleted: bool
    errors: list[UserError]


@strawberry.type
class TagResult:
    position: int = strawberry.field(description="The value's place in the call, from 0.")
    ok: bool
    errors: list[UserError]


@strawberry.type
class SetTagsPayload:
    results: list[TagResult]
    written: int
    errors: list[UserError]


@strawberry.type
class MergeProfilesPayload:
    profile: Profile | None = strawberry.field(description="The surviving profile, which now holds both.")
    audit_id: str | None
    errors: list[UserError]


@strawberry.type
class SplitProfilePayload:
    profiles: list[Profile] = strawberry.field(
        description="Every profile the split identifiers and the rest are now in."
    )
    audit_id: str | None
    errors: list[UserError]


@strawberry.type
class IdentifierPayload:
    identifier: str | None = strawberry.field(description="The identifier's key, masked without `pii:read`.")
    status: str | None
    profile: Profile | None
    audit_id: str | None
    errors: list[UserError]


def _graph_failure(error: GraphError) -> UserError:
    log.error("a mutation failed on the graph: %s", error.message)
    return UserError(
        code=error.code,
        field=None,
        message="the graph database could not complete the change; nothing was changed, try again"
        if error.retryable
        else "the graph database refused the change; nothing was changed",
    )


async def _attempt(work: Callable[[], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    try:
        return await work(), []
    except GraphError as error:
        return None, [_graph_failure(error)]
    except ProfileGraphError as error:
        return None, [user_error(error)]


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInputError("give a reason: it is kept in the audit trail", field="reason")
    return reason


def build_mutation(config: IdentityConfig, identity: IdentityTypes) -> type:
    IdentifierInput = identity.input
    ProfileFilter = build_filter_input(identity)

    @strawberry.input(description="One tag value to set on one object; a null value clears it.")
    class TagValueInput:
        tag: str
        object_type: TagObjectType  # type: ignore[valid-type]
        one_id: strawberry.ID | None = strawberry.field(default=None, description="A consumer, by OneID.")
        identifier: IdentifierInput | None = strawberry.field(  # type: ignore[valid-type]
            default=None, description="A consumer, by identifier: the value follows it through merges and splits."
        )
        object_key: str | None = strawberry.field(default=None, description="A product SKU, content id or channel.")
        value: Any = strawberry.field(default=None, graphql_type=JSON | None)
        confidence: float | None = None
        expires_at: str | None = strawberry.field(default=None, description="Overrides the tag's TTL.")
        source: str | None = strawberry.field(default=None, description="Who set it; the caller by default.")

        def assignment(self) -> tag_service.Assignment:
            return tag_service.Assignment(
                tag=self.tag,
                object_type=self.object_type,
                one_id=str(self.one_id) if self.one_id is not None else None,
                identifier=self.identifier.key() if self.identifier is not None else None,
                object_key=self.object_key,
                value=self.value,
                confidence=self.confidence,
                expires_at=self.expires_at,
                source=self.source,
            )

    @strawberry.type
    class Mutation:
        @strawberry.mutation(
            permission_classes=[CanIngest],
            description="Ingest events (the NDJSON contract, one object each); OneIDs are resolved before the answer.",
        )
        async def ingest_events(
            self,
            info: Info,
            events: Annotated[
                list[Any], strawberry.argument(graphql_type=list[JSON], description="Events as in docs/events.md.")
            ],
        ) -> IngestEventsPayload:
            settings = info.context.config.settings
            if len(events) > settings.max_events_per_call:
                return IngestEventsPayload(
                    results=[],
                    accepted=0,
                    duplicates=0,
                    rejected=0,
                    errors=[
                        UserError(
                            code=ErrorCode.TOO_MANY_EVENTS,
                            field="events",
                            message=f"{len(events)} events in one call; at most {settings.max_events_per_call} "
                            "(PROFILEGRAPH_MAX_EVENTS_PER_CALL); nothing was written",
                        )
                    ],
                )
            outcomes, errors = await _attempt(
                lambda: ingest_call(
                    info.context.runtime.store,
                    events,
                    config,
                    limits=info.context.config.input_limits,
                    tagging=info.context.config.tags,
                )
            )
            results = [
                EventResult(
                    position=o.position - 1,
                    event_id=o.event_id,
                    status=o.outcome,
                    errors=[_event_error(p, o.position) for p in o.problems] if o.outcome is Outcome.REJECTED else [],
                    warnings=[_event_error(p, o.position) for p in o.problems] if o.outcome is Outcome.ACCEPTED else [],
                )
                for o in outcomes or ()
            ]
            info.context.note_ingested(
                sum(r.status is Outcome.ACCEPTED for r in results), sum(r.status is Outcome.REJECTED for r in results)
            )
            return IngestEventsPayload(
                results=results,
                accepted=sum(r.status is Outcome.ACCEPTED for r in results),
                duplicates=sum(r.status is Outcome.DUPLICATE for r in results),
                rejected=sum(r.status is Outcome.REJECTED for r in results),
                errors=errors,
            )

        @strawberry.mutation(
            permission_classes=[CanAdminister],
            description="Join two OneIDs for good; the older survives and the other redirects to it.",
        )
        async def merge_profiles(
            self, info: Info, a: strawberry.ID, b: strawberry.ID, reason: str
        ) -> MergeProfilesPayload:
            async def work() -> Any:
                return await admin.merge_profiles(
                    info.context.runtime.store,
                    config,
                    str(a),
                    str(b),
                    actor=info.context.principal.name,
                    reason=_reason(reason),
                )

            change, errors = await _attempt(work)
            if change is None:
                return MergeProfilesPayload(profile=None, audit_id=None, errors=errors)
            survivor = change.survivor or next(iter(filter(None, change.one_ids.values())), None)
            return MergeProfilesPayload(profile=await load_profile(info, survivor), audit_id=change.audit_id, errors=[])

        @strawberry.mutation(
            permission_classes=[CanAdminister],
            description="Move identifiers out of a OneID for good; later evidence does not join them again.",
        )
        async def split_profile(
            self,
            info: Info,
            one_id: strawberry.ID,
            identifiers: list[IdentifierInput],  # type: ignore[valid-type]
            reason: str,
        ) -> SplitProfilePayload:
            async def work() -> Any:
                keys = [identifier.key() for identifier in identifiers]  # type: ignore[attr-defined]
                return await admin.split_profile(
                    info.context.runtime.store,
                    config,
                    str(one_id),
                    keys,
                    actor=info.context.principal.name,
                    reason=_reason(reason),
                )

            change, errors = await _attempt(work)
            if change is None:
                return SplitProfilePayload(profiles=[], audit_id=None, errors=errors)
            profiles = await load_profiles(info, sorted(set(filter(None, change.one_ids.values()))))
            return SplitProfilePayload(
                profiles=[p for p in profiles if p is not None], audit_id=change.audit_id, errors=[]
            )

        @strawberry.mutation(
            permission_classes=[CanAdminister], description="Block an identifier value: it never links anything."
        )
        async def block_identifier(self, info: Info, identifier: IdentifierInput, reason: str) -> IdentifierPayload:  # type: ignore[valid-type]
            return await _block(info, identifier, reason, blocked=True)

        @strawberry.mutation(permission_classes=[CanAdminister], description="Lift an admin block.")
        async def unblock_identifier(self, info: Info, identifier: IdentifierInput, reason: str) -> IdentifierPayload:  # type: ignore[valid-type]
            return await _block(info, identifier, reason, blocked=False)

        @strawberry.mutation(
            permission_classes=[CanAdminister],
            description="Define a tag, or change the description, TTL or expression of one (its type and kind stay).",
        )
        async def define_tag(
            self,
            info: Info,
            name: str,
            object_type: TagObjectType,  # type: ignore[valid-type]
            value_type: TagValueType,  # type: ignore[valid-type]
            kind: TagKindEnum,  # type: ignore[valid-type]
            description: str = "",
            ttl_seconds: int | None = None,
            expression: str | None = None,
        ) -> DefineTagPayload:
            async def work() -> Any:
                return await tag_service.define_tag(
                    info.context.runtime.store,
                    name=name,
                    object_type=object_type,
                    value_type=value_type,
                    kind=kind,
                    description=description,
                    ttl_seconds=ttl_seconds,
                    expression=expression,
                    actor=info.context.principal.name,
                )

            saved, errors = await _attempt(work)
            return DefineTagPayload(tag=definition(saved) if saved is not None else None, errors=errors)

        @strawberry.mutation(
            permission_classes=[CanAdminister], description="Delete a tag and every value of it; audited."
        )
        async def delete_tag(
            self,
            info: Info,
            name: str,
            object_type: TagObjectType,  # type: ignore[valid-type]
            reason: str,
        ) -> DeleteTagPayload:
            async def work() -> bool:
                await tag_service.delete_tag(
                    info.context.runtime.store,
                    object_type,
                    name,
                    actor=info.context.principal.name,
                    reason=_reason(reason),
                )
                return True

            deleted, errors = await _attempt(work)
            return DeleteTagPayload(deleted=bool(deleted), errors=errors)

        @strawberry.mutation(
            permission_classes=[CanSetTags],
            description="Set (or, with a null value, clear) model and manual tag values, many at once; each item "
            "succeeds or fails alone. Manual tags need the admin role and are audited.",
        )
        async def set_tags(
            self,
            info: Info,
            values: list[TagValueInput],
            reason: str = "",
        ) -> SetTagsPayload:
            if len(values) > info.context.config.settings.max_events_per_call:
                most = info.context.config.settings.max_events_per_call
                error = UserError(code=ErrorCode.TOO_MANY_EVENTS, field="values", message=f"at most {most} values")
                return SetTagsPayload(results=[], written=0, errors=[error])
            assignments: list[tag_service.Assignment | None] = []
            early: dict[int, UserError] = {}
            for position, item in enumerate(values, 1):
                try:
                    assignments.append(item.assignment())
                except ProfileGraphError as error:
                    assignments.append(None)
                    early[position] = user_error(error)
            chosen = [a for a in assignments if a is not None]

            async def work() -> Any:
                return await tag_service.set_tags(
                    info.context.runtime.store,
                    chosen,
                    actor=info.context.principal.name,
                    may_set_manual=may(info.context.principal, Capability.ADMINISTER),
                    reason=reason.strip(),
                )

            outcome, errors = await _attempt(work)
            if outcome is None:
                return SetTagsPayload(results=[], written=0, errors=errors)
            later = iter(outcome)
            results = []
            for position, assignment in enumerate(assignments, 1):
                if assignment is None:
                    results.append(TagResult(position=position - 1, ok=False, errors=[early[position]]))
                    continue
                result = next(later)
                problems = [user_error(result.error)] if result.error is not None else []
                results.append(TagResult(position=position - 1, ok=result.ok, errors=problems))
            return SetTagsPayload(results=results, written=sum(r.ok for r in results), errors=[])

        @strawberry.mutation(
            permission_classes=[CanLookUp],
            description="Save a filter as a named audience; its count and members are computed when read.",
        )
        async def define_audience(self, info: Info, name: str, filter: ProfileFilter) -> DefineAudiencePayload:  # type: ignore[valid-type]
            async def work() -> Any:
                wanted = filter.conditions()  # type: ignore[attr-defined]
                return await audience_service.define_audience(
                    info.context.runtime.store, name, wanted, actor=info.context.principal.name
                )

            saved, errors = await _attempt(work)
            return DefineAudiencePayload(audience=audience_of(saved) if saved is not None else None, errors=errors)

    async def _block(info: Info, identifier: Any, reason: str, *, blocked: bool) -> IdentifierPayload:
        async def work() -> Any:
            key = identifier.key()
            change = await admin.block_identifier(
                info.context.runtime.store,
                config,
                key,
                blocked=blocked,
                actor=info.context.principal.name,
                reason=_reason(reason),
            )
            return key, change

        done, errors = await _attempt(work)
        if done is None:
            return IdentifierPayload(identifier=None, status=None, profile=None, audit_id=None, errors=errors)
        key, change = done
        one_id = change.one_ids.get(key)
        return IdentifierPayload(
            identifier=shown_key(info, key, one_id),
            status="blocked" if blocked else "active",
            profile=await load_profile(info, one_id),
            audit_id=change.audit_id,
            errors=[],
        )

    return Mutation


def _event_error(problem: Any, position: int) -> UserError:
    return UserError(code=problem.code, field=problem.field, message=problem.message)
