from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from strawberry.extensions.validation_cache import _get_validate_cache

from profilegraph.app import create_app
from profilegraph.settings import Settings
from profilegraph.store.embedded import BoltEndpoint, EmbeddedGraphServer

HEALTH = "{ health { version graph { backend reachable migrationsApplied pendingMigrations } } }"


@pytest.fixture
def client(embedded_endpoint: BoltEndpoint, embedded_data_dir: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=embedded_data_dir)  # finds the session's running server
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_health_reports_version_and_a_ready_graph(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": HEALTH})
    assert response.status_code == 200
    health = response.json()["data"]["health"]
    assert health["version"]
    assert health["graph"] == {
        "backend": "embedded",
        "reachable": True,
        "migrationsApplied": True,
        "pendingMigrations": [],
    }


def test_healthz_and_readyz_answer_when_the_graph_does(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True


def test_readyz_is_503_once_the_graph_stops_answering(tmp_path: Path) -> None:
    server = EmbeddedGraphServer(tmp_path / "graph")
    endpoint = server.start()
    try:
        settings = Settings(neo4j_uri=endpoint.uri, neo4j_user=endpoint.user, neo4j_password=endpoint.password,
                            neo4j_database=endpoint.database)
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


def test_a_query_deeper_than_the_limit_is_refused(embedded_endpoint: BoltEndpoint, embedded_data_dir: Path) -> None:
    settings = Settings(data_dir=embedded_data_dir, query_max_depth=1)
    with TestClient(create_app(settings)) as client:
        response = client.post("/graphql", json={"query": "{ health { graph { reachable } } }"})
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]
