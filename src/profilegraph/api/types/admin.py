"""What identity admins read: explanations, merge history, conflicts and the audit trail."""

from __future__ import annotations

import re
from typing import Any

import strawberry

from profilegraph.api.context import Info
from profilegraph.api.types.common import JSON, shown_key
from profilegraph.domain.explain import Explanation as ExplanationRecord
from profilegraph.domain.records import AuditEntry as AuditRecord
from profilegraph.domain.records import Conflict as ConflictRecord

__all__ = ["AuditEntry", "Conflict", "Explanation", "audit_entry", "conflict", "explanation"]


@strawberry.type(description="One step of the chain that joins two identifiers.")
class LinkStep:
    a: str
    b: str
    kind: str = strawberry.field(description="`evidence` (seen together) or `must_link` (an admin merge).")
    first_seen: str | None
    last_seen: str | None
    count: int
    sources: list[str]
    event_ids: list[str]
    refused_by: str | None = strawberry.field(description="The rule that refuses this step, if one does.")
    detail: str | None


@strawberry.type(description="Why two identifiers share a OneID, or what keeps them apart.")
class Explanation:
    a: str
    b: str
    linked: bool
    reason: str
    path: list[LinkStep]


@strawberry.type
class AuditEntry:
    audit_id: str
    at: str
    actor: str
    action: str
    reason: str
    one_ids: list[str]
    identifiers: list[str]
    detail: Any = strawberry.field(graphql_type=JSON)


@strawberry.type(description="A link a rule refused, kept for review.")
class Conflict:
    conflict_id: str
    a: str
    b: str
    rule: str
    detail: str
    detected_at: str
    one_id_a: str | None
    one_id_b: str | None


def explanation(info: Info, record: ExplanationRecord) -> Explanation:
    return Explanation(
        a=shown_key(info, record.a),
        b=shown_key(info, record.b),
        linked=record.linked,
        reason=_masked_text(info, record.reason, (record.a, record.b, *(k for s in record.path for k in (s.a, s.b)))),
        path=[
            LinkStep(
                a=shown_key(info, step.a),
                b=shown_key(info, step.b),
                kind=step.kind,
                first_seen=step.first_seen,
                last_seen=step.last_seen,
                count=step.count,
                sources=list(step.sources),
                event_ids=list(step.event_ids),
                refused_by=step.refused_by,
                detail=_masked_text(info, step.detail, (step.a, step.b)) if step.detail else None,
            )
            for step in record.path
        ],
    )


def _masked_text(info: Info, text: str, keys: tuple[str, ...]) -> str:
    """A sentence that names identifier keys, with each named as this caller may see it.

    The keys of the explanation's own steps are replaced whole; any other ``type:value`` the
    sentence names (the people on a household device, the identifiers a shared one was seen
    with) is found by its type and masked too.
    """
    for key in sorted(set(keys), key=len, reverse=True):
        text = text.replace(key, shown_key(info, key))
    return _named_keys(info).sub(lambda m: m.group(0) if "*" in m.group(2) else shown_key(info, m.group(0)), text)


def _named_keys(info: Info) -> re.Pattern[str]:
    types = sorted(info.context.config.identity.types, key=len, reverse=True)
    return re.compile(rf"(?<![\w:])({'|'.join(map(re.escape, types))}):([^\s,;()]+)")


def audit_entry(info: Info, record: AuditRecord) -> AuditEntry:
    return AuditEntry(
        audit_id=record.audit_id,
        at=record.at,
        actor=record.actor,
        action=record.action,
        reason=record.reason,
        one_ids=list(record.one_ids),
        identifiers=[shown_key(info, key) for key in record.identifier_keys],
        detail=dict(record.detail),
    )


def conflict(info: Info, record: ConflictRecord) -> Conflict:
    return Conflict(
        conflict_id=record.conflict_id,
        a=shown_key(info, record.a),
        b=shown_key(info, record.b),
        rule=record.rule,
        detail=_masked_text(info, record.detail, (record.a, record.b)),
        detected_at=record.detected_at,
        one_id_a=record.one_id_a,
        one_id_b=record.one_id_b,
    )
