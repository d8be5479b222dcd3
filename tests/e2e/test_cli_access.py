"""Credentials as an operator makes them: `profilegraph token` and `profilegraph apikey`."""

from __future__ import annotations

import json
import subprocess

import jwt
from starlette.testclient import TestClient

from profilegraph.app import create_app
from tests.cli import run_cli
from tests.conftest import TestGraph


def _cli(graph: TestGraph, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(graph.cli_env(), *args)


async def test_token_prints_a_token_the_service_accepts_with_its_role_and_scopes(graph_server: TestGraph) -> None:
    made = _cli(graph_server, "token", "--role", "admin", "--scope", "pii:read", "--subject", "ops-1", "--hours", "1")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["scope"], claims["aud"]) == (
        "ops-1",
        "admin",
        "pii:read",
        "profilegraph",
    )
    assert claims["exp"] - claims["iat"] == 3600
    with TestClient(create_app(graph_server.settings())) as client:
        answer = client.post(
            "/graphql", json={"query": "{ auditLog { totalCount } }"}, headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 200
    assert "errors" not in answer.json()

    refused = _cli(graph_server, "token", "--role", "root")
    assert refused.returncode == 2
    assert "root" in refused.stderr


async def test_apikey_create_list_and_revoke(graph_server: TestGraph) -> None:
    await graph_server.clear()
    created = _cli(graph_server, "apikey", "create", "--role", "ingest", "--name", "pos-nightly")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("pg_")
    assert "only time it is shown" in created.stderr
    again = _cli(graph_server, "apikey", "create", "--role", "ingest", "--name", "pos-nightly")
    assert again.returncode == 1
    assert "exists" in again.stderr

    listed = json.loads(_cli(graph_server, "apikey", "list", "--json").stdout)
    assert [(k["name"], k["role"], k["revoked_at"]) for k in listed] == [("pos-nightly", "ingest", None)]
    assert key not in json.dumps(listed)
    assert key.split("_", 2)[2] not in _cli(graph_server, "apikey", "list").stdout

    with TestClient(create_app(graph_server.settings(api_key_cache_seconds=0))) as client:
        mutation = {"query": "mutation { ingestEvents(events: []) { accepted } }"}
        assert client.post("/graphql", json=mutation, headers={"X-API-Key": key}).status_code == 200
        revoked = _cli(graph_server, "apikey", "revoke", "pos-nightly")
        assert revoked.returncode == 0, revoked.stderr
        assert revoked.stdout.startswith("revoked ")
        assert client.post("/graphql", json=mutation, headers={"X-API-Key": key}).status_code == 401
    unknown = _cli(graph_server, "apikey", "revoke", "nobody")
    assert unknown.returncode == 1
    assert "no API key" in unknown.stderr
