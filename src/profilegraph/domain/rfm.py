"""RFM: recency, frequency and monetary value, scored 1-5 against the population, and named segments."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["RfmCuts", "RfmScore", "rfm_cuts", "score_rfm", "segment"]

Numbers = Sequence[float] | NDArray[np.floating[Any]]

_QUINTILES = (0.2, 0.4, 0.6, 0.8)

# The common RFM segment map, on the recency and frequency scores.
_SEGMENTS: tuple[tuple[str, str], ...] = (
    (r"[1-2][1-2]", "hibernating"),
    (r"[1-2][3-4]", "at_risk"),
    (r"[1-2]5", "cant_lose_them"),
    (r"3[1-2]", "about_to_sleep"),
    (r"33", "need_attention"),
    (r"[3-4][4-5]", "loyal_customers"),
    (r"41", "promising"),
    (r"51", "new_customers"),
    (r"[4-5][2-3]", "potential_loyalists"),
    (r"5[4-5]", "champions"),
)


@dataclass(frozen=True)
class RfmCuts:
    """Quintile boundaries of the population, fixed at fit time."""

    recency_days: tuple[float, ...]
    frequency: tuple[float, ...]
    monetary: tuple[float, ...]


@dataclass(frozen=True)
class RfmScore:
    recency_days: int  # since the last purchase
    frequency: int  # purchase days
    monetary: float  # mean spend per purchase day
    r: int
    f: int
    m: int
    segment: str


def rfm_cuts(recency_days: Numbers, frequency: Numbers, monetary: Numbers) -> RfmCuts:
    def cuts(values: Numbers) -> tuple[float, ...]:
        return tuple(float(v) for v in np.quantile(np.asarray(values, dtype=float), _QUINTILES)) if len(values) else ()

    return RfmCuts(cuts(recency_days), cuts(frequency), cuts(monetary))


def _score(value: float, cuts: tuple[float, ...]) -> int:
    return 1 + sum(value > cut for cut in cuts)


def segment(r: int, f: int) -> str:
    code = f"{r}{f}"
    return next(name for pattern, name in _SEGMENTS if re.fullmatch(pattern, code))


def score_rfm(recency_days: int, frequency: int, monetary: float, cuts: RfmCuts) -> RfmScore:
    r = 6 - _score(recency_days, cuts.recency_days)  # recent buyers score high
    f = _score(frequency, cuts.frequency)
    m = _score(monetary, cuts.monetary)
    return RfmScore(recency_days, frequency, monetary, r, f, m, segment(r, f))
