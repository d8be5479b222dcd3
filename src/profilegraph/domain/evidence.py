"""From a batch of validated events to the rows the store writes: evidence and facts.

This is where an event becomes evidence: every pair of its identifiers is a link,
except that a blocked value (configured or by an admin) is kept as an identifier
but never becomes evidence. One row per identifier and per link aggregates the
whole batch, so the store writes each once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from profilegraph.domain.events import Event
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.resolution import pair

__all__ = ["MAX_EVENT_IDS_PER_LINK", "BatchRows", "Row", "build_rows"]

# A link keeps the ids of the first events that carried it, for explain; not all of them.
MAX_EVENT_IDS_PER_LINK = 20

Row = dict[str, Any]


@dataclass
class BatchRows:
    identifiers: list[Row] = field(default_factory=list)
    links: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    items: list[Row] = field(default_factory=list)
    interactions: list[Row] = field(default_factory=list)
    touches: list[Row] = field(default_factory=list)
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
                    "sources": [event.source],
                }
            else:
                row["first_seen"] = min(row["first_seen"], event.ts)
                row["last_seen"] = max(row["last_seen"], event.ts)
                if event.source not in row["sources"]:
                    row["sources"].append(event.source)
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


def _fact_rows(event: Event, keys: Sequence[str], rows: BatchRows) -> None:
    base = {"event_id": event.event_id, "ts": event.ts, "source": event.source, "identifier_keys": keys}
    if event.order is not None:
        order = event.order
        rows.orders.append(
            base
            | {"order_id": order.order_id, "amount": order.amount, "currency": order.currency, "channel": order.channel}
        )
        rows.items.extend(
            {"order_id": order.order_id, "sku": item.sku, "qty": item.qty, "price": item.price} for item in order.items
        )
    if event.interaction is not None:
        fact = event.interaction
        rows.interactions.append(
            base | {"kind": fact.kind, "content_id": fact.content_id, "channel": fact.channel, "sku": fact.sku}
        )
    if event.touch is not None:
        touch = event.touch
        rows.touches.append(base | {"campaign_id": touch.campaign_id, "action": touch.action, "channel": touch.channel})
    for name, value in event.attributes.items():
        rows.attributes.append(base | {"name": name, "value": value})
    if event.catalog is not None:
        record = event.catalog
        rows.catalog.setdefault(record.kind, []).append(
            {"key": record.key, "properties": dict(record.properties), "ts": event.ts}
        )
