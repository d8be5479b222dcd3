from __future__ import annotations

import json
from datetime import date

from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.lifecycle import LifecycleConfig, Stage
from profilegraph.services import clv as clv_service
from profilegraph.services.ingest import ingest_lines
from profilegraph.store.bolt import GraphStore
from profilegraph.store.oneids import one_id_map

CONFIG = IdentityConfig()
LIFECYCLE = LifecycleConfig()


async def test_orders_count_once_per_oneid_across_all_its_identifiers(graph_store: GraphStore) -> None:
    phone = {"type": "phone", "value": "13900000001"}
    member = {"type": "member_id", "value": "M1"}
    lines = [
        '{"event_id": "o1", "type": "order", "ts": "2026-01-01T00:00:00Z", "identifiers": [%s, %s], '
        '"order": {"order_id": "A", "amount": 100}}',
        '{"event_id": "o2", "type": "order", "ts": "2026-02-01T00:00:00Z", "identifiers": [%s], '
        '"order": {"order_id": "B", "amount": 50}}',
    ]
    await ingest_lines(
        graph_store, [lines[0] % (json.dumps(phone), json.dumps(member)), lines[1] % json.dumps(member)], CONFIG
    )
    one_id = (await one_id_map(graph_store))["phone:+8613900000001"]
    value = await clv_service.profile_value(
        graph_store, CONFIG, one_id, horizon_days=30, as_of=date(2026, 3, 1), lifecycle_config=LIFECYCLE
    )
    assert value.clv.historic == 150.0  # order A hangs off both identifiers but counts once
    assert value.clv.predicted is None  # nothing fitted: historic value only
    assert value.lifecycle.stage == Stage.ACTIVE
