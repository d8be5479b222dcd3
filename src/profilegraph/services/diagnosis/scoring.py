"""Scoring every consumer: churn risk, high-value sub-type, intent and segment, written as model tags.

Run after `tags recompute` (or as part of the daily jobs): it reads each consumer's facts
once, scores with the newest churn model and segmentation, and writes only the values
that changed, so `updatedAt` says when a score last moved.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from profilegraph.domain.diagnosis import churn
from profilegraph.domain.diagnosis.intent import IntentConfig, intent_level, intent_score
from profilegraph.domain.diagnosis.segments import Segmentation, assign
from profilegraph.domain.diagnosis.shipped import CHURN_RISK, HIGH_VALUE_TYPE, INTENT, INTENT_SCORE, SEGMENT
from profilegraph.domain.diagnosis.subtypes import SubtypeConfig, SubtypeCuts, high_value_type, subtype_cuts
from profilegraph.domain.lifecycle import Tier
from profilegraph.domain.tags import ObjectType, TagDefinition, TagKind, expires_at
from profilegraph.domain.valuation import ClvModel, population, predict
from profilegraph.services.clv._common import today
from profilegraph.services.clv.audience import ProfileRow, score_activity
from profilegraph.services.collector import pauses_collector
from profilegraph.services.diagnosis.inputs import Customer, read_customers, segment_features
from profilegraph.services.diagnosis.models import latest_churn_model, latest_segmentation
from profilegraph.services.resolution import utc_now
from profilegraph.services.tags import TagContext, rules_of, tag_definitions, value_key
from profilegraph.store import clv as clv_store
from profilegraph.store import tags as tag_store
from profilegraph.store.ports import GraphAccess, Transaction

__all__ = ["DiagnosisContext", "ScoringReport", "score_everyone"]

SCORED_TAGS = (CHURN_RISK, HIGH_VALUE_TYPE, INTENT, INTENT_SCORE, SEGMENT)
SOURCE = "diagnosis"


@dataclass(frozen=True)
class DiagnosisContext:
    tags: TagContext
    subtypes: SubtypeConfig
    intent: IntentConfig


@dataclass
class ScoringReport:
    profiles: int = 0
    churn_scored: int = 0
    high_value_typed: int = 0
    intent_scored: int = 0
    segmented: int = 0
    set: int = 0
    cleared: int = 0
    seconds: float = 0.0
    churn_model: str | None = None  # when the model in use was trained
    segmentation: str | None = None


@dataclass(frozen=True)
class _Scorers:
    as_of: date
    churn_model: churn.ChurnModel | None
    segmentation: Segmentation | None
    cuts: SubtypeCuts | None
    intent: IntentConfig


def _scores(customer: Customer, scorers: _Scorers) -> dict[str, tuple[Any, float | None]]:
    """Tag -> (value, confidence) for what applies to this customer; the other scored tags are cleared."""
    value = customer.value
    found: dict[str, tuple[Any, float | None]] = {}
    if value.orders == 0:
        score = intent_score(customer.facts.interactions, scorers.as_of, scorers.intent)
        found[INTENT_SCORE] = (round(score, 4), None)
        found[INTENT] = (str(intent_level(score, scorers.intent)), None)
        return found
    if value.tier is Tier.HIGH_VALUE and scorers.cuts is not None:
        kind = high_value_type(value.orders, value.historic / value.orders, scorers.cuts)
        if kind is not None:
            found[HIGH_VALUE_TYPE] = (str(kind), None)
    return found


def _score_chunk(customers: Sequence[Customer], scorers: _Scorers) -> dict[str, dict[str, tuple[Any, float | None]]]:
    scored = {c.one_id: _scores(c, scorers) for c in customers}
    buyers = [c for c in customers if c.value.orders > 0]
    model = scorers.churn_model
    if model is not None and buyers:
        rows = [
            churn.feature_row(c.features, c.value.p_alive or 0.0, c.value.expected_purchases or 0.0, model.tags)
            for c in buyers
        ]
        for customer, risk in zip(buyers, churn.churn_risk(model, rows), strict=True):
            scored[customer.one_id][CHURN_RISK] = (round(float(risk), 4), round(max(float(risk), 1 - float(risk)), 4))
    if scorers.segmentation is not None and buyers:
        for customer, segment in zip(
            buyers, assign(scorers.segmentation, [segment_features(c) for c in buyers]), strict=True
        ):
            scored[customer.one_id][SEGMENT] = (segment, None)
    return scored


def _expected_purchases(
    fit: ClvModel, activity: clv_store.ProfileActivity, values: Sequence[ProfileRow], as_of: date, horizon_days: int
) -> list[ProfileRow]:
    """``values`` with their expected purchases over another horizon (the churn model's)."""
    purchases = [[p for p in activity.purchases(row.one_id) if p[0] <= as_of] for row in values]
    expected, _, _ = predict(fit, population(fit, purchases, as_of), horizon_days)
    return [
        replace(row, expected_purchases=float(e) if row.orders else None)
        for row, e in zip(values, expected, strict=True)
    ]


# A held value: (value, kind, source), as store.tags.person_values_of_tag reads it.
_Held = tuple[Any, str, str | None]


def _changes(
    one_id: str,
    scored: dict[str, tuple[Any, float | None]],
    held: dict[str, dict[str, _Held]],
    definitions: dict[str, TagDefinition],
    now: str,
) -> tuple[list[dict[str, Any]], list[str]]:
    rows, cleared = [], []
    for name, definition in definitions.items():
        key = value_key(definition.key, "person", one_id)
        before = held[name].get(one_id)
        if name not in scored:
            if before is not None and before[1] == TagKind.MODEL and before[2] == SOURCE:
                cleared.append(key)
            continue
        value, confidence = scored[name]
        if before is not None and before[0] == value:
            continue
        rows.append({
            "object": one_id, "key": key, "tag": definition.key, "name": name, "value": value,
            "kind": str(TagKind.MODEL), "source": SOURCE, "confidence": confidence, "updated_at": now,
            "expires_at": expires_at(definition, now),
        })  # fmt: skip
    return rows, cleared


@pauses_collector
async def score_everyone(
    store: GraphAccess,
    context: DiagnosisContext,
    *,
    as_of: date | None = None,
    on_progress: Callable[[int, int], object] | None = None,
) -> ScoringReport:
    """Score every active consumer as of ``as_of`` (today) and write the scores that changed."""
    report = ScoringReport()
    started = time.perf_counter()
    as_of = as_of or today()
    now = utc_now()
    definitions = {d.name: d for d in await tag_definitions(store, ObjectType.USER)}
    scored_tags = {name: definitions[name] for name in SCORED_TAGS if name in definitions}
    churn_model = await latest_churn_model(store)
    segmentation = await latest_segmentation(store)
    report.churn_model = churn_model.trained_at if churn_model else None
    report.segmentation = segmentation.created_at if segmentation else None
    fit = await clv_store.latest_fit(store)
    activity = await clv_store.all_activity(store)
    lifecycle = context.tags.lifecycle
    values = score_activity(
        fit, activity, horizon_days=context.tags.horizon_days, as_of=as_of, lifecycle_config=lifecycle
    )
    if churn_model is not None and fit is not None and churn_model.horizon_days != context.tags.horizon_days:
        values = _expected_purchases(fit, activity, values, as_of, churn_model.horizon_days)
    high_value = [row for row in values if row.tier is Tier.HIGH_VALUE and row.orders > 0]
    scorers = _Scorers(
        as_of=as_of,
        churn_model=churn_model,
        segmentation=segmentation,
        cuts=subtype_cuts(
            [row.orders for row in high_value], [row.historic / row.orders for row in high_value], context.subtypes
        ),
        intent=context.intent,
    )
    rules = rules_of(list(definitions.values()), ObjectType.USER) if churn_model and churn_model.tags else []
    # What the Persons hold now, read once per tag (a row per value would cost more than the values).
    answers = await asyncio.gather(*(tag_store.person_values_of_tag(store, d.key, now) for d in scored_tags.values()))
    held = dict(zip(scored_tags, answers, strict=True))
    total = len(values)
    async for customers in read_customers(store, values, as_of=as_of, context=context.tags, rules=rules, now=now):
        scored = await asyncio.to_thread(_score_chunk, customers, scorers)
        chunk = [c.one_id for c in customers]
        rows: list[dict[str, Any]] = []
        cleared: list[str] = []
        for one_id in chunk:
            found = scored[one_id]
            report.churn_scored += CHURN_RISK in found
            report.high_value_typed += HIGH_VALUE_TYPE in found
            report.intent_scored += INTENT in found
            report.segmented += SEGMENT in found
            new_rows, new_cleared = _changes(one_id, found, held, scored_tags, now)
            rows += new_rows
            cleared += new_cleared

        async def write(tx: Transaction, rows: list[dict[str, Any]] = rows, cleared: list[str] = cleared) -> None:
            await tag_store.set_values(tx, "person", rows)
            await tag_store.clear_values(tx, cleared)

        await store.write(write, retry_conflicts=True)
        report.set += len(rows)
        report.cleared += len(cleared)
        report.profiles += len(chunk)
        if on_progress:
            on_progress(report.profiles, total)
    report.seconds = time.perf_counter() - started
    return report
