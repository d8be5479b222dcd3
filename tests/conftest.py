"""Shared fixtures: the graph server(s) of the run, and stores on them.

``PROFILEGRAPH_TEST_BACKEND`` names the graph servers the suite runs on, one or
several separated by commas (default ``embedded``):

- ``embedded``: the embedded ArcadeDB server, started once for the run;
- ``neo4j-local``: a real Neo4j 5, fetched from Maven Central once per machine and
  started as a child process for the run (``profilegraph.store.neo4j_local``);
- ``bolt``: any Bolt server at ``PROFILEGRAPH_TEST_NEO4J_URI`` (with
  ``PROFILEGRAPH_TEST_NEO4J_USER``, ``_PASSWORD``, ``_DATABASE``).

Every test that touches the graph runs once per server named. The tests empty the
database before each test, so they refuse a database holding data they did not write
(it lacks their marker node) unless ``PROFILEGRAPH_TEST_ALLOW_WIPE=1`` says otherwise.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, LiteralString

import neo4j
import pytest

from profilegraph.settings import Settings
from profilegraph.store.bolt import GraphStore
from profilegraph.store.embedded import BoltEndpoint, EmbeddedGraphServer
from profilegraph.store.migrate import apply_migrations
from profilegraph.store.neo4j_local import LocalNeo4j
from tests import cypher_coverage

BACKEND_VARIABLE = "PROFILEGRAPH_TEST_BACKEND"
# With this set to 1 (CI sets it), a session that ran on Neo4j fails if any Cypher
# statement of store/ or graph_schema/ never executed there.
REQUIRE_COVERAGE_VARIABLE = "PROFILEGRAPH_TEST_REQUIRE_NEO4J_CYPHER"
BACKENDS = ("embedded", "neo4j-local", "bolt")
NEO4J_URI_VARIABLE = "PROFILEGRAPH_TEST_NEO4J_URI"
ALLOW_WIPE_VARIABLE = "PROFILEGRAPH_TEST_ALLOW_WIPE"

# Removes the data a test wrote, keeping the schema, its migration records and the marker.
CLEAR_DATA: LiteralString = "MATCH (n) WHERE NOT n:SchemaMigration AND NOT n:ProfileGraphTestMarker DETACH DELETE n"
_FOREIGN_DATA: LiteralString = """
OPTIONAL MATCH (marker:ProfileGraphTestMarker)
WITH count(marker) AS markers
OPTIONAL MATCH (n) WHERE NOT n:SchemaMigration AND NOT n:ProfileGraphTestMarker
WITH markers, n LIMIT 1
RETURN markers, count(n) AS nodes
"""
_MARK: LiteralString = "MERGE (:ProfileGraphTestMarker {purpose: 'profilegraph test data; emptied by every test'})"


cypher_coverage.install()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get(REQUIRE_COVERAGE_VARIABLE) != "1" or "neo4j-local" not in selected_backends():
        return
    missing = cypher_coverage.missing_on_neo4j()
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"{len(missing)} Cypher statements never ran on Neo4j in this session:", red=True)
            for name in missing:
                reporter.write_line(f"  {name}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def selected_backends() -> list[str]:
    names = [name.strip() for name in os.environ.get(BACKEND_VARIABLE, "embedded").split(",") if name.strip()]
    unknown = [name for name in names if name not in BACKENDS]
    if unknown or not names:
        raise pytest.UsageError(
            f"{BACKEND_VARIABLE}={os.environ.get(BACKEND_VARIABLE)!r}: choose from {', '.join(BACKENDS)}"
        )
    return names


@dataclass(frozen=True)
class TestGraph:
    """One graph server the suite runs on, and how a process of ours reaches it."""

    __test__ = False  # not a test class, despite its name

    backend: str
    endpoint: BoltEndpoint
    data_dir: Path  # the embedded server's data directory; scratch space for the others

    @property
    def is_neo4j(self) -> bool:
        return self.backend != "embedded"

    def settings(self, **overrides: Any) -> Settings:
        """Settings under which the service and the CLI use this graph."""
        if self.backend == "embedded":
            return Settings(data_dir=self.data_dir, **overrides)  # finds the running server
        return Settings(
            data_dir=self.data_dir,
            neo4j_uri=self.endpoint.uri,
            neo4j_user=self.endpoint.user,
            neo4j_password=self.endpoint.password,
            neo4j_database=self.endpoint.database,
            **overrides,
        )

    async def clear(self) -> None:
        """Delete every node but the schema records and this suite's marker."""
        store = await GraphStore.connect(self.endpoint)
        try:
            await store.execute(CLEAR_DATA)
        finally:
            await store.close()

    def cli_env(self) -> dict[str, str]:
        """The environment of a ``profilegraph`` child process that uses this graph."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROFILEGRAPH_")}
        env["PROFILEGRAPH_DATA_DIR"] = str(self.data_dir)
        if self.backend != "embedded":
            env["PROFILEGRAPH_NEO4J_URI"] = self.endpoint.uri
            env["PROFILEGRAPH_NEO4J_USER"] = self.endpoint.user
            env["PROFILEGRAPH_NEO4J_PASSWORD"] = self.endpoint.password
            if self.endpoint.database:
                env["PROFILEGRAPH_NEO4J_DATABASE"] = self.endpoint.database
        return env


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "graph_server" in metafunc.fixturenames:
        metafunc.parametrize("graph_server", selected_backends(), indirect=True, scope="session")


@pytest.fixture(scope="session")
def embedded_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("graph")


@pytest.fixture(scope="session")
def embedded_endpoint(embedded_data_dir: Path) -> Iterator[BoltEndpoint]:
    server = EmbeddedGraphServer(embedded_data_dir, heap="1g")
    endpoint = server.start()
    yield endpoint
    server.stop()


def _bolt_endpoint() -> BoltEndpoint:
    uri = os.environ.get(NEO4J_URI_VARIABLE)
    if not uri:
        raise pytest.UsageError(f"{BACKEND_VARIABLE}=bolt needs {NEO4J_URI_VARIABLE}")
    return BoltEndpoint(
        uri=uri,
        user=os.environ.get("PROFILEGRAPH_TEST_NEO4J_USER", "neo4j"),
        password=os.environ.get("PROFILEGRAPH_TEST_NEO4J_PASSWORD", ""),
        database=os.environ.get("PROFILEGRAPH_TEST_NEO4J_DATABASE") or None,
    )


@pytest.fixture(scope="session")
def graph_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestGraph]:
    backend: str = request.param
    server: LocalNeo4j | None = None
    if backend == "embedded":
        graph = TestGraph(
            backend, request.getfixturevalue("embedded_endpoint"), request.getfixturevalue("embedded_data_dir")
        )
    elif backend == "neo4j-local":
        server = LocalNeo4j(tmp_path_factory.mktemp("neo4j"), heap="1g", page_cache="512m")
        graph = TestGraph(backend, server.start(), tmp_path_factory.mktemp("scratch"))
    else:
        graph = TestGraph(backend, _bolt_endpoint(), tmp_path_factory.mktemp("scratch"))
    try:
        _claim_for_tests(graph.endpoint)
        yield graph
    finally:
        if server is not None:
            server.stop()


def _claim_for_tests(endpoint: BoltEndpoint) -> None:
    """Mark the database as the tests', or stop the run if it holds anybody else's data."""
    with neo4j.GraphDatabase.driver(endpoint.uri, auth=(endpoint.user, endpoint.password)) as driver:
        found = driver.execute_query(_FOREIGN_DATA, database_=endpoint.database).records[0]
        if found["nodes"] and not found["markers"] and os.environ.get(ALLOW_WIPE_VARIABLE) != "1":
            pytest.exit(
                f"The graph at {endpoint.uri} holds data that the tests did not write, and every test empties it. "
                f"Point {NEO4J_URI_VARIABLE} at a database for tests, or set {ALLOW_WIPE_VARIABLE}=1 to wipe it.",
                returncode=4,
            )
        driver.execute_query(_MARK, database_=endpoint.database)


@pytest.fixture(scope="session")
async def session_store(graph_server: TestGraph) -> AsyncIterator[GraphStore]:
    store = await GraphStore.connect(graph_server.endpoint)
    await apply_migrations(store)
    yield store
    await store.close()


@pytest.fixture
async def graph_store(session_store: GraphStore) -> AsyncIterator[GraphStore]:
    """A migrated store whose data is cleared before each test."""
    await session_store.execute(CLEAR_DATA)
    return session_store
