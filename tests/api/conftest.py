"""One service per test module on the suite's graph server; each test starts from an empty graph."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from profilegraph.app import create_app
from tests.api.client import Api
from tests.conftest import TestGraph


@pytest.fixture(scope="module")
def service(graph_server: TestGraph) -> Iterator[Api]:
    settings = graph_server.settings(api_key_cache_seconds=0)
    with TestClient(create_app(settings)) as client:
        yield Api(client, settings, graph_server)


@pytest.fixture
def api(service: Api) -> Api:
    service.clear()
    return service
