"""Writing a batch of validated events: evidence (identifiers, links) and facts, with UNWIND.

Facts hang off the identifiers that carried them (``-[:BY]->``), never off a
Person, so re-clustering never moves or loses one. Each event id is claimed as a
``ProcessedEvent`` in the same transaction as its writes, which makes replays
change nothing, even when two ingesters carry the same event at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import LiteralString

from profilegraph.domain.evidence import MAX_EVENT_IDS_PER_LINK, BatchRows, Row
from profilegraph.store.bolt import Transaction, run

__all__ = ["claim_events", "write_rows"]

# Returns only the ids some earlier batch claimed (usually none): a row per event
# would double the cost of the claim on Neo4j.
CLAIM_EVENTS: LiteralString = """
UNWIND $event_ids AS event_id
MERGE (e:ProcessedEvent {event_id: event_id})
ON CREATE SET e.batch = $batch, e.at = $now
WITH e, event_id
WHERE e.batch <> $batch
RETURN collect(event_id) AS claimed_before
"""

UPSERT_IDENTIFIERS: LiteralString = """
UNWIND $rows AS r
MERGE (i:Identifier {key: r.key})
ON CREATE SET i.type = r.type, i.value = r.value, i.first_seen = r.first_seen,
              i.last_seen = r.last_seen, i.status = r.status, i.admin_blocked = false, i.sources = r.sources
ON MATCH SET i.first_seen = CASE WHEN r.first_seen < i.first_seen THEN r.first_seen ELSE i.first_seen END,
             i.last_seen = CASE WHEN r.last_seen > i.last_seen THEN r.last_seen ELSE i.last_seen END,
             i.sources = coalesce(i.sources, []) + [s IN r.sources WHERE NOT s IN coalesce(i.sources, [])]
SET i.resolution = CASE WHEN $pending THEN null ELSE i.resolution END
"""

UPSERT_LINKS: LiteralString = """
UNWIND $rows AS r
MATCH (a:Identifier {key: r.a})
MATCH (b:Identifier {key: r.b})
MERGE (a)-[l:LINK]->(b)
ON CREATE SET l.first_seen = r.first_seen, l.last_seen = r.last_seen, l.count = r.count,
              l.sources = r.sources, l.event_ids = r.event_ids
ON MATCH SET l.first_seen = CASE WHEN r.first_seen < l.first_seen THEN r.first_seen ELSE l.first_seen END,
             l.last_seen = CASE WHEN r.last_seen > l.last_seen THEN r.last_seen ELSE l.last_seen END,
             l.count = l.count + r.count,
             l.sources = l.sources + [s IN r.sources WHERE NOT s IN l.sources],
             l.event_ids = (l.event_ids + r.event_ids)[0..$max_event_ids]
"""

UPSERT_ORDERS: LiteralString = """
UNWIND $rows AS r
MERGE (o:Order {order_id: r.order_id})
ON CREATE SET o.ts = r.ts, o.amount = r.amount, o.currency = r.currency, o.channel = r.channel,
              o.source = r.source, o.event_id = r.event_id
WITH o, r
UNWIND r.identifier_keys AS key
MATCH (i:Identifier {key: key})
MERGE (o)-[:BY]->(i)
"""

UPSERT_ORDER_ITEMS: LiteralString = """
UNWIND $rows AS r
MATCH (o:Order {order_id: r.order_id})
MERGE (p:Product {sku: r.sku})
MERGE (o)-[c:CONTAINS]->(p)
SET c.qty = r.qty, c.price = r.price
"""

UPSERT_INTERACTIONS: LiteralString = """
UNWIND $rows AS r
MERGE (x:Interaction {event_id: r.event_id})
ON CREATE SET x.ts = r.ts, x.kind = r.kind, x.source = r.source, x.channel = r.channel, x.sku = r.sku
WITH x, r
UNWIND r.identifier_keys AS key
MATCH (i:Identifier {key: key})
MERGE (x)-[:BY]->(i)
"""

LINK_INTERACTION_CONTENT: LiteralString = """
UNWIND $rows AS r
MATCH (x:Interaction {event_id: r.event_id})
MERGE (c:Content {content_id: r.content_id})
MERGE (x)-[:ON]->(c)
"""

LINK_INTERACTION_PRODUCT: LiteralString = """
UNWIND $rows AS r
MATCH (x:Interaction {event_id: r.event_id})
MERGE (p:Product {sku: r.sku})
MERGE (x)-[:ON]->(p)
"""

LINK_INTERACTION_CHANNEL: LiteralString = """
UNWIND $rows AS r
MATCH (x:Interaction {event_id: r.event_id})
MERGE (c:Channel {code: r.channel})
MERGE (x)-[:VIA]->(c)
"""

# A campaign touch hangs off the identifiers that carried it, like an interaction.
UPSERT_TOUCHES: LiteralString = """
UNWIND $rows AS r
MERGE (x:Touch {event_id: r.event_id})
ON CREATE SET x.ts = r.ts, x.action = r.action, x.campaign_id = r.campaign_id, x.channel = r.channel,
              x.source = r.source
WITH x, r
MERGE (c:Campaign {campaign_id: r.campaign_id})
MERGE (x)-[:FOR]->(c)
WITH x, r
UNWIND r.identifier_keys AS key
MATCH (i:Identifier {key: key})
MERGE (x)-[:BY]->(i)
"""

CREATE_ATTRIBUTES: LiteralString = """
UNWIND $rows AS r
CREATE (a:Attribute {event_id: r.event_id, name: r.name, value: r.value, source: r.source, ts: r.ts})
WITH a, r
UNWIND r.identifier_keys AS key
MATCH (i:Identifier {key: key})
CREATE (a)-[:BY]->(i)
"""

UPSERT_PRODUCTS: LiteralString = """
UNWIND $rows AS r
MERGE (p:Product {sku: r.key})
SET p += r.properties, p.updated_at = r.ts
"""

UPSERT_CONTENT: LiteralString = """
UNWIND $rows AS r
MERGE (c:Content {content_id: r.key})
SET c += r.properties, c.updated_at = r.ts
"""

UPSERT_CHANNELS: LiteralString = """
UNWIND $rows AS r
MERGE (c:Channel {code: r.key})
SET c += r.properties, c.updated_at = r.ts
"""

UPSERT_CAMPAIGNS: LiteralString = """
UNWIND $rows AS r
MERGE (c:Campaign {campaign_id: r.key})
SET c += r.properties, c.updated_at = r.ts
"""

_CATALOG_QUERIES: dict[str, LiteralString] = {
    "product": UPSERT_PRODUCTS,
    "content": UPSERT_CONTENT,
    "channel": UPSERT_CHANNELS,
    "campaign": UPSERT_CAMPAIGNS,
}


async def claim_events(tx: Transaction, event_ids: Sequence[str], batch: str, now: str) -> set[str]:
    """Claim the event ids not processed before; return the ones this batch owns."""
    records = await run(tx, CLAIM_EVENTS, event_ids=list(event_ids), batch=batch, now=now)
    return set(event_ids) - set(records[0]["claimed_before"])


async def write_rows(tx: Transaction, rows: BatchRows, *, pending: bool = False) -> None:
    """Write a batch; with ``pending`` its identifiers are left for a later resolution pass."""
    steps: list[tuple[LiteralString, list[Row]]] = [
        (UPSERT_IDENTIFIERS, rows.identifiers),
        (UPSERT_LINKS, rows.links),
        (UPSERT_ORDERS, rows.orders),
        (UPSERT_ORDER_ITEMS, rows.items),
        (UPSERT_INTERACTIONS, rows.interactions),
        (LINK_INTERACTION_CONTENT, [r for r in rows.interactions if r["content_id"]]),
        (LINK_INTERACTION_PRODUCT, [r for r in rows.interactions if r["sku"]]),
        (LINK_INTERACTION_CHANNEL, [r for r in rows.interactions if r["channel"]]),
        (UPSERT_TOUCHES, rows.touches),
        (CREATE_ATTRIBUTES, rows.attributes),
    ]
    steps.extend((_CATALOG_QUERIES[kind], catalog_rows) for kind, catalog_rows in rows.catalog.items())
    for query, query_rows in steps:
        if query_rows:
            await run(tx, query, rows=query_rows, max_event_ids=MAX_EVENT_IDS_PER_LINK, pending=pending)
