"""Fit the population models (BG/NBD, Pareto/NBD, Gamma-Gamma) on every OneID's orders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np

from profilegraph.domain.clv import (
    UNIT_DAYS,
    CustomerSummary,
    collapse,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_pareto_nbd,
    summarise,
)
from profilegraph.domain.lifecycle import LifecycleConfig
from profilegraph.domain.rfm import rfm_cuts
from profilegraph.domain.valuation import ClvModel, population, predict
from profilegraph.errors import InvalidInputError
from profilegraph.services.clv._common import today
from profilegraph.services.threads import off_the_loop
from profilegraph.store import clv as clv_store
from profilegraph.store.ports import GraphAccess

__all__ = ["fit_activity", "fit_population"]


async def fit_population(
    store: GraphAccess,
    *,
    until: date | None,
    unit: str,
    annual_discount_rate: float,
    reference_horizon_days: int,
    lifecycle_config: LifecycleConfig,
    on_fitting: Callable[[int, date], None] | None = None,
) -> ClvModel:
    """Fit BG/NBD, Pareto/NBD and Gamma-Gamma on every OneID's orders up to ``until``, and store the fit.

    ``on_fitting`` hears how many customers, up to which day, once the orders are read
    and the numeric work begins.
    """
    activity = await clv_store.all_activity(store)
    model = await fit_activity(
        activity,
        until=until or today(),
        unit=unit,
        annual_discount_rate=annual_discount_rate,
        reference_horizon_days=reference_horizon_days,
        lifecycle_config=lifecycle_config,
        on_fitting=on_fitting,
    )
    await clv_store.save_fit(store, model)
    return model


async def fit_activity(
    activity: clv_store.ProfileActivity,
    *,
    until: date,
    unit: str,
    annual_discount_rate: float,
    reference_horizon_days: int,
    lifecycle_config: LifecycleConfig,
    on_fitting: Callable[[int, date], None] | None = None,
) -> ClvModel:
    """``fit_population`` on activity already read, stored nowhere: the churn model fits as of its own date."""
    if unit not in UNIT_DAYS:
        raise InvalidInputError(f"unit must be one of {', '.join(UNIT_DAYS)}, not {unit!r}", field="unit")
    buyers = list(activity.orders)
    found = [(one_id, summarise(activity.purchases(one_id), until, unit)) for one_id in buyers]
    summaries = [(one_id, s) for one_id, s in found if s is not None]
    if len(summaries) < 10:
        raise InvalidInputError(
            f"{len(summaries)} customers with orders up to {until}: too few to fit the models", field="until"
        )
    purchases = [activity.purchases(one_id) for one_id, _ in summaries]
    if on_fitting:
        on_fitting(len(summaries), until)
    settings = _FitSettings(until, unit, annual_discount_rate, reference_horizon_days, lifecycle_config)
    return await off_the_loop(
        lambda interrupted: _fit_models([s for _, s in summaries], purchases, settings, interrupted)
    )


@dataclass(frozen=True)
class _FitSettings:
    until: date
    unit: str
    annual_discount_rate: float
    reference_horizon_days: int
    lifecycle_config: LifecycleConfig


def _fit_models(
    summaries: list[CustomerSummary],
    purchases: list[list[tuple[date, float]]],
    settings: _FitSettings,
    interrupted: Callable[[], bool],
) -> ClvModel:
    """The three fits, the RFM cuts and the high-value cutoff: all CPU, no graph."""
    rows = collapse(summaries)
    frequency = np.array([s.frequency for s in summaries], dtype=float)
    monetary = np.array([s.monetary for s in summaries], dtype=float)
    purchase_days = frequency + 1
    last_purchase_age = np.array([(s.age - s.recency) * UNIT_DAYS[settings.unit] for s in summaries])
    historic = np.array([s.historic for s in summaries])
    provisional = ClvModel(
        fitted_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        until=settings.until,
        unit=settings.unit,
        customers=len(summaries),
        bgnbd=fit_bgnbd(rows, interrupted),
        pareto_nbd=fit_pareto_nbd(rows, interrupted),
        gamma_gamma=fit_gamma_gamma(frequency, monetary, interrupted=interrupted),
        rfm=rfm_cuts(last_purchase_age, purchase_days, historic / purchase_days),
        high_value_cutoff=float("inf"),
        reference_horizon_days=settings.reference_horizon_days,
        annual_discount_rate=settings.annual_discount_rate,
    )
    people = population(provisional, purchases, settings.until)
    _, _, clv = predict(provisional, people, settings.reference_horizon_days)
    cutoff = float(np.quantile(clv, 1 - settings.lifecycle_config.high_value_top_percent / 100))
    return ClvModel(**{**provisional.__dict__, "high_value_cutoff": cutoff})
