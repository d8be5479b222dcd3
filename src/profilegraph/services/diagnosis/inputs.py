"""Each customer's features as of a day, read a chunk at a time: what every diagnosis reads.

The features are the rule features of docs/tags.md (with the values the user rule tags
yield on them as ``tags``), plus the value figures of a CLV fit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from profilegraph.domain.diagnosis.segments import segment_row
from profilegraph.domain.features import UserFacts, user_features
from profilegraph.domain.rules import CompiledRule
from profilegraph.services.clv.audience import ProfileRow
from profilegraph.services.tags import TagContext, rule_values, scores_of, user_facts_of
from profilegraph.services.threads import read_ahead
from profilegraph.store import tags as tag_store
from profilegraph.store.ports import GraphAccess

__all__ = ["CHUNK", "Customer", "read_customers", "segment_features"]

CHUNK = 2000


@dataclass(frozen=True)
class Customer:
    one_id: str
    facts: UserFacts
    features: dict[str, Any]
    value: ProfileRow


def segment_features(customer: Customer) -> list[float]:
    f = customer.features
    orders = f["orders"]
    return segment_row(
        recency_days=max(f["days_since_order"], 0),
        orders=orders,
        average_ticket=f["amount"] / orders if orders else 0.0,
        interactions=f["interactions_365d"],
        channels=len(f["channels"]),
    )


def _customers(
    rows: tag_store.UserFactRows,
    values: dict[str, ProfileRow],
    as_of: date,
    context: TagContext,
    rules: Sequence[CompiledRule],
    featured: frozenset[str],
) -> list[Customer]:
    found = []
    for one_id, facts in user_facts_of(rows, {}, context.survivorship, featured).items():
        value = values[one_id]
        features = user_features(facts, scores_of(value), as_of, context.signals.fading_window_days)
        if rules:
            rule_values(rules, features)
        found.append(Customer(one_id, facts, features, value))
    return found


async def read_customers(
    store: GraphAccess,
    values: Sequence[ProfileRow],
    *,
    as_of: date,
    context: TagContext,
    rules: Sequence[CompiledRule],
    now: str,
) -> AsyncIterator[list[Customer]]:
    """The customers of ``values`` (value figures already scored as of ``as_of``), a chunk at a time.

    The next chunk is read while this one is worked on; the rules see no manual or model
    tags, which have no history to take as of a past day.
    """
    by_one_id = {row.one_id: row for row in values}
    one_ids = sorted(by_one_id)
    featured = await tag_store.tagged_products(store, context.signals.featured_tag, now)
    attributes = any("attributes" in rule.variables for rule in rules)
    chunks = [one_ids[begin : begin + CHUNK] for begin in range(0, len(one_ids), CHUNK)]

    async def read(chunk: list[str]) -> list[Customer]:
        rows = await tag_store.user_facts(store, chunk, attributes=attributes)
        return await asyncio.to_thread(_customers, rows, by_one_id, as_of, context, rules, featured)

    async for _, customers in read_ahead(chunks, read):
        yield customers
