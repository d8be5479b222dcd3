"""Attribute survivorship as configured: a source priority list per attribute, most recent otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from profilegraph.app import create_app
from tests.api.client import Api
from tests.api.events import PHONE, identify
from tests.conftest import TestGraph


@pytest.fixture(scope="module")
def service(graph_server: TestGraph) -> Iterator[Api]:
    settings = graph_server.settings(attribute_source_priority={"gender": ["crm", "pos"]})
    with TestClient(create_app(settings)) as client:
        yield Api(client, settings, graph_server)


def test_the_best_ranked_source_survives_and_every_value_keeps_its_provenance(api: Api) -> None:
    api.ingest([
        identify("e-1", "2026-01-01T00:00:00Z", ("phone", PHONE), source="crm", gender="f", city="北京"),
        identify("e-2", "2026-02-01T00:00:00Z", ("phone", PHONE), source="app", gender="m", city="上海"),
        identify("e-3", "2026-03-01T00:00:00Z", ("phone", PHONE), source="pos", gender="x"),
    ])  # fmt: skip
    query = """query($v: String!) { profileByIdentifier(type: PHONE, value: $v) {
      attributes { name value source observedAt rule }
      history: attributes(names: ["gender"], history: true) { value source rule } } }"""
    found = api.data(query, {"v": PHONE})["profileByIdentifier"]
    assert found["attributes"] == [
        {"name": "city", "value": "上海", "source": "app", "observedAt": "2026-02-01T00:00:00Z", "rule": "most_recent"},
        {"name": "gender", "value": "f", "source": "crm", "observedAt": "2026-01-01T00:00:00Z",
         "rule": "source_priority:crm,pos"},
    ]  # fmt: skip
    assert found["history"] == [
        {"value": "x", "source": "pos", "rule": None},
        {"value": "m", "source": "app", "rule": None},
        {"value": "f", "source": "crm", "rule": None},
    ]
