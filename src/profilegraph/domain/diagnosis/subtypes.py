"""High-value sub-types (高频低客单, 低频高客单, 全能型) by quantiles of frequency and ticket.

The cuts are quantiles over the high-value customers themselves, so the sub-types split
that group however the brand's prices and buying rhythm run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

__all__ = ["HighValueType", "SubtypeConfig", "SubtypeCuts", "high_value_type", "subtype_cuts"]


class HighValueType(StrEnum):
    HIGH_FREQUENCY_LOW_TICKET = "high_frequency_low_ticket"
    LOW_FREQUENCY_HIGH_TICKET = "low_frequency_high_ticket"
    ALL_ROUND = "all_round"


@dataclass(frozen=True)
class SubtypeConfig:
    frequency_quantile: float = 0.5  # above it: frequent
    ticket_quantile: float = 0.5  # above it: high ticket


@dataclass(frozen=True)
class SubtypeCuts:
    frequency: float  # orders
    ticket: float  # average order value
    customers: int  # the high-value customers the cuts were taken over


def subtype_cuts(frequencies: Sequence[float], tickets: Sequence[float], config: SubtypeConfig) -> SubtypeCuts | None:
    """The cuts over the high-value customers' order counts and average order values; None without any."""
    if not frequencies:
        return None
    return SubtypeCuts(
        frequency=float(np.quantile(np.asarray(frequencies, dtype=float), config.frequency_quantile)),
        ticket=float(np.quantile(np.asarray(tickets, dtype=float), config.ticket_quantile)),
        customers=len(frequencies),
    )


def high_value_type(frequency: float, ticket: float, cuts: SubtypeCuts) -> HighValueType | None:
    """The sub-type of a high-value customer; None for one at or below both cuts (high value by
    prediction rather than by what they bought so far)."""
    frequent, high_ticket = frequency > cuts.frequency, ticket > cuts.ticket
    if frequent and high_ticket:
        return HighValueType.ALL_ROUND
    if frequent:
        return HighValueType.HIGH_FREQUENCY_LOW_TICKET
    if high_ticket:
        return HighValueType.LOW_FREQUENCY_HIGH_TICKET
    return None
