"""The CLV models against the field's standard benchmark: CDNOW, 2,357 customers, weeks, calibration to 1997-09-30."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from scipy.special import gammaln

from profilegraph.domain.clv import (
    SHAPE_BOUNDS,
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
from profilegraph.errors import ModelFitError
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


@pytest.mark.parametrize("until", [date(1998, 6, 30), date(1998, 9, 30), date(1999, 6, 30), date(2030, 1, 1)])
def test_every_model_fits_at_any_calibration_end_including_far_past_the_data(until: date) -> None:
    # The data end 1998-06-30; later ends add a long silence after the last purchases,
    # where Pareto/NBD's likelihood rises towards homogeneous dropout (s, beta -> inf).
    purchases = cdnow_purchases(CDNOW_SAMPLE.read_text().splitlines())
    rows = collapse([s for s in (summarise(p, until, "weeks") for p in purchases.values()) if s is not None])
    started = time.monotonic()
    bgnbd = fit_bgnbd(rows)
    pareto = fit_pareto_nbd(rows)
    assert time.monotonic() - started < 60
    assert np.isfinite([bgnbd.log_likelihood, pareto.log_likelihood]).all()
    assert SHAPE_BOUNDS[0] <= pareto.s <= SHAPE_BOUNDS[1] * (1 + 1e-9)

    def pareto_ll(r: float, alpha: float, s: float, beta: float) -> float:
        return float(np.dot(rows.weight, pareto_nbd_log_likelihood(r, alpha, s, beta, rows.x, rows.t_x, rows.T)))

    # The fit is a maximum: nothing near it, nor the published 1997 fit, does better.
    assert pareto.log_likelihood == pytest.approx(pareto_ll(pareto.r, pareto.alpha, pareto.s, pareto.beta))
    assert pareto.log_likelihood > pareto_ll(0.553, 10.578, 0.606, 11.669)
    for step in (0.9, 1.1):
        assert pareto.log_likelihood >= pareto_ll(pareto.r * step, pareto.alpha, pareto.s, pareto.beta) - 1e-6
        assert pareto.log_likelihood >= pareto_ll(pareto.r, pareto.alpha * step, pareto.s, pareto.beta) - 1e-6


def test_a_fit_that_does_not_converge_is_an_error(
    summaries: list[CustomerSummary], monkeypatch: pytest.MonkeyPatch
) -> None:
    from profilegraph.domain import clv

    monkeypatch.setattr(clv, "MAX_EVALUATIONS", 3)
    with pytest.raises(ModelFitError, match="Pareto/NBD fit did not converge"):
        fit_pareto_nbd(collapse(summaries))


def test_gamma_gamma_without_repeat_buyers_is_an_error() -> None:
    with pytest.raises(ModelFitError, match="repeat purchases"):
        fit_gamma_gamma(np.zeros(20), np.zeros(20))


@pytest.mark.parametrize(
    ("r", "alpha", "s", "beta"),
    [
        (0.553, 10.578, 0.606, 11.669),  # the published CDNOW fit
        (0.55, 12.0, 150.0, 7000.0),  # where the closed form hands over to the quadrature
        (0.53, 12.5, 6268.0, 342622.0),  # nearly homogeneous dropout
        (12.0, 0.3, 0.7, 500.0),
    ],
)
def test_closed_form_and_quadrature_agree_on_the_likelihood(r: float, alpha: float, s: float, beta: float) -> None:
    from profilegraph.domain.special import log_power_product_integral

    x = np.array([0.0, 1.0, 5.0, 30.0, 120.0])
    t_x = np.array([0.0, 3.0, 20.0, 60.0, 70.0])
    T = np.array([40.0, 40.0, 80.0, 78.0, 300.0])
    integral = log_power_product_integral(r + x, alpha, s + 1, beta, t_x, T)
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    stay = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    by_quadrature = head + np.logaddexp(stay, np.log(s) + integral)
    np.testing.assert_allclose(pareto_nbd_log_likelihood(r, alpha, s, beta, x, t_x, T), by_quadrature, rtol=1e-9)
