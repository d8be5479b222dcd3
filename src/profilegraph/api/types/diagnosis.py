"""Diagnosis on the profile and for analysts: churn risk and signals, high-value sub-type,
intent, segment, the churn model in force and the discovered segments."""

from __future__ import annotations

from dataclasses import asdict
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from profilegraph.domain.diagnosis import shipped
from profilegraph.domain.diagnosis.churn import ChurnModel as ChurnModelRecord
from profilegraph.domain.diagnosis.intent import IntentLevel
from profilegraph.domain.diagnosis.segments import Segmentation as SegmentationRecord
from profilegraph.domain.diagnosis.subtypes import HighValueType
from profilegraph.domain.tags import TagValue

__all__ = [
    "Churn",
    "ChurnModel",
    "ChurnSignal",
    "HighValueTypeEnum",
    "Intent",
    "IntentLevelEnum",
    "SegmentMembership",
    "Segmentation",
    "churn_model",
    "churn_of",
    "high_value_type_of",
    "intent_of",
    "segment_of",
    "segmentation",
]

HighValueTypeEnum = strawberry.enum(HighValueType, name="HighValueType", description="高频低客单, 低频高客单, 全能型")
IntentLevelEnum = strawberry.enum(IntentLevel, name="IntentLevel")


@strawberry.enum(description="The churn signals shipped as rule tags (see tagDefinitions for their thresholds).")
class ChurnSignal(Enum):
    SILENT = shipped.SILENT
    UNRESPONSIVE = shipped.UNRESPONSIVE
    FADING_INTEREST = shipped.FADING_INTEREST


@strawberry.type
class Churn:
    risk: float | None = strawberry.field(
        description="Probability of no order over the churn model's horizon; null without a model, or before a "
        "first order."
    )
    confidence: float | None
    scored_at: str | None
    signals: list[ChurnSignal] = strawberry.field(description="The churn signals that hold now.")


@strawberry.type
class Intent:
    level: IntentLevelEnum  # type: ignore[valid-type]
    score: float | None = strawberry.field(description="0..1, from recent interactions weighted by kind and channel.")
    scored_at: str


@strawberry.type
class SegmentMembership:
    id: str
    description: str | None = strawberry.field(
        description="The segment's centroid in words; null if its segmentation was replaced since the profile "
        "was scored."
    )
    scored_at: str


@strawberry.type
class ChurnMetrics:
    roc_auc: float = strawberry.field(description="Out of sample, against any order in the holdout.")
    p_alive_roc_auc: float = strawberry.field(description="P(alive) alone as the score, same customers.")
    precision_at_10: float = strawberry.field(description="Of the 10 % most at risk, the share that bought nothing.")
    customers: int
    churned: int


@strawberry.type
class ChurnModel:
    trained_at: str
    until: str = strawberry.field(description="End of the calibration period: features as of then.")
    holdout_until: str
    horizon_days: int
    metrics: ChurnMetrics
    features: list[str]
    weights: Any = strawberry.field(
        graphql_type=JSON, description="Feature -> coefficient on the standardised feature."
    )


@strawberry.type
class Segment:
    id: str
    description: str
    size: int
    value_share: float
    centroid: Any = strawberry.field(
        graphql_type=JSON, description="Feature -> the centroid in the feature's own units."
    )


@strawberry.type
class Segmentation:
    created_at: str
    k: int
    seed: int
    customers: int
    silhouettes: Any = strawberry.field(graphql_type=JSON, description="k -> silhouette, for every k tried.")
    segments: list[Segment]


def churn_of(held: dict[str, TagValue]) -> Churn:
    risk = held.get(shipped.CHURN_RISK)
    number = risk.value if risk is not None and isinstance(risk.value, float | int) else None
    return Churn(
        risk=float(number) if number is not None else None,
        confidence=risk.confidence if risk is not None else None,
        scored_at=risk.updated_at if risk is not None else None,
        signals=[signal for signal in ChurnSignal if held.get(signal.value) is not None and held[signal.value].value],
    )


def high_value_type_of(held: dict[str, TagValue]) -> HighValueType | None:
    found = held.get(shipped.HIGH_VALUE_TYPE)
    try:
        return HighValueType(found.value) if found is not None and isinstance(found.value, str) else None
    except ValueError:  # a value an admin's job wrote that is not a sub-type
        return None


def intent_of(held: dict[str, TagValue]) -> Intent | None:
    level, score = held.get(shipped.INTENT), held.get(shipped.INTENT_SCORE)
    if level is None or not isinstance(level.value, str) or level.value not in {str(k) for k in IntentLevel}:
        return None
    number = score.value if score is not None and isinstance(score.value, float | int) else None
    return Intent(level=IntentLevel(level.value), score=number, scored_at=level.updated_at)


def segment_of(held: dict[str, TagValue], segmentation_in_force: SegmentationRecord | None) -> SegmentMembership | None:
    found = held.get(shipped.SEGMENT)
    if found is None or not isinstance(found.value, str):
        return None
    described = {s.id: s.description for s in segmentation_in_force.segments} if segmentation_in_force else {}
    return SegmentMembership(id=found.value, description=described.get(found.value), scored_at=found.updated_at)


def churn_model(record: ChurnModelRecord) -> ChurnModel:
    return ChurnModel(
        trained_at=record.trained_at,
        until=record.until,
        holdout_until=record.holdout_until,
        horizon_days=record.horizon_days,
        metrics=ChurnMetrics(**asdict(record.metrics)),
        features=list(record.features),
        weights=dict(zip(record.features, record.coefficients, strict=True)),
    )


def segmentation(record: SegmentationRecord) -> Segmentation:
    return Segmentation(
        created_at=record.created_at,
        k=record.k,
        seed=record.seed,
        customers=record.customers,
        silhouettes={str(k): v for k, v in record.silhouettes.items()},
        segments=[
            Segment(id=s.id, description=s.description, size=s.size, value_share=s.value_share, centroid=s.centroid)
            for s in record.segments
        ],
    )
