"""The features a rule tag reads: one consumer's or one catalog object's facts, summarised.

Pure: the store reads the facts, this module turns them into the typed values the CEL
environments of ``domain.rules`` declare (docs/tags.md lists them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from profilegraph.domain.rules import WINDOWS

__all__ = ["CatalogFacts", "Scores", "UserFacts", "catalog_features", "user_features"]


@dataclass(frozen=True)
class Scores:
    """A consumer's value figures, as the value map computes them."""

    clv_historic: float = 0.0
    clv_predicted: float | None = None
    p_alive: float | None = None
    stage: str = "potential"
    tier: str = "low_activity"


@dataclass
class UserFacts:
    orders: list[tuple[str, float, str | None]] = field(default_factory=list)  # (ts, amount, channel)
    interactions: list[tuple[str, str | None]] = field(default_factory=list)  # (ts, channel)
    identifier_types: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    last_seen: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)  # surviving values
    tags: dict[str, Any] = field(default_factory=dict)  # live values of other tags


def _days_between(ts: str, as_of: date) -> int:
    return (as_of - date.fromisoformat(ts[:10])).days


def user_features(facts: UserFacts, scores: Scores, as_of: date) -> dict[str, Any]:
    """The user-rule variables; a fact after ``as_of`` is not counted.

    ``days_since_*`` is -1 when there is no such fact, so ``days_since_order > 45`` holds
    only for consumers who did order once.
    """
    order_days = [(_days_between(ts, as_of), amount) for ts, amount, _ in facts.orders]
    order_days = [(days, amount) for days, amount in order_days if days >= 0]
    interaction_days = [d for d in (_days_between(ts, as_of) for ts, _ in facts.interactions) if d >= 0]
    features: dict[str, Any] = {
        "orders": len(order_days),
        "amount": float(sum(amount for _, amount in order_days)),
        "interactions": len(interaction_days),
        "days_since_order": min((d for d, _ in order_days), default=-1),
        "days_since_interaction": min(interaction_days, default=-1),
        "days_since_seen": _days_between(facts.last_seen, as_of) if facts.last_seen else -1,
        "channels": sorted({c for _, _, c in facts.orders if c} | {c for _, c in facts.interactions if c}),
        "sources": sorted(facts.sources),
        "identifier_types": sorted(facts.identifier_types),
        "attributes": dict(facts.attributes),
        "clv_historic": float(scores.clv_historic),
        "clv_predicted": float(scores.clv_predicted if scores.clv_predicted is not None else scores.clv_historic),
        "p_alive": float(scores.p_alive if scores.p_alive is not None else 0.0),
        "stage": scores.stage,
        "tier": scores.tier,
        "tags": dict(facts.tags),
    }
    for window in WINDOWS:
        inside = [amount for days, amount in order_days if days < window]
        features[f"orders_{window}d"] = len(inside)
        features[f"amount_{window}d"] = float(sum(inside))
        features[f"interactions_{window}d"] = sum(1 for days in interaction_days if days < window)
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
