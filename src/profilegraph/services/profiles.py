"""The unified profile, read for many OneIDs at once: what the API's DataLoaders call.

Each function answers a list of keys with one list of results in the same order (the
DataLoader contract), at a cost in round trips that does not depend on the list's length.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from profilegraph.domain.lifecycle import Lifecycle, LifecycleConfig
from profilegraph.domain.valuation import ClvFigures, ClvModel
from profilegraph.services.catalog import catalog_properties
from profilegraph.services.clv.profile import figures_of, lifecycle_of
from profilegraph.store import clv as clv_store
from profilegraph.store import profiles as profile_store
from profilegraph.store.bolt import Record
from profilegraph.store.clv import ProfileActivity
from profilegraph.store.ports import GraphAccess
from profilegraph.store.profiles import FactPage

__all__ = [
    "AttributeValue",
    "FactPage",
    "IdentifierView",
    "InteractionView",
    "OrderItemView",
    "OrderView",
    "PersonView",
    "TouchView",
    "ValueInputs",
    "interactions",
    "one_ids_by_order",
    "orders",
    "persons",
    "persons_by_identifier",
    "touch_totals",
    "touches",
    "value_inputs",
]


@dataclass(frozen=True)
class IdentifierView:
    key: str
    type: str
    value: str
    first_seen: str
    last_seen: str
    status: str  # active | shared | household | blocked
    admin_blocked: bool
    sources: tuple[str, ...]

    @property
    def member(self) -> bool:
        """Whether it belongs to the OneID; a shared or household identifier is only used by it."""
        return self.status not in ("shared", "household")


@dataclass(frozen=True)
class AttributeValue:
    name: str
    value: Any
    source: str
    observed_at: str
    event_id: str


@dataclass(frozen=True)
class PersonView:
    one_id: str
    status: str  # active | retired
    current: str | None  # the active OneID a retired one redirects to
    created_at: str | None
    updated_at: str | None
    merged_from: tuple[tuple[str, str, str], ...] = ()  # (retired OneID, at, reason)
    # its own identifiers, and the shared and household ones it used (which join nobody)
    identifiers: tuple[IdentifierView, ...] = ()
    attributes: tuple[AttributeValue, ...] = ()  # every value observed, newest first


@dataclass(frozen=True)
class OrderItemView:
    sku: str
    qty: float
    price: float
    product: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderView:
    order_id: str
    ts: str
    amount: float
    currency: str | None
    channel: str | None
    source: str | None
    items: tuple[OrderItemView, ...]


@dataclass(frozen=True)
class InteractionView:
    event_id: str
    ts: str
    kind: str
    source: str | None
    content_id: str | None
    content: dict[str, Any] | None
    channel_code: str | None
    channel: dict[str, Any] | None


def _person(row: Record | None) -> PersonView | None:
    if row is None:
        return None
    merged = sorted((tuple(m) for m in row["merged_from"] if m is not None), key=lambda m: (m[1], m[0]))
    identifiers = sorted(row["identifiers"], key=lambda i: i["key"])
    attributes = sorted(row["attributes"], key=lambda a: (a["ts"], a["event_id"], a["name"]), reverse=True)
    return PersonView(
        row["one_id"],
        row["status"],
        row["current"],
        row["created_at"],
        row["updated_at"],
        tuple((str(o), str(at), str(reason)) for o, at, reason in merged),
        tuple(
            IdentifierView(
                i["key"],
                i["type"],
                i["value"],
                i["first_seen"],
                i["last_seen"],
                i["status"],
                bool(i["admin_blocked"]),
                tuple(i["sources"] or ()),
            )
            for i in identifiers
        ),
        tuple(AttributeValue(a["name"], a["value"], a["source"], a["ts"], a["event_id"]) for a in attributes),
    )


async def persons(store: GraphAccess, one_ids: Sequence[str]) -> list[PersonView | None]:
    found = await profile_store.persons(store, one_ids)
    return [_person(found.get(one_id)) for one_id in one_ids]


async def persons_by_identifier(store: GraphAccess, keys: Sequence[str]) -> list[PersonView | None]:
    """The (active) Person each identifier key belongs to, if any."""
    found = await profile_store.persons_by_identifier(store, keys)
    return [_person(found.get(key)) for key in keys]


async def one_ids_by_order(store: GraphAccess, order_ids: Sequence[str]) -> list[str | None]:
    found = await profile_store.one_ids_by_order(store, order_ids)
    return [found.get(order_id) for order_id in order_ids]


async def orders(store: GraphAccess, one_ids: Sequence[str], page: FactPage) -> list[list[OrderView]]:
    found = await profile_store.orders_of(store, one_ids, page)
    return [
        [
            OrderView(
                row["order_id"],
                row["ts"],
                float(row["amount"]),
                row["currency"],
                row["channel"],
                row["source"],
                tuple(
                    OrderItemView(item["sku"], item["qty"], item["price"], catalog_properties(item["product"]))
                    for item in sorted(row["items"], key=lambda item: item["sku"])
                ),
            )
            for row in found.get(one_id, ())
        ]
        for one_id in one_ids
    ]


async def interactions(store: GraphAccess, one_ids: Sequence[str], page: FactPage) -> list[list[InteractionView]]:
    found = await profile_store.interactions_of(store, one_ids, page)
    return [
        [
            InteractionView(
                row["event_id"],
                row["ts"],
                row["kind"],
                row["source"],
                row["content_id"],
                catalog_properties(row["content"]) if row["content_id"] else None,
                row["channel_code"],
                catalog_properties(row["channel"]) if row["channel_code"] else None,
            )
            for row in found.get(one_id, ())
        ]
        for one_id in one_ids
    ]


async def order_totals(store: GraphAccess, one_ids: Sequence[str], *, shared: bool = False) -> list[int]:
    found = await profile_store.order_counts(store, one_ids, shared=shared)
    return [found.get(one_id, 0) for one_id in one_ids]


@dataclass(frozen=True)
class TouchView:
    event_id: str
    ts: str
    action: str
    campaign_id: str
    campaign: dict[str, Any] | None  # the campaign's catalog properties, if it was recorded
    channel: str | None
    source: str | None


async def touches(store: GraphAccess, one_ids: Sequence[str], page: FactPage) -> list[list[TouchView]]:
    found = await profile_store.touches_of(store, one_ids, page)
    return [
        [
            TouchView(
                row["event_id"],
                row["ts"],
                row["action"],
                row["campaign_id"],
                catalog_properties(row["campaign"]) if row["campaign"] else None,
                row["channel"],
                row["source"],
            )
            for row in found.get(one_id, ())
        ]
        for one_id in one_ids
    ]


async def touch_totals(store: GraphAccess, one_ids: Sequence[str]) -> list[int]:
    found = await profile_store.touch_counts(store, one_ids)
    return [found.get(one_id, 0) for one_id in one_ids]


async def interaction_totals(store: GraphAccess, one_ids: Sequence[str], *, shared: bool = False) -> list[int]:
    found = await profile_store.interaction_counts(store, one_ids, shared=shared)
    return [found.get(one_id, 0) for one_id in one_ids]


@dataclass(frozen=True)
class ValueInputs:
    """What one OneID's CLV figures and lifecycle are computed from."""

    model: ClvModel | None
    activity: ProfileActivity  # may hold other OneIDs of the same batch too
    one_id: str

    def figures(self, *, as_of: date, horizon_days: int) -> ClvFigures:
        return figures_of(self.model, self.activity, self.one_id, as_of=as_of, horizon_days=horizon_days)

    def lifecycle(self, clv: ClvFigures, *, as_of: date, lifecycle_config: LifecycleConfig) -> Lifecycle:
        return lifecycle_of(self.model, self.activity, self.one_id, clv, as_of=as_of, lifecycle_config=lifecycle_config)


async def value_inputs(store: GraphAccess, one_ids: Sequence[str]) -> list[ValueInputs]:
    """The newest fit and each OneID's activity, read once for the whole batch."""
    activity, model = await clv_store.activity_with_fit(store, one_ids)
    return [ValueInputs(model, activity, one_id) for one_id in one_ids]


def shown_value(value: Any) -> Any:
    """An attribute value as the API serves it: JSON text written by ingestion is decoded back."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
