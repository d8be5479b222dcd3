"""log 2F1 and the power-product integral against 50-digit references, where floats overflow too."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from profilegraph.domain.special import log_hyp2f1, log_power_product_integral


@pytest.mark.parametrize(
    ("a", "b", "c", "z"),
    [
        (5.0, 300.0, 6.0, 0.999),  # 2F1 itself is beyond a float: only its logarithm exists
        (50.0, 800.0, 51.0, 0.9999),
        (200.0, 1500.0, 201.0, 0.99),
        (1.3, 2.5, 2.3, 0.5),  # an ordinary value, computed directly
    ],
)
def test_log_hyp2f1_is_exact_where_the_function_overflows(a: float, b: float, c: float, z: float) -> None:
    value = log_hyp2f1(np.array([a]), np.array([b]), np.array([c]), np.array([z]))[0]
    assert value == pytest.approx(float(mpmath.log(mpmath.hyp2f1(a, b, c, z))), rel=1e-12)


def test_log_hyp2f1_leaves_what_it_cannot_evaluate_to_the_caller_when_asked() -> None:
    # scipy gives up here (a ~ 10^4, z near 1); without the exact fallback the row is NaN.
    a, b, z = np.array([10_000.6]), np.array([3.5]), np.array([0.99996])
    assert np.isnan(log_hyp2f1(a, b, a + 1, z, exact_fallback=False)[0])


def _reference(p: float, alpha: float, q: float, beta: float, start: float, end: float) -> float:
    """The integral through the closed form (2F1 with c = a + 1), in 50 digits."""
    mpmath.mp.dps = 50
    p_, alpha_, q_, beta_ = (mpmath.mpf(v) for v in (p, alpha, q, beta))
    a = p_ + q_ - 1

    def tail(t: float) -> mpmath.mpf:  # integral from t to infinity
        if alpha_ >= beta_:
            return mpmath.hyp2f1(a, q_, a + 1, (alpha_ - beta_) / (alpha_ + t)) / (a * (alpha_ + t) ** a)
        return mpmath.hyp2f1(a, p_, a + 1, (beta_ - alpha_) / (beta_ + t)) / (a * (beta_ + t) ** a)

    return float(mpmath.log(tail(mpmath.mpf(start)) - tail(mpmath.mpf(end))))


@pytest.mark.parametrize(
    ("p", "alpha", "q", "beta", "start", "end"),
    [
        (0.55, 10.6, 1.6, 11.7, 0.0, 39.0),  # CDNOW's population, a customer with no repeats
        (30.5, 12.0, 6269.0, 342622.0, 20.0, 78.0),  # nearly homogeneous dropout
        (186.2, 1.2, 269.3, 40778.0, 192.6, 284.7),  # both exponents in the hundreds
        (0.03, 0.56, 4175.0, 201.6, 0.0, 103.8),  # dropout so fast the mass sits at the start
        (2.2, 0.09, 2109.0, 947858.0, 164.5, 491.4),
        (77.0, 850.0, 5.5, 0.08, 62.7, 282.8),  # alpha far above beta
    ],
)
def test_the_power_product_integral_matches_the_closed_form(
    p: float, alpha: float, q: float, beta: float, start: float, end: float
) -> None:
    value = log_power_product_integral(np.array([p]), alpha, q, beta, np.array([start]), np.array([end]))[0]
    assert value == pytest.approx(_reference(p, alpha, q, beta, start, end), abs=1e-5, rel=1e-10)


def test_an_empty_interval_has_no_mass() -> None:
    value = log_power_product_integral(np.array([2.0]), 1.0, 3.0, 2.0, np.array([5.0]), np.array([5.0]))
    assert value[0] == -np.inf
