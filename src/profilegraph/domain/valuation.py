"""A customer's value from the fitted population models and their own purchases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from profilegraph.domain.clv import (
    UNIT_DAYS,
    Array,
    BgNbdParams,
    GammaGammaParams,
    ParetoNbdParams,
    bgnbd_conditional_expected_purchases,
    bgnbd_probability_alive,
    gamma_gamma_expected_spend,
    summarise,
)
from profilegraph.domain.rfm import RfmCuts, RfmScore, score_rfm

__all__ = ["ClvFigures", "ClvModel", "Population", "alive_until", "figures", "population", "predict"]

_STEP_DAYS = 30  # discounting is monthly


@dataclass(frozen=True)
class ClvModel:
    """What ``clv fit`` stores: the parameters and the population references for scoring."""

    fitted_at: str
    until: date
    unit: str
    customers: int
    bgnbd: BgNbdParams
    pareto_nbd: ParetoNbdParams
    gamma_gamma: GammaGammaParams
    rfm: RfmCuts
    high_value_cutoff: float  # predicted CLV over the reference horizon at the top-X % boundary
    reference_horizon_days: int
    annual_discount_rate: float


@dataclass(frozen=True)
class Population:
    """Per-customer inputs in the model's unit, as parallel arrays."""

    x: Array
    t_x: Array
    T: Array
    monetary: Array


@dataclass(frozen=True)
class ClvFigures:
    historic: float
    predicted: float | None
    expected_purchases: float | None
    p_alive: float | None
    rfm: RfmScore | None
    fitted_at: str | None
    horizon_days: int


def predict(model: ClvModel, people: Population, horizon_days: int) -> tuple[Array, Array, Array]:
    """Expected purchases, P(alive) and discounted CLV over ``horizon_days`` for every customer."""
    scale = UNIT_DAYS[model.unit]
    spend = gamma_gamma_expected_spend(model.gamma_gamma, people.x, people.monetary)
    monthly = (1 + model.annual_discount_rate) ** (_STEP_DAYS / 365) - 1
    steps = int(np.ceil(horizon_days / _STEP_DAYS))
    days = np.minimum(np.arange(1, steps + 1) * _STEP_DAYS, horizon_days) / scale
    cumulative = _monthly_expected_purchases(model.bgnbd, days, people)
    bought = np.diff(cumulative, axis=0, prepend=0.0)
    discount = (1 + monthly) ** np.arange(1, steps + 1)
    clv = (bought * spend / discount[:, None]).sum(axis=0)
    alive = bgnbd_probability_alive(model.bgnbd, people.x, people.t_x, people.T)
    return cumulative[-1], alive, clv


# Below this many (month, customer) pairs, all months are computed in one call: for a single
# profile read the per-call cost dominates. Above it, one call per month uses less memory.
_ONE_CALL_CELLS = 100_000


def _monthly_expected_purchases(params: BgNbdParams, times: Array, people: Population) -> Array:
    """Cumulative expected purchases by each of ``times`` (model units): one row per time."""
    count = len(people.x)
    if len(times) * count <= _ONE_CALL_CELLS:
        return bgnbd_conditional_expected_purchases(
            params,
            np.repeat(times, count),
            np.tile(people.x, len(times)),
            np.tile(people.t_x, len(times)),
            np.tile(people.T, len(times)),
        ).reshape(len(times), count)
    return np.stack([bgnbd_conditional_expected_purchases(params, t, people.x, people.t_x, people.T) for t in times])


def alive_until(model: ClvModel, people: Population, threshold: float) -> Array:
    """Per customer, the age (model units) at which P(alive) fell below ``threshold``; NaN if it has not."""

    def alive(age: Array) -> Array:
        return bgnbd_probability_alive(model.bgnbd, people.x, people.t_x, age)

    fallen = alive(people.T) < threshold
    low, high = people.t_x.copy(), people.T.copy()
    for _ in range(40):  # P(alive) falls monotonically with age after the last purchase
        middle = (low + high) / 2
        still_alive = alive(middle) >= threshold
        low = np.where(still_alive, middle, low)
        high = np.where(still_alive, high, middle)
    return np.where(fallen, high, np.nan)


def population(model: ClvModel, purchases: list[list[tuple[date, float]]], as_of: date) -> Population:
    """The model inputs of many customers, each given as (day, amount) purchases up to ``as_of``."""
    rows = np.zeros((len(purchases), 4))
    for index, bought in enumerate(purchases):
        summary = summarise(bought, as_of, model.unit)
        if summary is not None:
            rows[index] = (summary.frequency, summary.recency, summary.age, summary.monetary)
    return Population(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3])


def figures(model: ClvModel | None, purchases: list[tuple[date, float]], as_of: date, horizon_days: int) -> ClvFigures:
    """One profile's CLV figures from its own purchases (all of them up to ``as_of``)."""
    kept = [(day, amount) for day, amount in purchases if day <= as_of]
    historic = float(sum(amount for _, amount in kept))
    if model is None:
        return ClvFigures(historic, None, None, None, None, None, horizon_days)
    days = sorted({day for day, _ in kept})
    if not days:
        return ClvFigures(historic, 0.0, 0.0, None, None, model.fitted_at, horizon_days)
    rfm = score_rfm((as_of - days[-1]).days, len(days), historic / len(days), model.rfm)
    expected, alive, clv = predict(model, population(model, [kept], as_of), horizon_days)
    return ClvFigures(historic, float(clv[0]), float(expected[0]), float(alive[0]), rfm, model.fitted_at, horizon_days)
