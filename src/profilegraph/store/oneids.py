"""Whole-graph reads of identity: all evidence (for a full recompute) and the OneID map."""

from __future__ import annotations

from typing import LiteralString

from profilegraph.domain.resolution import Evidence, IdentifierNode, LinkEvidence, pair
from profilegraph.store.bolt import Transaction, run
from profilegraph.store.ports import GraphAccess

__all__ = ["active_one_id_count", "all_identifier_keys", "load_all_evidence", "one_id_map"]

ALL_IDENTIFIERS: LiteralString = """
MATCH (i:Identifier)
SET i.resolution = $token
RETURN i.key AS key, i.type AS type, i.status AS status, i.first_seen AS first_seen,
       i.admin_blocked AS admin_blocked
"""

ALL_LINKS: LiteralString = """
MATCH (a:Identifier)-[l:LINK]->(b:Identifier)
RETURN a.key AS a, b.key AS b, l.first_seen AS first_seen, l.last_seen AS last_seen, l.count AS count,
       l.sources AS sources, l.event_ids AS event_ids
"""

ALL_ADMIN_CONSTRAINTS: LiteralString = """
MATCH (a:Identifier)-[c:MUST_LINK|CANNOT_LINK]->(b:Identifier)
RETURN a.key AS a, b.key AS b, type(c) AS kind
"""

ALL_KEYS: LiteralString = "MATCH (i:Identifier) RETURN i.key AS key ORDER BY key"

ACTIVE_ONE_IDS: LiteralString = "MATCH (p:Person {status: 'active'}) RETURN count(p) AS n"

ONE_ID_MAP: LiteralString = """
MATCH (i:Identifier)-[:MEMBER_OF]->(p:Person)
RETURN i.key AS key, p.one_id AS one_id
"""


async def load_all_evidence(tx: Transaction, lock_token: str) -> Evidence:
    """Every identifier (each locked with ``lock_token`` and marked resolved) and every link and constraint."""
    nodes = {
        row["key"]: IdentifierNode(
            row["key"], row["type"], row["first_seen"], row["status"] or "active", bool(row["admin_blocked"])
        )
        for row in await run(tx, ALL_IDENTIFIERS, token=lock_token)
    }
    links = tuple(
        LinkEvidence(
            *pair(row["a"], row["b"]),
            row["first_seen"],
            row["last_seen"],
            int(row["count"]),
            tuple(row["sources"] or ()),
            tuple(row["event_ids"] or ()),
        )
        for row in await run(tx, ALL_LINKS)
    )
    must: set[tuple[str, str]] = set()
    cannot: set[tuple[str, str]] = set()
    for row in await run(tx, ALL_ADMIN_CONSTRAINTS):
        (must if row["kind"] == "MUST_LINK" else cannot).add(pair(row["a"], row["b"]))
    return Evidence(nodes, links, frozenset(must), frozenset(cannot))


async def one_id_map(store: GraphAccess) -> dict[str, str]:
    """Identifier key -> OneID, for every identifier that belongs to a OneID."""
    return {row["key"]: row["one_id"] for row in await store.query(ONE_ID_MAP)}


async def all_identifier_keys(tx: Transaction) -> list[str]:
    return [row["key"] for row in await run(tx, ALL_KEYS)]


async def active_one_id_count(tx: Transaction) -> int:
    return int((await run(tx, ACTIVE_ONE_IDS))[0]["n"])
