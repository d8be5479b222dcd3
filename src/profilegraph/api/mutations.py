"""The mutation root: ingest events, and change identity (merge, split, block, unblock).

Every mutation answers with a typed payload: its result, and ``errors`` whose ``code`` is
an enum of the schema. An error of the caller's making names the field; a failure of the
graph says only what it was, never the driver's text.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import strawberry

from profilegraph.api.context import Info
from profilegraph.api.permissions import CanAdminister, CanIngest
from profilegraph.api.queries import load_profile, load_profiles
from profilegraph.api.types.common import JSON, UserError, shown_key, user_error
from profilegraph.api.types.identity import IdentityTypes
from profilegraph.api.types.profile import Profile
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.errors import ErrorCode, GraphError, InvalidInputError, ProfileGraphError
from profilegraph.services import admin
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
                lambda: ingest_call(info.context.runtime.store, events, config, limits=info.context.config.input_limits)
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
