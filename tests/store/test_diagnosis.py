"""Diagnosis on the graph: product views link their product, and models are kept and read back."""

from __future__ import annotations

from typing import LiteralString

from profilegraph.domain.diagnosis.churn import ChurnMetrics, ChurnModel
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.services.diagnosis.models import latest_churn_model, save_churn_model
from profilegraph.services.ingest import ingest_events
from profilegraph.store.bolt import GraphStore

VIEWED: LiteralString = "MATCH (:Interaction {event_id: $id})-[:ON]->(p:Product) RETURN p.sku AS sku"


async def test_a_product_view_links_its_product(graph_store: GraphStore) -> None:
    view = {
        "event_id": "v-1", "type": "interaction", "ts": "2026-01-04T00:00:00Z", "source": "tmall",
        "identifiers": [{"type": "taobao_id", "value": "tb-1"}],
        "interaction": {"kind": "view", "sku": "SKU-F", "channel": "tmall"},
    }  # fmt: skip
    await ingest_events(graph_store, [view], IdentityConfig())
    assert [row["sku"] for row in await graph_store.query(VIEWED, id="v-1")] == ["SKU-F"]


async def test_the_newest_churn_model_is_read_back_whole(graph_store: GraphStore) -> None:
    assert await latest_churn_model(graph_store) is None
    metrics = ChurnMetrics(roc_auc=0.8, p_alive_roc_auc=0.6, precision_at_10=0.9, customers=100, churned=40)
    model = ChurnModel(
        features=["a", "tag_vip"], tags=["vip"], means=[1.0, 0.5], scales=[2.0, 0.5], coefficients=[0.3, -1.2],
        intercept=0.1, metrics=metrics, until="2026-06-30", holdout_until="2026-09-30", horizon_days=92,
    )  # fmt: skip
    first = await save_churn_model(graph_store, model)
    assert await latest_churn_model(graph_store) == first
    second = await save_churn_model(graph_store, model)
    found = await latest_churn_model(graph_store)
    assert found is not None
    assert found.trained_at >= first.trained_at
    assert found in (first, second)
