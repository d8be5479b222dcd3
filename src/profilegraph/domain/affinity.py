"""A consumer's affinity to what they bought, viewed and used, weighted by recency.

Each piece of evidence (an order of a product in category *skincare*, a view of content on
topic *travel*, an order through channel *tmall*) weighs ``0.5 ** (age / half_life)``. A
consumer's affinity to a value is its share of their weight along that dimension, so
scores lie in 0..1 and add up to 1 per dimension: a consumer whose orders are all skincare
has affinity 1.0 to skincare, however few the orders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = ["OBJECT_OF", "Affinity", "Dimension", "Evidence", "affinities", "evidence_weight"]


class Dimension(StrEnum):
    PRODUCT_CATEGORY = "product_category"
    PRODUCT_BRAND = "product_brand"
    PRODUCT_TAG = "product_tag"
    CONTENT_TOPIC = "content_topic"
    CONTENT_TAG = "content_tag"
    CHANNEL = "channel"


# What kind of object each dimension's values describe.
OBJECT_OF: dict[Dimension, str] = {
    Dimension.PRODUCT_CATEGORY: "product",
    Dimension.PRODUCT_BRAND: "product",
    Dimension.PRODUCT_TAG: "product",
    Dimension.CONTENT_TOPIC: "content",
    Dimension.CONTENT_TAG: "content",
    Dimension.CHANNEL: "channel",
}


@dataclass(frozen=True)
class Evidence:
    owner: str  # the OneID
    dimension: Dimension
    value: str
    ts: str  # when it happened


@dataclass(frozen=True)
class Affinity:
    owner: str
    dimension: Dimension
    value: str
    score: float  # share of the owner's weight along the dimension, 0..1
    weight: float  # recency-weighted evidence
    evidence: int  # pieces of evidence
    last_at: str


def evidence_weight(ts: str, as_of: date, half_life_days: float) -> float:
    """0.5 per half-life of age; evidence from after ``as_of`` weighs as new."""
    age = max((as_of - date.fromisoformat(ts[:10])).days, 0)
    return float(0.5 ** (age / half_life_days))


def affinities(evidence: Iterable[Evidence], *, as_of: date, half_life_days: float) -> list[Affinity]:
    """Every (owner, dimension, value) affinity, strongest first within each owner and dimension."""
    weight: dict[tuple[str, Dimension, str], float] = defaultdict(float)
    count: dict[tuple[str, Dimension, str], int] = defaultdict(int)
    last: dict[tuple[str, Dimension, str], str] = {}
    for item in evidence:
        key = (item.owner, item.dimension, item.value)
        weight[key] += evidence_weight(item.ts, as_of, half_life_days)
        count[key] += 1
        last[key] = max(last.get(key, item.ts), item.ts)
    totals: dict[tuple[str, Dimension], float] = defaultdict(float)
    for (owner, dimension, _), w in weight.items():
        totals[owner, dimension] += w
    found = [
        Affinity(owner, dimension, value, w / totals[owner, dimension] if totals[owner, dimension] else 0.0, w,
                 count[owner, dimension, value], last[owner, dimension, value])
        for (owner, dimension, value), w in weight.items()
    ]  # fmt: skip
    return sorted(found, key=lambda a: (a.owner, a.dimension, -a.score, a.value))
