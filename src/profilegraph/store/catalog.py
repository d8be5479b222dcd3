"""Products, content and channels: their records, what rules read of them, who they reach.

Orders name their channel as a property (``Order.channel``), interactions link theirs
(``-[:VIA]->``): a channel reaches the consumers of both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, LiteralString

from profilegraph.store.bolt import Record
from profilegraph.store.ports import GraphAccess

__all__ = ["all_keys", "catalog_facts", "linked_one_ids"]

PRODUCT_FACTS: LiteralString = """
UNWIND $keys AS key
MATCH (p:Product {sku: key})
OPTIONAL MATCH (p)<-[:CONTAINS]-(o:Order)
OPTIONAL MATCH (o)-[:BY]->(:Identifier)-[:MEMBER_OF]->(person:Person)
RETURN key, properties(p) AS properties, count(DISTINCT o) AS orders, 0 AS interactions,
       collect(DISTINCT person.one_id) AS people
"""

CONTENT_FACTS: LiteralString = """
UNWIND $keys AS key
MATCH (c:Content {content_id: key})
OPTIONAL MATCH (c)<-[:ON]-(x:Interaction)
OPTIONAL MATCH (x)-[:BY]->(:Identifier)-[:MEMBER_OF]->(person:Person)
RETURN key, properties(c) AS properties, 0 AS orders, count(DISTINCT x) AS interactions,
       collect(DISTINCT person.one_id) AS people
"""

CHANNEL_FACTS: LiteralString = """
UNWIND $keys AS key
MATCH (c:Channel {code: key})
OPTIONAL MATCH (c)<-[:VIA]-(x:Interaction)
OPTIONAL MATCH (x)-[:BY]->(:Identifier)-[:MEMBER_OF]->(viewer:Person)
WITH key, c, count(DISTINCT x) AS interactions, collect(DISTINCT viewer.one_id) AS viewers
OPTIONAL MATCH (o:Order {channel: key})
OPTIONAL MATCH (o)-[:BY]->(:Identifier)-[:MEMBER_OF]->(buyer:Person)
WITH key, c, interactions, viewers, count(DISTINCT o) AS orders, collect(DISTINCT buyer.one_id) AS buyers
RETURN key, properties(c) AS properties, orders, interactions, viewers + buyers AS people
"""

FACT_QUERIES: dict[str, LiteralString] = {"product": PRODUCT_FACTS, "content": CONTENT_FACTS, "channel": CHANNEL_FACTS}

ALL_PRODUCTS: LiteralString = """
MATCH (p:Product)
RETURN collect(p.sku) AS keys
"""

ALL_CONTENT: LiteralString = """
MATCH (c:Content)
RETURN collect(c.content_id) AS keys
"""

ALL_CHANNELS: LiteralString = """
MATCH (c:Channel)
RETURN collect(c.code) AS keys
"""

KEY_QUERIES: dict[str, LiteralString] = {"product": ALL_PRODUCTS, "content": ALL_CONTENT, "channel": ALL_CHANNELS}

# The consumers an object reached: who bought the product, viewed the content, used the channel.
PRODUCT_BUYERS: LiteralString = """
MATCH (:Product {sku: $key})<-[:CONTAINS]-(:Order)-[:BY]->(:Identifier)-[:MEMBER_OF]->(p:Person)
RETURN collect(DISTINCT p.one_id) AS one_ids
"""

CONTENT_VIEWERS: LiteralString = """
MATCH (:Content {content_id: $key})<-[:ON]-(:Interaction)-[:BY]->(:Identifier)-[:MEMBER_OF]->(p:Person)
RETURN collect(DISTINCT p.one_id) AS one_ids
"""

CHANNEL_USERS: LiteralString = """
OPTIONAL MATCH (:Channel {code: $key})<-[:VIA]-(:Interaction)-[:BY]->(:Identifier)-[:MEMBER_OF]->(viewer:Person)
WITH collect(DISTINCT viewer.one_id) AS viewers
OPTIONAL MATCH (:Order {channel: $key})-[:BY]->(:Identifier)-[:MEMBER_OF]->(buyer:Person)
WITH viewers, collect(DISTINCT buyer.one_id) AS buyers
RETURN viewers + buyers AS one_ids
"""

LINK_QUERIES: dict[str, LiteralString] = {
    "product": PRODUCT_BUYERS,
    "content": CONTENT_VIEWERS,
    "channel": CHANNEL_USERS,
}


async def catalog_facts(store: GraphAccess, kind: str, keys: Sequence[str]) -> list[Record]:
    """Each object's properties, order and interaction counts and the OneIDs it reached."""
    return await store.query(FACT_QUERIES[kind], keys=list(keys))


async def all_keys(store: GraphAccess, kind: str) -> list[str]:
    rows = await store.query(KEY_QUERIES[kind])
    return sorted(rows[0]["keys"]) if rows else []


async def linked_one_ids(store: GraphAccess, kind: str, key: str) -> list[str]:
    rows = await store.query(LINK_QUERIES[kind], key=key)
    found: list[Any] = rows[0]["one_ids"] if rows else []
    return sorted({one_id for one_id in found if one_id is not None})
