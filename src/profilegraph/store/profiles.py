"""Profile reads, each for many OneIDs at once: the queries behind the API's DataLoaders.

Every function takes a list of keys and answers for all of them in one query, so a
page of profiles costs the same number of round trips as one profile. Every pattern
starts from the node a key names (a Person by OneID, an Identifier by key): the embedded
server plans a pattern from its first node, and starting from a label would scan it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

from profilegraph.store.bolt import Record
from profilegraph.store.ports import GraphAccess

__all__ = [
    "FactPage",
    "ProfileFilterRows",
    "interaction_counts",
    "interactions_of",
    "one_ids_by_order",
    "order_counts",
    "orders_of",
    "persons",
    "persons_by_identifier",
    "profile_rows",
]

# A Person with what nearly every profile read asks for, in one query: the active OneID it
# redirects to when retired, the OneIDs merged into it, its identifiers and its attribute values.
# Its identifiers include the shared and household ones its members were seen with: they stay
# on every profile that used them, though they join none (read here, so they always follow
# the partition).
PERSONS: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (p:Person {one_id: one_id})
OPTIONAL MATCH (p)-[:MERGED_INTO*1..32]->(q:Person {status: 'active'})
WITH one_id, p, q
OPTIONAL MATCH (p)<-[m:MERGED_INTO]-(old:Person)
WITH one_id, p, q, collect(CASE WHEN old IS NULL THEN null ELSE [old.one_id, m.at, m.reason] END) AS merged_from
OPTIONAL MATCH (p)<-[:MEMBER_OF]-(i:Identifier)
OPTIONAL MATCH (i)<-[:BY]-(a:Attribute)
WITH one_id, p, q, merged_from, collect(DISTINCT i) AS ids, collect(DISTINCT a) AS attributes
OPTIONAL MATCH (p)<-[:MEMBER_OF]-(:Identifier)-[:LINK]-(s:Identifier)
WHERE s.status IN ['shared', 'household']
WITH one_id, p, q, merged_from, ids, attributes, collect(DISTINCT s) AS used
RETURN one_id, p.status AS status, p.created_at AS created_at, p.updated_at AS updated_at, q.one_id AS current,
       merged_from,
       [i IN ids + used | {key: i.key, type: i.type, value: i.value, first_seen: i.first_seen, last_seen: i.last_seen,
                    status: i.status, admin_blocked: i.admin_blocked, sources: i.sources}] AS identifiers,
       [a IN attributes | {event_id: a.event_id, name: a.name, value: a.value, source: a.source, ts: a.ts}]
         AS attributes
"""

# The Person an identifier belongs to, as PERSONS describes it (an identifier's Person is active).
BY_IDENTIFIER: LiteralString = """
UNWIND $keys AS key
MATCH (:Identifier {key: key})-[:MEMBER_OF]->(p:Person)
OPTIONAL MATCH (p)<-[m:MERGED_INTO]-(old:Person)
WITH key, p, collect(CASE WHEN old IS NULL THEN null ELSE [old.one_id, m.at, m.reason] END) AS merged_from
OPTIONAL MATCH (p)<-[:MEMBER_OF]-(i:Identifier)
OPTIONAL MATCH (i)<-[:BY]-(a:Attribute)
WITH key, p, merged_from, collect(DISTINCT i) AS ids, collect(DISTINCT a) AS attributes
OPTIONAL MATCH (p)<-[:MEMBER_OF]-(:Identifier)-[:LINK]-(s:Identifier)
WHERE s.status IN ['shared', 'household']
WITH key, p, merged_from, ids, attributes, collect(DISTINCT s) AS used
RETURN key, p.one_id AS one_id, p.status AS status, p.created_at AS created_at, p.updated_at AS updated_at,
       null AS current, merged_from,
       [i IN ids + used | {key: i.key, type: i.type, value: i.value, first_seen: i.first_seen, last_seen: i.last_seen,
                    status: i.status, admin_blocked: i.admin_blocked, sources: i.sources}] AS identifiers,
       [a IN attributes | {event_id: a.event_id, name: a.name, value: a.value, source: a.source, ts: a.ts}]
         AS attributes
"""

# An order carried by identifiers of two OneIDs belongs to both; the oldest OneID answers.
BY_ORDER: LiteralString = """
UNWIND $order_ids AS order_id
MATCH (:Order {order_id: order_id})-[:BY]->(:Identifier)-[:MEMBER_OF]->(p:Person)
RETURN order_id, p.one_id AS one_id, p.created_at AS created_at
ORDER BY created_at, one_id
"""

# Newest first; a page starts after the (ts, order_id) of the previous page's last order.
ORDERS_OF: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)<-[:BY]-(o:Order)
WITH DISTINCT one_id, o
WHERE $before_ts IS NULL OR o.ts < $before_ts OR (o.ts = $before_ts AND o.order_id < $before_id)
WITH one_id, o
ORDER BY o.ts DESC, o.order_id DESC
WITH one_id, collect(o)[0..$limit] AS page
UNWIND page AS o
OPTIONAL MATCH (o)-[c:CONTAINS]->(product:Product)
RETURN one_id, o.order_id AS order_id, o.ts AS ts, o.amount AS amount, o.currency AS currency,
       o.channel AS channel, o.source AS source,
       collect(CASE WHEN product IS NULL THEN null
               ELSE {sku: product.sku, qty: c.qty, price: c.price, product: properties(product)} END) AS items
"""

ORDER_COUNTS: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)<-[:BY]-(o:Order)
RETURN one_id, count(DISTINCT o) AS total
"""

# Orders recorded only on shared or household identifiers this Person used (a family tablet
# with nobody signed in): no Person's own identifier carries them, so they stay on the
# profile of everyone who used the device, as the identifier itself does.
SHARED_ORDERS_OF: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)-[:LINK]-(s:Identifier)
WHERE s.status IN ['shared', 'household']
WITH DISTINCT one_id, s
MATCH (s)<-[:BY]-(o:Order)
OPTIONAL MATCH (o)-[:BY]->(:Identifier)-[:MEMBER_OF]->(owner:Person)
WITH one_id, o, count(owner) AS owners
WHERE owners = 0 AND ($before_ts IS NULL OR o.ts < $before_ts OR (o.ts = $before_ts AND o.order_id < $before_id))
WITH DISTINCT one_id, o
ORDER BY o.ts DESC, o.order_id DESC
WITH one_id, collect(o)[0..$limit] AS page
UNWIND page AS o
OPTIONAL MATCH (o)-[c:CONTAINS]->(product:Product)
RETURN one_id, o.order_id AS order_id, o.ts AS ts, o.amount AS amount, o.currency AS currency,
       o.channel AS channel, o.source AS source,
       collect(CASE WHEN product IS NULL THEN null
               ELSE {sku: product.sku, qty: c.qty, price: c.price, product: properties(product)} END) AS items
"""

SHARED_ORDER_COUNTS: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)-[:LINK]-(s:Identifier)
WHERE s.status IN ['shared', 'household']
WITH DISTINCT one_id, s
MATCH (s)<-[:BY]-(o:Order)
OPTIONAL MATCH (o)-[:BY]->(:Identifier)-[:MEMBER_OF]->(owner:Person)
WITH one_id, o, count(owner) AS owners
WHERE owners = 0
RETURN one_id, count(DISTINCT o) AS total
"""

INTERACTIONS_OF: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)<-[:BY]-(x:Interaction)
WITH DISTINCT one_id, x
WHERE $before_ts IS NULL OR x.ts < $before_ts OR (x.ts = $before_ts AND x.event_id < $before_id)
WITH one_id, x
ORDER BY x.ts DESC, x.event_id DESC
WITH one_id, collect(x)[0..$limit] AS page
UNWIND page AS x
OPTIONAL MATCH (x)-[:ON]->(content:Content)
OPTIONAL MATCH (x)-[:VIA]->(channel:Channel)
RETURN one_id, x.event_id AS event_id, x.ts AS ts, x.kind AS kind, x.source AS source,
       content.content_id AS content_id, properties(content) AS content, channel.code AS channel_code,
       properties(channel) AS channel
"""

INTERACTION_COUNTS: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)<-[:BY]-(x:Interaction)
RETURN one_id, count(DISTINCT x) AS total
"""

# Interactions recorded only on shared or household identifiers this Person used, as
# SHARED_ORDERS_OF reads orders.
SHARED_INTERACTIONS_OF: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)-[:LINK]-(s:Identifier)
WHERE s.status IN ['shared', 'household']
WITH DISTINCT one_id, s
MATCH (s)<-[:BY]-(x:Interaction)
OPTIONAL MATCH (x)-[:BY]->(:Identifier)-[:MEMBER_OF]->(owner:Person)
WITH one_id, x, count(owner) AS owners
WHERE owners = 0 AND ($before_ts IS NULL OR x.ts < $before_ts OR (x.ts = $before_ts AND x.event_id < $before_id))
WITH DISTINCT one_id, x
ORDER BY x.ts DESC, x.event_id DESC
WITH one_id, collect(x)[0..$limit] AS page
UNWIND page AS x
OPTIONAL MATCH (x)-[:ON]->(content:Content)
OPTIONAL MATCH (x)-[:VIA]->(channel:Channel)
RETURN one_id, x.event_id AS event_id, x.ts AS ts, x.kind AS kind, x.source AS source,
       content.content_id AS content_id, properties(content) AS content, channel.code AS channel_code,
       properties(channel) AS channel
"""

SHARED_INTERACTION_COUNTS: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)-[:LINK]-(s:Identifier)
WHERE s.status IN ['shared', 'household']
WITH DISTINCT one_id, s
MATCH (s)<-[:BY]-(x:Interaction)
OPTIONAL MATCH (x)-[:BY]->(:Identifier)-[:MEMBER_OF]->(owner:Person)
WITH one_id, x, count(owner) AS owners
WHERE owners = 0
RETURN one_id, count(DISTINCT x) AS total
"""

TOUCHES_OF: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)<-[:BY]-(x:Touch)
WITH DISTINCT one_id, x
WHERE $before_ts IS NULL OR x.ts < $before_ts OR (x.ts = $before_ts AND x.event_id < $before_id)
WITH one_id, x
ORDER BY x.ts DESC, x.event_id DESC
WITH one_id, collect(x)[0..$limit] AS page
UNWIND page AS x
OPTIONAL MATCH (x)-[:FOR]->(campaign:Campaign)
RETURN one_id, x.event_id AS event_id, x.ts AS ts, x.action AS action, x.channel AS channel, x.source AS source,
       x.campaign_id AS campaign_id, properties(campaign) AS campaign
"""

TOUCH_COUNTS: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)<-[:BY]-(x:Touch)
RETURN one_id, count(DISTINCT x) AS total
"""

# What the identity filters of an audience read: one row per active OneID.
PROFILE_ROWS: LiteralString = """
MATCH (p:Person {status: 'active'})<-[:MEMBER_OF]-(i:Identifier)
RETURN p.one_id AS one_id, min(i.first_seen) AS first_seen, max(i.last_seen) AS last_seen,
       collect(DISTINCT i.type) AS types, collect(i.sources) AS sources
"""


def _group(rows: Sequence[Record], field: str = "one_id") -> dict[str, list[Record]]:
    grouped: dict[str, list[Record]] = defaultdict(list)
    for row in rows:
        grouped[row[field]].append(row)
    return grouped


async def persons(store: GraphAccess, one_ids: Sequence[str]) -> dict[str, Record]:
    """OneID -> its Person: status, created_at, updated_at, ``current`` when retired, and
    ``merged_from`` as [retired OneID, at, reason] lists."""
    return {row["one_id"]: row for row in await store.query(PERSONS, one_ids=list(one_ids))}


async def persons_by_identifier(store: GraphAccess, keys: Sequence[str]) -> dict[str, Record]:
    """Identifier key -> its Person, described as ``persons`` describes it."""
    return {row["key"]: row for row in await store.query(BY_IDENTIFIER, keys=list(keys))}


async def one_ids_by_order(store: GraphAccess, order_ids: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for row in await store.query(BY_ORDER, order_ids=list(order_ids)):
        found.setdefault(row["order_id"], row["one_id"])
    return found


@dataclass(frozen=True)
class FactPage:
    """Where a page of orders or interactions starts: after this (ts, id), or at the newest.

    With ``shared``, the page is of the facts recorded only on the shared and household
    identifiers the profile used, not of its own.
    """

    limit: int
    before_ts: str | None = None
    before_id: str | None = None
    shared: bool = False

    def params(self) -> dict[str, Any]:
        return {"limit": self.limit, "before_ts": self.before_ts, "before_id": self.before_id}


def _newest_first(rows: list[Record], id_field: str) -> list[Record]:
    return sorted(rows, key=lambda row: (row["ts"], row[id_field]), reverse=True)


async def orders_of(store: GraphAccess, one_ids: Sequence[str], page: FactPage) -> dict[str, list[Record]]:
    query = SHARED_ORDERS_OF if page.shared else ORDERS_OF
    grouped = _group(await store.query(query, one_ids=list(one_ids), **page.params()))
    return {one_id: _newest_first(rows, "order_id") for one_id, rows in grouped.items()}


async def order_counts(store: GraphAccess, one_ids: Sequence[str], *, shared: bool = False) -> dict[str, int]:
    query = SHARED_ORDER_COUNTS if shared else ORDER_COUNTS
    return {row["one_id"]: int(row["total"]) for row in await store.query(query, one_ids=list(one_ids))}


async def interactions_of(store: GraphAccess, one_ids: Sequence[str], page: FactPage) -> dict[str, list[Record]]:
    query = SHARED_INTERACTIONS_OF if page.shared else INTERACTIONS_OF
    grouped = _group(await store.query(query, one_ids=list(one_ids), **page.params()))
    return {one_id: _newest_first(rows, "event_id") for one_id, rows in grouped.items()}


async def interaction_counts(store: GraphAccess, one_ids: Sequence[str], *, shared: bool = False) -> dict[str, int]:
    query = SHARED_INTERACTION_COUNTS if shared else INTERACTION_COUNTS
    return {row["one_id"]: int(row["total"]) for row in await store.query(query, one_ids=list(one_ids))}


async def touches_of(store: GraphAccess, one_ids: Sequence[str], page: FactPage) -> dict[str, list[Record]]:
    grouped = _group(await store.query(TOUCHES_OF, one_ids=list(one_ids), **page.params()))
    return {one_id: _newest_first(rows, "event_id") for one_id, rows in grouped.items()}


async def touch_counts(store: GraphAccess, one_ids: Sequence[str]) -> dict[str, int]:
    return {row["one_id"]: int(row["total"]) for row in await store.query(TOUCH_COUNTS, one_ids=list(one_ids))}


@dataclass(frozen=True)
class ProfileFilterRows:
    one_id: str
    first_seen: str
    last_seen: str
    types: frozenset[str]
    sources: frozenset[str]


async def profile_rows(store: GraphAccess) -> list[ProfileFilterRows]:
    """Every active OneID with what the identity filters of an audience read."""
    return [
        ProfileFilterRows(
            row["one_id"],
            row["first_seen"],
            row["last_seen"],
            frozenset(row["types"]),
            frozenset(source for sources in row["sources"] for source in sources or ()),
        )
        for row in await store.query(PROFILE_ROWS)
    ]
