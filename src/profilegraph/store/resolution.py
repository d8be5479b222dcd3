"""Reading evidence components and writing OneID plans.

``load_component`` walks LINK and MUST_LINK edges outwards from seed identifiers,
writing a stamp on every identifier it expands: the write takes Neo4j's lock on
the node (the embedded server detects the conflict at commit instead), so two
resolutions of overlapping components serialise, and a concurrent ingester
cannot add a link to a node between our read of its links and our commit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from profilegraph.domain.resolution import (
    Evidence,
    IdentifierNode,
    LinkEvidence,
    OneIdPlan,
    PersonState,
    Refusal,
    Resolution,
    pair,
)
from profilegraph.store.bolt import run

__all__ = ["MembershipState", "apply_plan", "load_component", "load_memberships"]

LOCK_IDENTIFIERS: LiteralString = """
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
SET i.resolved_at = $stamp
"""

# LINK edges only ever join identifiers, so the far end needs no label check.
EXPAND_IDENTIFIERS: LiteralString = """
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
OPTIONAL MATCH (i)-[l:LINK]-(j)
RETURN i.key AS key, i.type AS type, i.status AS status, i.first_seen AS first_seen,
       i.admin_blocked AS admin_blocked,
       j.key AS other, j.type AS other_type, j.status AS other_status, j.first_seen AS other_first_seen,
       j.admin_blocked AS other_admin_blocked,
       l.first_seen AS link_first_seen, l.last_seen AS link_last_seen, l.count AS link_count,
       l.sources AS link_sources, l.event_ids AS link_event_ids
"""

ADMIN_CONSTRAINTS: LiteralString = """
UNWIND $keys AS key
MATCH (i:Identifier {key: key})-[c:MUST_LINK|CANNOT_LINK]-(j:Identifier)
RETURN i.key AS key, type(c) AS kind, j.key AS other, j.type AS other_type, j.status AS other_status,
       j.first_seen AS other_first_seen, j.admin_blocked AS other_admin_blocked
"""

MEMBERSHIPS: LiteralString = """
UNWIND $keys AS key
MATCH (i:Identifier {key: key})-[:MEMBER_OF]->(p:Person)
RETURN i.key AS key, p.one_id AS one_id, p.created_at AS created_at, p.anchor_key AS anchor_key
"""

CREATE_PERSONS: LiteralString = """
UNWIND $rows AS r
CREATE (:Person {one_id: r.one_id, anchor_key: r.anchor_key, created_at: $now, updated_at: $now,
                 version: 1, status: 'active'})
"""

SET_ANCHORS: LiteralString = """
UNWIND $rows AS r
MATCH (p:Person {one_id: r.one_id})
SET p.anchor_key = r.anchor_key
"""

BUMP_VERSIONS: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (p:Person {one_id: one_id})
SET p.version = p.version + 1, p.updated_at = $now
"""

DROP_MEMBERSHIPS: LiteralString = """
UNWIND $keys AS key
MATCH (:Identifier {key: key})-[m:MEMBER_OF]->(:Person)
DELETE m
"""

ADD_MEMBERSHIPS: LiteralString = """
UNWIND $rows AS r
MATCH (i:Identifier {key: r.key})
MATCH (p:Person {one_id: r.one_id})
CREATE (i)-[:MEMBER_OF]->(p)
"""

SET_STATUSES: LiteralString = """
UNWIND $rows AS r
MATCH (i:Identifier {key: r.key})
SET i.status = r.status
"""

RETIRE_PERSONS: LiteralString = """
UNWIND $rows AS r
MATCH (old:Person {one_id: r.retired})
SET old.status = 'retired', old.retired_at = $now, old.retired_reason = r.reason,
    old.version = old.version + 1, old.updated_at = $now
"""

REDIRECT_PERSONS: LiteralString = """
UNWIND $rows AS r
MATCH (old:Person {one_id: r.retired})
MATCH (new:Person {one_id: r.survivor})
CREATE (old)-[:MERGED_INTO {at: $now, reason: r.reason}]->(new)
"""

OPEN_CONFLICTS_OF: LiteralString = """
UNWIND $keys AS key
MATCH (c:Conflict {a: key, status: 'open'})
RETURN c.conflict_id AS conflict_id
"""

OPEN_CONFLICTS: LiteralString = """
UNWIND $rows AS r
MERGE (c:Conflict {conflict_id: r.conflict_id})
ON CREATE SET c.detected_at = $now
SET c.a = r.a, c.b = r.b, c.rule = r.rule, c.detail = r.detail, c.status = 'open', c.updated_at = $now
"""

CLOSE_CONFLICTS: LiteralString = """
UNWIND $conflict_ids AS conflict_id
MATCH (c:Conflict {conflict_id: conflict_id})
SET c.status = 'resolved', c.resolved_at = $now
"""


def _node(row: Mapping[str, Any], prefix: str, expanded: bool) -> IdentifierNode:
    return IdentifierNode(
        key=row["other"] if prefix else row["key"],
        type=row[f"{prefix}type"],
        first_seen=row[f"{prefix}first_seen"],
        status=row[f"{prefix}status"] or "active",
        admin_blocked=bool(row[f"{prefix}admin_blocked"]),
        expanded=expanded,
    )


def _expandable(node: IdentifierNode) -> bool:
    # Shared and blocked identifiers never bridge, so the walk stops at them.
    return node.status == "active" and not node.admin_blocked


async def load_component(
    tx: AsyncManagedTransaction, seeds: Collection[str], stamp: str | None, *, recheck: Collection[str] = ()
) -> Evidence:
    """The evidence around ``seeds``: every identifier reachable through active identifiers.

    Seeds that are stored as shared are not expanded (more evidence cannot make them
    unshared) unless named in ``recheck``, as after an admin block or unblock.
    With a ``stamp`` every expanded identifier is locked first; without, it is a plain read.
    """
    nodes: dict[str, IdentifierNode] = {}
    links: dict[tuple[str, str], LinkEvidence] = {}
    must: set[tuple[str, str]] = set()
    cannot: set[tuple[str, str]] = set()
    expanded: set[str] = set()
    frontier = set(seeds)
    first_round = True
    while frontier:
        if stamp is not None:
            await run(tx, LOCK_IDENTIFIERS, keys=sorted(frontier), stamp=stamp)
        rows = await run(tx, EXPAND_IDENTIFIERS, keys=sorted(frontier))
        constraint_rows = await run(tx, ADMIN_CONSTRAINTS, keys=sorted(frontier))
        expanded |= frontier
        reached: dict[str, IdentifierNode] = {}
        for row in rows:
            node = _node(row, "", expanded=True)
            if first_round and node.status == "shared" and node.key not in recheck:
                node = IdentifierNode(node.key, node.type, node.first_seen, node.status, node.admin_blocked, False)
                nodes[node.key] = node
                continue
            nodes[node.key] = node
            if row["other"] is None:
                continue
            reached.setdefault(row["other"], _node(row, "other_", expanded=False))
            key = pair(row["key"], row["other"])
            links[key] = LinkEvidence(
                key[0],
                key[1],
                row["link_first_seen"],
                row["link_last_seen"],
                int(row["link_count"]),
                tuple(row["link_sources"] or ()),
                tuple(row["link_event_ids"] or ()),
            )
        for row in constraint_rows:
            if nodes.get(row["key"]) is not None and not nodes[row["key"]].expanded:
                continue
            (must if row["kind"] == "MUST_LINK" else cannot).add(pair(row["key"], row["other"]))
            if row["kind"] == "MUST_LINK":
                reached.setdefault(row["other"], _node(row, "other_", expanded=False))
        frontier = set()
        for key, node in reached.items():
            if key in expanded:
                continue
            if _expandable(node):
                frontier.add(key)
            nodes.setdefault(key, node)
        first_round = False
    # Links whose far end was not expanded still count: they are evidence of the near end.
    return Evidence(nodes, tuple(links.values()), frozenset(must), frozenset(cannot))


@dataclass(frozen=True)
class MembershipState:
    membership: Mapping[str, str]
    persons: Mapping[str, PersonState]


async def load_memberships(tx: AsyncManagedTransaction, keys: Collection[str]) -> MembershipState:
    membership: dict[str, str] = {}
    persons: dict[str, PersonState] = {}
    for row in await run(tx, MEMBERSHIPS, keys=sorted(keys)):
        membership[row["key"]] = row["one_id"]
        persons[row["one_id"]] = PersonState(row["one_id"], row["created_at"], row["anchor_key"])
    return MembershipState(membership, persons)


def conflict_id(refusal: Refusal) -> str:
    return f"{refusal.a}|{refusal.b}"


async def apply_plan(
    tx: AsyncManagedTransaction,
    evidence: Evidence,
    resolution: Resolution,
    state: MembershipState,
    plan: OneIdPlan,
    now: str,
) -> None:
    """Write what changed: new OneIDs, memberships, statuses, redirects and conflicts."""
    if plan.created:
        rows = [{"one_id": one_id, "anchor_key": anchor} for one_id, anchor in plan.created.items()]
        await run(tx, CREATE_PERSONS, rows=rows, now=now)
    if plan.anchors:
        rows = [{"one_id": one_id, "anchor_key": anchor} for one_id, anchor in plan.anchors.items()]
        await run(tx, SET_ANCHORS, rows=rows)
    moved = [
        {"key": key, "one_id": one_id} for key, one_id in plan.assignments.items() if state.membership.get(key) != one_id
    ]
    unassigned = [key for key in state.membership if key not in plan.assignments]
    stale = unassigned + [row["key"] for row in moved if row["key"] in state.membership]
    if stale:
        await run(tx, DROP_MEMBERSHIPS, keys=stale)
    if moved:
        await run(tx, ADD_MEMBERSHIPS, rows=moved)
    if plan.changed:
        await run(tx, BUMP_VERSIONS, one_ids=sorted(plan.changed), now=now)

    statuses = []
    for key, node in evidence.nodes.items():
        if not node.expanded:
            continue
        status = "blocked" if key in resolution.blocked else "shared" if key in resolution.shared else "active"
        if status != node.status:
            statuses.append({"key": key, "status": status})
    if statuses:
        await run(tx, SET_STATUSES, rows=statuses)

    if plan.redirects:
        rows = [{"retired": r.retired, "survivor": r.survivor, "reason": r.reason} for r in plan.redirects]
        await run(tx, RETIRE_PERSONS, rows=rows, now=now)
        await run(tx, REDIRECT_PERSONS, rows=[r for r in rows if r["survivor"] is not None], now=now)

    refused = {conflict_id(r): r for r in resolution.refusals}
    expanded_keys = [key for key, node in evidence.nodes.items() if node.expanded]
    known = {row["conflict_id"] for row in await run(tx, OPEN_CONFLICTS_OF, keys=expanded_keys)}
    if refused:
        rows = [{"conflict_id": cid, "a": r.a, "b": r.b, "rule": r.rule, "detail": r.detail} for cid, r in refused.items()]
        await run(tx, OPEN_CONFLICTS, rows=rows, now=now)
    if known - refused.keys():
        await run(tx, CLOSE_CONFLICTS, conflict_ids=sorted(known - refused.keys()), now=now)
