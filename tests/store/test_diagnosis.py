"""Diagnosis on the graph: product views link their product, models are kept and read back, the
facts a scoring reads, and scoring writes only what changed."""

from __future__ import annotations

from datetime import date
from typing import Any, LiteralString

from profilegraph.domain.diagnosis.churn import ChurnMetrics, ChurnModel
from profilegraph.domain.diagnosis.intent import IntentConfig, intent_level, intent_score
from profilegraph.domain.diagnosis.shipped import INTENT, INTENT_SCORE, shipped_definitions
from profilegraph.domain.diagnosis.subtypes import SubtypeConfig
from profilegraph.domain.features import InteractionRow
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.lifecycle import LifecycleConfig
from profilegraph.domain.survivorship import SurvivorshipRules
from profilegraph.services import tags as tag_service
from profilegraph.services.diagnosis.models import latest_churn_model, save_churn_model
from profilegraph.services.diagnosis.scoring import DiagnosisContext, score_everyone
from profilegraph.services.ingest import ingest_events
from profilegraph.store import tags as tag_store
from profilegraph.store.bolt import GraphStore
from profilegraph.store.oneids import one_id_map

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


PHONE = {"type": "phone", "value": "13900001111"}
MEMBER = {"type": "member_id", "value": "M-77"}
AS_OF = date(2026, 6, 30)


def _event(event_id: str, kind: str, ts: str, identifiers: list[dict[str, str]], **body: Any) -> dict[str, Any]:
    return {"event_id": event_id, "type": kind, "ts": ts, "source": "app", "identifiers": identifiers, **body}


async def test_the_facts_of_a_chunk_count_a_fact_on_two_identifiers_once(graph_store: GraphStore) -> None:
    events = [
        _event("i-1", "identify", "2026-01-01T08:00:00Z", [PHONE, MEMBER], attributes={"city": "杭州"}),
        # one order and one interaction carried by both identifiers: each hangs off both
        _event("o-1", "order", "2026-02-01T08:00:00Z", [PHONE, MEMBER],
               order={"order_id": "O-1", "amount": 120.5, "channel": "tmall"}),
        _event("x-1", "interaction", "2026-03-01T08:00:00Z", [PHONE, MEMBER],
               interaction={"kind": "view", "sku": "SKU-1", "channel": "douyin"}),
        _event("t-1", "touch", "2026-04-01T08:00:00Z", [PHONE], touch={"campaign_id": "c1", "action": "opened"}),
    ]  # fmt: skip
    await ingest_events(graph_store, events, IdentityConfig())
    one_id = (await one_id_map(graph_store))["phone:+8613900001111"]

    facts = await tag_store.user_facts(graph_store, ["no-such-one-id", one_id])
    assert facts.one_ids == [one_id]
    assert sorted(row[1] for row in facts.identifiers) == ["member_id", "phone"]
    assert [row[1:] for row in facts.orders] == [["O-1", "2026-02-01T08:00:00Z", 120.5, "tmall"]]
    assert [row[1:] for row in facts.interactions] == [["x-1", "2026-03-01T08:00:00Z", "douyin", "view", "SKU-1"]]
    assert [row[1:] for row in facts.touches] == [["t-1", "2026-04-01T08:00:00Z", "c1", "opened"]]
    assert [(row[0], row[2], row[3]) for row in facts.attributes] == [(one_id, "city", "杭州")]
    assert (await tag_store.user_facts(graph_store, [one_id], attributes=False)).attributes == []


def _context() -> DiagnosisContext:
    tags = tag_service.TagContext(365, LifecycleConfig(), SurvivorshipRules({}))
    return DiagnosisContext(tags=tags, subtypes=SubtypeConfig(), intent=IntentConfig())


async def test_scoring_writes_what_changed_and_clears_what_no_longer_applies(graph_store: GraphStore) -> None:
    await tag_service.ensure_shipped_tags(graph_store, shipped_definitions(_context().tags.signals, "2026-01-01"))
    lead = [
        _event("i-1", "identify", "2026-01-01T08:00:00Z", [PHONE]),
        _event("x-1", "interaction", "2026-06-25T08:00:00Z", [PHONE], interaction={"kind": "lead_form"}),
        _event("x-2", "interaction", "2026-06-20T08:00:00Z", [PHONE], interaction={"kind": "view", "channel": "app"}),
    ]
    await ingest_events(graph_store, lead, IdentityConfig())
    one_id = (await one_id_map(graph_store))["phone:+8613900001111"]
    now = "2026-06-30T12:00:00Z"

    first = await score_everyone(graph_store, _context(), as_of=AS_OF)
    assert (first.profiles, first.intent_scored, first.set, first.cleared) == (1, 1, 2, 0)
    interactions = [
        InteractionRow("2026-06-25T08:00:00Z", None, "lead_form"),
        InteractionRow("2026-06-20T08:00:00Z", "app", "view"),
    ]
    expected = intent_score(interactions, AS_OF, IntentConfig())
    held = await tag_store.person_values_of_tag(graph_store, f"user:{INTENT_SCORE}", now)
    assert held == {one_id: (round(expected, 4), "model", "diagnosis")}
    level = await tag_store.person_values_of_tag(graph_store, f"user:{INTENT}", now)
    assert level[one_id][0] == str(intent_level(expected, IntentConfig()))

    again = await score_everyone(graph_store, _context(), as_of=AS_OF)
    assert (again.profiles, again.set, again.cleared) == (1, 0, 0)

    # The lead buys: intent applies to consumers with no order, so both of its values go.
    order = _event("o-1", "order", "2026-06-28T08:00:00Z", [PHONE], order={"order_id": "O-1", "amount": 99.0})
    await ingest_events(graph_store, [order], IdentityConfig())
    bought = await score_everyone(graph_store, _context(), as_of=AS_OF)
    assert (bought.intent_scored, bought.cleared) == (0, 2)
    assert await tag_store.person_values_of_tag(graph_store, f"user:{INTENT_SCORE}", now) == {}
