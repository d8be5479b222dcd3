"""Scoring every consumer: churn risk, high-value sub-type, intent and segment, written as model tags.

Run after `tags recompute` (or as part of the daily jobs): it reads each consumer's facts
once, scores with the newest churn model and segmentation, and writes only the values
that changed, so `updatedAt` says when a score last moved.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date
from typing import Any

from profilegraph.domain.diagnosis import churn
from profilegraph.domain.diagnosis.intent import IntentConfig, intent_level, intent_score
from profilegraph.domain.diagnosis.segments import Segmentation, assign
from profilegraph.domain.diagnosis.shipped import CHURN_RISK, HIGH_VALUE_TYPE, INTENT, INTENT_SCORE, SEGMENT
from profilegraph.domain.diagnosis.subtypes import SubtypeConfig, SubtypeCuts, high_value_type, subtype_cuts
from profilegraph.domain.lifecycle import Tier
from profilegraph.domain.tags import ObjectType, TagDefinition, TagKind, expires_at
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


def _chunk_changes(
    customers: Sequence[Customer],
    scored: dict[str, dict[str, tuple[Any, float | None]]],
    held: dict[str, dict[str, _Held]],
    definitions: dict[str, TagDefinition],
    now: str,
    report: ScoringReport,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The values to write and the value keys to clear for one chunk; counts what was scored."""
    rows: list[dict[str, Any]] = []
    cleared: list[str] = []
    for customer in customers:
        found = scored[customer.one_id]
        report.churn_scored += CHURN_RISK in found
        report.high_value_typed += HIGH_VALUE_TYPE in found
        report.intent_scored += INTENT in found
        report.segmented += SEGMENT in found
        new_rows, new_cleared = _changes(customer.one_id, found, held, definitions, now)
        rows += new_rows
        cleared += new_cleared
    return rows, cleared


async def _write_scores(store: GraphAccess, rows: list[dict[str, Any]], cleared: list[str]) -> None:
    if not rows and not cleared:
        return

    async def write(tx: Transaction) -> None:
        await tag_store.set_values(tx, "person", rows)
        await tag_store.clear_values(tx, cleared)

    await store.write(write, retry_conflicts=True)


def _scorers_for(
    values: Sequence[ProfileRow],
    as_of: date,
    churn_model: churn.ChurnModel | None,
    segmentation: Segmentation | None,
    context: DiagnosisContext,
) -> _Scorers:
    high_value = [row for row in values if row.tier is Tier.HIGH_VALUE and row.orders > 0]
    return _Scorers(
        as_of=as_of,
        churn_model=churn_model,
        segmentation=segmentation,
        cuts=subtype_cuts(
            [row.orders for row in high_value], [row.historic / row.orders for row in high_value], context.subtypes
        ),
        intent=context.intent,
    )


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
    # What the Persons hold now is read once per tag (a row per value would cost more than the values).
    churn_model, segmentation, fit, activity, answers = await asyncio.gather(
        latest_churn_model(store),
        latest_segmentation(store),
        clv_store.latest_fit(store),
        clv_store.all_activity(store),
        asyncio.gather(*(tag_store.person_values_of_tag(store, d.key, now) for d in scored_tags.values())),
    )
    held = dict(zip(scored_tags, answers, strict=True))
    report.churn_model = churn_model.trained_at if churn_model else None
    report.segmentation = segmentation.created_at if segmentation else None

    def value_figures() -> Sequence[ProfileRow]:
        return score_activity(
            fit, activity, horizon_days=context.tags.horizon_days, as_of=as_of, lifecycle_config=context.tags.lifecycle,
            # the churn model reads expected purchases over its own holdout's length
            purchases_horizon_days=churn_model.horizon_days if churn_model else None,
        )  # fmt: skip

    # The first chunks' facts are read while the value figures are computed.
    values = asyncio.ensure_future(asyncio.to_thread(value_figures))
    rules = rules_of(list(definitions.values()), ObjectType.USER) if churn_model and churn_model.tags else []
    total = len(activity.first_seen)
    scorers: _Scorers | None = None
    # A chunk's scores are written while the next chunk is scored: one write in flight at a time.
    writing: asyncio.Task[None] | None = None
    customers_read = read_customers(
        store, values, one_ids=list(activity.first_seen), as_of=as_of, context=context.tags, rules=rules, now=now
    )
    try:
        async with aclosing(customers_read):  # on an error the reads under way stop at once
            async for customers in customers_read:
                scorers = scorers or _scorers_for(values.result(), as_of, churn_model, segmentation, context)
                scored = await asyncio.to_thread(_score_chunk, customers, scorers)
                rows, cleared = _chunk_changes(customers, scored, held, scored_tags, now, report)
                if writing is not None:
                    await writing
                writing = asyncio.create_task(_write_scores(store, rows, cleared))
                report.set += len(rows)
                report.cleared += len(cleared)
                report.profiles += len(customers)
                if on_progress:
                    on_progress(report.profiles, total)
        if writing is not None:
            await writing
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
            await asyncio.gather(writing, return_exceptions=True)
    await values  # computed even when there was nobody to read
    report.seconds = time.perf_counter() - started
    return report
