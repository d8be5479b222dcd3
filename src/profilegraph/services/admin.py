"""Identity administration: merge, split, block, explain, history, conflicts.

Every change is one transaction that writes the admin constraint, re-resolves
the OneIDs it touches and appends an audit entry (who, when, what, why).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from itertools import product

from profilegraph.domain.explain import Explanation, explain
from profilegraph.domain.identifiers import IdentityConfig, OneId
from profilegraph.domain.records import AuditEntry, Conflict, MergeRecord
from profilegraph.domain.resolution import merge_bindings, pair, resolve
from profilegraph.errors import InvalidInputError, NotFoundError
from profilegraph.services.lookup import active_one_id
from profilegraph.services.resolution import resolve_around, utc_now
from profilegraph.store import admin as admin_store
from profilegraph.store import tags as tag_store
from profilegraph.store.ports import GraphAccess, Transaction
from profilegraph.store.resolution import load_component

__all__ = [
    "MergeHistory",
    "audit_log",
    "block_identifier",
    "count_audit_entries",
    "count_conflicts",
    "explain_link",
    "list_conflicts",
    "merge_history",
    "merge_profiles",
    "record_unmasked_reads",
    "split_profile",
]


@dataclass(frozen=True)
class AdminChange:
    """What an admin operation did: the OneIDs that now hold the identifiers it touched."""

    one_ids: dict[str, str | None]  # identifier key -> its OneID after the change
    audit_id: str
    survivor: str | None = None  # for a merge: the OneID that now holds both sides


async def _one_ids_of(tx: Transaction, keys: Collection[str]) -> dict[str, str | None]:
    result: dict[str, str | None] = {}
    for key in sorted(keys):
        state = await admin_store.identifier_state(tx, key)
        result[key] = state.one_id if state else None
    return result


async def merge_profiles(
    store: GraphAccess, config: IdentityConfig, one_id_a: str, one_id_b: str, *, actor: str, reason: str
) -> AdminChange:
    """Join two OneIDs for good (MustLinks between them that no later change to one identifier undoes).

    The older OneID survives.
    """

    async def work(tx: Transaction) -> AdminChange:
        a, b = (await active_one_id(tx, one_id_a)).one_id, (await active_one_id(tx, one_id_b)).one_id
        if a == b:
            raise InvalidInputError(f"{one_id_a} and {one_id_b} are already one OneID ({a})", field="oneId")
        members_a, members_b = await admin_store.members_of(tx, a), await admin_store.members_of(tx, b)
        now = utc_now()
        bindings = merge_bindings(members_a, members_b, config)
        await admin_store.add_must_links(tx, bindings, actor, reason, now)
        await resolve_around(tx, members_a + members_b, config, merge_reason=reason)
        after = await _one_ids_of(tx, [members_a[0], members_b[0]])
        audit_id = await admin_store.record_audit(
            tx,
            actor=actor,
            action="merge",
            reason=reason,
            at=now,
            one_ids={a, b, *filter(None, after.values())},
            identifier_keys=sorted({key for binding in bindings for key in binding}),
            detail={"requested": [one_id_a, one_id_b]},
        )
        survivors = set(filter(None, after.values()))
        await tag_store.mark_scores_stale(tx, sorted(survivors | {a, b}))
        return AdminChange(after, audit_id, survivor=survivors.pop() if len(survivors) == 1 else None)

    return await store.write(work, retry_conflicts=True)


async def split_profile(
    store: GraphAccess, config: IdentityConfig, one_id: str, keys: Collection[str], *, actor: str, reason: str
) -> AdminChange:
    """Move identifiers out of a OneID for good (CannotLink with the rest; later evidence does not undo it)."""
    wanted = {config.normalise_key(key) for key in keys}
    if not wanted:
        raise InvalidInputError("name at least one identifier to split out", field="identifiers")

    async def work(tx: Transaction) -> AdminChange:
        current = (await active_one_id(tx, one_id)).one_id
        members = set(await admin_store.members_of(tx, current))
        strangers = wanted - members
        if strangers:
            raise InvalidInputError(
                f"not identifiers of {current}: {', '.join(sorted(strangers))}", field="identifiers"
            )
        rest = members - wanted
        if not rest:
            raise InvalidInputError(f"splitting every identifier out of {current} leaves nothing", field="identifiers")
        now = utc_now()
        pairs = list(product(sorted(wanted), sorted(rest)))
        await admin_store.remove_must_links(tx, pairs)
        await admin_store.add_cannot_links(tx, pairs, actor, reason, now)
        await resolve_around(tx, members, config)
        after = await _one_ids_of(tx, members)
        audit_id = await admin_store.record_audit(
            tx,
            actor=actor,
            action="split",
            reason=reason,
            at=now,
            one_ids={current, *filter(None, after.values())},
            identifier_keys=wanted,
        )
        await tag_store.mark_scores_stale(tx, sorted({current, *filter(None, after.values())}))
        return AdminChange(after, audit_id)

    return await store.write(work, retry_conflicts=True)


async def block_identifier(
    store: GraphAccess, config: IdentityConfig, key: str, *, blocked: bool, actor: str, reason: str
) -> AdminChange:
    """Block (or unblock) one identifier value: a blocked identifier never links anything."""
    key = config.normalise_key(key)
    if not blocked and config.is_blocked(key):
        raise InvalidInputError(
            f"{key} is blocked by configuration, which an admin unblock cannot lift; remove it from "
            "blocked_values (or the pattern that matches it) in the file PROFILEGRAPH_IDENTITY_CONFIG names",
            field="identifier",
        )

    async def work(tx: Transaction) -> AdminChange:
        before = await admin_store.identifier_state(tx, key)
        if before is None:
            raise NotFoundError(f"identifier {key} has never been seen")
        await admin_store.set_admin_block(tx, key, blocked)
        neighbours = await admin_store.link_neighbours(tx, key)
        seeds = [key, *neighbours]
        # Blocking can un-share a device that was shared only because of this value.
        await resolve_around(tx, seeds, config, recheck=seeds)
        after = await _one_ids_of(tx, [key])
        now = utc_now()
        audit_id = await admin_store.record_audit(
            tx,
            actor=actor,
            action="block" if blocked else "unblock",
            reason=reason,
            at=now,
            one_ids=set(filter(None, [before.one_id, *after.values()])),
            identifier_keys=[key],
        )
        await tag_store.mark_scores_stale(tx, sorted(set(filter(None, [before.one_id, *after.values()]))))
        return AdminChange(after, audit_id)

    return await store.write(work, retry_conflicts=True)


async def explain_link(store: GraphAccess, config: IdentityConfig, a: str, b: str) -> Explanation:
    """The accepted links joining two identifiers, or what refused their joining."""
    key_a, key_b = config.normalise_key(a), config.normalise_key(b)

    async def work(tx: Transaction) -> Explanation:
        evidence, _ = await load_component(tx, [key_a, key_b], None)
        explanation = explain(evidence, resolve(evidence, config), key_a, key_b, config.device_joins)
        # Resolution reads only what it decides on; the path shows the whole evidence.
        found = await admin_store.link_evidence(tx, [pair(s.a, s.b) for s in explanation.path if s.kind == "evidence"])
        steps = [
            replace(
                step,
                first_seen=link.first_seen,
                last_seen=link.last_seen,
                count=link.count,
                sources=link.sources,
                event_ids=link.event_ids,
            )
            if (link := found.get(pair(step.a, step.b))) is not None
            else step
            for step in explanation.path
        ]
        return replace(explanation, path=tuple(steps))

    return await store.read(work)


@dataclass(frozen=True)
class MergeHistory:
    one_id: OneId
    status: str  # active | retired
    current: OneId  # the active OneID this one is, or redirects to
    merged_from: list[MergeRecord] = field(default_factory=list)  # OneIDs retired into this one
    merged_into: MergeRecord | None = None  # where this one redirects, if a merge retired it
    audit: list[AuditEntry] = field(default_factory=list)


async def merge_history(store: GraphAccess, one_id: str) -> MergeHistory:
    async def work(tx: Transaction) -> MergeHistory:
        standing = await admin_store.person_standing(tx, one_id)
        if standing is None:
            raise NotFoundError(f"OneID {one_id!r} does not exist")
        return MergeHistory(
            one_id=standing.one_id,
            status=standing.status,
            current=standing.current or standing.one_id,
            merged_from=await admin_store.retired_into(tx, one_id),
            merged_into=await admin_store.redirect_of(tx, one_id),
            audit=await admin_store.audit_of(tx, one_id),
        )

    return await store.read(work)


async def list_conflicts(
    store: GraphAccess, *, status: str = "open", limit: int = 100, after: tuple[str, str] | None = None
) -> list[Conflict]:
    """Conflicts of one status, newest first; ``after`` is the (detected_at, id) of the last one seen."""
    return await admin_store.conflicts(store, status, limit, after)


async def count_conflicts(store: GraphAccess, *, status: str = "open") -> int:
    return await admin_store.conflict_count(store, status)


async def audit_log(
    store: GraphAccess,
    *,
    one_id: str | None = None,
    action: str | None = None,
    limit: int = 100,
    after: tuple[str, str] | None = None,
) -> list[AuditEntry]:
    """The audit trail, newest first; ``after`` is the (at, audit_id) of the last entry seen."""
    return await admin_store.audit_log(store, one_id=one_id, action=action, limit=limit, before=after)


async def count_audit_entries(store: GraphAccess, *, one_id: str | None = None, action: str | None = None) -> int:
    return await admin_store.audit_count(store, one_id=one_id, action=action)


async def record_unmasked_reads(
    store: GraphAccess, *, actor: str, reason: str, fields_by_one_id: Mapping[str, Collection[str]]
) -> None:
    """Audit personal data served unmasked: one entry per OneID naming the fields read."""
    if not fields_by_one_id:
        return
    await admin_store.record_audits(
        store,
        actor=actor,
        action="read_unmasked",
        reason=reason,
        at=utc_now(),
        entries={one_id: {"fields": sorted(fields)} for one_id, fields in fields_by_one_id.items()},
    )
