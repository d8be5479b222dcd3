"""Consumers' affinities to product categories, brands and tags, content topics and tags, and channels.

Computed when asked for, from the orders and interactions in the graph and the catalog
records and tags they point at, so a new order or a re-categorised product counts at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from profilegraph.domain.affinity import Affinity, Dimension, Evidence, affinities
from profilegraph.domain.tags import ObjectType, TagValue
from profilegraph.services.tags import catalog_tags
from profilegraph.store import affinity as affinity_store
from profilegraph.store.ports import GraphAccess

__all__ = ["affinities_of", "scored_candidates", "tag_labels"]

CHUNK = 1000


def tag_labels(values: dict[str, TagValue]) -> Iterator[str]:
    """How an object's tags read as affinity values: ``featured`` for a true bool tag,
    ``season=summer`` for a text (or each list item); numbers are not affinities."""
    for name, tag in values.items():
        value = tag.value
        if value is True:
            yield name
        elif isinstance(value, str):
            yield f"{name}={value}"
        elif isinstance(value, list):
            yield from (f"{name}={item}" for item in value)


async def _evidence(store: GraphAccess, one_ids: Sequence[str]) -> list[Evidence]:
    orders = await affinity_store.order_evidence(store, one_ids)
    interactions = await affinity_store.interaction_evidence(store, one_ids)
    skus = sorted({sku for row in orders for sku, _, _ in row["products"] if sku is not None})
    content_ids = sorted({row["content_id"] for row in interactions if row["content_id"] is not None})
    product_tags = dict(zip(skus, await catalog_tags(store, ObjectType.PRODUCT, skus), strict=True)) if skus else {}
    content_tags = (
        dict(zip(content_ids, await catalog_tags(store, ObjectType.CONTENT, content_ids), strict=True))
        if content_ids
        else {}
    )
    found: list[Evidence] = []
    for row in orders:
        owner, ts = row["one_id"], row["ts"]
        if row["channel"]:
            found.append(Evidence(owner, Dimension.CHANNEL, str(row["channel"]), ts))
        for sku, category, brand in row["products"]:
            if sku is None:
                continue
            if category is not None:
                found.append(Evidence(owner, Dimension.PRODUCT_CATEGORY, str(category), ts))
            if brand is not None:
                found.append(Evidence(owner, Dimension.PRODUCT_BRAND, str(brand), ts))
            found.extend(
                Evidence(owner, Dimension.PRODUCT_TAG, label, ts) for label in tag_labels(product_tags.get(sku, {}))
            )
    for row in interactions:
        owner, ts = row["one_id"], row["ts"]
        if row["channel"]:
            found.append(Evidence(owner, Dimension.CHANNEL, str(row["channel"]), ts))
        if row["topic"] is not None:
            found.append(Evidence(owner, Dimension.CONTENT_TOPIC, str(row["topic"]), ts))
        if row["content_id"] is not None:
            found.extend(
                Evidence(owner, Dimension.CONTENT_TAG, label, ts)
                for label in tag_labels(content_tags.get(row["content_id"], {}))
            )
    return found


async def affinities_of(
    store: GraphAccess, one_ids: Sequence[str], *, as_of: date, half_life_days: float
) -> list[list[Affinity]]:
    """Each OneID's affinities, strongest first within each dimension."""
    grouped: dict[str, list[Affinity]] = defaultdict(list)
    for begin in range(0, len(one_ids), CHUNK):
        evidence = await _evidence(store, one_ids[begin : begin + CHUNK])
        for affinity in affinities(evidence, as_of=as_of, half_life_days=half_life_days):
            grouped[affinity.owner].append(affinity)
    return [grouped.get(one_id, []) for one_id in one_ids]


def _tag_key(dimension: Dimension, value: str) -> str:
    kind = ObjectType.PRODUCT if dimension is Dimension.PRODUCT_TAG else ObjectType.CONTENT
    return f"{kind}:{value.partition('=')[0]}"


async def scored_candidates(
    store: GraphAccess, dimension: Dimension, value: str, *, as_of: date, half_life_days: float
) -> list[tuple[str, Affinity]]:
    """Every consumer with an affinity to ``value`` along ``dimension``, strongest first."""
    tag = _tag_key(dimension, value) if dimension in (Dimension.PRODUCT_TAG, Dimension.CONTENT_TAG) else ""
    candidates = await affinity_store.candidates(store, str(dimension), value, tag)
    found: list[tuple[str, Affinity]] = []
    for one_id, held in zip(
        candidates, await affinities_of(store, candidates, as_of=as_of, half_life_days=half_life_days), strict=True
    ):
        match: Any = next((a for a in held if a.dimension is dimension and a.value == value), None)
        if match is not None:
            found.append((one_id, match))
    return sorted(found, key=lambda pair: (-pair[1].score, -pair[1].weight, pair[0]))
