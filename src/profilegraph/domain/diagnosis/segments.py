"""Discovered segments: k-means over standardised RFM and behaviour features.

k is chosen by the silhouette within the range asked for; the same data and seed give
the same segments. Segments are numbered by value per customer, highest first, and each is
described by where its centroid stands against the whole population, in plain words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from profilegraph.errors import InvalidInputError

__all__ = ["FEATURES", "Segment", "Segmentation", "assign", "describe", "discover", "segment_row"]

FEATURES = ("recency_days", "orders", "average_ticket", "interactions_365d", "channels")
# Words for a centroid above / below the population's mean (see describe).
_WORDS = {
    "recency_days": ("lapsed", "recent"),  # many days since the last order is the "high" side
    "orders": ("frequent", "infrequent"),
    "average_ticket": ("high spend", "low spend"),
    "interactions_365d": ("engaged", "quiet"),
    "channels": ("multichannel", "single-channel"),
}
HALF_SD = 0.5
FIFTH_SD = 0.2
RESTARTS = 10  # k-means runs from this many seeded starts and keeps the tightest
SILHOUETTE_SAMPLE = 5000  # the silhouette is quadratic in the customers: estimate it on a sample


@dataclass(frozen=True)
class Segment:
    id: str  # s1, s2, ... by value per customer, highest first
    description: str
    size: int
    value_share: float  # of the population's value
    centroid: dict[str, float]  # in the features' own units


@dataclass(frozen=True)
class Segmentation:
    k: int
    seed: int
    silhouettes: dict[int, float]  # k -> silhouette, for every k tried
    means: list[float]  # of the transformed features, for standardising
    scales: list[float]
    centers: list[list[float]]  # standardised, in segment order
    segments: list[Segment]
    customers: int
    created_at: str = ""


def segment_row(
    recency_days: float, orders: float, average_ticket: float, interactions: float, channels: float
) -> list[float]:
    """One customer's features, in FEATURES order and their own units."""
    return [recency_days, orders, average_ticket, interactions, channels]


def _transform(rows: NDArray[np.float64]) -> NDArray[np.float64]:
    # counts, money and days are skewed: their logarithms cluster into shapes k-means can find
    return np.log1p(np.maximum(rows, 0.0))


def describe(z: Sequence[float]) -> str:
    """Plain words for a standardised centroid: a feature half a standard deviation off the
    population's mean is named, a fifth of one is named "somewhat"; none is "average"."""
    words = []
    for name, value in zip(FEATURES, z, strict=True):
        high, low = _WORDS[name]
        word = high if value > 0 else low
        if abs(value) >= HALF_SD:
            words.append(word)
        elif abs(value) >= FIFTH_SD:
            words.append(f"somewhat {word}")
    return ", ".join(words) or "average on every feature"


def discover(
    rows: Sequence[Sequence[float]],
    values: Sequence[float],
    k_range: tuple[int, int],
    seed: int,
    interrupted: Callable[[], bool] = lambda: False,
) -> Segmentation:
    """Segments of the customers ``rows`` (FEATURES order), ``values`` their CLV for the value share."""
    low, high = k_range
    if not 2 <= low <= high:
        raise InvalidInputError(f"k must run from at least 2 upwards, not {low}..{high}", field="k")
    raw = np.asarray(rows, dtype=float).reshape(-1, len(FEATURES))
    if len(raw) <= high:
        raise InvalidInputError(f"{len(raw)} customers are too few for up to {high} segments", field="k")
    transformed = _transform(raw)
    means = transformed.mean(axis=0)
    scales = transformed.std(axis=0)
    # a feature every customer shares carries no distance (its spread is 0, or rounding noise)
    scales[scales < 1e-9] = 1.0
    z = (transformed - means) / scales
    sample = min(len(z), SILHOUETTE_SAMPLE)
    fits: dict[int, tuple[NDArray[np.int_], NDArray[np.float64]]] = {}  # k -> labels, centres
    silhouettes: dict[int, float] = {}
    restarts: Any = RESTARTS  # the stubs type n_init as text ("auto") only
    for k in range(low, high + 1):
        if interrupted():
            raise InterruptedError
        fitted = KMeans(n_clusters=k, n_init=restarts, random_state=seed).fit(z)
        found = np.asarray(fitted.labels_)
        if len(set(found.tolist())) < 2:
            continue
        fits[k] = (found, np.asarray(fitted.cluster_centers_))
        silhouettes[k] = float(silhouette_score(z, found, sample_size=sample, random_state=seed))
    if not silhouettes:
        raise InvalidInputError("the customers do not split into segments: they are all alike", field="k")
    best = max(silhouettes, key=lambda k: (silhouettes[k], -k))
    labels, centers = fits[best]
    value = np.asarray(values, dtype=float)
    total = float(value.sum()) or 1.0
    per_customer = [float(value[labels == c].mean()) if np.any(labels == c) else 0.0 for c in range(best)]
    order = sorted(range(best), key=lambda c: (-per_customer[c], c))
    segments = []
    for rank, cluster in enumerate(order, start=1):
        members = labels == cluster
        centroid = np.expm1(centers[cluster] * scales + means)
        segments.append(
            Segment(
                id=f"s{rank}",
                description=describe(centers[cluster]),
                size=int(members.sum()),
                value_share=float(value[members].sum()) / total,
                centroid={name: round(float(v), 2) for name, v in zip(FEATURES, centroid, strict=True)},
            )
        )
    return Segmentation(
        k=best,
        seed=seed,
        silhouettes=silhouettes,
        means=means.tolist(),
        scales=scales.tolist(),
        centers=[centers[c].tolist() for c in order],
        segments=segments,
        customers=len(raw),
    )


def assign(segmentation: Segmentation, rows: Sequence[Sequence[float]]) -> list[str]:
    """The nearest segment of each customer: how profiles that changed since discovery are placed."""
    if not rows:
        return []
    z = (_transform(np.asarray(rows, dtype=float)) - np.asarray(segmentation.means)) / np.asarray(segmentation.scales)
    centers = np.asarray(segmentation.centers)
    nearest = ((z[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    return [segmentation.segments[int(i)].id for i in nearest]
