"""Training the churn model on a calibration period and evaluating it on the holdout that follows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from profilegraph.domain.diagnosis import churn
from profilegraph.domain.tags import ObjectType, ValueType
from profilegraph.errors import InvalidInputError
from profilegraph.services.clv.audience import score_activity
from profilegraph.services.clv.fit import fit_activity
from profilegraph.services.collector import pauses_collector
from profilegraph.services.diagnosis.inputs import read_customers
from profilegraph.services.diagnosis.models import save_churn_model
from profilegraph.services.resolution import utc_now
from profilegraph.services.tags import TagContext, rules_of, tag_definitions
from profilegraph.services.threads import off_the_loop
from profilegraph.store import clv as clv_store
from profilegraph.store.ports import GraphAccess

__all__ = ["train_churn_model"]


@pauses_collector
async def train_churn_model(
    store: GraphAccess,
    context: TagContext,
    *,
    until: date,
    holdout_until: date,
    unit: str = "weeks",
    annual_discount_rate: float = 0.1,
    seed: int = 0,
    on_step: Callable[[str], None] | None = None,
) -> churn.ChurnModel:
    """Features as of ``until`` (a CLV fit of their own as of that day, the rule tags on them),
    label "ordered in (until, holdout_until]"; trained, evaluated, stored and returned."""
    if holdout_until <= until:
        raise InvalidInputError(f"the holdout must end after {until}, not on {holdout_until}", field="holdout_until")
    horizon_days = (holdout_until - until).days
    step: Callable[[str], None] = on_step or (lambda _: None)
    activity = await clv_store.all_activity(store)
    fit = await fit_activity(
        activity,
        until=until,
        unit=unit,
        annual_discount_rate=annual_discount_rate,
        reference_horizon_days=horizon_days,
        lifecycle_config=context.lifecycle,
        on_fitting=lambda customers, day: step(f"fitting the CLV models on {customers:,} customers up to {day}"),
    )
    values = score_activity(fit, activity, horizon_days=horizon_days, as_of=until, lifecycle_config=context.lifecycle)
    buyers = [row for row in values if row.orders > 0]
    definitions = await tag_definitions(store, ObjectType.USER)
    rules = rules_of(definitions, ObjectType.USER)
    tags = sorted(r.definition.name for r in rules if r.definition.value_type in (ValueType.BOOL, ValueType.NUMBER))
    step(f"reading the features of {len(buyers):,} customers as of {until}")
    rows: list[list[float]] = []
    bought: list[bool] = []
    p_alive: list[float] = []
    async for customers in read_customers(store, buyers, as_of=until, context=context, rules=rules, now=utc_now()):
        for customer in customers:
            value = customer.value
            rows.append(
                churn.feature_row(customer.features, value.p_alive or 0.0, value.expected_purchases or 0.0, tags)
            )
            bought.append(any(until < day <= holdout_until for day, _ in activity.purchases(customer.one_id)))
            p_alive.append(value.p_alive or 0.0)
    step(f"training on {len(rows):,} customers, {sum(bought):,} of whom ordered in the holdout")
    model = await off_the_loop(
        lambda interrupted: churn.train(
            rows, bought, p_alive, tags=tags, until=until.isoformat(), holdout_until=holdout_until.isoformat(),
            horizon_days=horizon_days, seed=seed,
        )
    )  # fmt: skip
    return await save_churn_model(store, model)
