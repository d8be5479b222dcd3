from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from strawberry.extensions.validation_cache import _get_validate_cache

from profilegraph.app import create_app
from profilegraph.settings import Settings
from profilegraph.store.embedded import EmbeddedGraphServer
from profilegraph.store.neo4j_local import LocalNeo4j
from tests.api.client import bearer
from tests.conftest import TestGraph

HEALTH = "{ health { version graph { backend reachable migrationsApplied pendingMigrations } } }"


@pytest.fixture
def client(graph_server: TestGraph) -> Iterator[TestClient]:
    with TestClient(create_app(graph_server.settings()), headers=bearer(graph_server.data_dir)) as test_client:
        yield test_client


def test_health_reports_version_and_a_ready_graph(client: TestClient, graph_server: TestGraph) -> None:
    response = client.post("/graphql", json={"query": HEALTH})
    assert response.status_code == 200
    health = response.json()["data"]["health"]
    assert health["version"]
    assert health["graph"] == {
        "backend": "neo4j" if graph_server.is_neo4j else "embedded",
        "reachable": True,
        "migrationsApplied": True,
        "pendingMigrations": [],
    }


def test_healthz_and_readyz_answer_when_the_graph_does(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True


def test_readyz_is_503_once_the_graph_stops_answering(graph_server: TestGraph, tmp_path: Path) -> None:
    # A private server of the kind under test, since this test stops it.
    if graph_server.backend == "bolt":
        pytest.skip("the bolt backend is a server this suite cannot stop")
    server: EmbeddedGraphServer | LocalNeo4j = (
        LocalNeo4j(tmp_path / "neo4j", heap="512m", page_cache="64m")
        if graph_server.is_neo4j
        else EmbeddedGraphServer(tmp_path / "graph")
    )
    endpoint = server.start()
    try:
        settings = Settings(
            neo4j_uri=endpoint.uri,
            neo4j_user=endpoint.user,
            neo4j_password=endpoint.password,
            neo4j_database=endpoint.database,
        )
        with TestClient(create_app(settings)) as client:
            assert client.get("/readyz").status_code == 200
            server.stop()
            response = client.get("/readyz")
            assert response.status_code == 503
            assert response.json()["graph"]["reachable"] is False
            assert client.get("/healthz").status_code == 200
    finally:
        server.stop()


def test_a_repeated_query_is_validated_once(client: TestClient) -> None:
    query = "{ health { version } }"
    cache = _get_validate_cache(256)
    client.post("/graphql", json={"query": query})
    misses = cache.cache_info().misses
    client.post("/graphql", json={"query": query})
    client.post("/graphql", json={"query": query})
    assert cache.cache_info().misses == misses


def test_a_query_deeper_than_the_limit_is_refused(graph_server: TestGraph) -> None:
    settings = graph_server.settings(query_max_depth=1)
    with TestClient(create_app(settings), headers=bearer(graph_server.data_dir)) as client:
        response = client.post("/graphql", json={"query": "{ health { graph { reachable } } }"})
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]


def test_a_clients_bad_query_is_logged_as_information_not_as_an_error(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = client.post("/graphql", json={"query": "{ health { nosuchfield } }"})

    assert "nosuchfield" in response.json()["errors"][0]["message"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any("query refused" in r.getMessage() and r.levelno == logging.INFO for r in caplog.records)
