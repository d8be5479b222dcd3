"""The CLV models against the field's standard benchmark: CDNOW, 2,357 customers, weeks, calibration to 1997-09-30."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from profilegraph.domain.clv import (
    BgNbdParams,
    CustomerSummary,
    bgnbd_conditional_expected_purchases,
    bgnbd_probability_alive,
    collapse,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_pareto_nbd,
    gamma_gamma_expected_spend,
    pareto_nbd_log_likelihood,
    summarise,
)
from profilegraph.services.cdnow import cdnow_purchases

# The 1/10th CDNOW sample (Fader & Hardie), as shipped with the MIT-licensed lifetimes package.
CDNOW_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "CDNOW_sample.txt"
CALIBRATION_END = date(1997, 9, 30)


@pytest.fixture(scope="module")
def summaries() -> list[CustomerSummary]:
    purchases = cdnow_purchases(CDNOW_SAMPLE.read_text().splitlines())
    found = [summarise(p, CALIBRATION_END, "weeks") for p in purchases.values()]
    return [s for s in found if s is not None]


def _close(value: float, published: float, tolerance: float = 0.005) -> bool:
    return abs(value - published) <= tolerance * abs(published)


def test_the_sample_has_its_2357_customers_and_946_repeat_buyers(summaries: list[CustomerSummary]) -> None:
    assert len(summaries) == 2357
    assert sum(s.frequency > 0 for s in summaries) == 946


def test_bgnbd_fit_matches_the_published_parameters(summaries: list[CustomerSummary]) -> None:
    fitted = fit_bgnbd(collapse(summaries))
    for value, published in [
        (fitted.r, 0.243),
        (fitted.alpha, 4.414),
        (fitted.a, 0.793),
        (fitted.b, 2.426),
        (fitted.log_likelihood, -9582.4),
    ]:
        assert _close(value, published), (value, published)


def test_pareto_nbd_fit_matches_the_published_parameters(summaries: list[CustomerSummary]) -> None:
    fitted = fit_pareto_nbd(collapse(summaries))
    for value, published in [(fitted.r, 0.553), (fitted.alpha, 10.578), (fitted.s, 0.606), (fitted.beta, 11.669)]:
        assert _close(value, published), (value, published)


def test_gamma_gamma_fit_matches_the_published_parameters(summaries: list[CustomerSummary]) -> None:
    frequency = np.array([s.frequency for s in summaries], dtype=float)
    monetary = np.array([s.monetary for s in summaries], dtype=float)
    fitted = fit_gamma_gamma(frequency, monetary)
    for value, published in [(fitted.p, 6.25), (fitted.q, 3.74), (fitted.v, 15.44)]:
        assert _close(value, published), (value, published)


def test_conditional_expected_purchases_spot_check() -> None:
    params = BgNbdParams(0.243, 4.414, 0.793, 2.426)
    expected = bgnbd_conditional_expected_purchases(params, 39, np.array([2.0]), np.array([30.43]), np.array([38.86]))
    assert expected[0] == pytest.approx(1.226, abs=0.001)


def test_pareto_nbd_stays_finite_for_heavy_buyers() -> None:
    # x=132, t_x=T=200: where other implementations return NaN
    ll = pareto_nbd_log_likelihood(
        0.553, 10.578, 0.606, 11.669, np.array([132.0]), np.array([200.0]), np.array([200.0])
    )
    assert np.isfinite(ll).all()


def test_p_alive_is_one_without_repeats_and_falls_with_silence() -> None:
    params = BgNbdParams(0.243, 4.414, 0.793, 2.426)
    alive = bgnbd_probability_alive(
        params, np.array([0.0, 3.0, 3.0]), np.array([0.0, 30.0, 5.0]), np.array([30.0, 30.0, 30.0])
    )
    assert alive[0] == 1.0
    assert 0 < alive[2] < alive[1] <= 1.0


def test_expected_spend_shrinks_towards_the_population_mean() -> None:
    from profilegraph.domain.clv import GammaGammaParams

    params = GammaGammaParams(6.25, 3.74, 15.44)
    population = 6.25 * 15.44 / (3.74 - 1)
    spend = gamma_gamma_expected_spend(params, np.array([0.0, 1.0, 50.0]), np.array([0.0, 100.0, 100.0]))
    assert spend[0] == pytest.approx(population)
    assert population < spend[1] < spend[2] < 100.0


def test_summary_counts_repeat_days_and_ignores_purchases_after_calibration() -> None:
    summary = summarise(
        [(date(1997, 1, 1), 10.0), (date(1997, 1, 1), 5.0), (date(1997, 1, 8), 20.0), (date(1997, 12, 1), 99.0)],
        date(1997, 1, 15),
        "days",
    )
    assert summary == CustomerSummary(frequency=1, recency=7.0, age=14.0, monetary=20.0, historic=35.0)


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
    import mpmath

    from profilegraph.domain.clv import _log_hyp2f1

    value = _log_hyp2f1(np.array([a]), np.array([b]), np.array([c]), np.array([z]))[0]
    assert value == pytest.approx(float(mpmath.log(mpmath.hyp2f1(a, b, c, z))), rel=1e-12)
