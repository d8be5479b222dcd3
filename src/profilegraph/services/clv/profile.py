"""One profile's CLV figures and lifecycle, computed on read from the stored fit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.lifecycle import Lifecycle, LifecycleConfig, lifecycle
from profilegraph.domain.valuation import ClvFigures, ClvModel, figures, population
from profilegraph.services.clv._common import churned_since, lifecycle_facts, today
from profilegraph.services.lookup import find_one_id
from profilegraph.store import clv as clv_store
from profilegraph.store.clv import ProfileActivity
from profilegraph.store.ports import GraphAccess

__all__ = ["ProfileValue", "figures_of", "lifecycle_of", "profile_value", "value_of"]


@dataclass(frozen=True)
class ProfileValue:
    one_id: str
    requested: str
    redirected: bool
    clv: ClvFigures
    lifecycle: Lifecycle


async def profile_value(
    store: GraphAccess,
    config: IdentityConfig,
    wanted: str,
    *,
    horizon_days: int,
    as_of: date | None,
    lifecycle_config: LifecycleConfig,
) -> ProfileValue:
    """A profile's CLV figures and lifecycle, computed on read from the stored fit and its own orders."""
    found = await store.read(lambda tx: find_one_id(tx, config, wanted))
    one_id, redirected = found.one_id, found.redirected
    model = await clv_store.latest_fit(store)
    activity = await clv_store.activity(store, one_id)
    clv, stage = value_of(
        model, activity, one_id, as_of=as_of or today(), horizon_days=horizon_days, lifecycle_config=lifecycle_config
    )
    return ProfileValue(one_id, wanted, redirected, clv, stage)


def value_of(
    model: ClvModel | None,
    activity: ProfileActivity,
    one_id: str,
    *,
    as_of: date,
    horizon_days: int,
    lifecycle_config: LifecycleConfig,
) -> tuple[ClvFigures, Lifecycle]:
    """One OneID's CLV figures and lifecycle from the fit and its activity (which may hold others too)."""
    clv = figures_of(model, activity, one_id, as_of=as_of, horizon_days=horizon_days)
    return clv, lifecycle_of(model, activity, one_id, clv, as_of=as_of, lifecycle_config=lifecycle_config)


def figures_of(
    model: ClvModel | None, activity: ProfileActivity, one_id: str, *, as_of: date, horizon_days: int
) -> ClvFigures:
    """One OneID's CLV figures over ``horizon_days``, from its purchases up to ``as_of``."""
    return figures(model, [p for p in activity.purchases(one_id) if p[0] <= as_of], as_of, horizon_days)


def lifecycle_of(
    model: ClvModel | None,
    activity: ProfileActivity,
    one_id: str,
    clv: ClvFigures,
    *,
    as_of: date,
    lifecycle_config: LifecycleConfig,
) -> Lifecycle:
    """One OneID's lifecycle stage and tier, given its CLV figures (the day P(alive) fell is found here)."""
    bought = [p for p in activity.purchases(one_id) if p[0] <= as_of]
    churned = None
    if model is not None and bought:
        churned = churned_since(model, population(model, [bought], as_of), [bought], lifecycle_config.churn_p_alive)[0]
    return lifecycle(lifecycle_facts(model, activity, one_id, clv, churned, as_of), as_of, lifecycle_config)
