"""The features a rule tag reads: one consumer's or one catalog object's facts, summarised.

Pure: the store reads the facts, this module turns them into the typed values the CEL
environments of ``domain.rules`` declare (docs/tags.md lists them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from profilegraph.domain.rules import WINDOWS

__all__ = [
    "RESPONSES",
    "CatalogFacts",
    "InteractionRow",
    "Scores",
    "TouchRow",
    "UserFacts",
    "catalog_features",
    "unanswered_campaigns",
    "user_features",
]

_WINDOW_KEYS = tuple((days, f"orders_{days}d", f"amount_{days}d", f"interactions_{days}d") for days in WINDOWS)

# The touch actions that show a consumer answered a campaign (sent and delivered do not).
RESPONSES = frozenset({"opened", "clicked", "converted"})


@dataclass(frozen=True)
class Scores:
    """A consumer's value figures, as the value map computes them."""

    clv_historic: float = 0.0
    clv_predicted: float | None = None
    p_alive: float | None = None
    stage: str = "potential"
    tier: str = "low_activity"


class InteractionRow(NamedTuple):
    ts: str
    channel: str | None
    kind: str | None = None
    sku: str | None = None  # the product it was about


class TouchRow(NamedTuple):
    ts: str
    campaign_id: str
    action: str


@dataclass
class UserFacts:
    orders: list[tuple[str, float, str | None]] = field(default_factory=list)  # (ts, amount, channel)
    interactions: list[InteractionRow] = field(default_factory=list)
    touches: list[TouchRow] = field(default_factory=list)
    featured_skus: frozenset[str] = frozenset()  # products that hold the featured tag
    identifier_types: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    last_seen: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)  # surviving values
    tags: dict[str, Any] = field(default_factory=dict)  # live values of other tags


@lru_cache(maxsize=1 << 16)
def _ordinal(day: str) -> int:
    # Facts fall on a few thousand days at most: each is parsed once.
    return date.fromisoformat(day).toordinal()


def _days_between(ts: str, as_of: date) -> int:
    return as_of.toordinal() - _ordinal(ts[:10])


def unanswered_campaigns(touches: list[TouchRow]) -> int:
    """How many of the consumer's newest campaigns in a row got no open, click or conversion.

    Campaigns are ordered by the first touch each reached the consumer with; a campaign
    counts as answered whenever its response came.
    """
    first_touch: dict[str, str] = {}
    answered: set[str] = set()
    for touch in touches:
        first_touch[touch.campaign_id] = min(first_touch.get(touch.campaign_id, touch.ts), touch.ts)
        if touch.action in RESPONSES:
            answered.add(touch.campaign_id)
    run = 0
    for campaign in sorted(first_touch, key=lambda c: (first_touch[c], c), reverse=True):
        if campaign in answered:
            break
        run += 1
    return run


def user_features(facts: UserFacts, scores: Scores, as_of: date, interest_window_days: int = 30) -> dict[str, Any]:
    """The user-rule variables; a fact after ``as_of`` is not counted.

    ``days_since_*`` is -1 when there is no such fact, so ``days_since_order > 45`` holds
    only for consumers who did order once. ``featured_views_recent`` and
    ``featured_views_previous`` count interactions with featured products in the last
    ``interest_window_days`` and in the window before it.
    """
    today = as_of.toordinal()
    window = interest_window_days
    # One pass over each kind of fact: this runs for every consumer in a recompute or a scoring.
    order_days: list[tuple[int, float]] = []
    channels: set[str] = set()
    for ts, amount, channel in facts.orders:
        days = today - _ordinal(ts[:10])
        if days >= 0:
            order_days.append((days, amount))
        if channel:
            channels.add(channel)
    interaction_days: list[int] = []
    featured_recent = featured_previous = 0
    featured = facts.featured_skus
    for row in facts.interactions:
        days = today - _ordinal(row.ts[:10])
        if days < 0:
            continue
        interaction_days.append(days)
        if row.channel:
            channels.add(row.channel)
        if row.sku is not None and row.sku in featured:
            if days < window:
                featured_recent += 1
            elif days < 2 * window:
                featured_previous += 1
    touches = [touch for touch in facts.touches if today - _ordinal(touch.ts[:10]) >= 0]
    order_only = [d for d, _ in order_days]
    since_order = min(order_only, default=-1)
    since_interaction = min(interaction_days, default=-1)
    features: dict[str, Any] = {
        "orders": len(order_days),
        "amount": float(sum(amount for _, amount in order_days)),
        "interactions": len(interaction_days),
        "days_since_order": since_order,
        "days_since_first_order": max(order_only, default=-1),
        "days_since_interaction": since_interaction,
        "days_since_active": min((d for d in (since_order, since_interaction) if d >= 0), default=-1),
        "days_since_seen": _days_between(facts.last_seen, as_of) if facts.last_seen else -1,
        "touches": len(touches),
        "campaigns": len({t.campaign_id for t in touches}),
        "campaigns_answered": len({t.campaign_id for t in touches if t.action in RESPONSES}),
        "campaigns_unanswered": unanswered_campaigns(touches),
        "featured_views_recent": featured_recent,
        "featured_views_previous": featured_previous,
        "channels": sorted(channels),
        "sources": sorted(facts.sources),
        "identifier_types": sorted(facts.identifier_types),
        "attributes": dict(facts.attributes),
        "clv_historic": float(scores.clv_historic),
        "clv_predicted": float(scores.clv_predicted if scores.clv_predicted is not None else scores.clv_historic),
        "p_alive": float(scores.p_alive if scores.p_alive is not None else 0.0),
        "stage": scores.stage,
        "tier": scores.tier,
        "tags": dict(facts.tags),
    }  # fmt: skip
    for limit, orders_key, amount_key, interactions_key in _WINDOW_KEYS:
        inside = [amount for days, amount in order_days if days < limit]
        features[orders_key] = len(inside)
        features[amount_key] = float(sum(inside))
        features[interactions_key] = sum(1 for days in interaction_days if days < limit)
    return features


@dataclass
class CatalogFacts:
    key: str
    properties: Mapping[str, Any]
    orders: int = 0
    interactions: int = 0
    people: int = 0
    tags: dict[str, Any] = field(default_factory=dict)


def catalog_features(facts: CatalogFacts) -> dict[str, Any]:
    return {
        "key": facts.key,
        "properties": dict(facts.properties),
        "tags": dict(facts.tags),
        "orders": facts.orders,
        "interactions": facts.interactions,
        "people": facts.people,
    }
