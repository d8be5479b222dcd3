"""The served API against outside tools: the GraphQL-over-HTTP audit, a fuzzer, a GraphQL client."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from profilegraph.domain.access import Role
from profilegraph.services.credentials import issue_token
from tests.conftest import TestGraph
from tests.e2e.test_serve import _free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / "tools" / "graphql_http_audit.mjs"


@dataclass
class Served:
    url: str
    graph: TestGraph

    def token(self, role: str, *scopes: str, subject: str | None = None) -> str:
        settings = self.graph.settings()
        return issue_token(settings, Role(role), subject=subject or f"e2e-{role}", scopes=scopes)


def start_service(
    graph: TestGraph, log: Path, *extra: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """``profilegraph serve`` on the suite's graph, once it answers /readyz; its output goes to ``log``."""
    port = _free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "profilegraph", "serve", "--port", str(port), *extra],
            env={**graph.cli_env(), **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(log.read_text())
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError("the service did not become ready within 60 s")


@pytest.fixture(scope="module")
def served(graph_server: TestGraph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    process, url = start_service(graph_server, tmp_path_factory.mktemp("served") / "serve.log")
    try:
        yield Served(url, graph_server)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(autouse=True)
def empty_graph(graph_server: TestGraph) -> None:
    asyncio.run(graph_server.clear())


@pytest.mark.skipif(shutil.which("node") is None, reason="the audit runs on Node.js (npm ci installs it)")
def test_every_graphql_over_http_audit_passes(served: Served) -> None:
    completed = subprocess.run(
        ["node", str(AUDIT), f"{served.url}/graphql", served.token("service")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results = json.loads(completed.stdout)
    failing = [f"{r['id']} {r['name']}: {r['status']} {r['reason']}" for r in results if r["status"] != "ok"]
    assert failing == []
    assert len(results) == 61


def _seed(served: Served) -> None:
    from tests.api.client import INGEST
    from tests.api.events import alice

    response = httpx.post(
        f"{served.url}/graphql",
        json={"query": INGEST, "variables": {"events": alice()}},
        headers={"Authorization": f"Bearer {served.token('ingest')}"},
        timeout=60,
    )
    assert response.json()["data"]["ingestEvents"]["accepted"] == len(alice())


PERSONAL = ("13800138001", "alice@example.com", "Alice@Example.com")


def test_fuzzing_every_operation_as_a_service_agent_finds_no_server_error_and_no_unmasked_data(served: Served) -> None:
    import graphql
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    _seed(served)
    # JSON arguments (events) arrive as any GraphQL literal: strings, numbers, objects
    leaf = st.one_of(
        st.text(max_size=20).map(lambda t: graphql.StringValueNode(value=t)),
        st.integers(-(2**70), 2**70).map(lambda i: graphql.IntValueNode(value=str(i))),
        st.booleans().map(lambda b: graphql.BooleanValueNode(value=b)),
    )
    json_value = st.recursive(
        leaf,
        lambda inner: st.dictionaries(
            st.sampled_from(["event_id", "type", "ts", "identifiers", "x"]), inner, max_size=4
        ).map(
            lambda fields: graphql.ObjectValueNode(
                fields=tuple(
                    graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v) for k, v in fields.items()
                )
            )
        ),
        max_leaves=8,
    )
    schemathesis.graphql.scalar("JSON", json_value)
    auth = {"Authorization": f"Bearer {served.token('service')}"}
    schema = schemathesis.graphql.from_url(f"{served.url}/graphql", headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15  # every query and mutation field

    failures: list[str] = []

    def probe_of(label: str, strategy: object) -> Callable[[], None]:
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=strategy)
        def probe(case: schemathesis.Case) -> None:
            response = case.call(headers=auth, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{label}: {response.status_code} for {case.body}")
            leaked = [value for value in PERSONAL if value in response.text]
            if leaked:
                failures.append(f"{label}: unmasked {leaked} for {case.body}")

        return probe

    for operation in operations:
        probe_of(operation.label, operation.as_strategy())()
    assert failures == []


def test_a_graphql_client_library_ingests_looks_up_and_merges(served: Served) -> None:
    from gql import Client, GraphQLRequest
    from gql.transport.httpx import HTTPXTransport

    def client(role: str, *scopes: str) -> Client:
        headers = {"Authorization": f"Bearer {served.token(role, *scopes)}"}
        return Client(
            transport=HTTPXTransport(url=f"{served.url}/graphql", headers=headers), fetch_schema_from_transport=True
        )

    events = [
        {
            "event_id": "g-1",
            "type": "identify",
            "ts": "2026-05-01T00:00:00Z",
            "source": "app",
            "identifiers": [{"type": "phone", "value": "+86 139 1111 2222"}],
        },
        {
            "event_id": "g-2",
            "type": "identify",
            "ts": "2026-05-02T00:00:00Z",
            "source": "crm",
            "identifiers": [{"type": "email", "value": "gql@example.com"}],
        },
    ]
    ingest = "mutation($e: [JSON!]!) { ingestEvents(events: $e) { accepted results { status } } }"
    lookup = """query($t: IdentifierType!, $v: String!) {
        profileByIdentifier(type: $t, value: $v) { oneId identifiers { value } } }"""
    merge = """mutation($a: ID!, $b: ID!) {
        mergeProfiles(a: $a, b: $b, reason: "verified") { profile { identifiers { value } } errors { code } } }"""
    with client("ingest") as session:
        ingested = session.execute(GraphQLRequest(ingest, variable_values={"e": events}))
    assert ingested["ingestEvents"]["accepted"] == 2
    with client("admin", "pii:read") as session:
        phone = session.execute(GraphQLRequest(lookup, variable_values={"t": "PHONE", "v": "13911112222"}))
        email = session.execute(GraphQLRequest(lookup, variable_values={"t": "EMAIL", "v": "GQL@example.com"}))
        merged = session.execute(
            GraphQLRequest(
                merge,
                variable_values={
                    "a": phone["profileByIdentifier"]["oneId"],
                    "b": email["profileByIdentifier"]["oneId"],
                },
            )
        )["mergeProfiles"]
    assert merged["errors"] == []
    assert sorted(i["value"] for i in merged["profile"]["identifiers"]) == ["+8613911112222", "gql@example.com"]


def test_serve_with_workers_shares_one_graph_server(graph_server: TestGraph, tmp_path: Path) -> None:
    process, url = start_service(graph_server, tmp_path / "workers.log", "--workers", "2")
    try:
        served = Served(url, graph_server)
        headers = {"Authorization": f"Bearer {served.token('ingest')}"}
        workers = set()
        for n in range(40):
            response = httpx.post(
                f"{url}/graphql",
                json={
                    "query": "mutation($e: [JSON!]!) { ingestEvents(events: $e) { accepted } }",
                    "variables": {
                        "e": [
                            {
                                "event_id": f"w-{n}",
                                "type": "identify",
                                "ts": "2026-05-01T00:00:00Z",
                                "identifiers": [{"type": "member_id", "value": f"W{n}"}],
                            }
                        ]
                    },
                },
                headers=headers,
                timeout=30,
            )
            assert response.json()["data"]["ingestEvents"]["accepted"] == 1
        metrics = httpx.get(f"{url}/metrics", headers=headers, timeout=10).text
        accepted = [
            line for line in metrics.splitlines() if line.startswith('profilegraph_events_total{outcome="accepted"}')
        ]
        assert accepted
        assert float(accepted[0].split()[-1]) >= 40
        log = (tmp_path / "workers.log").read_text()
        workers = {line.split("[")[1].split("]")[0] for line in log.splitlines() if "Started server process" in line}
        assert len(workers) == 2
        if graph_server.backend == "embedded":
            assert len(list(graph_server.data_dir.glob("server.json"))) == 1
    finally:
        process.terminate()
        assert process.wait(timeout=60) in (0, -15)
