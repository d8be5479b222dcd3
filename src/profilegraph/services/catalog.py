"""Products, content and channels as the API serves them: their records and who they reached."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from profilegraph.domain.affinity import Dimension
from profilegraph.domain.tags import ObjectType
from profilegraph.store import catalog as catalog_store
from profilegraph.store.ports import GraphAccess

__all__ = ["AUDIENCE_DIMENSION", "CatalogObject", "catalog_objects", "catalog_properties", "reached"]

# A record's key and our own upsert time are not among its properties.
_NOT_PROPERTIES = frozenset({"sku", "content_id", "code", "campaign_id", "updated_at"})


def catalog_properties(raw: dict[str, Any] | None) -> dict[str, Any]:
    """A catalog record's properties as served and as rules read them; values arrive as scalars
    or JSON text (docs/events.md)."""
    return {k: v for k, v in (raw or {}).items() if k not in _NOT_PROPERTIES}


# Which affinity ranks the audience of an object: a product's category, a content item's
# topic, a channel itself. The property named holds the value.
AUDIENCE_DIMENSION: dict[ObjectType, tuple[Dimension, str | None]] = {
    ObjectType.PRODUCT: (Dimension.PRODUCT_CATEGORY, "category"),
    ObjectType.CONTENT: (Dimension.CONTENT_TOPIC, "topic"),
    ObjectType.CHANNEL: (Dimension.CHANNEL, None),
}


@dataclass(frozen=True)
class CatalogObject:
    kind: ObjectType
    key: str
    properties: dict[str, Any]
    orders: int
    interactions: int
    people: int

    @property
    def audience_value(self) -> str | None:
        """The value its audience is ranked by (see AUDIENCE_DIMENSION), if it has one."""
        _, prop = AUDIENCE_DIMENSION[self.kind]
        if prop is None:
            return self.key
        value = self.properties.get(prop)
        return None if value is None else str(value)


async def catalog_objects(store: GraphAccess, kind: ObjectType, keys: Sequence[str]) -> list[CatalogObject | None]:
    rows = {row["key"]: row for row in await catalog_store.catalog_facts(store, str(kind), keys)}
    found: list[CatalogObject | None] = []
    for key in keys:
        row = rows.get(key)
        if row is None:
            found.append(None)
            continue
        properties = catalog_properties(row["properties"])
        people = {p for p in row["people"] if p is not None}
        found.append(CatalogObject(kind, key, properties, int(row["orders"]), int(row["interactions"]), len(people)))
    return found


async def reached(store: GraphAccess, kind: ObjectType, key: str) -> list[str]:
    """The OneIDs that bought the product, viewed the content or used the channel, in OneID order."""
    return await catalog_store.linked_one_ids(store, str(kind), key)
