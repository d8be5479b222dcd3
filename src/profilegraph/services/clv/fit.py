"""Fit the population models (BG/NBD, Pareto/NBD, Gamma-Gamma) on every OneID's orders."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np

from profilegraph.domain.clv import UNIT_DAYS, collapse, fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd, summarise
from profilegraph.domain.lifecycle import LifecycleConfig
from profilegraph.domain.rfm import rfm_cuts
from profilegraph.domain.valuation import ClvModel, population, predict
from profilegraph.errors import InvalidInputError
from profilegraph.services.clv._common import today
from profilegraph.store import clv as clv_store
from profilegraph.store.ports import GraphAccess

__all__ = ["fit_population"]


async def fit_population(
    store: GraphAccess,
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
