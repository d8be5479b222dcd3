"""Discovering segments among the customers who ordered, as of a day."""

from __future__ import annotations

from datetime import date

from profilegraph.domain.diagnosis.segments import Segmentation, discover
from profilegraph.errors import InvalidInputError
from profilegraph.services.clv._common import today
from profilegraph.services.clv.audience import score_activity
from profilegraph.services.collector import pauses_collector
from profilegraph.services.diagnosis.inputs import read_customers, segment_features
from profilegraph.services.diagnosis.models import save_segmentation
from profilegraph.services.resolution import utc_now
from profilegraph.services.tags import TagContext
from profilegraph.services.threads import off_the_loop
from profilegraph.store import clv as clv_store
from profilegraph.store.ports import GraphAccess

__all__ = ["discover_segments"]


@pauses_collector
async def discover_segments(
    store: GraphAccess, context: TagContext, *, k_range: tuple[int, int], seed: int, as_of: date | None = None
) -> Segmentation:
    """k-means over the RFM and behaviour of every customer with an order; stored and returned.
    The value share is of predicted CLV (historic spend before any fit)."""
    as_of = as_of or today()
    fit = await clv_store.latest_fit(store)
    activity = await clv_store.all_activity(store)
    values = score_activity(
        fit, activity, horizon_days=context.horizon_days, as_of=as_of, lifecycle_config=context.lifecycle
    )
    buyers = [row for row in values if row.orders > 0]
    if not buyers:
        raise InvalidInputError(f"no customer has ordered by {as_of}: there is nothing to segment", field="as_of")
    rows: list[list[float]] = []
    worth: list[float] = []
    async for customers in read_customers(store, buyers, as_of=as_of, context=context, rules=[], now=utc_now()):
        for customer in customers:
            rows.append(segment_features(customer))
            value = customer.value
            worth.append(value.predicted if value.predicted is not None else value.historic)
    found = await off_the_loop(lambda interrupted: discover(rows, worth, k_range, seed, interrupted))
    return await save_segmentation(store, found)
