"""Each customer's features as of a day, read a chunk at a time: what every diagnosis reads.

The features are the rule features of docs/tags.md (with the values the user rule tags
yield on them as ``tags``), plus the value figures of a CLV fit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from datetime import date
from functools import cached_property
from typing import Any

from profilegraph.domain.diagnosis.segments import segment_row
from profilegraph.domain.features import UserFacts, user_features
from profilegraph.domain.rules import CompiledRule
from profilegraph.services.clv.audience import ProfileRow
from profilegraph.services.tags import TagContext, read_user_facts, rule_values, scores_of, user_facts_of
from profilegraph.services.threads import read_ahead
from profilegraph.store import tags as tag_store
from profilegraph.store.ports import GraphAccess

__all__ = ["CHUNK", "Customer", "read_customers", "segment_features"]

CHUNK = 2000
# Chunks read ahead of the one worked on: enough to keep the graph server busy while the
# value figures are computed, few enough that memory stays bounded by a few chunks.
READ_AHEAD = 3


class Customer:
    """One consumer's facts and value figures; the rule features (with the rule tags' values in
    ``tags``) are worked out when first asked for: scoring a lead reads only its interactions."""

    def __init__(
        self, one_id: str, facts: UserFacts, value: ProfileRow, as_of: date, window_days: int,
        rules: Sequence[CompiledRule],
    ) -> None:  # fmt: skip
        self.one_id = one_id
        self.facts = facts
        self.value = value
        self._as_of = as_of
        self._window_days = window_days
        self._rules = rules

    @cached_property
    def features(self) -> dict[str, Any]:
        features = user_features(self.facts, scores_of(self.value), self._as_of, self._window_days)
        if self._rules:
            rule_values(self._rules, features)
        return features


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
    window = context.signals.fading_window_days
    return [
        Customer(one_id, facts, values[one_id], as_of, window, rules)
        for one_id, facts in user_facts_of(rows, {}, context.survivorship, featured).items()
    ]


async def read_customers(
    store: GraphAccess,
    values: Sequence[ProfileRow] | asyncio.Future[Sequence[ProfileRow]],
    *,
    as_of: date,
    context: TagContext,
    rules: Sequence[CompiledRule],
    now: str,
    one_ids: Sequence[str] | None = None,
) -> AsyncGenerator[list[Customer], None]:
    """The customers of ``values`` (value figures already scored as of ``as_of``), a chunk at a time.

    The next chunks are read while this one is worked on. ``values`` may still be being
    computed (a future, with ``one_ids`` naming whom to read): the first chunks' facts are
    read meanwhile. The rules see no manual or model tags, which have no history to take as
    of a past day.
    """
    if isinstance(values, asyncio.Future):
        if one_ids is None:
            raise ValueError("one_ids must name whom to read while the values are computed")
    else:
        one_ids = [row.one_id for row in values]

    async def index() -> dict[str, ProfileRow]:
        rows = await asyncio.shield(values) if isinstance(values, asyncio.Future) else values
        return {row.one_id: row for row in rows}

    # Built once, for every chunk; a read dropped on the way out does not cancel it for the others.
    by_one_id = asyncio.ensure_future(index())
    featured = await tag_store.tagged_products(store, context.signals.featured_tag, now)
    ordered = sorted(one_ids)
    chunks = [ordered[begin : begin + CHUNK] for begin in range(0, len(ordered), CHUNK)]

    async def read(chunk: list[str]) -> list[Customer]:
        # the OneIDs come from the value figures, which count only OneIDs with identifiers
        rows = await read_user_facts(store, chunk, rules)
        indexed = await asyncio.shield(by_one_id)
        return await asyncio.to_thread(_customers, rows, indexed, as_of, context, rules, featured)

    try:
        async with aclosing(read_ahead(chunks, read, depth=READ_AHEAD)) as chunks_read:
            async for _, customers in chunks_read:
                yield customers
    finally:
        by_one_id.cancel()  # when nobody was read
        await asyncio.gather(by_one_id, return_exceptions=True)
