"""Customer-base models: per-customer summaries, BG/NBD, Pareto/NBD and Gamma-Gamma.

Everything works in log space so that heavy buyers (x in the hundreds) and long
histories neither overflow nor lose precision. Fits maximise the likelihood over
collapsed unique (x, t_x, T) rows weighted by how many customers share them, so
a million customers cost about as much as the distinct rows they make.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln

from profilegraph.domain.special import log_hyp2f1, log_power_product_integral
from profilegraph.errors import ModelFitError

__all__ = [
    "BgNbdParams",
    "CustomerSummary",
    "FitInterrupted",
    "GammaGammaParams",
    "ParetoNbdParams",
    "Rows",
    "bgnbd_conditional_expected_purchases",
    "bgnbd_log_likelihood",
    "bgnbd_probability_alive",
    "collapse",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_pareto_nbd",
    "gamma_gamma_expected_spend",
    "gamma_gamma_log_likelihood",
    "pareto_nbd_log_likelihood",
    "summarise",
]

Array = NDArray[np.float64]
UNIT_DAYS = {"days": 1.0, "weeks": 7.0}


@dataclass(frozen=True)
class CustomerSummary:
    frequency: int  # repeat purchase periods (distinct days after the first)
    recency: float  # t_x: first to last purchase, in units
    age: float  # T: first purchase to the end of calibration, in units
    monetary: float  # mean spend per repeat purchase period (0 without repeats)
    historic: float  # total spend within calibration


def summarise(purchases: Iterable[tuple[date, float]], until: date, unit: str = "weeks") -> CustomerSummary | None:
    """One customer's summary from (day, amount) purchases; None if none fall on or before ``until``."""
    per_day: dict[date, float] = defaultdict(float)
    for day, amount in purchases:
        if day <= until:
            per_day[day] += amount
    if not per_day:
        return None
    days = sorted(per_day)
    scale = UNIT_DAYS[unit]
    repeats = [per_day[d] for d in days[1:]]
    return CustomerSummary(
        frequency=len(days) - 1,
        recency=(days[-1] - days[0]).days / scale,
        age=(until - days[0]).days / scale,
        monetary=sum(repeats) / len(repeats) if repeats else 0.0,
        historic=float(sum(per_day.values())),
    )


@dataclass(frozen=True)
class Rows:
    """Unique (x, t_x, T) rows and how many customers each stands for."""

    x: Array
    t_x: Array
    T: Array
    weight: Array

    @property
    def customers(self) -> int:
        return int(self.weight.sum())

    @classmethod
    def from_arrays(cls, x: Array, t_x: Array, T: Array) -> Rows:
        """Collapse per-customer arrays into weighted unique rows."""
        unique, counts = np.unique(np.column_stack([x, t_x, T]), axis=0, return_counts=True)
        return cls(unique[:, 0], unique[:, 1], unique[:, 2], counts.astype(np.float64))


def collapse(summaries: Sequence[CustomerSummary]) -> Rows:
    raw = np.array([(s.frequency, s.recency, s.age) for s in summaries], dtype=np.float64).reshape(-1, 3)
    return Rows.from_arrays(raw[:, 0], raw[:, 1], raw[:, 2])


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")


@dataclass(frozen=True)
class ParetoNbdParams:
    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float = float("nan")


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float
    log_likelihood: float = float("nan")


def bgnbd_log_likelihood(r: float, alpha: float, a: float, b: float, x: Array, t_x: Array, T: Array) -> Array:
    """Per-row log-likelihood of BG/NBD (Fader, Hardie & Lee 2005, eq. 6), in log space."""
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    stay = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        drop = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return head + np.logaddexp(stay, drop)


# Beyond this first parameter, scipy's 2F1 series near z = 1 costs more than the quadrature
# and then stops converging altogether.
CLOSED_FORM_MAX_A = 200.0


def _closed_form_log_integral(r: float, alpha: float, s: float, beta: float, x: Array, t_x: Array, T: Array) -> Array:
    """log of the dropout integral through 2F1; NaN where that form cannot be trusted."""
    rsx = r + s + x
    # The series is evaluated on the side that keeps z in [0, 1).
    if alpha >= beta:
        shape, base = np.broadcast_to(s + 1, x.shape).astype(np.float64), alpha
    else:
        shape, base = (r + x).astype(np.float64), beta
    z_tx, z_T = abs(alpha - beta) / (base + t_x), abs(alpha - beta) / (base + T)
    log_f_tx = log_hyp2f1(rsx, shape, rsx + 1, z_tx, exact_fallback=False) - rsx * np.log(base + t_x)
    log_f_T = log_hyp2f1(rsx, shape, rsx + 1, z_T, exact_fallback=False) - rsx * np.log(base + T)
    # F(t_x) - F(T) > 0; log(e^u - e^v) = u + log1p(-e^(v - u)).
    gap = log_f_tx - log_f_T
    with np.errstate(divide="ignore", invalid="ignore"):
        log_integral = log_f_tx + np.log1p(-np.exp(-np.maximum(gap, 0.0))) - np.log(rsx)
    # Where F(T) is within a millionth of F(t_x) in the log, the subtraction has lost most
    # of its digits to the magnitudes of the logs.
    cancelled = gap < 1e-6 * np.maximum(np.abs(log_f_tx), 1.0)
    return np.where(cancelled, np.nan, log_integral)


def pareto_nbd_log_likelihood(r: float, alpha: float, s: float, beta: float, x: Array, t_x: Array, T: Array) -> Array:
    """Per-row log-likelihood of Pareto/NBD (Fader & Hardie's note, eq. 22-24), in log space.

    The dropout term is s * integral over (t_x, T) of (alpha + tau)^-(r + x) (beta + tau)^-(s + 1),
    which the note writes with 2F1. The closed form is used where scipy evaluates it;
    rows where it does not (large s with z near 1: nearly homogeneous dropout) are
    integrated numerically instead of in arbitrary precision, so no fit stalls there.
    """
    rsx = r + s + x
    # A customer whose last purchase is at the end of calibration has no dropout term.
    log_integral = np.full(x.shape, -np.inf)
    spans = t_x < T
    closed = spans & (rsx <= CLOSED_FORM_MAX_A)
    if closed.any():
        log_integral[closed] = _closed_form_log_integral(r, alpha, s, beta, x[closed], t_x[closed], T[closed])
    unevaluated = spans & ~np.isfinite(log_integral)
    if unevaluated.any():
        log_integral[unevaluated] = log_power_product_integral(
            (r + x)[unevaluated], alpha, s + 1, beta, t_x[unevaluated], T[unevaluated]
        )
    log_stay = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    log_drop = np.log(s) + log_integral
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    return head + np.logaddexp(log_stay, log_drop)


def gamma_gamma_log_likelihood(p: float, q: float, v: float, x: Array, m: Array) -> Array:
    """Per-customer log-likelihood of Gamma-Gamma spend (Fader & Hardie 2013) for x >= 1 repeats."""
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(x * m + v)
    )


# Shape parameters beyond 10^4 describe a gamma mixing distribution with a coefficient of
# variation under 1%: the population is homogeneous in that rate, and the likelihood is
# flat towards infinity. Bounding there keeps every fit finite; a fit that ends on the
# bound is the homogeneous limit, not a failure.
SHAPE_BOUNDS = (1e-4, 1e4)
# Scale parameters are bounded relative to the data's own time scale (the mean age).
SCALE_SPAN = 1e7
MAX_EVALUATIONS = 4_000


def _log_bounds(kinds: str, scale: float) -> list[tuple[float, float]]:
    """Bounds over log-parameters: ``kinds`` has an "s" per shape and a "c" per scale."""
    shape = (float(np.log(SHAPE_BOUNDS[0])), float(np.log(SHAPE_BOUNDS[1])))
    spread = float(np.log(SCALE_SPAN))
    return [shape if kind == "s" else (np.log(scale) - spread, np.log(scale) + spread) for kind in kinds]


class FitInterrupted(Exception):
    """The caller asked a fit in progress to stop."""


Interrupted = Callable[[], bool]


def _never() -> bool:
    return False


def _minimise(
    model: str,
    objective: Callable[[Array], Any],
    start: Array,
    bounds: list[tuple[float, float]],
    *,
    gradient: bool = False,
    interrupted: Interrupted = _never,
) -> tuple[Array, float]:
    """Bounded L-BFGS-B over log-parameters; a run that does not converge raises ModelFitError.

    L-BFGS-B can stop on a line search that finds no further decrease, which at a
    flat optimum is convergence in all but name: one restart from there settles it.
    ``interrupted`` is asked before every evaluation, so a caller can stop a fit at once.
    """

    def checked(log_params: Array) -> Any:
        if interrupted():
            raise FitInterrupted(model)
        return objective(log_params)

    options = {"maxfun": MAX_EVALUATIONS, "maxiter": MAX_EVALUATIONS, "ftol": 1e-10, "gtol": 1e-7}
    result = minimize(checked, start, jac=gradient, method="L-BFGS-B", bounds=bounds, options=options)
    if not result.success:
        result = minimize(checked, result.x, jac=gradient, method="L-BFGS-B", bounds=bounds, options=options)
    if not result.success or not np.isfinite(result.fun) or result.fun >= 1e299:
        raise ModelFitError(f"the {model} fit did not converge ({result.message}); nothing was stored")
    return np.exp(result.x), -float(result.fun)


def _finite(negative_ll: Callable[[Array], float]) -> Callable[[Array], float]:
    """The objective over log-parameters, with a huge value wherever the likelihood is undefined."""

    def objective(log_params: Array) -> float:
        value = negative_ll(np.exp(log_params))
        return float(value) if np.isfinite(value) else 1e300

    return objective


def _bgnbd_objective(rows: Rows) -> Callable[[Array], tuple[float, Array]]:
    """Negative log-likelihood and its analytic gradient over log-parameters.

    Terms that depend on x alone are evaluated once per distinct x, not per row.
    """
    xs, x_index = np.unique(rows.x, return_inverse=True)
    repeat = rows.x > 0
    age, recency = rows.T, rows.t_x
    w = rows.weight
    w_by_x = np.bincount(x_index, weights=w)

    def objective(log_params: Array) -> tuple[float, Array]:
        r, alpha, a, b = np.exp(log_params)
        if not np.all(np.isfinite((r, alpha, a, b))):
            return 1e300, np.zeros(4)
        by_x = gammaln(r + xs) + betaln(a, b + xs)
        head = by_x[x_index] - gammaln(r) + r * np.log(alpha) - betaln(a, b)
        l_T, l_tx = np.log(alpha + age), np.log(alpha + recency)
        stay = -(r + rows.x) * l_T
        with np.errstate(divide="ignore", invalid="ignore"):
            drop = np.where(
                repeat, np.log(a) - np.log(np.where(repeat, b + rows.x - 1, 1.0)) - (r + rows.x) * l_tx, -np.inf
            )
        total = np.logaddexp(stay, drop)
        ll = float(np.dot(w, head + total))
        p_stay, p_drop = np.exp(stay - total), np.exp(drop - total)
        d_r = (
            np.dot(w_by_x, digamma(r + xs))
            - w.sum() * (digamma(r) - np.log(alpha))
            - np.dot(w, p_stay * l_T + p_drop * l_tx)
        )
        d_alpha = w.sum() * r / alpha - np.dot(w, (r + rows.x) * (p_stay / (alpha + age) + p_drop / (alpha + recency)))
        d_a = w.sum() * digamma(a + b) - np.dot(w_by_x, digamma(a + b + xs)) + np.dot(w, p_drop) / a
        with np.errstate(divide="ignore", invalid="ignore"):
            drop_b = np.where(repeat, p_drop / np.where(repeat, b + rows.x - 1, 1.0), 0.0)
        d_b = (
            np.dot(w_by_x, digamma(b + xs) - digamma(a + b + xs))
            + w.sum() * (digamma(a + b) - digamma(b))
            - np.dot(w, drop_b)
        )
        gradient = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
        if not np.isfinite(ll) or not np.all(np.isfinite(gradient)):
            return 1e300, np.zeros(4)
        return -ll, -gradient

    return objective


def fit_bgnbd(rows: Rows, interrupted: Interrupted = _never) -> BgNbdParams:
    scale = _time_scale(rows)
    start = np.log([1.0, scale, 1.0, 1.0])
    objective = _bgnbd_objective(rows)
    bounds = _log_bounds("scss", scale)
    params, ll = _minimise("BG/NBD", objective, start, bounds, gradient=True, interrupted=interrupted)
    r, alpha, a, b = params
    return BgNbdParams(float(r), float(alpha), float(a), float(b), ll)


def fit_pareto_nbd(rows: Rows, interrupted: Interrupted = _never) -> ParetoNbdParams:
    """Fit over (r, alpha, s, s / beta): the mean dropout rate s / beta is what the data pin down.

    With a long gap after the last purchases the likelihood rises slowly towards s, beta
    -> infinity at a fixed s / beta (dropout the same for everyone); in these coordinates
    that ridge is one axis, so the optimiser walks it to the bound instead of stalling.
    """

    def nll(params: Array) -> float:
        r, alpha, s, dropout_rate = params
        beta = s / dropout_rate
        return -float(np.dot(rows.weight, pareto_nbd_log_likelihood(r, alpha, s, beta, rows.x, rows.t_x, rows.T)))

    scale = _time_scale(rows)
    start = np.log([1.0, scale, 1.0, 1.0 / scale])
    bounds = _log_bounds("scs", scale) + _log_bounds("c", 1.0 / scale)
    (r, alpha, s, dropout_rate), ll = _minimise("Pareto/NBD", _finite(nll), start, bounds, interrupted=interrupted)
    return ParetoNbdParams(float(r), float(alpha), float(s), float(s / dropout_rate), ll)


def fit_gamma_gamma(
    frequency: Array, monetary: Array, weight: Array | None = None, interrupted: Interrupted = _never
) -> GammaGammaParams:
    """Fit on customers with at least one repeat purchase and positive mean spend."""
    keep = (frequency > 0) & (monetary > 0)
    x, m = frequency[keep], monetary[keep]
    if x.size == 0:
        raise ModelFitError("the Gamma-Gamma fit needs customers with repeat purchases; there are none")
    w = np.ones_like(x) if weight is None else weight[keep]

    def nll(params: Array) -> float:
        p, q, v = params
        return -float(np.dot(w, gamma_gamma_log_likelihood(p, q, v, x, m)))

    spend = max(float(np.average(m, weights=w)), 1.0)
    start, bounds = np.log([1.0, 1.0, spend]), _log_bounds("ssc", spend)
    params, ll = _minimise("Gamma-Gamma", _finite(nll), start, bounds, interrupted=interrupted)
    p, q, v = params
    return GammaGammaParams(float(p), float(q), float(v), ll)


def _time_scale(rows: Rows) -> float:
    return max(float(np.average(rows.T, weights=rows.weight)), 1.0)


def bgnbd_probability_alive(params: BgNbdParams, x: Array, t_x: Array, T: Array) -> Array:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = (
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
    return np.where(x > 0, 1.0 / (1.0 + np.exp(log_ratio)), 1.0)


def bgnbd_conditional_expected_purchases(
    params: BgNbdParams, t: float | Array, x: Array, t_x: Array, T: Array
) -> Array:
    """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` units (FHL 2005, eq. 10)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + T + t)
    log_head = (r + x) * (np.log(alpha + T) - np.log(alpha + T + t))
    term = 1.0 - np.exp(log_head + log_hyp2f1(r + x, b + x, a + b + x - 1, np.asarray(z, dtype=np.float64)))
    return (a + b + x - 1) / (a - 1) * term * bgnbd_probability_alive(params, x, t_x, T)


def gamma_gamma_expected_spend(params: GammaGammaParams, x: Array, m: Array) -> Array:
    """E[M | x, m]: expected mean spend per purchase, shrunk towards the population mean."""
    p, q, v = params.p, params.q, params.v
    population = p * v / (q - 1)
    weight = p * x / (p * x + q - 1)
    return np.where(x > 0, (1 - weight) * population + weight * m, population)
