"""Metrics in Prometheus format, and one log line per request that carries no personal data."""

from __future__ import annotations

import json
import logging

import pytest

from tests.api.client import Api
from tests.api.events import alice


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{") or line.startswith(f"{name} "):
            head, _, value = line.rpartition(" ")
            found = head[len(name) :].strip("{}")
            if ",".join(sorted(found.split(","))) == wanted or (not labels and not found):
                return float(value)
    return 0.0


def test_metrics_count_requests_errors_events_and_round_trips(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.token('service')}"}
    before = api.client.get("/metrics", headers=headers).text
    api.ingest(alice())
    query = 'query Lookup { profileByIdentifier(type: PHONE, value: "13800138001") { oneId } }'
    api.data(query)
    api.post('query Lookup { profileByIdentifier(type: PHONE, value: "179") { oneId } }')
    after = api.client.get("/metrics", headers=headers)
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text

    def grew(name: str, **labels: str) -> float:
        return _sample(text, name, **labels) - _sample(before, name, **labels)

    assert grew("profilegraph_requests_total", operation="Lookup", outcome="ok") == 1
    assert grew("profilegraph_requests_total", operation="Lookup", outcome="error") == 1
    assert grew("profilegraph_requests_total", operation="Ingest", outcome="ok") == 1
    assert grew("profilegraph_errors_total", code="INVALID_IDENTIFIER") == 1
    assert grew("profilegraph_events_total", outcome="accepted") == len(alice())
    assert grew("profilegraph_request_seconds_count", operation="Lookup") == 2
    assert grew("profilegraph_graph_round_trips_total") > 0


def test_each_request_logs_one_line_without_personal_data(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    api.ingest(alice())
    with caplog.at_level(logging.INFO, logger="profilegraph.requests"):
        api.post(
            'query Lookup { profileByIdentifier(type: PHONE, value: "13800138001") { oneId } }',
            subject="phone:+8613800138001",
            scopes=("pii:read",),
            headers={"X-Request-Id": "trace-77"},
        )
    lines = [r.getMessage() for r in caplog.records if r.name == "profilegraph.requests"]
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["request_id"] == "trace-77"
    assert (record["operation"], record["status"], record["outcome"], record["role"]) == (
        "Lookup",
        200,
        "ok",
        "service",
    )
    assert "13800138001" not in lines[0]
    assert "8001" not in lines[0]
