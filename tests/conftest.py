"""Shared fixtures: one embedded graph server for the whole run, and stores on it.

Store tests take ``graph_store``, which runs them against the embedded server
and, when ``PROFILEGRAPH_TEST_NEO4J_URI`` is set, once more against that server
(marker ``neo4j``), so the same tests serve as a contract suite for real Neo4j.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import LiteralString

import pytest

from profilegraph.store.bolt import GraphStore
from profilegraph.store.embedded import BoltEndpoint, EmbeddedGraphServer
from profilegraph.store.migrate import apply_migrations

NEO4J_URI_VARIABLE = "PROFILEGRAPH_TEST_NEO4J_URI"

# Removes the data a test wrote, keeping the schema and its migration records.
CLEAR_DATA: LiteralString = "MATCH (n) WHERE NOT n:SchemaMigration DETACH DELETE n"


@pytest.fixture(scope="session")
def embedded_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("graph")


@pytest.fixture(scope="session")
def embedded_endpoint(embedded_data_dir: Path) -> Iterator[BoltEndpoint]:
    server = EmbeddedGraphServer(embedded_data_dir, heap="1g")
    endpoint = server.start()
    yield endpoint
    server.stop()


def _neo4j_endpoint() -> BoltEndpoint | None:
    uri = os.environ.get(NEO4J_URI_VARIABLE)
    if not uri:
        return None
    return BoltEndpoint(
        uri=uri,
        user=os.environ.get("PROFILEGRAPH_TEST_NEO4J_USER", "neo4j"),
        password=os.environ.get("PROFILEGRAPH_TEST_NEO4J_PASSWORD", ""),
        database=os.environ.get("PROFILEGRAPH_TEST_NEO4J_DATABASE") or None,
    )


@pytest.fixture(scope="session", params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
async def session_store(request: pytest.FixtureRequest) -> AsyncIterator[GraphStore]:
    if request.param == "neo4j":
        endpoint = _neo4j_endpoint()
        if endpoint is None:
            pytest.skip(f"{NEO4J_URI_VARIABLE} is not set")
    else:
        endpoint = request.getfixturevalue("embedded_endpoint")
    store = await GraphStore.connect(endpoint)
    await apply_migrations(store)
    yield store
    await store.close()


@pytest.fixture
async def graph_store(session_store: GraphStore) -> AsyncIterator[GraphStore]:
    """A migrated store whose data is cleared before each test."""
    await session_store.execute(CLEAR_DATA)
    yield session_store
