"""Every profile scored at once: audiences by stage, tier and CLV, and the value map."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from profilegraph.domain.lifecycle import LifecycleConfig, Stage, Tier, lifecycle
from profilegraph.domain.valuation import ClvFigures, ClvModel, population, predict
from profilegraph.errors import InvalidInputError
from profilegraph.services.clv._common import churned_since, lifecycle_facts, today
from profilegraph.store import clv as clv_store
from profilegraph.store.ports import GraphAccess

__all__ = ["ProfileRow", "ValueMap", "list_profiles", "score_activity", "score_profiles", "value_map"]


@dataclass(frozen=True)
class ProfileRow:
    one_id: str
    historic: float
    predicted: float | None
    p_alive: float | None
    stage: Stage
    tier: Tier
    since: date
    expected_purchases: float | None = None  # over the horizon scored
    orders: int = 0


async def _score_everyone(
    store: GraphAccess, *, horizon_days: int, as_of: date, lifecycle_config: LifecycleConfig
) -> list[ProfileRow]:
    return await score_profiles(store, None, horizon_days=horizon_days, as_of=as_of, lifecycle_config=lifecycle_config)


async def score_profiles(
    store: GraphAccess,
    one_ids: Sequence[str] | None,
    *,
    horizon_days: int,
    as_of: date,
    lifecycle_config: LifecycleConfig,
) -> list[ProfileRow]:
    """Value figures, stage and tier of the OneIDs named (every active one for None), in OneID order.

    Each figure depends on the OneID's own facts and the stored fit only, so scoring a few
    gives what scoring everyone gives them.
    """
    model = await clv_store.latest_fit(store)
    activity = await (clv_store.all_activity(store) if one_ids is None else clv_store.activity_of(store, one_ids))
    return score_activity(model, activity, horizon_days=horizon_days, as_of=as_of, lifecycle_config=lifecycle_config)


def score_activity(
    model: ClvModel | None,
    activity: clv_store.ProfileActivity,
    *,
    horizon_days: int,
    as_of: date,
    lifecycle_config: LifecycleConfig,
    purchases_horizon_days: int | None = None,
) -> list[ProfileRow]:
    """``score_profiles`` for activity already read and a fit in hand; facts after ``as_of`` do not count.

    ``expected_purchases`` is over ``purchases_horizon_days`` when given (a churn model's
    holdout length), over ``horizon_days`` otherwise."""
    one_ids = sorted(activity.first_seen)
    purchases = [[p for p in activity.purchases(one_id) if p[0] <= as_of] for one_id in one_ids]
    historic = [float(sum(a for _, a in bought)) for bought in purchases]
    predicted: list[float | None] = [None] * len(one_ids)
    alive: list[float | None] = [None] * len(one_ids)
    expected: list[float | None] = [None] * len(one_ids)
    churned: list[date | None] = [None] * len(one_ids)
    if model is not None:
        people = population(model, purchases, as_of)
        purchases_ahead, p_alive, clv = predict(model, people, horizon_days)
        if purchases_horizon_days is not None and purchases_horizon_days != horizon_days:
            purchases_ahead, _, _ = predict(model, people, purchases_horizon_days)
        churned = churned_since(model, people, purchases, lifecycle_config.churn_p_alive)
        for index, bought in enumerate(purchases):
            predicted[index] = float(clv[index]) if bought else 0.0
            alive[index] = float(p_alive[index]) if bought else None
            expected[index] = float(purchases_ahead[index]) if bought else None
    rows = []
    for index, one_id in enumerate(one_ids):
        clv_figures = ClvFigures(historic[index], predicted[index], None, alive[index], None, None, horizon_days)
        facts = lifecycle_facts(model, activity, one_id, clv_figures, churned[index], as_of, purchases[index])
        stage = lifecycle(facts, as_of, lifecycle_config)
        rows.append(ProfileRow(
            one_id, historic[index], predicted[index], alive[index], stage.stage, stage.tier, stage.since,
            expected_purchases=expected[index], orders=len(purchases[index]),
        ))  # fmt: skip
    return rows


async def list_profiles(
    store: GraphAccess,
    *,
    stage: Stage | None = None,
    tier: Tier | None = None,
    clv_min: float | None = None,
    clv_max: float | None = None,
    horizon_days: int,
    as_of: date | None,
    lifecycle_config: LifecycleConfig,
) -> list[ProfileRow]:
    """OneIDs by lifecycle stage, value tier and predicted-CLV range (the audience filters)."""
    rows = await _score_everyone(
        store, horizon_days=horizon_days, as_of=as_of or today(), lifecycle_config=lifecycle_config
    )

    def keep(row: ProfileRow) -> bool:
        value = row.predicted if row.predicted is not None else row.historic
        return (
            (stage is None or row.stage == stage)
            and (tier is None or row.tier == tier)
            and (clv_min is None or value >= clv_min)
            and (clv_max is None or value < clv_max)
        )

    return [row for row in rows if keep(row)]


@dataclass(frozen=True)
class ValueMap:
    customers: int
    buyers: int
    historic_total: float
    predicted_total: float | None
    histogram: list[dict[str, float | int | None]]  # {from, to, count, predicted_total}
    stages: dict[str, int]
    tiers: dict[str, int]
    fitted_at: str | None
    horizon_days: int


async def value_map(
    store: GraphAccess,
    *,
    buckets: Sequence[float],
    horizon_days: int,
    as_of: date | None,
    lifecycle_config: LifecycleConfig,
) -> ValueMap:
    """The customer value map: CLV histogram, counts per stage and tier, totals."""
    edges = sorted(set(buckets))
    if not edges:
        raise InvalidInputError("give at least one bucket edge", field="buckets")
    model = await clv_store.latest_fit(store)
    rows = await _score_everyone(
        store, horizon_days=horizon_days, as_of=as_of or today(), lifecycle_config=lifecycle_config
    )
    values = np.array([r.predicted if r.predicted is not None else r.historic for r in rows], dtype=float)
    bounds = [-np.inf, *edges, np.inf]
    histogram: list[dict[str, float | int | None]] = []
    for low, high in itertools.pairwise(bounds):
        inside = (values >= low) & (values < high)
        histogram.append(
            {
                "from": None if np.isinf(low) else float(low),
                "to": None if np.isinf(high) else float(high),
                "count": int(inside.sum()),
                "value_total": float(values[inside].sum()),
            }
        )
    predicted = [r.predicted for r in rows if r.predicted is not None]
    return ValueMap(
        customers=len(rows),
        buyers=sum(r.historic > 0 for r in rows),
        historic_total=float(sum(r.historic for r in rows)),
        predicted_total=float(sum(predicted)) if model is not None else None,
        histogram=histogram,
        stages=dict(Counter(str(r.stage) for r in rows)),
        tiers=dict(Counter(str(r.tier) for r in rows)),
        fitted_at=model.fitted_at if model else None,
        horizon_days=horizon_days,
    )
