"""What affinities are derived from: the products, content and channels consumers reached."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, LiteralString

from profilegraph.store.bolt import Record
from profilegraph.store.catalog import CHANNEL_USERS
from profilegraph.store.ports import GraphAccess

__all__ = ["candidates", "interaction_evidence", "order_evidence"]

ORDER_EVIDENCE: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)<-[:BY]-(o:Order)
WITH DISTINCT one_id, o
OPTIONAL MATCH (o)-[:CONTAINS]->(p:Product)
RETURN one_id, o.ts AS ts, o.channel AS channel, collect([p.sku, p.category, p.brand]) AS products
"""

INTERACTION_EVIDENCE: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)<-[:BY]-(x:Interaction)
WITH DISTINCT one_id, x
OPTIONAL MATCH (x)-[:ON]->(c:Content)
OPTIONAL MATCH (x)-[:VIA]->(ch:Channel)
RETURN one_id, x.ts AS ts, c.content_id AS content_id, c.topic AS topic, ch.code AS channel
"""

# The consumers with any evidence of a value: a superset of those with an affinity to it.
BY_CATEGORY: LiteralString = """
MATCH (:Product {category: $value})<-[:CONTAINS]-(:Order)-[:BY]->(:Identifier)-[:MEMBER_OF]->(p:Person)
RETURN collect(DISTINCT p.one_id) AS one_ids
"""

BY_BRAND: LiteralString = """
MATCH (:Product {brand: $value})<-[:CONTAINS]-(:Order)-[:BY]->(:Identifier)-[:MEMBER_OF]->(p:Person)
RETURN collect(DISTINCT p.one_id) AS one_ids
"""

BY_PRODUCT_TAG: LiteralString = """
MATCH (:TagValue {tag: $tag})-[:OF]->(:Product)<-[:CONTAINS]-(:Order)-[:BY]->(:Identifier)-[:MEMBER_OF]->(p:Person)
RETURN collect(DISTINCT p.one_id) AS one_ids
"""

BY_TOPIC: LiteralString = """
MATCH (:Content {topic: $value})<-[:ON]-(:Interaction)-[:BY]->(:Identifier)-[:MEMBER_OF]->(p:Person)
RETURN collect(DISTINCT p.one_id) AS one_ids
"""

BY_CONTENT_TAG: LiteralString = """
MATCH (:TagValue {tag: $tag})-[:OF]->(:Content)<-[:ON]-(:Interaction)-[:BY]->(:Identifier)-[:MEMBER_OF]->(p:Person)
RETURN collect(DISTINCT p.one_id) AS one_ids
"""

CANDIDATE_QUERIES: dict[str, LiteralString] = {
    "product_category": BY_CATEGORY,
    "product_brand": BY_BRAND,
    "product_tag": BY_PRODUCT_TAG,
    "content_topic": BY_TOPIC,
    "content_tag": BY_CONTENT_TAG,
    # the users of a channel, as the catalog reads them
    "channel": CHANNEL_USERS,
}


async def order_evidence(store: GraphAccess, one_ids: Sequence[str]) -> list[Record]:
    return await store.query(ORDER_EVIDENCE, one_ids=list(one_ids))


async def interaction_evidence(store: GraphAccess, one_ids: Sequence[str]) -> list[Record]:
    return await store.query(INTERACTION_EVIDENCE, one_ids=list(one_ids))


async def candidates(store: GraphAccess, dimension: str, value: str, tag: str) -> list[str]:
    """OneIDs with some evidence of ``value`` along ``dimension``; ``tag`` is the tag key for tag dimensions."""
    rows = await store.query(CANDIDATE_QUERIES[dimension], value=value, key=value, tag=tag)
    found: list[Any] = rows[0]["one_ids"] if rows else []
    return sorted({one_id for one_id in found if one_id is not None})
