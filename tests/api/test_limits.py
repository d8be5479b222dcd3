"""Every limit of the API holds and says which one it is; internals never leak; the wire format is the spec's."""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient

from profilegraph.app import create_app
from tests.api.client import Api, bearer
from tests.api.events import alice
from tests.conftest import TestGraph

PROFILE = '{ profileByIdentifier(type: PHONE, value: "13800138001") { oneId } }'


@pytest.fixture(scope="module")
def strict(graph_server: TestGraph) -> TestClient:
    settings = graph_server.settings(
        query_max_depth=4,
        query_max_aliases=2,
        query_max_tokens=60,
        max_page_size=10,
        max_request_bytes=4096,
        introspection=False,
    )
    with TestClient(create_app(settings), headers=bearer(graph_server.data_dir, "admin")) as client:
        yield client


def _message(client: TestClient, query: str) -> str:
    response = client.post("/graphql", json={"query": query})
    return str(response.json()["errors"][0]["message"])


def test_depth_aliases_and_tokens_are_bounded(strict: TestClient) -> None:
    assert "exceeds maximum operation depth" in _message(
        strict, '{ profile(oneId: "x") { orders { edges { node { items { product { sku } } } } } } }'
    )
    assert "aliases" in _message(strict, "{ a: health { version } b: health { version } c: health { version } }")
    long_query = "{ health { " + " ".join(["version"] * 60) + " } }"
    assert "token" in _message(strict, long_query).lower()


def test_pages_are_at_most_the_configured_size(strict: TestClient) -> None:
    response = strict.post("/graphql", json={"query": "{ profiles(first: 11) { totalCount } }"})
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "PAGE_TOO_LARGE", "field": "first"}
    assert "at most 10" in error["message"]


def test_the_request_body_is_bounded(strict: TestClient) -> None:
    response = strict.post("/graphql", json={"query": "{ health { version } }", "variables": {"pad": "x" * 5000}})
    assert response.status_code == 413
    assert "4,096 bytes" in response.json()["errors"][0]["message"]


def test_introspection_can_be_switched_off(strict: TestClient, api: Api) -> None:
    assert "introspection" in _message(strict, "{ __schema { types { name } } }").lower()
    assert api.data("{ __schema { queryType { name } } }")["__schema"]["queryType"]["name"] == "Query"


def test_batched_operations_and_wrong_media_types_are_refused(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.token('service')}"}
    batch = api.client.post("/graphql", json=[{"query": "{ health { version } }"}] * 2, headers=headers)
    assert batch.status_code == 400
    assert "batched" in batch.json()["errors"][0]["message"]
    form = api.client.post(
        "/graphql", content="query={health{version}}", headers=headers | {"content-type": "text/plain"}
    )
    assert form.status_code == 415
    unacceptable = api.client.post(
        "/graphql", json={"query": "{ health { version } }"}, headers=headers | {"accept": "text/csv"}
    )
    assert unacceptable.status_code == 406


def test_mutations_over_get_are_refused_and_queries_over_get_answer(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.token('ingest')}"}
    mutation = api.client.get(
        "/graphql", params={"query": "mutation { ingestEvents(events: []) { accepted } }"}, headers=headers
    )
    assert mutation.status_code == 405
    assert mutation.headers["allow"] == "POST"
    query = api.client.get("/graphql", params={"query": "{ health { version } }"}, headers=headers)
    assert query.status_code == 200
    assert query.json()["data"]["health"]["version"]


def test_request_errors_are_400_under_the_graphql_response_media_type(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.token('service')}", "accept": "application/graphql-response+json"}
    for query in ("{ health { version ", "{ health { nosuchfield } }"):
        response = api.client.post("/graphql", json={"query": query}, headers=headers)
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/graphql-response+json")
        assert "data" not in response.json()
    legacy = api.client.post(
        "/graphql", json={"query": "{ health { nosuchfield } }"}, headers={"Authorization": headers["Authorization"]}
    )
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")


def test_an_internal_error_is_masked_and_logged_with_its_request_id(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from profilegraph.services import profiles

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals: /etc/profilegraph/keys")

    api.ingest(alice())
    monkeypatch.setattr(profiles, "persons_by_identifier", broken)
    with caplog.at_level(logging.ERROR):
        response = api.post(PROFILE, headers={"X-Request-Id": "req-123"})
    error = response.json()["errors"][0]
    assert error["message"] == "internal error (request req-123)"
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "req-123"}
    assert "secret internals" not in response.text
    assert response.headers["x-request-id"] == "req-123"
    assert any("req-123" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
