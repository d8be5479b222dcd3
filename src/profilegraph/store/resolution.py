"""Reading evidence components and writing OneID plans.

``load_component`` walks LINK and MUST_LINK edges outwards from seed identifiers,
writing a fresh token on every identifier it expands: the write takes Neo4j's lock on
the node (the embedded server detects the conflict at commit instead), so two
resolutions of overlapping components serialise, and a concurrent ingester
cannot add a link to a node between our read of its links and our commit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, LiteralString

from profilegraph.domain.resolution import (
    Evidence,
    Household,
    IdentifierNode,
    LinkEvidence,
    OneIdPlan,
    PersonState,
    Refusal,
    Resolution,
    bridges,
    pair,
    stays_shared,
)
from profilegraph.store.bolt import Transaction, run

__all__ = ["MembershipState", "apply_plan", "load_component", "load_memberships", "pending_keys"]

# One row in all, a list with an entry per identifier and its links collected (a
# row per identifier costs more to stream than the walk itself), and only what
# resolution reads:
# the type is the prefix of the key (the last time a link was seen dates a reissued
# phone number's holders), and LINK only ever joins identifiers, so the
# far end needs no label check. Setting ``resolution`` to a token no other
# transaction uses takes the write lock on the identifier (see the module
# docstring: the value must change for the embedded server to see a conflict)
# and marks it resolved.
EXPAND_AND_LOCK: LiteralString = """
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
SET i.resolution = $token
WITH i
OPTIONAL MATCH (i)-[l:LINK]-(j)
WITH i, collect([j.key, j.status, l.first_seen, l.last_seen]) AS links
OPTIONAL MATCH (i)-[c:MUST_LINK|CANNOT_LINK]-(k:Identifier)
WITH i, links, collect([type(c), k.key, k.status]) AS constraints
RETURN collect([i.key, i.status, i.first_seen, i.admin_blocked, links, constraints]) AS nodes
"""

EXPAND: LiteralString = """
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
OPTIONAL MATCH (i)-[l:LINK]-(j)
WITH i, collect([j.key, j.status, l.first_seen, l.last_seen]) AS links
OPTIONAL MATCH (i)-[c:MUST_LINK|CANNOT_LINK]-(k:Identifier)
WITH i, links, collect([type(c), k.key, k.status]) AS constraints
RETURN collect([i.key, i.status, i.first_seen, i.admin_blocked, links, constraints]) AS nodes
"""

# A bulk import removes ``resolution`` from every identifier it touches.
PENDING_KEYS: LiteralString = """
MATCH (i:Identifier)
WHERE i.resolution IS NULL
RETURN collect(i.key) AS keys
"""

MEMBERSHIPS: LiteralString = """
UNWIND $keys AS key
MATCH (i:Identifier {key: key})-[:MEMBER_OF]->(p:Person)
RETURN i.key AS key, p.one_id AS one_id, p.created_at AS created_at, p.anchor_key AS anchor_key
"""

# A new OneID is created with its members: no second lookup of the Person per member.
CREATE_PERSONS: LiteralString = """
UNWIND $rows AS r
CREATE (p:Person {one_id: r.one_id, anchor_key: r.anchor_key, created_at: $now, updated_at: $now,
                  version: 1, status: 'active'})
WITH p, r
UNWIND r.members AS key
MATCH (i:Identifier {key: key})
CREATE (i)-[:MEMBER_OF]->(p)
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

# From each device to its households: the identifier's key is indexed, and a pattern
# that names the Household first can be planned as a scan of every household.
HOUSEHOLDS_REVEALED_BY: LiteralString = """
UNWIND $keys AS key
MATCH (device:Identifier {key: key})
MATCH (device)<-[:REVEALED_BY]-(h:Household)
RETURN DISTINCT h.household_id AS household_id
"""

DROP_HOUSEHOLDS: LiteralString = """
UNWIND $ids AS household_id
MATCH (h:Household {household_id: household_id})
DETACH DELETE h
"""

CREATE_HOUSEHOLDS: LiteralString = """
UNWIND $rows AS r
CREATE (h:Household {household_id: r.household_id, updated_at: $now})
WITH h, r
UNWIND r.devices AS key
MATCH (d:Identifier {key: key})
CREATE (h)-[:REVEALED_BY]->(d)
"""

ADD_HOUSEHOLD_MEMBERS: LiteralString = """
UNWIND $rows AS r
MATCH (h:Household {household_id: r.household_id})
UNWIND r.members AS one_id
MATCH (p:Person {one_id: one_id})
CREATE (h)-[:HAS_MEMBER]->(p)
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


@dataclass(frozen=True)
class MembershipState:
    membership: Mapping[str, str]
    persons: Mapping[str, PersonState]


@dataclass
class _Walk:
    """What an evidence walk has gathered so far."""

    nodes: dict[str, IdentifierNode] = field(default_factory=dict)
    links: dict[tuple[str, str], LinkEvidence] = field(default_factory=dict)
    must: set[tuple[str, str]] = field(default_factory=set)
    cannot: set[tuple[str, str]] = field(default_factory=set)

    def take(self, key: str, key_links: list[list[Any]], key_constraints: list[list[Any]]) -> dict[str, IdentifierNode]:
        """Record an expanded identifier's links and constraints; return the identifiers they reach."""
        reached: dict[str, IdentifierNode] = {}
        # collect() skips nulls only at the top level: an identifier without links or
        # constraints brings one [null, ...] entry from its OPTIONAL MATCH.
        for other, other_status, link_first_seen, link_last_seen in key_links:
            if other is not None:
                reached.setdefault(other, IdentifierNode.stored(other, other_status))
                self.links[pair(key, other)] = LinkEvidence(*pair(key, other), link_first_seen, link_last_seen or "")
        for kind, other, other_status in key_constraints:
            if kind == "MUST_LINK":
                self.must.add(pair(key, other))
                reached.setdefault(other, IdentifierNode.stored(other, other_status))
            elif kind == "CANNOT_LINK":
                self.cannot.add(pair(key, other))
        return reached

    def evidence(self) -> Evidence:
        return Evidence(self.nodes, tuple(self.links.values()), frozenset(self.must), frozenset(self.cannot))


async def load_component(
    tx: Transaction, seeds: Collection[str], lock_token: str | None, *, recheck: Collection[str] = ()
) -> tuple[Evidence, MembershipState]:
    """The evidence around ``seeds`` and the OneIDs it holds now.

    The walk reaches every identifier connected to a seed through identifiers that
    bridge. Seeds stored as shared are not expanded (more evidence cannot make them
    unshared) unless named in ``recheck``, as after an admin block or unblock. With a
    ``lock_token`` every expanded identifier is locked and marked resolved; without,
    it is a plain read.
    """
    walk = _Walk()
    expanded: set[str] = set()
    frontier = set(seeds)
    first_round = True
    while frontier:
        keys = sorted(frontier)
        if lock_token is None:
            found = await run(tx, EXPAND, keys=keys)
        else:
            found = await run(tx, EXPAND_AND_LOCK, keys=keys, token=lock_token)
        expanded |= frontier
        reached: dict[str, IdentifierNode] = {}
        for key, status, first_seen, admin_blocked, key_links, key_constraints in found[0]["nodes"]:
            if first_round and stays_shared(status) and key not in recheck:
                walk.nodes[key] = IdentifierNode.stored(key, status, first_seen)  # not expanded
                continue
            walk.nodes[key] = IdentifierNode.stored(key, status, first_seen, bool(admin_blocked), expanded=True)
            for other, node in walk.take(key, key_links, key_constraints).items():
                reached.setdefault(other, node)
        frontier = {key for key, node in reached.items() if key not in expanded and bridges(node)}
        for key, node in reached.items():
            if key not in expanded:
                walk.nodes.setdefault(key, node)
        first_round = False
    state = await load_memberships(tx, [key for key, node in walk.nodes.items() if node.expanded])
    return walk.evidence(), state


async def load_memberships(tx: Transaction, keys: Collection[str]) -> MembershipState:
    membership: dict[str, str] = {}
    persons: dict[str, PersonState] = {}
    for row in await run(tx, MEMBERSHIPS, keys=sorted(keys)):
        membership[row["key"]] = row["one_id"]
        persons[row["one_id"]] = PersonState(row["one_id"], row["created_at"], row["anchor_key"])
    return MembershipState(membership, persons)


def conflict_id(refusal: Refusal) -> str:
    return f"{refusal.a}|{refusal.b}"


async def apply_plan(
    tx: Transaction,
    evidence: Evidence,
    resolution: Resolution,
    state: MembershipState,
    plan: OneIdPlan,
    now: str,
    households: tuple[Household, ...] = (),
) -> None:
    """Write what changed: new OneIDs, memberships, statuses, redirects, conflicts and households."""
    await _write_memberships(tx, state, plan, now)
    expanded_keys = [key for key, node in evidence.nodes.items() if node.expanded]
    statuses = [
        {"key": key, "status": status}
        for key in expanded_keys
        if (status := resolution.status_of(key)) != evidence.nodes[key].status
    ]
    if statuses:
        await run(tx, SET_STATUSES, rows=statuses)
    if plan.redirects:
        rows = [{"retired": r.retired, "survivor": r.survivor, "reason": r.reason} for r in plan.redirects]
        await run(tx, RETIRE_PERSONS, rows=rows, now=now)
        await run(tx, REDIRECT_PERSONS, rows=[r for r in rows if r["survivor"] is not None], now=now)
    await _write_conflicts(tx, resolution, expanded_keys, now)
    devices = [
        key for key in expanded_keys if evidence.nodes[key].status == "household" or key in resolution.households
    ]
    await _write_households(tx, households, devices, now)


async def _write_households(tx: Transaction, households: tuple[Household, ...], devices: list[str], now: str) -> None:
    """Replace the households these devices revealed with the ones they reveal now."""
    before = [row["household_id"] for row in await run(tx, HOUSEHOLDS_REVEALED_BY, keys=devices)] if devices else []
    if before:
        await run(tx, DROP_HOUSEHOLDS, ids=before)
    if households:
        rows = [
            {"household_id": h.household_id, "devices": list(h.devices), "members": list(h.members)} for h in households
        ]
        await run(tx, CREATE_HOUSEHOLDS, rows=rows, now=now)
        await run(tx, ADD_HOUSEHOLD_MEMBERS, rows=rows)


async def _write_memberships(tx: Transaction, state: MembershipState, plan: OneIdPlan, now: str) -> None:
    moved = [
        {"key": key, "one_id": one_id}
        for key, one_id in plan.assignments.items()
        if state.membership.get(key) != one_id
    ]
    unassigned = [key for key in state.membership if key not in plan.assignments]
    stale = unassigned + [row["key"] for row in moved if row["key"] in state.membership]
    if stale:
        await run(tx, DROP_MEMBERSHIPS, keys=stale)
    if plan.created:
        members: dict[str, list[str]] = {one_id: [] for one_id in plan.created}
        for row in moved:
            if row["one_id"] in members:
                members[row["one_id"]].append(row["key"])
        rows = [
            {"one_id": one_id, "anchor_key": anchor, "members": members[one_id]}
            for one_id, anchor in plan.created.items()
        ]
        await run(tx, CREATE_PERSONS, rows=rows, now=now)
        moved = [row for row in moved if row["one_id"] not in members]
    if plan.anchors:
        rows = [{"one_id": one_id, "anchor_key": anchor} for one_id, anchor in plan.anchors.items()]
        await run(tx, SET_ANCHORS, rows=rows)
    if moved:
        await run(tx, ADD_MEMBERSHIPS, rows=moved)
    if plan.changed:
        await run(tx, BUMP_VERSIONS, one_ids=sorted(plan.changed), now=now)


async def _write_conflicts(tx: Transaction, resolution: Resolution, expanded_keys: list[str], now: str) -> None:
    """Open a conflict per refused link; close the ones of this component no rule refuses any more."""
    refused = {conflict_id(r): r for r in resolution.refusals}
    known = {row["conflict_id"] for row in await run(tx, OPEN_CONFLICTS_OF, keys=expanded_keys)}
    if refused:
        rows = [
            {"conflict_id": cid, "a": r.a, "b": r.b, "rule": r.rule, "detail": r.detail} for cid, r in refused.items()
        ]
        await run(tx, OPEN_CONFLICTS, rows=rows, now=now)
    if known - refused.keys():
        await run(tx, CLOSE_CONFLICTS, conflict_ids=sorted(known - refused.keys()), now=now)


async def pending_keys(tx: Transaction) -> list[str]:
    """Identifiers written by a bulk import whose OneID is not resolved yet."""
    return list((await run(tx, PENDING_KEYS))[0]["keys"])
