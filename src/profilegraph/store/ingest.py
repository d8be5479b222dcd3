"""Writing a batch of validated events: evidence (identifiers, links) and facts, with UNWIND.

Facts hang off the identifiers that carried them (``-[:BY]->``), never off a
Person, so re-clustering never moves or loses one. Each event id is claimed as a
``ProcessedEvent`` in the same transaction as its writes, which makes replays
change nothing, even when two ingesters carry the same event at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from profilegraph.domain.events import Event
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.resolution import pair
from profilegraph.store.bolt import run

__all__ = ["BatchRows", "build_rows", "claim_events", "write_rows"]

MAX_EVENT_IDS_PER_LINK = 20

CLAIM_EVENTS: LiteralString = """
UNWIND $event_ids AS event_id
MERGE (e:ProcessedEvent {event_id: event_id})
ON CREATE SET e.batch = $batch, e.at = $now
RETURN event_id, e.batch = $batch AS fresh
"""

UPSERT_IDENTIFIERS: LiteralString = """
UNWIND $rows AS r
MERGE (i:Identifier {key: r.key})
ON CREATE SET i.type = r.type, i.value = r.value, i.first_seen = r.first_seen,
              i.last_seen = r.last_seen, i.status = r.status, i.admin_blocked = false
ON MATCH SET i.first_seen = CASE WHEN r.first_seen < i.first_seen THEN r.first_seen ELSE i.first_seen END,
             i.last_seen = CASE WHEN r.last_seen > i.last_seen THEN r.last_seen ELSE i.last_seen END
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
ON CREATE SET x.ts = r.ts, x.kind = r.kind, x.source = r.source
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

LINK_INTERACTION_CHANNEL: LiteralString = """
UNWIND $rows AS r
MATCH (x:Interaction {event_id: r.event_id})
MERGE (c:Channel {code: r.channel})
MERGE (x)-[:VIA]->(c)
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

_CATALOG_QUERIES: dict[str, LiteralString] = {
    "product": UPSERT_PRODUCTS,
    "content": UPSERT_CONTENT,
    "channel": UPSERT_CHANNELS,
}

Row = dict[str, Any]


@dataclass
class BatchRows:
    identifiers: list[Row] = field(default_factory=list)
    links: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    items: list[Row] = field(default_factory=list)
    interactions: list[Row] = field(default_factory=list)
    attributes: list[Row] = field(default_factory=list)
    catalog: dict[str, list[Row]] = field(default_factory=dict)

    @property
    def touched_keys(self) -> list[str]:
        return [row["key"] for row in self.identifiers]


def build_rows(events: Iterable[Event], config: IdentityConfig) -> BatchRows:
    """Aggregate a batch's events into one row per identifier, per link and per fact."""
    rows = BatchRows()
    identifiers: dict[str, Row] = {}
    links: dict[tuple[str, str], Row] = {}
    for event in events:
        keys = [identifier.key for identifier in event.identifiers]
        for identifier in event.identifiers:
            row = identifiers.get(identifier.key)
            if row is None:
                status = "blocked" if config.is_blocked(identifier.key) else "active"
                identifiers[identifier.key] = {
                    "key": identifier.key,
                    "type": identifier.type,
                    "value": identifier.value,
                    "first_seen": event.ts,
                    "last_seen": event.ts,
                    "status": status,
                }
            else:
                row["first_seen"] = min(row["first_seen"], event.ts)
                row["last_seen"] = max(row["last_seen"], event.ts)
        # Blocked values are kept as identifiers but never become evidence.
        linkable = sorted(k for k in keys if not config.is_blocked(k))
        for a, b in combinations(linkable, 2):
            key = pair(a, b)
            link = links.get(key)
            if link is None:
                links[key] = {
                    "a": key[0],
                    "b": key[1],
                    "first_seen": event.ts,
                    "last_seen": event.ts,
                    "count": 1,
                    "sources": [event.source],
                    "event_ids": [event.event_id],
                }
            else:
                link["first_seen"] = min(link["first_seen"], event.ts)
                link["last_seen"] = max(link["last_seen"], event.ts)
                link["count"] += 1
                if event.source not in link["sources"]:
                    link["sources"].append(event.source)
                if len(link["event_ids"]) < MAX_EVENT_IDS_PER_LINK:
                    link["event_ids"].append(event.event_id)
        _fact_rows(event, keys, rows)
    rows.identifiers = list(identifiers.values())
    rows.links = list(links.values())
    return rows


def _fact_rows(event: Event, keys: list[str], rows: BatchRows) -> None:
    base = {"event_id": event.event_id, "ts": event.ts, "source": event.source, "identifier_keys": keys}
    if event.order is not None:
        order = event.order
        rows.orders.append(
            base | {"order_id": order.order_id, "amount": order.amount, "currency": order.currency, "channel": order.channel}
        )
        rows.items.extend(
            {"order_id": order.order_id, "sku": item.sku, "qty": item.qty, "price": item.price} for item in order.items
        )
    if event.interaction is not None:
        fact = event.interaction
        rows.interactions.append(base | {"kind": fact.kind, "content_id": fact.content_id, "channel": fact.channel})
    for name, value in event.attributes.items():
        rows.attributes.append(base | {"name": name, "value": value})
    if event.catalog is not None:
        record = event.catalog
        rows.catalog.setdefault(record.kind, []).append(
            {"key": record.key, "properties": dict(record.properties), "ts": event.ts}
        )


async def claim_events(tx: AsyncManagedTransaction, event_ids: Sequence[str], batch: str, now: str) -> set[str]:
    """Claim the event ids not processed before; return the ones this batch owns."""
    records = await run(tx, CLAIM_EVENTS, event_ids=list(event_ids), batch=batch, now=now)
    return {record["event_id"] for record in records if record["fresh"]}


async def write_rows(tx: AsyncManagedTransaction, rows: BatchRows, *, pending: bool = False) -> None:
    """Write a batch; with ``pending`` its identifiers are left for a later resolution pass."""
    steps: list[tuple[LiteralString, list[Row]]] = [
        (UPSERT_IDENTIFIERS, rows.identifiers),
        (UPSERT_LINKS, rows.links),
        (UPSERT_ORDERS, rows.orders),
        (UPSERT_ORDER_ITEMS, rows.items),
        (UPSERT_INTERACTIONS, rows.interactions),
        (LINK_INTERACTION_CONTENT, [r for r in rows.interactions if r["content_id"]]),
        (LINK_INTERACTION_CHANNEL, [r for r in rows.interactions if r["channel"]]),
        (CREATE_ATTRIBUTES, rows.attributes),
    ]
    steps.extend((_CATALOG_QUERIES[kind], catalog_rows) for kind, catalog_rows in rows.catalog.items())
    for query, query_rows in steps:
        if query_rows:
            await run(tx, query, rows=query_rows, max_event_ids=MAX_EVENT_IDS_PER_LINK, pending=pending)
