"""The churn model: a classifier of "buys again within the horizon" over profile features.

Trained on a calibration period (features as of its end) and evaluated against the
following holdout period (label: any order in it). Every customer's evaluation score comes
from a model that did not see that customer (stratified k-fold), so the metrics are out
of sample; the model kept is then fitted on everyone. It is a logistic regression over
standardised, log-scaled features: its whole state is a few numbers, stored as JSON with
its metrics, and scoring is a dot product.

P(alive) alone is scored on the same customers, as the baseline the model has to beat.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from profilegraph.errors import InvalidInputError

__all__ = [
    "BASE_FEATURES",
    "ChurnMetrics",
    "ChurnModel",
    "churn_risk",
    "feature_row",
    "precision_at",
    "train",
]

# Counts, money and days enter as log(1 + x): their effect flattens as they grow.
_LOGGED = (
    "days_since_order", "days_since_first_order", "orders", "amount", "average_ticket", "orders_90d",
    "orders_365d", "amount_365d", "interactions", "interactions_90d", "touches", "campaigns",
    "campaigns_answered", "campaigns_unanswered", "channels", "expected_purchases",
)  # fmt: skip
BASE_FEATURES = (
    *_LOGGED,
    "p_alive",
    "answer_rate",
    "interest_trend",
    "has_interaction",
    "days_since_interaction",
)
FOLDS = 5
# Standardised features are clipped here: a customer far outside what the model was trained on
# (a spread that was tiny in training) moves the score no more than an extreme training case.
Z_LIMIT = 5.0
TOP_SHARE = 0.10


@dataclass(frozen=True)
class ChurnMetrics:
    roc_auc: float  # the model's scores against "bought in the holdout"
    p_alive_roc_auc: float  # P(alive) alone, same customers
    precision_at_10: float  # of the 10 % most at risk, the share that bought nothing
    customers: int
    churned: int  # customers who bought nothing in the holdout


@dataclass(frozen=True)
class ChurnModel:
    features: list[str]  # BASE_FEATURES, then tag_<name> for each rule tag read
    tags: list[str]
    means: list[float]
    scales: list[float]
    coefficients: list[float]
    intercept: float
    metrics: ChurnMetrics
    until: str  # the end of the calibration period
    holdout_until: str
    horizon_days: int
    trained_at: str = ""


def _tag_number(value: object) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return 0.0


def feature_row(
    features: Mapping[str, object], p_alive: float, expected_purchases: float, tags: Sequence[str]
) -> list[float]:
    """One customer's model inputs: the rule features (docs/tags.md), the CLV figures and the
    values of the rule tags named (true = 1, a number as itself, anything else 0)."""

    def number(name: str) -> float:
        value = features.get(name, 0)
        return float(value) if isinstance(value, int | float) else 0.0

    orders = number("orders")
    answered, campaigns = number("campaigns_answered"), number("campaigns")
    recent, previous = number("featured_views_recent"), number("featured_views_previous")
    derived = {
        "average_ticket": number("amount") / orders if orders else 0.0,
        "channels": float(len(features.get("channels", ()) or ())),  # type: ignore[arg-type]
        "expected_purchases": expected_purchases,
    }
    row = [math.log1p(max(derived[name] if name in derived else number(name), 0.0)) for name in _LOGGED]
    interaction_days = number("days_since_interaction")
    row += [
        p_alive,
        answered / campaigns if campaigns else 0.0,
        math.log1p(recent) - math.log1p(previous),
        1.0 if interaction_days >= 0 else 0.0,
        math.log1p(interaction_days) if interaction_days >= 0 else 0.0,
    ]
    held = features.get("tags", {})
    assert isinstance(held, Mapping)
    row += [_tag_number(held.get(name)) for name in tags]
    return row


def precision_at(churned: NDArray[np.bool_], risk: NDArray[np.float64], share: float = TOP_SHARE) -> float:
    """Of the ``share`` of customers with the highest risk, the fraction that did churn."""
    top = max(1, round(len(risk) * share))
    order = np.argsort(-risk, kind="stable")[:top]
    return float(churned[order].mean())


def _classifier(seed: int) -> LogisticRegression:
    return LogisticRegression(C=1.0, max_iter=5000, random_state=seed)


def _standardisation(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Means and spreads; a feature (nearly) every customer shares gets spread 1, so rounding noise
    in it is never blown up into a signal when other customers are scored."""
    means, scales = x.mean(axis=0), x.std(axis=0)
    scales[scales < 1e-6 * np.maximum(1.0, np.abs(means))] = 1.0
    return means, scales


def train(
    rows: Sequence[Sequence[float]],
    bought: Sequence[bool],
    p_alive: Sequence[float],
    *,
    tags: Sequence[str],
    until: str,
    holdout_until: str,
    horizon_days: int,
    seed: int = 0,
) -> ChurnModel:
    """Fit on every customer; the metrics come from out-of-fold scores (see the module)."""
    x = np.asarray(rows, dtype=float).reshape(len(bought), -1)
    y = np.asarray(bought, dtype=bool)
    alive = np.asarray(p_alive, dtype=float)
    # The graph hands customers over in no fixed order (OneIDs are random). Taken in an order
    # of their own content, the folds, and so the metrics, depend on the data alone.
    order = np.lexsort(np.column_stack([x, y, alive]).T[::-1])
    x, y, alive = x[order], y[order], alive[order]
    positives, negatives = int(y.sum()), int((~y).sum())
    if min(positives, negatives) < 2:
        raise InvalidInputError(
            f"{len(y)} customers, {positives} of whom bought in the holdout: the model needs at least two of "
            "each (buyers and churned)",
            field="holdout_until",
        )
    means, scales = _standardisation(x)
    x = np.clip((x - means) / scales, -Z_LIMIT, Z_LIMIT)
    folds = StratifiedKFold(n_splits=min(FOLDS, positives, negatives), shuffle=True, random_state=seed)
    scores = np.asarray(cross_val_predict(_classifier(seed), x, y, cv=folds, method="predict_proba"))[:, 1]
    metrics = ChurnMetrics(
        roc_auc=float(roc_auc_score(y, scores)),
        p_alive_roc_auc=float(roc_auc_score(y, alive)),
        precision_at_10=precision_at(~y, 1.0 - scores),
        customers=len(y),
        churned=negatives,
    )
    regression = _classifier(seed).fit(x, y)
    return ChurnModel(
        features=[*BASE_FEATURES, *(f"tag_{name}" for name in tags)],
        tags=list(tags),
        means=means.tolist(),
        scales=scales.tolist(),
        coefficients=regression.coef_[0].tolist(),
        intercept=float(regression.intercept_[0]),
        metrics=metrics,
        until=until,
        holdout_until=holdout_until,
        horizon_days=horizon_days,
    )


def churn_risk(model: ChurnModel, rows: Sequence[Sequence[float]]) -> NDArray[np.float64]:
    """1 - P(buys within the horizon), per customer."""
    if not rows:
        return np.zeros(0)
    z = np.clip((np.asarray(rows, dtype=float) - np.asarray(model.means)) / np.asarray(model.scales), -Z_LIMIT, Z_LIMIT)
    logit: NDArray[np.float64] = z @ np.asarray(model.coefficients) + model.intercept
    risk: NDArray[np.float64] = 1.0 - 1.0 / (1.0 + np.exp(-logit))
    return risk
