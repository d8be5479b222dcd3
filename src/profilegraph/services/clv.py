"""CLV use cases: fit the population models, a profile's figures, audiences and the value map."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from profilegraph.domain.clv import UNIT_DAYS, collapse, fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd, summarise
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.lifecycle import Lifecycle, LifecycleConfig, LifecycleFacts, Stage, Tier, lifecycle
from profilegraph.domain.rfm import rfm_cuts
from profilegraph.domain.valuation import ClvFigures, ClvModel, Population, alive_until, figures, population, predict
from profilegraph.errors import InvalidInputError
from profilegraph.services.lookup import find_one_id
from profilegraph.store import clv as clv_store
from profilegraph.store.bolt import GraphStore

__all__ = [
    "ProfileValue",
    "ValueMap",
    "fit_population",
    "list_profiles",
    "profile_value",
    "value_map",
]


def today() -> date:
    return datetime.now(UTC).date()


async def fit_population(
    store: GraphStore,
    *,
    until: date | None,
    unit: str,
    annual_discount_rate: float,
    reference_horizon_days: int,
    lifecycle_config: LifecycleConfig,
) -> ClvModel:
    """Fit BG/NBD, Pareto/NBD and Gamma-Gamma on every OneID's orders up to ``until``, and store the fit."""
    if unit not in UNIT_DAYS:
        raise InvalidInputError(f"unit must be one of {', '.join(UNIT_DAYS)}, not {unit!r}", field="unit")
    until = until or today()
    activity = await clv_store.all_activity(store)
    buyers = list(activity.orders)
    found = [(one_id, summarise(activity.purchases(one_id), until, unit)) for one_id in buyers]
    summaries = [(one_id, s) for one_id, s in found if s is not None]
    if len(summaries) < 10:
        raise InvalidInputError(
            f"{len(summaries)} customers with orders up to {until}: too few to fit the models", field="until"
        )
    rows = collapse([s for _, s in summaries])
    frequency = np.array([s.frequency for _, s in summaries], dtype=float)
    monetary = np.array([s.monetary for _, s in summaries], dtype=float)
    purchase_days = frequency + 1
    last_purchase_age = np.array([(s.age - s.recency) * UNIT_DAYS[unit] for _, s in summaries])
    historic = np.array([s.historic for _, s in summaries])
    provisional = ClvModel(
        fitted_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        until=until,
        unit=unit,
        customers=len(summaries),
        bgnbd=fit_bgnbd(rows),
        pareto_nbd=fit_pareto_nbd(rows),
        gamma_gamma=fit_gamma_gamma(frequency, monetary),
        rfm=rfm_cuts(last_purchase_age, purchase_days, historic / purchase_days),
        high_value_cutoff=float("inf"),
        reference_horizon_days=reference_horizon_days,
        annual_discount_rate=annual_discount_rate,
    )
    people = population(provisional, [activity.purchases(one_id) for one_id, _ in summaries], until)
    _, _, clv = predict(provisional, people, reference_horizon_days)
    cutoff = float(np.quantile(clv, 1 - lifecycle_config.high_value_top_percent / 100))
    model = ClvModel(**{**provisional.__dict__, "high_value_cutoff": cutoff})
    await clv_store.save_fit(store, model)
    return model


@dataclass(frozen=True)
class ProfileValue:
    one_id: str
    requested: str
    redirected: bool
    clv: ClvFigures
    lifecycle: Lifecycle


def _facts(
    model: ClvModel | None,
    activity: clv_store.ProfileActivity,
    one_id: str,
    clv: ClvFigures,
    churned_since: date | None,
    as_of: date,
) -> LifecycleFacts:
    """What the lifecycle is decided from, as it stood on ``as_of``."""
    return LifecycleFacts(
        first_seen=activity.first_seen.get(one_id, as_of),
        order_days=sorted({day for day, _ in activity.purchases(one_id) if day <= as_of}),
        interaction_days=sorted(day for day in activity.interactions.get(one_id, ()) if day <= as_of),
        p_alive=clv.p_alive,
        churned_since=churned_since,
        predicted=clv.predicted,
        high_value_cutoff=model.high_value_cutoff if model else None,
        # the high-value cutoff describes the population at the end of the fit's calibration
        fitted_at=min(model.until, as_of) if model else None,
    )


def _churned_since(
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


async def profile_value(
    store: GraphStore,
    config: IdentityConfig,
    wanted: str,
    *,
    horizon_days: int,
    as_of: date | None,
    lifecycle_config: LifecycleConfig,
) -> ProfileValue:
    """A profile's CLV figures and lifecycle, computed on read from the stored fit and its own orders."""
    found = await store.read(lambda tx: find_one_id(tx, config, wanted))
    one_id, redirected = found.one_id, found.redirected
    as_of = as_of or today()
    model = await clv_store.latest_fit(store)
    activity = await clv_store.activity(store, one_id)
    bought = [p for p in activity.purchases(one_id) if p[0] <= as_of]
    clv = figures(model, bought, as_of, horizon_days)
    churned = None
    if model is not None and bought:
        churned = _churned_since(model, population(model, [bought], as_of), [bought], lifecycle_config.churn_p_alive)[0]
    stage = lifecycle(_facts(model, activity, one_id, clv, churned, as_of), as_of, lifecycle_config)
    return ProfileValue(one_id, wanted, redirected, clv, stage)


@dataclass(frozen=True)
class ProfileRow:
    one_id: str
    historic: float
    predicted: float | None
    p_alive: float | None
    stage: Stage
    tier: Tier
    since: date


async def _score_everyone(
    store: GraphStore, *, horizon_days: int, as_of: date, lifecycle_config: LifecycleConfig
) -> list[ProfileRow]:
    model = await clv_store.latest_fit(store)
    activity = await clv_store.all_activity(store)
    one_ids = sorted(activity.first_seen)
    purchases = [[p for p in activity.purchases(one_id) if p[0] <= as_of] for one_id in one_ids]
    historic = [float(sum(a for _, a in bought)) for bought in purchases]
    predicted: list[float | None] = [None] * len(one_ids)
    alive: list[float | None] = [None] * len(one_ids)
    churned: list[date | None] = [None] * len(one_ids)
    if model is not None:
        people = population(model, purchases, as_of)
        _, p_alive, clv = predict(model, people, horizon_days)
        churned = _churned_since(model, people, purchases, lifecycle_config.churn_p_alive)
        for index, bought in enumerate(purchases):
            predicted[index] = float(clv[index]) if bought else 0.0
            alive[index] = float(p_alive[index]) if bought else None
    rows = []
    for index, one_id in enumerate(one_ids):
        clv_figures = ClvFigures(historic[index], predicted[index], None, alive[index], None, None, horizon_days)
        stage = lifecycle(_facts(model, activity, one_id, clv_figures, churned[index], as_of), as_of, lifecycle_config)
        rows.append(
            ProfileRow(one_id, historic[index], predicted[index], alive[index], stage.stage, stage.tier, stage.since)
        )
    return rows


async def list_profiles(
    store: GraphStore,
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
    store: GraphStore,
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
