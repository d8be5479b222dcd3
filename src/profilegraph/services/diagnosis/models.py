"""The newest churn model and segmentation, kept in the graph as JSON."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, replace
from typing import Any

from profilegraph.domain.diagnosis.churn import ChurnMetrics, ChurnModel
from profilegraph.domain.diagnosis.segments import Segment, Segmentation
from profilegraph.services.resolution import utc_now
from profilegraph.store import diagnosis as diagnosis_store
from profilegraph.store.ports import GraphAccess

__all__ = ["latest_churn_model", "latest_segmentation", "save_churn_model", "save_segmentation"]

CHURN, SEGMENTS = "churn", "segments"


async def _save(store: GraphAccess, kind: str, body: dict[str, Any], created_at: str) -> None:
    await diagnosis_store.save_model(
        store, model_id=uuid.uuid4().hex, kind=kind, created_at=created_at, body=json.dumps(body)
    )


async def save_churn_model(store: GraphAccess, model: ChurnModel) -> ChurnModel:
    saved = replace(model, trained_at=utc_now())
    await _save(store, CHURN, asdict(saved), saved.trained_at)
    return saved


async def latest_churn_model(store: GraphAccess) -> ChurnModel | None:
    body = await diagnosis_store.latest_model(store, CHURN)
    if body is None:
        return None
    raw = json.loads(body)
    return ChurnModel(**{**raw, "metrics": ChurnMetrics(**raw["metrics"])})


async def save_segmentation(store: GraphAccess, segmentation: Segmentation) -> Segmentation:
    saved = replace(segmentation, created_at=utc_now())
    await _save(store, SEGMENTS, asdict(saved), saved.created_at)
    return saved


async def latest_segmentation(store: GraphAccess) -> Segmentation | None:
    body = await diagnosis_store.latest_model(store, SEGMENTS)
    if body is None:
        return None
    raw = json.loads(body)
    return Segmentation(
        **{
            **raw,
            "silhouettes": {int(k): float(v) for k, v in raw["silhouettes"].items()},
            "segments": [Segment(**segment) for segment in raw["segments"]],
        }
    )
