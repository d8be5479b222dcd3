"""Intent of potential customers (identified, no order yet): who customer service calls first.

Each interaction adds the weight of its kind (a lead form counts more than a page view),
times its channel's weight, decayed by age with a half-life; the score is
``1 - exp(-total)``, so it lies in 0..1, rises with every signal and saturates. Levels cut
the score at configurable points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from profilegraph.domain.features import InteractionRow

__all__ = ["DEFAULT_KIND_WEIGHTS", "IntentConfig", "IntentLevel", "intent_level", "intent_score"]

# What an interaction of each kind says about wanting to buy; unknown kinds weigh ``other_weight``.
DEFAULT_KIND_WEIGHTS: Mapping[str, float] = MappingProxyType({
    "lead": 3.0, "lead_form": 3.0, "form": 3.0, "inquiry": 3.0, "consultation": 3.0,
    "add_to_cart": 2.0, "signup": 1.5, "ad_click": 1.0, "click": 1.0, "coupon": 1.0,
    "view": 0.3, "visit": 0.3, "browse": 0.3,
})  # fmt: skip


class IntentLevel(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class IntentConfig:
    half_life_days: float = 14.0
    kind_weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_KIND_WEIGHTS)
    other_weight: float = 0.2
    channel_weights: Mapping[str, float] = field(default_factory=dict)  # a channel not named weighs 1
    high: float = 0.7
    medium: float = 0.3


def intent_score(interactions: Iterable[InteractionRow], as_of: date, config: IntentConfig) -> float:
    """0..1; interactions after ``as_of`` do not count."""
    total = 0.0
    for row in interactions:
        age = (as_of - date.fromisoformat(row.ts[:10])).days
        if age < 0:
            continue
        weight = config.kind_weights.get((row.kind or "").lower(), config.other_weight)
        weight *= config.channel_weights.get(row.channel or "", 1.0)
        total += weight * 0.5 ** (age / config.half_life_days)
    return 1.0 - math.exp(-total)


def intent_level(score: float, config: IntentConfig) -> IntentLevel:
    if score >= config.high:
        return IntentLevel.HIGH
    if score >= config.medium:
        return IntentLevel.MEDIUM
    return IntentLevel.LOW
