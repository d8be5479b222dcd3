"""Admin constraints, blocks, the audit trail and the identity reads admins ask for."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Collection, Mapping
from typing import Any, LiteralString

from profilegraph.domain.identifiers import IdentifierKey, OneId
from profilegraph.domain.records import AuditEntry, Conflict, IdentifierState, MergeRecord, PersonStanding
from profilegraph.domain.resolution import LinkEvidence
from profilegraph.store.bolt import Record, Transaction, run
from profilegraph.store.ports import GraphAccess

__all__ = [
    "add_cannot_links",
    "add_must_links",
    "audit_count",
    "audit_log",
    "audit_of",
    "conflict_count",
    "conflicts",
    "direct_links",
    "identifier_state",
    "link_evidence",
    "link_neighbours",
    "members_of",
    "person_standing",
    "record_audit",
    "record_audits",
    "redirect_of",
    "remove_must_links",
    "retired_into",
    "set_admin_block",
]

LINK_EVIDENCE: LiteralString = """
UNWIND $pairs AS p
MATCH (:Identifier {key: p[0]})-[l:LINK]->(:Identifier {key: p[1]})
RETURN p[0] AS a, p[1] AS b, l.first_seen AS first_seen, l.last_seen AS last_seen, l.count AS count,
       l.sources AS sources, l.event_ids AS event_ids
"""

MEMBERS_OF: LiteralString = """
MATCH (i:Identifier)-[:MEMBER_OF]->(:Person {one_id: $one_id})
RETURN i.key AS key ORDER BY key
"""

PERSON_WITH_REDIRECTS: LiteralString = """
MATCH (p:Person {one_id: $one_id})
OPTIONAL MATCH (p)-[:MERGED_INTO*1..32]->(q:Person {status: 'active'})
RETURN p.one_id AS one_id, p.status AS status, q.one_id AS current
"""

IDENTIFIER_STATE: LiteralString = """
MATCH (i:Identifier {key: $key})
OPTIONAL MATCH (i)-[:MEMBER_OF]->(p:Person)
RETURN i.key AS key, i.status AS status, i.admin_blocked AS admin_blocked, p.one_id AS one_id
"""

LINK_NEIGHBOURS: LiteralString = """
MATCH (:Identifier {key: $key})-[:LINK]-(j:Identifier)
RETURN j.key AS key
"""

# The links of identifiers a resolution walk does not expand (shared, household): drawn, never followed.
DIRECT_LINKS: LiteralString = """
UNWIND $keys AS key
MATCH (:Identifier {key: key})-[l:LINK]-(j:Identifier)
RETURN key, j.key AS other, j.status AS status, l.first_seen AS first_seen
ORDER BY l.count DESC, other
LIMIT $limit
"""

ADD_MUST_LINKS: LiteralString = """
UNWIND $pairs AS p
MATCH (a:Identifier {key: p[0]})
MATCH (b:Identifier {key: p[1]})
MERGE (a)-[m:MUST_LINK]->(b)
SET m.by = $actor, m.at = $now, m.reason = $reason
"""

REMOVE_MUST_LINKS: LiteralString = """
UNWIND $pairs AS p
MATCH (:Identifier {key: p[0]})-[m:MUST_LINK]-(:Identifier {key: p[1]})
DELETE m
"""

ADD_CANNOT_LINKS: LiteralString = """
UNWIND $pairs AS p
MATCH (a:Identifier {key: p[0]})
MATCH (b:Identifier {key: p[1]})
MERGE (a)-[c:CANNOT_LINK]->(b)
SET c.by = $actor, c.at = $now, c.reason = $reason
"""

SET_ADMIN_BLOCK: LiteralString = """
MATCH (i:Identifier {key: $key})
SET i.admin_blocked = $blocked
RETURN i.key AS key
"""

RETIRED_INTO: LiteralString = """
MATCH (old:Person)-[m:MERGED_INTO]->(new:Person {one_id: $one_id})
RETURN old.one_id AS retired, new.one_id AS survivor, m.at AS at, m.reason AS reason ORDER BY at, retired
"""

REDIRECT_OF: LiteralString = """
MATCH (old:Person {one_id: $one_id})-[m:MERGED_INTO]->(new:Person)
RETURN old.one_id AS retired, new.one_id AS survivor, m.at AS at, m.reason AS reason
"""

AUDIT_OF_ONE_ID: LiteralString = """
MATCH (a:AuditEntry)
WHERE $one_id IN a.one_ids
RETURN a.audit_id AS audit_id, a.at AS at, a.actor AS actor, a.action AS action, a.reason AS reason,
       a.one_ids AS one_ids, a.identifier_keys AS identifier_keys, a.detail AS detail
ORDER BY at
"""

CONFLICTS: LiteralString = """
MATCH (c:Conflict {status: $status})
WHERE $before_at IS NULL OR c.detected_at < $before_at OR (c.detected_at = $before_at AND c.conflict_id > $before_id)
OPTIONAL MATCH (:Identifier {key: c.a})-[:MEMBER_OF]->(pa:Person)
OPTIONAL MATCH (:Identifier {key: c.b})-[:MEMBER_OF]->(pb:Person)
RETURN c.conflict_id AS conflict_id, c.a AS a, c.b AS b, c.rule AS rule, c.detail AS detail,
       c.detected_at AS detected_at, pa.one_id AS one_id_a, pb.one_id AS one_id_b
ORDER BY detected_at DESC, conflict_id
LIMIT $limit
"""

CONFLICT_COUNT: LiteralString = """
MATCH (c:Conflict {status: $status})
RETURN count(c) AS total
"""

# Newest first; a page starts after the (at, audit_id) of the previous page's last entry.
AUDIT_LOG: LiteralString = """
MATCH (a:AuditEntry)
WHERE ($one_id IS NULL OR $one_id IN a.one_ids) AND ($action IS NULL OR a.action = $action)
  AND ($before_at IS NULL OR a.at < $before_at OR (a.at = $before_at AND a.audit_id < $before_id))
RETURN a.audit_id AS audit_id, a.at AS at, a.actor AS actor, a.action AS action, a.reason AS reason,
       a.one_ids AS one_ids, a.identifier_keys AS identifier_keys, a.detail AS detail
ORDER BY at DESC, audit_id DESC
LIMIT $limit
"""

AUDIT_COUNT: LiteralString = """
MATCH (a:AuditEntry)
WHERE ($one_id IS NULL OR $one_id IN a.one_ids) AND ($action IS NULL OR a.action = $action)
RETURN count(a) AS total
"""

# Entries of one action by one actor; each row is one entry. Entries are never updated or deleted.
RECORD_AUDITS: LiteralString = """
UNWIND $rows AS r
CREATE (:AuditEntry {audit_id: r.audit_id, at: $at, actor: $actor, action: $action, reason: $reason,
                     one_ids: r.one_ids, identifier_keys: r.identifier_keys, detail: r.detail})
"""


def new_audit_id() -> str:
    """An id that sorts in the order entries were written: the audit trail's timestamps have
    whole seconds, and entries of the same second are listed by id."""
    return f"{time.time_ns():016x}{uuid.uuid4().hex[:12]}"


def _merge(row: Record) -> MergeRecord:
    return MergeRecord(OneId(row["retired"]), OneId(row["survivor"]), row["at"], row["reason"])


async def members_of(tx: Transaction, one_id: str) -> list[IdentifierKey]:
    return [IdentifierKey(row["key"]) for row in await run(tx, MEMBERS_OF, one_id=one_id)]


async def person_standing(tx: Transaction, one_id: str) -> PersonStanding | None:
    """The Person's status and, for a retired OneID, the active one it redirects to."""
    rows = await run(tx, PERSON_WITH_REDIRECTS, one_id=one_id)
    if not rows:
        return None
    row = rows[0]
    return PersonStanding(OneId(row["one_id"]), row["status"], OneId(row["current"]) if row["current"] else None)


async def identifier_state(tx: Transaction, key: str) -> IdentifierState | None:
    rows = await run(tx, IDENTIFIER_STATE, key=key)
    if not rows:
        return None
    row = rows[0]
    one_id = OneId(row["one_id"]) if row["one_id"] else None
    return IdentifierState(IdentifierKey(row["key"]), row["status"] or "active", bool(row["admin_blocked"]), one_id)


async def link_neighbours(tx: Transaction, key: str) -> list[IdentifierKey]:
    return [IdentifierKey(row["key"]) for row in await run(tx, LINK_NEIGHBOURS, key=key)]


async def direct_links(tx: Transaction, keys: Collection[str], limit: int) -> list[tuple[str, str, str | None, str]]:
    """(key, linked identifier, its stored status, first seen) for the links of ``keys``, most seen first."""
    rows = await run(tx, DIRECT_LINKS, keys=sorted(keys), limit=limit)
    return [(row["key"], row["other"], row["status"], row["first_seen"]) for row in rows]


async def add_must_links(
    tx: Transaction, pairs: Collection[tuple[str, str]], actor: str, reason: str, now: str
) -> None:
    await _add_admin_links(tx, ADD_MUST_LINKS, pairs, actor, reason, now)


async def _add_admin_links(
    tx: Transaction, query: LiteralString, pairs: Collection[tuple[str, str]], actor: str, reason: str, now: str
) -> None:
    """Record an admin's MustLinks or CannotLinks, each pair in its canonical orientation."""
    if pairs:
        await run(tx, query, pairs=[sorted(p) for p in pairs], actor=actor, reason=reason, now=now)


async def remove_must_links(tx: Transaction, pairs: Collection[tuple[str, str]]) -> None:
    if pairs:
        await run(tx, REMOVE_MUST_LINKS, pairs=[list(p) for p in pairs])


async def add_cannot_links(
    tx: Transaction, pairs: Collection[tuple[str, str]], actor: str, reason: str, now: str
) -> None:
    await _add_admin_links(tx, ADD_CANNOT_LINKS, pairs, actor, reason, now)


async def set_admin_block(tx: Transaction, key: str, blocked: bool) -> bool:
    return bool(await run(tx, SET_ADMIN_BLOCK, key=key, blocked=blocked))


async def record_audit(
    tx: Transaction,
    *,
    actor: str,
    action: str,
    reason: str,
    at: str,
    one_ids: Collection[str] = (),
    identifier_keys: Collection[str] = (),
    detail: Mapping[str, Any] | None = None,
) -> str:
    """Append one entry to the audit trail; entries are never updated or deleted."""
    row = _audit_row(one_ids, identifier_keys, detail or {})
    await run(tx, RECORD_AUDITS, rows=[row], at=at, actor=actor, action=action, reason=reason)
    return str(row["audit_id"])


def _audit_row(one_ids: Collection[str], identifier_keys: Collection[str], detail: Mapping[str, Any]) -> Record:
    return {
        "audit_id": new_audit_id(),
        "one_ids": sorted(one_ids),
        "identifier_keys": sorted(identifier_keys),
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
    }


async def retired_into(tx: Transaction, one_id: str) -> list[MergeRecord]:
    """The retired OneIDs that now redirect to ``one_id``, oldest merge first."""
    return [_merge(row) for row in await run(tx, RETIRED_INTO, one_id=one_id)]


async def redirect_of(tx: Transaction, one_id: str) -> MergeRecord | None:
    """Where ``one_id`` redirects to, if it was retired by a merge."""
    rows = await run(tx, REDIRECT_OF, one_id=one_id)
    return _merge(rows[0]) if rows else None


async def audit_of(tx: Transaction, one_id: str) -> list[AuditEntry]:
    return [_audit_entry(row) for row in await run(tx, AUDIT_OF_ONE_ID, one_id=one_id)]


async def conflicts(
    store: GraphAccess, status: str, limit: int, before: tuple[str, str] | None = None
) -> list[Conflict]:
    """Conflicts of one status, newest first, starting after ``before`` (detected_at, conflict_id)."""
    before_at, before_id = before or (None, None)
    return [
        Conflict(
            row["conflict_id"],
            IdentifierKey(row["a"]),
            IdentifierKey(row["b"]),
            row["rule"],
            row["detail"],
            row["detected_at"],
            row["one_id_a"],
            row["one_id_b"],
        )
        for row in await store.query(CONFLICTS, status=status, limit=limit, before_at=before_at, before_id=before_id)
    ]


async def conflict_count(store: GraphAccess, status: str) -> int:
    return int((await store.query(CONFLICT_COUNT, status=status))[0]["total"])


def _audit_entry(row: Record) -> AuditEntry:
    return AuditEntry(
        row["audit_id"],
        row["at"],
        row["actor"],
        row["action"],
        row["reason"],
        tuple(OneId(o) for o in row["one_ids"] or ()),
        tuple(IdentifierKey(k) for k in row["identifier_keys"] or ()),
        json.loads(row["detail"]) if row["detail"] else {},
    )


async def audit_log(
    store: GraphAccess,
    *,
    one_id: str | None,
    action: str | None,
    limit: int,
    before: tuple[str, str] | None = None,
) -> list[AuditEntry]:
    """Audit entries, newest first, optionally of one OneID or one action."""
    before_at, before_id = before or (None, None)
    rows = await store.query(
        AUDIT_LOG, one_id=one_id, action=action, limit=limit, before_at=before_at, before_id=before_id
    )
    return [_audit_entry(row) for row in rows]


async def audit_count(store: GraphAccess, *, one_id: str | None, action: str | None) -> int:
    return int((await store.query(AUDIT_COUNT, one_id=one_id, action=action))[0]["total"])


async def record_audits(
    store: GraphAccess, *, actor: str, action: str, reason: str, at: str, entries: Mapping[str, Mapping[str, Any]]
) -> None:
    """One audit entry per OneID in ``entries`` (OneID, or "" for none, -> its detail), in one transaction."""
    rows = [_audit_row([one_id] if one_id else [], (), detail) for one_id, detail in sorted(entries.items())]
    await store.execute(RECORD_AUDITS, rows=rows, at=at, actor=actor, action=action, reason=reason)


async def link_evidence(tx: Transaction, pairs: Collection[tuple[str, str]]) -> dict[tuple[str, str], LinkEvidence]:
    """The full evidence of links, by canonical (smaller key, larger key) pair."""
    rows = await run(tx, LINK_EVIDENCE, pairs=[list(p) for p in pairs])
    return {
        (row["a"], row["b"]): LinkEvidence(
            row["a"],
            row["b"],
            row["first_seen"],
            row["last_seen"],
            int(row["count"]),
            tuple(row["sources"] or ()),
            tuple(row["event_ids"] or ()),
        )
        for row in rows
    }
