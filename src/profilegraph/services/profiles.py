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

from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.lifecycle import Lifecycle, LifecycleConfig, Stage, Tier
from profilegraph.domain.valuation import ClvFigures, ClvModel
from profilegraph.errors import InvalidInputError
from profilegraph.services.clv.audience import list_profiles
from profilegraph.services.clv.profile import value_of
from profilegraph.store import clv as clv_store
from profilegraph.store import profiles as profile_store
from profilegraph.store.ports import GraphAccess
from profilegraph.store.profiles import FactPage

__all__ = [
    "AttributeValue",
    "AudienceFilter",
    "FactPage",
    "IdentifierView",
    "InteractionView",
    "OrderItemView",
    "OrderView",
    "PersonView",
    "attributes",
    "audience",
    "identifiers",
    "interactions",
    "latest_model",
    "one_ids_by_identifier",
    "one_ids_by_order",
    "orders",
    "persons",
    "values",
]


@dataclass(frozen=True)
class PersonView:
    one_id: str
    status: str  # active | retired
    current: str | None  # the active OneID a retired one redirects to
    created_at: str | None
    updated_at: str | None
    merged_from: tuple[tuple[str, str, str], ...] = ()  # (retired OneID, at, reason)


@dataclass(frozen=True)
class IdentifierView:
    key: str
    type: str
    value: str
    first_seen: str
    last_seen: str
    status: str  # active | shared | blocked
    admin_blocked: bool
    sources: tuple[str, ...]


@dataclass(frozen=True)
class AttributeValue:
    name: str
    value: Any
    source: str
    observed_at: str
    event_id: str


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


async def persons(store: GraphAccess, one_ids: Sequence[str]) -> list[PersonView | None]:
    found = await profile_store.persons(store, one_ids)
    merged = await profile_store.merged_from(store, one_ids)
    views: list[PersonView | None] = []
    for one_id in one_ids:
        row = found.get(one_id)
        if row is None:
            views.append(None)
            continue
        views.append(
            PersonView(
                one_id,
                row["status"],
                row["current"],
                row["created_at"],
                row["updated_at"],
                tuple((m["retired"], m["at"], m["reason"]) for m in merged.get(one_id, ())),
            )
        )
    return views


async def one_ids_by_identifier(store: GraphAccess, keys: Sequence[str]) -> list[str | None]:
    found = await profile_store.one_ids_by_identifier(store, keys)
    return [found.get(key) for key in keys]


async def one_ids_by_order(store: GraphAccess, order_ids: Sequence[str]) -> list[str | None]:
    found = await profile_store.one_ids_by_order(store, order_ids)
    return [found.get(order_id) for order_id in order_ids]


async def identifiers(store: GraphAccess, one_ids: Sequence[str]) -> list[list[IdentifierView]]:
    found = await profile_store.identifiers_of(store, one_ids)
    return [
        [
            IdentifierView(
                row["key"],
                row["type"],
                row["value"],
                row["first_seen"],
                row["last_seen"],
                row["status"],
                bool(row["admin_blocked"]),
                tuple(row["sources"] or ()),
            )
            for row in found.get(one_id, ())
        ]
        for one_id in one_ids
    ]


async def attributes(store: GraphAccess, one_ids: Sequence[str]) -> list[list[AttributeValue]]:
    """Every observed attribute value of each OneID, newest first."""
    found = await profile_store.attributes_of(store, one_ids)
    result = []
    for one_id in one_ids:
        rows = sorted(found.get(one_id, ()), key=lambda r: (r["ts"], r["event_id"]), reverse=True)
        result.append([AttributeValue(r["name"], r["value"], r["source"], r["ts"], r["event_id"]) for r in rows])
    return result


def _properties(raw: dict[str, Any] | None) -> dict[str, Any]:
    # Catalog properties arrive as scalars or JSON text (docs/events.md); both are served as JSON.
    return {k: v for k, v in (raw or {}).items() if k not in {"sku", "content_id", "code", "updated_at"}}


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
                    OrderItemView(item["sku"], item["qty"], item["price"], _properties(item["product"]))
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
                _properties(row["content"]) if row["content_id"] else None,
                row["channel_code"],
                _properties(row["channel"]) if row["channel_code"] else None,
            )
            for row in found.get(one_id, ())
        ]
        for one_id in one_ids
    ]


async def order_totals(store: GraphAccess, one_ids: Sequence[str]) -> list[int]:
    found = await profile_store.order_counts(store, one_ids)
    return [found.get(one_id, 0) for one_id in one_ids]


async def interaction_totals(store: GraphAccess, one_ids: Sequence[str]) -> list[int]:
    found = await profile_store.interaction_counts(store, one_ids)
    return [found.get(one_id, 0) for one_id in one_ids]


async def latest_model(store: GraphAccess) -> ClvModel | None:
    """The newest CLV fit, which every profile's figures are computed from."""
    return await clv_store.latest_fit(store)


async def values(
    store: GraphAccess,
    model: ClvModel | None,
    one_ids: Sequence[str],
    *,
    as_of: date,
    horizon_days: int,
    lifecycle_config: LifecycleConfig,
) -> list[tuple[ClvFigures, Lifecycle]]:
    """CLV figures and lifecycle of each OneID, from the stored fit and its own activity."""
    activity = await clv_store.activity_of(store, one_ids)
    return [
        value_of(model, activity, one_id, as_of=as_of, horizon_days=horizon_days, lifecycle_config=lifecycle_config)
        for one_id in one_ids
    ]


@dataclass(frozen=True)
class AudienceFilter:
    """Audience conditions, all of which a profile must meet; None means "any"."""

    identifier_types: frozenset[str] = frozenset()
    source: str | None = None
    first_seen_from: str | None = None
    first_seen_to: str | None = None
    last_seen_from: str | None = None
    last_seen_to: str | None = None
    stage: Stage | None = None
    tier: Tier | None = None
    clv_min: float | None = None
    clv_max: float | None = None

    @property
    def needs_value(self) -> bool:
        return self.stage is not None or self.tier is not None or self.clv_min is not None or self.clv_max is not None


def _within(value: str, low: str | None, high: str | None) -> bool:
    # Timestamps are "YYYY-MM-DDTHH:MM:SSZ" and compare as text; a bound is inclusive.
    return (low is None or value >= low) and (high is None or value <= high)


async def audience(
    store: GraphAccess,
    wanted: AudienceFilter,
    *,
    horizon_days: int,
    as_of: date | None,
    lifecycle_config: LifecycleConfig,
) -> list[str]:
    """The active OneIDs meeting every condition, in OneID order (exact; the caller pages)."""
    if wanted.clv_min is not None and wanted.clv_max is not None and wanted.clv_min > wanted.clv_max:
        raise InvalidInputError("the CLV range is empty: min is above max", field="filter.predictedClv")
    rows = await profile_store.profile_rows(store)
    kept = {
        row.one_id
        for row in rows
        if wanted.identifier_types <= row.types
        and (wanted.source is None or wanted.source in row.sources)
        and _within(row.first_seen, wanted.first_seen_from, wanted.first_seen_to)
        and _within(row.last_seen, wanted.last_seen_from, wanted.last_seen_to)
    }
    if wanted.needs_value and kept:
        scored = await list_profiles(
            store,
            stage=wanted.stage,
            tier=wanted.tier,
            clv_min=wanted.clv_min,
            clv_max=wanted.clv_max,
            horizon_days=horizon_days,
            as_of=as_of,
            lifecycle_config=lifecycle_config,
        )
        kept &= {row.one_id for row in scored}
    return sorted(kept)


def identity_key(config: IdentityConfig, type_name: str, value: str) -> str:
    """The key ingestion would give this identifier; InvalidInputError if it would refuse it."""
    return config.normalise(type_name, value).key


def shown_value(value: Any) -> Any:
    """An attribute value as the API serves it: JSON text written by ingestion is decoded back."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
