"""Lifecycle stages and value tiers, with configurable thresholds."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

__all__ = ["Lifecycle", "LifecycleConfig", "LifecycleFacts", "Stage", "Tier", "lifecycle"]


class Stage(StrEnum):
    POTENTIAL = "potential"  # identified, no order yet
    NEW = "new"  # first order within new_days
    ACTIVE = "active"
    HIGH_VALUE = "high_value"  # predicted CLV in the top high_value_top_percent
    DORMANT = "dormant"  # no order or interaction for dormant_days
    CHURNED = "churned"  # P(alive) below churn_p_alive


class Tier(StrEnum):
    HIGH_VALUE = "high_value"
    GROWABLE = "growable"
    LOW_ACTIVITY = "low_activity"


@dataclass(frozen=True)
class LifecycleConfig:
    new_days: int = 30
    dormant_days: int = 45
    churn_p_alive: float = 0.1
    high_value_top_percent: float = 20.0
    growable_p_alive: float = 0.5


@dataclass(frozen=True)
class LifecycleFacts:
    """What the stage is decided from; dates are days, P(alive) and CLV come from the fitted model."""

    first_seen: date
    order_days: Sequence[date]  # sorted, distinct
    interaction_days: Sequence[date]  # sorted, distinct
    p_alive: float | None = None
    churned_since: date | None = None  # when P(alive) fell below the threshold
    predicted: float | None = None
    high_value_cutoff: float | None = None
    fitted_at: date | None = None


@dataclass(frozen=True)
class Lifecycle:
    stage: Stage
    since: date
    tier: Tier


def _active_since(activity: Sequence[date], first_order: date, config: LifecycleConfig) -> date:
    """The day activity resumed after the latest gap longer than dormant_days, or when 'new' ended."""
    since = first_order + timedelta(days=config.new_days)
    gap = timedelta(days=config.dormant_days)
    for before, after in itertools.pairwise(activity):
        if after - before > gap and after > since:
            since = after
    return since


def _tier(facts: LifecycleFacts, recent: bool, config: LifecycleConfig) -> Tier:
    if (
        facts.predicted is not None
        and facts.high_value_cutoff is not None
        and facts.predicted >= facts.high_value_cutoff
    ):
        return Tier.HIGH_VALUE
    if facts.p_alive is not None:
        return Tier.GROWABLE if facts.p_alive >= config.growable_p_alive and recent else Tier.LOW_ACTIVITY
    return Tier.GROWABLE if recent else Tier.LOW_ACTIVITY


def lifecycle(facts: LifecycleFacts, as_of: date, config: LifecycleConfig) -> Lifecycle:
    activity = sorted({*facts.order_days, *facts.interaction_days})
    last_activity = activity[-1] if activity else facts.first_seen
    recent = as_of - last_activity <= timedelta(days=config.dormant_days)
    tier = _tier(facts, recent, config)
    if not facts.order_days:
        return Lifecycle(Stage.POTENTIAL, facts.first_seen, tier)
    if facts.p_alive is not None and facts.p_alive < config.churn_p_alive:
        return Lifecycle(Stage.CHURNED, facts.churned_since or last_activity, tier)
    if not recent:
        return Lifecycle(Stage.DORMANT, last_activity + timedelta(days=config.dormant_days), tier)
    first_order = facts.order_days[0]
    if as_of - first_order <= timedelta(days=config.new_days):
        return Lifecycle(Stage.NEW, first_order, tier)
    if tier is Tier.HIGH_VALUE:
        return Lifecycle(Stage.HIGH_VALUE, max(facts.fitted_at or first_order, first_order), tier)
    return Lifecycle(Stage.ACTIVE, _active_since(activity, first_order, config), tier)
