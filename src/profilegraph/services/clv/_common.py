"""What the CLV use cases share: today's date, lifecycle facts and the day P(alive) fell."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from profilegraph.domain.clv import UNIT_DAYS
from profilegraph.domain.lifecycle import LifecycleFacts
from profilegraph.domain.valuation import ClvFigures, ClvModel, Population, alive_until
from profilegraph.store import clv as clv_store

__all__ = ["churned_since", "lifecycle_facts", "today"]


def today() -> date:
    return datetime.now(UTC).date()


def lifecycle_facts(
    model: ClvModel | None,
    activity: clv_store.ProfileActivity,
    one_id: str,
    clv: ClvFigures,
    churned_since: date | None,
    as_of: date,
    purchases: list[tuple[date, float]] | None = None,
) -> LifecycleFacts:
    """What the lifecycle is decided from, as it stood on ``as_of``; ``purchases``: the OneID's
    purchases up to ``as_of``, when the caller has them already."""
    bought = purchases if purchases is not None else activity.purchases(one_id)
    return LifecycleFacts(
        first_seen=activity.first_seen.get(one_id, as_of),
        order_days=sorted({day for day, _ in bought if day <= as_of}),
        interaction_days=sorted(day for day in activity.interactions.get(one_id, ()) if day <= as_of),
        p_alive=clv.p_alive,
        churned_since=churned_since,
        predicted=clv.predicted,
        high_value_cutoff=model.high_value_cutoff if model else None,
        # the high-value cutoff describes the population at the end of the fit's calibration
        fitted_at=min(model.until, as_of) if model else None,
    )


def churned_since(
    model: ClvModel, people: Population, purchases: list[list[tuple[date, float]]], threshold: float
) -> list[date | None]:
    """For each customer, the day P(alive) fell below ``threshold``, or None if it has not."""
    ages = alive_until(model, people, threshold)
    days: list[date | None] = []
    for age, bought in zip(ages, purchases, strict=True):
        if not bought or np.isnan(age):
            days.append(None)
        else:
            first = min(day for day, _ in bought)
            days.append(first + timedelta(days=float(age) * UNIT_DAYS[model.unit]))
    return days
