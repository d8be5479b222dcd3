"""CLV end to end from the graph: CDNOW orders in, fitted parameters and profile figures out."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from profilegraph.domain.clv import BgNbdParams, bgnbd_conditional_expected_purchases
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.lifecycle import LifecycleConfig, Stage
from profilegraph.services import clv as clv_service
from profilegraph.services.cdnow import cdnow_events
from profilegraph.services.ingest import ingest_events
from profilegraph.store.bolt import GraphStore
from tests.conftest import CLEAR_DATA

CDNOW_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "CDNOW_sample.txt"
CONFIG = IdentityConfig()
LIFECYCLE = LifecycleConfig()
UNTIL = date(1997, 9, 30)


@pytest.fixture(scope="module")
async def cdnow_store(session_store: GraphStore) -> GraphStore:
    await session_store.execute(CLEAR_DATA)
    report = await ingest_events(
        session_store, cdnow_events(CDNOW_SAMPLE.read_text().splitlines()), CONFIG, batch_size=2000
    )
    assert report.accepted == 6919
    return session_store


async def _fit(store: GraphStore):  # type: ignore[no-untyped-def]
    return await clv_service.fit_population(
        store,
        until=UNTIL,
        unit="weeks",
        annual_discount_rate=0.1,
        reference_horizon_days=365,
        lifecycle_config=LIFECYCLE,
    )


async def test_fit_from_the_graph_matches_the_published_cdnow_parameters(cdnow_store: GraphStore) -> None:
    model = await _fit(cdnow_store)
    assert model.customers == 2357
    for value, published in [
        (model.bgnbd.r, 0.243),
        (model.bgnbd.alpha, 4.414),
        (model.bgnbd.a, 0.793),
        (model.bgnbd.b, 2.426),
        (model.bgnbd.log_likelihood, -9582.4),
        (model.gamma_gamma.p, 6.25),
        (model.gamma_gamma.q, 3.74),
        (model.gamma_gamma.v, 15.44),
    ]:
        assert abs(value - published) <= 0.005 * abs(published), (value, published)


async def test_a_profile_read_uses_the_stored_fit_and_its_own_orders(cdnow_store: GraphStore) -> None:
    model = await _fit(cdnow_store)
    value = await clv_service.profile_value(
        cdnow_store, CONFIG, "member_id:00004", horizon_days=273, as_of=UNTIL, lifecycle_config=LIFECYCLE
    )
    # customer 00004 bought on 1997-01-01, 1997-01-18 and 1997-08-02: the textbook x=2, t_x=30.43, T=38.86
    assert value.clv.historic == pytest.approx(29.33 + 29.73 + 14.96)
    assert value.clv.fitted_at == model.fitted_at
    expected = bgnbd_conditional_expected_purchases(
        BgNbdParams(model.bgnbd.r, model.bgnbd.alpha, model.bgnbd.a, model.bgnbd.b),
        39,
        np.array([2.0]),
        np.array([(date(1997, 8, 2) - date(1997, 1, 1)).days / 7]),
        np.array([(UNTIL - date(1997, 1, 1)).days / 7]),
    )[0]
    assert value.clv.expected_purchases == pytest.approx(expected, rel=1e-6)
    assert 0 < value.clv.p_alive < 1
    assert value.clv.predicted > 0
    assert value.clv.rfm is not None
    assert 1 <= value.clv.rfm.r <= 5
    by_one_id = await clv_service.profile_value(
        cdnow_store, CONFIG, value.one_id, horizon_days=273, as_of=UNTIL, lifecycle_config=LIFECYCLE
    )
    assert by_one_id.clv == value.clv


async def test_the_value_map_accounts_for_every_customer(cdnow_store: GraphStore) -> None:
    await _fit(cdnow_store)
    result = await clv_service.value_map(
        cdnow_store, buckets=[0, 10, 50, 100], horizon_days=365, as_of=UNTIL, lifecycle_config=LIFECYCLE
    )
    assert result.customers == 2357
    assert sum(bucket["count"] for bucket in result.histogram) == 2357
    assert sum(result.stages.values()) == sum(result.tiers.values()) == 2357
    high_value = await clv_service.list_profiles(
        cdnow_store, stage=Stage.HIGH_VALUE, horizon_days=365, as_of=UNTIL, lifecycle_config=LIFECYCLE
    )
    assert len(high_value) == result.stages.get("high_value", 0)
    rich = await clv_service.list_profiles(
        cdnow_store, clv_min=100, horizon_days=365, as_of=UNTIL, lifecycle_config=LIFECYCLE
    )
    assert all(row.predicted >= 100 for row in rich)
    assert len(rich) == sum(b["count"] for b in result.histogram if b["from"] is not None and b["from"] >= 100)
