"""Tag definitions and tag values in the graph.

A value is a ``TagValue`` node ``-[:OF]->`` the object it tags: a Person (rule, model and
manual tags set by OneID), an Identifier (event tags, and tags set by identifier: like
facts, they follow the identifier through merges and splits), a Product, Content or
Channel. Its ``key`` is unique per tag and object, so setting a tag again replaces its value.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, LiteralString, NamedTuple

from profilegraph.store.bolt import Record, Transaction, collected, run
from profilegraph.store.ports import GraphAccess

__all__ = [
    "UserFactRows",
    "audience_rows",
    "clear_values",
    "content_of_events",
    "definition",
    "definition_in",
    "definitions",
    "delete_definition",
    "invalidate_scores",
    "mark_scores_stale",
    "one_ids_of_keys",
    "owners_of_values",
    "person_values_of_tag",
    "redirects",
    "retired_one_ids",
    "rule_values_of",
    "save_definition",
    "scores",
    "set_values",
    "tagged_products",
    "tags_of_catalog",
    "tags_of_persons",
    "user_facts",
    "write_scores",
]

GET_DEFINITION: LiteralString = """
MATCH (d:TagDef {key: $key})
RETURN d {.*} AS definition
"""

SAVE_DEFINITION: LiteralString = """
MERGE (d:TagDef {key: $key})
ON CREATE SET d.created_at = $now
SET d += $properties, d.updated_at = $now
RETURN d {.*} AS definition
"""

DELETE_TAG_VALUES: LiteralString = """
MATCH (v:TagValue {tag: $key})
DETACH DELETE v
"""

DELETE_DEFINITION: LiteralString = """
MATCH (d:TagDef {key: $key})
DELETE d
"""

LIST_DEFINITIONS: LiteralString = """
MATCH (d:TagDef)
RETURN d {.*} AS definition
ORDER BY d.key
"""

# Each returns the objects it found, so a value for an unknown object is reported, not lost.
SET_PERSON_TAGS: LiteralString = """
UNWIND $rows AS r
MATCH (o:Person {one_id: r.object})
MERGE (v:TagValue {key: r.key})
SET v.tag = r.tag, v.name = r.name, v.value = r.value, v.kind = r.kind, v.source = r.source,
    v.confidence = r.confidence, v.updated_at = r.updated_at, v.expires_at = r.expires_at, v.one_id = r.object
MERGE (v)-[:OF]->(o)
RETURN collect(r.object) AS found
"""

SET_IDENTIFIER_TAGS: LiteralString = """
UNWIND $rows AS r
MATCH (o:Identifier {key: r.object})
MERGE (v:TagValue {key: r.key})
SET v.tag = r.tag, v.name = r.name, v.value = r.value, v.kind = r.kind, v.source = r.source,
    v.confidence = r.confidence, v.updated_at = r.updated_at, v.expires_at = r.expires_at
MERGE (v)-[:OF]->(o)
RETURN collect(r.object) AS found
"""

SET_PRODUCT_TAGS: LiteralString = """
UNWIND $rows AS r
MATCH (o:Product {sku: r.object})
MERGE (v:TagValue {key: r.key})
SET v.tag = r.tag, v.name = r.name, v.value = r.value, v.kind = r.kind, v.source = r.source,
    v.confidence = r.confidence, v.updated_at = r.updated_at, v.expires_at = r.expires_at
MERGE (v)-[:OF]->(o)
RETURN collect(r.object) AS found
"""

SET_CONTENT_TAGS: LiteralString = """
UNWIND $rows AS r
MATCH (o:Content {content_id: r.object})
MERGE (v:TagValue {key: r.key})
SET v.tag = r.tag, v.name = r.name, v.value = r.value, v.kind = r.kind, v.source = r.source,
    v.confidence = r.confidence, v.updated_at = r.updated_at, v.expires_at = r.expires_at
MERGE (v)-[:OF]->(o)
RETURN collect(r.object) AS found
"""

SET_CHANNEL_TAGS: LiteralString = """
UNWIND $rows AS r
MATCH (o:Channel {code: r.object})
MERGE (v:TagValue {key: r.key})
SET v.tag = r.tag, v.name = r.name, v.value = r.value, v.kind = r.kind, v.source = r.source,
    v.confidence = r.confidence, v.updated_at = r.updated_at, v.expires_at = r.expires_at
MERGE (v)-[:OF]->(o)
RETURN collect(r.object) AS found
"""

SET_QUERIES: dict[str, LiteralString] = {
    "person": SET_PERSON_TAGS,
    "identifier": SET_IDENTIFIER_TAGS,
    "product": SET_PRODUCT_TAGS,
    "content": SET_CONTENT_TAGS,
    "channel": SET_CHANNEL_TAGS,
}

CLEAR_VALUES: LiteralString = """
UNWIND $keys AS key
MATCH (v:TagValue {key: key})
DETACH DELETE v
"""

# A profile's values: its Person's, those of the OneIDs merged into it and those of its
# identifiers. A rule value counts only on the Person that holds it now: the rule of a
# retired OneID is no longer evaluated.
TAGS_OF_PERSONS: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (p:Person {one_id: one_id})
OPTIONAL MATCH (p)<-[:MERGED_INTO*1..32]-(old:Person)
OPTIONAL MATCH (p)<-[:MEMBER_OF]-(i:Identifier)
WITH one_id, p, [p] + collect(DISTINCT old) + collect(DISTINCT i) AS holders
UNWIND holders AS h
MATCH (v:TagValue)-[:OF]->(h)
WHERE (v.expires_at IS NULL OR v.expires_at > $now) AND (v.kind <> 'rule' OR h = p)
RETURN one_id, v.name AS name, v.value AS value, v.kind AS kind, v.source AS source, v.confidence AS confidence,
       v.updated_at AS updated_at, v.expires_at AS expires_at
"""

# Only the rule values a Person holds: what a recompute compares against when no rule reads other tags.
RULE_VALUES_OF: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:OF]-(v:TagValue)
WHERE v.kind = 'rule' AND (v.expires_at IS NULL OR v.expires_at > $now)
RETURN one_id, v.name AS name, v.value AS value, v.kind AS kind, v.source AS source, v.confidence AS confidence,
       v.updated_at AS updated_at, v.expires_at AS expires_at
"""

TAGS_OF_PRODUCTS: LiteralString = """
UNWIND $keys AS key
MATCH (:Product {sku: key})<-[:OF]-(v:TagValue)
WHERE v.expires_at IS NULL OR v.expires_at > $now
RETURN key, v.name AS name, v.value AS value, v.kind AS kind, v.source AS source, v.confidence AS confidence,
       v.updated_at AS updated_at, v.expires_at AS expires_at
"""

TAGS_OF_CONTENT: LiteralString = """
UNWIND $keys AS key
MATCH (:Content {content_id: key})<-[:OF]-(v:TagValue)
WHERE v.expires_at IS NULL OR v.expires_at > $now
RETURN key, v.name AS name, v.value AS value, v.kind AS kind, v.source AS source, v.confidence AS confidence,
       v.updated_at AS updated_at, v.expires_at AS expires_at
"""

TAGS_OF_CHANNELS: LiteralString = """
UNWIND $keys AS key
MATCH (:Channel {code: key})<-[:OF]-(v:TagValue)
WHERE v.expires_at IS NULL OR v.expires_at > $now
RETURN key, v.name AS name, v.value AS value, v.kind AS kind, v.source AS source, v.confidence AS confidence,
       v.updated_at AS updated_at, v.expires_at AS expires_at
"""

CATALOG_TAG_QUERIES: dict[str, LiteralString] = {
    "product": TAGS_OF_PRODUCTS,
    "content": TAGS_OF_CONTENT,
    "channel": TAGS_OF_CHANNELS,
}

# Every live value of one user tag, in one row (a row per value costs more to stream than it
# holds). A value set on a Person names its OneID (``one_id``) and is read from the index
# alone; one set on an identifier is mapped to the identifier's OneID by OWNERS_OF_VALUES.
AUDIENCE_ROWS: LiteralString = """
MATCH (v:TagValue {tag: $tag})
WHERE v.expires_at IS NULL OR v.expires_at > $now
RETURN collect([v.one_id, v.kind, v.value, v.updated_at, v.key]) AS rows
"""

# The live values of one user tag that Persons hold themselves, with their OneIDs, in one row:
# what a job that writes the tag on Persons compares its new values with.
PERSON_VALUES_OF_TAG: LiteralString = """
MATCH (v:TagValue {tag: $tag})
WHERE v.one_id IS NOT NULL AND (v.expires_at IS NULL OR v.expires_at > $now)
RETURN collect([v.one_id, v.value, v.kind, v.source]) AS rows
"""

OWNERS_OF_VALUES: LiteralString = """
UNWIND $keys AS key
MATCH (:TagValue {key: key})-[:OF]->(:Identifier)-[:MEMBER_OF]->(p:Person)
RETURN collect([key, p.one_id]) AS owners
"""

RETIRED_ONE_IDS: LiteralString = """
MATCH (p:Person {status: 'retired'})
RETURN collect(p.one_id) AS one_ids
"""

REDIRECTS: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})-[:MERGED_INTO*1..32]->(q:Person {status: 'active'})
RETURN one_id, q.one_id AS current
"""

# What user rules read of a chunk of OneIDs, one kind of fact per query and each in one row
# ([one_id, ...] per fact): a row per OneID costs more to stream than the facts it holds, and
# collecting every kind in one query walks the identifiers once per kind anyway. DISTINCT
# counts once a fact that hangs off two identifiers of one person.
FACTS_IDENTIFIERS: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(i:Identifier)
RETURN collect([one_id, i.type, i.sources, i.last_seen]) AS rows
"""

FACTS_ORDERS: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)<-[:BY]-(o:Order)
RETURN collect(DISTINCT [one_id, o.order_id, o.ts, o.amount, o.channel]) AS rows
"""

FACTS_INTERACTIONS: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)<-[:BY]-(x:Interaction)
RETURN collect(DISTINCT [one_id, x.event_id, x.ts, x.channel, x.kind, x.sku]) AS rows
"""

FACTS_TOUCHES: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)<-[:BY]-(t:Touch)
RETURN collect(DISTINCT [one_id, t.event_id, t.ts, t.campaign_id, t.action]) AS rows
"""

FACTS_ATTRIBUTES: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(:Identifier)<-[:BY]-(a:Attribute)
RETURN collect(DISTINCT [one_id, a.event_id, a.name, a.value, a.source, a.ts]) AS rows
"""

ONE_IDS_OF_KEYS: LiteralString = """
UNWIND $keys AS key
MATCH (:Identifier {key: key})-[:MEMBER_OF]->(p:Person)
RETURN collect(DISTINCT p.one_id) AS one_ids
"""

CONTENT_OF_EVENTS: LiteralString = """
UNWIND $keys AS key
MATCH (c:Content {content_id: key})
OPTIONAL MATCH (c)<-[:OF]-(v:TagValue)
WHERE v.expires_at IS NULL OR v.expires_at > $now
RETURN key, properties(c) AS properties, collect([v.name, v.value]) AS tags
"""

# Products holding a live value of one tag (churn signals read the featured ones).
TAGGED_PRODUCTS: LiteralString = """
MATCH (v:TagValue {tag: $tag})-[:OF]->(p:Product)
WHERE v.expires_at IS NULL OR v.expires_at > $now
RETURN p.sku AS sku, v.value AS value
"""

WRITE_SCORES: LiteralString = """
UNWIND $rows AS r
MATCH (p:Person {one_id: r.one_id})
SET p.score_clv = r.clv, p.score_historic = r.historic, p.score_p_alive = r.p_alive, p.score_stage = r.stage,
    p.score_tier = r.tier, p.scored_on = $scored_on, p.scored_fit = $fit_id
"""

INVALIDATE_SCORES: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (p:Person {one_id: one_id})
SET p.scored_on = null
"""

INVALIDATE_ALL_SCORES: LiteralString = """
MATCH (p:Person)
WHERE p.scored_on IS NOT NULL
SET p.scored_on = null
"""

# The stored value figures of the OneIDs named (those still active), in one row.
SCORES_OF: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (p:Person {one_id: one_id})
WHERE p.status = 'active'
RETURN collect([p.one_id, p.score_clv, p.score_historic, p.score_p_alive, p.score_stage, p.score_tier,
                p.scored_on, p.scored_fit]) AS rows
"""

# Every active OneID with its stored value figures, in one row.
SCORES: LiteralString = """
MATCH (p:Person {status: 'active'})
RETURN collect([p.one_id, p.score_clv, p.score_historic, p.score_p_alive, p.score_stage, p.score_tier,
                p.scored_on, p.scored_fit]) AS rows
"""


async def definition(store: GraphAccess, key: str) -> Record | None:
    rows = await store.query(GET_DEFINITION, key=key)
    return rows[0]["definition"] if rows else None


async def save_definition(tx: Transaction, key: str, properties: dict[str, Any], now: str) -> Record:
    rows = await run(tx, SAVE_DEFINITION, key=key, properties=properties, now=now)
    definition_row: Record = rows[0]["definition"]
    return definition_row


async def definition_in(tx: Transaction, key: str) -> Record | None:
    rows = await run(tx, GET_DEFINITION, key=key)
    return rows[0]["definition"] if rows else None


async def delete_definition(tx: Transaction, key: str) -> None:
    """A tag's values, then its definition."""
    await run(tx, DELETE_TAG_VALUES, key=key)
    await run(tx, DELETE_DEFINITION, key=key)


async def definitions(store: GraphAccess) -> list[Record]:
    return [row["definition"] for row in await store.query(LIST_DEFINITIONS)]


async def set_values(tx: Transaction, holder: str, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Write values on one kind of holder; return the objects that exist (the others got nothing)."""
    if not rows:
        return set()
    found = await run(tx, SET_QUERIES[holder], rows=list(rows))
    return set(found[0]["found"]) if found else set()


async def clear_values(tx: Transaction, keys: Sequence[str]) -> None:
    if keys:
        await run(tx, CLEAR_VALUES, keys=list(keys))


async def tags_of_persons(store: GraphAccess, one_ids: Sequence[str], now: str) -> list[Record]:
    return await store.query(TAGS_OF_PERSONS, one_ids=list(one_ids), now=now)


async def rule_values_of(store: GraphAccess, one_ids: Sequence[str], now: str) -> list[Record]:
    return await store.query(RULE_VALUES_OF, one_ids=list(one_ids), now=now)


async def tags_of_catalog(store: GraphAccess, kind: str, keys: Sequence[str], now: str) -> list[Record]:
    return await store.query(CATALOG_TAG_QUERIES[kind], keys=list(keys), now=now)


async def audience_rows(store: GraphAccess, tag: str, now: str) -> list[list[Any]]:
    """[OneID or None, kind, value, updated_at, value key] of every live value of a user tag."""
    return collected(await store.query(AUDIENCE_ROWS, tag=tag, now=now))


async def owners_of_values(store: GraphAccess, keys: Sequence[str]) -> dict[str, str]:
    """Value key -> the OneID of the identifier it is set on (values of shared identifiers have none)."""
    if not keys:
        return {}
    rows = await store.query(OWNERS_OF_VALUES, keys=list(keys))
    return {str(key): str(one_id) for key, one_id in rows[0]["owners"]} if rows else {}


async def retired_one_ids(store: GraphAccess) -> set[str]:
    rows = await store.query(RETIRED_ONE_IDS)
    return set(rows[0]["one_ids"]) if rows else set()


async def redirects(store: GraphAccess, one_ids: Sequence[str]) -> dict[str, str]:
    if not one_ids:
        return {}
    return {row["one_id"]: row["current"] for row in await store.query(REDIRECTS, one_ids=list(one_ids))}


class UserFactRows(NamedTuple):
    """What user rules read of a chunk of OneIDs, each fact a list that starts with its OneID."""

    one_ids: list[str]  # those asked for that have identifiers, in the order asked
    identifiers: list[list[Any]]  # [one_id, type, sources, last_seen]
    orders: list[list[Any]]  # [one_id, order_id, ts, amount, channel]
    interactions: list[list[Any]]  # [one_id, event_id, ts, channel, kind, sku]
    touches: list[list[Any]]  # [one_id, event_id, ts, campaign_id, action]
    attributes: list[list[Any]]  # [one_id, event_id, name, value, source, ts]


async def user_facts(
    store: GraphAccess, one_ids: Sequence[str], *, attributes: bool = True, identifiers: bool = True
) -> UserFactRows:
    """What user rules read of the OneIDs named; ``attributes`` False leaves attribute values out,
    ``identifiers`` False the identifiers (then every OneID named is taken to have some)."""
    names = list(one_ids)
    queries: dict[str, LiteralString] = {"orders": FACTS_ORDERS, "interactions": FACTS_INTERACTIONS,
                                         "touches": FACTS_TOUCHES}  # fmt: skip
    if identifiers:
        queries["identifiers"] = FACTS_IDENTIFIERS
    if attributes:
        queries["attributes"] = FACTS_ATTRIBUTES
    # The server answers them side by side while the first answers are decoded here.
    answers = await asyncio.gather(*(store.query(query, one_ids=names) for query in queries.values()))
    facts = {kind: collected(answer) for kind, answer in zip(queries, answers, strict=True)}
    found = {row[0] for row in facts["identifiers"]} if identifiers else set(names)
    return UserFactRows(
        one_ids=[one_id for one_id in names if one_id in found],
        identifiers=facts.get("identifiers", []),
        orders=facts["orders"],
        interactions=facts["interactions"],
        touches=facts["touches"],
        attributes=facts.get("attributes", []),
    )


async def tagged_products(store: GraphAccess, name: str, now: str) -> frozenset[str]:
    """The SKUs holding a live value of product tag ``name`` other than false."""
    rows = await store.query(TAGGED_PRODUCTS, tag=f"product:{name}", now=now)
    return frozenset(row["sku"] for row in rows if row["value"] is not False)


async def person_values_of_tag(store: GraphAccess, tag: str, now: str) -> dict[str, tuple[Any, str, str | None]]:
    """OneID -> (value, kind, source) of the live values of user tag ``tag`` (its key) held on Persons."""
    rows = collected(await store.query(PERSON_VALUES_OF_TAG, tag=tag, now=now))
    return {one_id: (value, kind, source) for one_id, value, kind, source in rows}


async def one_ids_of_keys(store: GraphAccess, keys: Sequence[str]) -> list[str]:
    rows = await store.query(ONE_IDS_OF_KEYS, keys=list(keys))
    return sorted(rows[0]["one_ids"]) if rows else []


async def content_of_events(store: GraphAccess, keys: Sequence[str], now: str) -> dict[str, dict[str, Any]]:
    """Content id -> its properties and, as ``tags``, its live tag values: what event rules read."""
    found: dict[str, dict[str, Any]] = {}
    for row in await store.query(CONTENT_OF_EVENTS, keys=list(keys), now=now):
        tags = {name: value for name, value in row["tags"] if name is not None}
        found[row["key"]] = {**row["properties"], "tags": tags}
    return found


async def write_scores(tx: Transaction, rows: Sequence[dict[str, Any]], scored_on: str, fit_id: str) -> None:
    if rows:
        await run(tx, WRITE_SCORES, rows=list(rows), scored_on=scored_on, fit_id=fit_id)


async def invalidate_scores(store: GraphAccess, one_ids: Sequence[str] | None) -> None:
    """Mark stored value figures stale: of these OneIDs, or of every one (None)."""
    if one_ids is None:
        await store.execute(INVALIDATE_ALL_SCORES)
    elif one_ids:
        await store.execute(INVALIDATE_SCORES, one_ids=list(one_ids))


async def mark_scores_stale(tx: Transaction, one_ids: Sequence[str]) -> None:
    """Within a transaction that changes these OneIDs' members: their stored figures no longer hold."""
    if one_ids:
        await run(tx, INVALIDATE_SCORES, one_ids=list(one_ids))


async def scores(store: GraphAccess, one_ids: Sequence[str] | None = None) -> list[list[Any]]:
    """[OneID, CLV, historic, P(alive), stage, tier, scored on, fit] of every active OneID, or of those named."""
    return collected(await (store.query(SCORES) if one_ids is None else store.query(SCORES_OF, one_ids=list(one_ids))))
