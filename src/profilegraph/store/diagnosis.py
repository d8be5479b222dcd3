"""Churn models and segmentations: each saved once as JSON, the newest of its kind in force."""

from __future__ import annotations

from typing import LiteralString

from profilegraph.store.ports import GraphAccess

__all__ = ["latest_model", "save_model"]

SAVE_MODEL: LiteralString = """
CREATE (:DiagnosisModel {model_id: $model_id, kind: $kind, created_at: $created_at, body: $body})
"""

LATEST_MODEL: LiteralString = """
MATCH (m:DiagnosisModel {kind: $kind})
RETURN m.body AS body
ORDER BY m.created_at DESC, m.model_id DESC
LIMIT 1
"""


async def save_model(store: GraphAccess, *, model_id: str, kind: str, created_at: str, body: str) -> None:
    await store.execute(SAVE_MODEL, model_id=model_id, kind=kind, created_at=created_at, body=body)


async def latest_model(store: GraphAccess, kind: str) -> str | None:
    """The JSON body of the newest model of ``kind`` (churn, segments), or None."""
    rows = await store.query(LATEST_MODEL, kind=kind)
    return rows[0]["body"] if rows else None
