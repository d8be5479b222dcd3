from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest
from neo4j.exceptions import Neo4jError

from profilegraph.errors import GraphConstraintError, GraphQueryError, GraphUnavailableError
from profilegraph.store.bolt import (
    GraphProduct,
    GraphStore,
    Transaction,
    is_retryable_conflict,
    retry_pause,
    run,
    translate,
)
from profilegraph.store.embedded import BoltEndpoint, EmbeddedGraphServer
from tests.conftest import TestGraph

MERGE_PRODUCT = """
MERGE (p:Product {sku: $sku})
ON CREATE SET p.created_by = $writer
RETURN p.created_by AS created_by
"""
COUNT_PRODUCTS = "MATCH (p:Product {sku: $sku}) RETURN count(p) AS n"


async def test_ping_answers(graph_store: GraphStore) -> None:
    assert await graph_store.ping()


async def test_concurrent_get_or_create_yields_one_node(graph_store: GraphStore) -> None:
    results = await asyncio.gather(
        *(graph_store.get_or_create(MERGE_PRODUCT, sku="SKU-RACE", writer=f"w{i}") for i in range(12))
    )
    creators = {records[0]["created_by"] for records in results}
    assert len(creators) == 1  # every writer sees the one node the winner created
    assert (await graph_store.query(COUNT_PRODUCTS, sku="SKU-RACE"))[0]["n"] == 1


CREATE_PRODUCT = "CREATE (p:Product {sku: $sku})"


ORDER_OF_A_HOT_PRODUCT = """
MERGE (p:Product {sku: $sku})
CREATE (o:Order {order_id: $order_id})-[:CONTAINS {qty: 1}]->(p)
SET p.last_order = $order_id
"""
COUNT_ORDERS_OF = "MATCH (:Order)-[c:CONTAINS]->(:Product {sku: $sku}) RETURN count(c) AS n"


async def test_concurrent_writers_to_one_node_all_land(graph_store: GraphStore) -> None:
    # Every order names the same product: on the embedded server all but one writer lose
    # the race at commit and are run again.
    async def order(number: int) -> None:
        async def work(tx: Transaction) -> None:
            await run(tx, ORDER_OF_A_HOT_PRODUCT, sku="SKU-HOT", order_id=f"SO-{number}")

        await graph_store.write(work, retry_conflicts=True)

    await asyncio.gather(*(order(n) for n in range(16)))
    assert (await graph_store.query(COUNT_ORDERS_OF, sku="SKU-HOT"))[0]["n"] == 16


async def test_a_write_that_fails_half_way_leaves_nothing(graph_store: GraphStore) -> None:
    async def work(tx: Transaction) -> None:
        await run(tx, CREATE_PRODUCT, sku="SKU-HALF")
        await run(tx, "RETURN 1 +")  # the server refuses the second statement

    with pytest.raises(GraphQueryError):
        await graph_store.write(work, retry_conflicts=True)
    assert (await graph_store.query(COUNT_PRODUCTS, sku="SKU-HALF"))[0]["n"] == 0


def test_a_lost_race_is_run_again_after_milliseconds_not_seconds() -> None:
    pauses = [[retry_pause(attempt) for _ in range(200)] for attempt in range(1, 12)]
    assert max(pauses[0]) <= 0.01  # the driver's own first retry waits about a second
    assert min(pauses[0]) >= 0.005
    assert all(max(p) <= 0.5 for p in pauses)  # bounded, however often a writer loses
    assert len({round(p, 6) for p in pauses[3]}) > 100  # jittered: colliding writers drift apart
    assert sorted(map(max, pauses[:6])) == list(map(max, pauses[:6]))  # and wait longer each time


async def test_the_store_knows_which_server_answers(graph_store: GraphStore, graph_server: TestGraph) -> None:
    if graph_server.backend == "bolt":
        pytest.skip("any server may answer at PROFILEGRAPH_TEST_NEO4J_URI")
    expected = GraphProduct.NEO4J if graph_server.backend == "neo4j-local" else GraphProduct.ARCADEDB
    assert graph_store.product is expected


@pytest.mark.parametrize(
    ("agent", "product"),
    [("Neo4j/5.26.30", GraphProduct.NEO4J), ("Neo4j/5.26.0 compatible (ArcadeDB 26.10.2)", GraphProduct.ARCADEDB)],
)
def test_the_product_is_read_from_the_agent_string(agent: str, product: GraphProduct) -> None:
    assert GraphProduct.from_agent(agent) is product


def test_a_constraint_error_is_retried_only_where_merges_race_at_commit() -> None:
    constraint = "Neo.ClientError.Schema.ConstraintValidationFailed"
    assert is_retryable_conflict(constraint, "already exists", GraphProduct.ARCADEDB)
    assert not is_retryable_conflict(constraint, "already exists", GraphProduct.NEO4J)
    assert is_retryable_conflict("Neo.TransientError.Transaction.DeadlockDetected", "cycle", GraphProduct.NEO4J)
    assert not is_retryable_conflict("Neo.ClientError.Statement.SyntaxError", "bad", GraphProduct.ARCADEDB)


async def test_a_real_constraint_violation_is_raised_not_retried_forever(graph_store: GraphStore) -> None:
    await graph_store.execute(CREATE_PRODUCT, sku="SKU-TAKEN")
    with pytest.raises(GraphConstraintError):
        await graph_store.get_or_create(CREATE_PRODUCT, sku="SKU-TAKEN")
    assert (await graph_store.query(COUNT_PRODUCTS, sku="SKU-TAKEN"))[0]["n"] == 1


async def test_a_server_that_stops_answering_is_an_error_not_a_hang(tmp_path: Path) -> None:
    server = EmbeddedGraphServer(tmp_path / "graph")
    endpoint = server.start()
    store = await GraphStore.connect(endpoint, transaction_timeout=2.0)
    try:
        assert server.pid is not None
        os.kill(server.pid, signal.SIGSTOP)  # alive, holding its port, answering nothing
        started = time.monotonic()
        with pytest.raises(GraphUnavailableError, match="did not finish a transaction within 2 s"):
            await store.query(COUNT_PRODUCTS, sku="any")
        assert time.monotonic() - started < 10
    finally:
        if server.pid is not None:
            os.kill(server.pid, signal.SIGCONT)
        await store.close()
        server.stop()


def _server_error(code: str, message: str) -> Neo4jError:
    return Neo4jError._hydrate_neo4j(code=code, message=message)


def test_a_connection_out_of_step_with_its_server_is_a_lost_connection_not_a_bad_query() -> None:
    # What a pooled connection meets after a server shutting down refused its re-authentication.
    out_of_step = _server_error("Neo.ClientError.Request.Invalid", "BEGIN not expected in state: AUTHENTICATION")
    assert isinstance(translate(out_of_step), GraphUnavailableError)
    bad_query = _server_error("Neo.ClientError.Statement.SyntaxError", "Invalid input 'MATCHH'")
    assert type(translate(bad_query)) is GraphQueryError


async def _following_store(graph_server: TestGraph, rediscovered: list[BoltEndpoint]) -> GraphStore:
    store = await GraphStore.connect(graph_server.endpoint)

    async def rediscover() -> BoltEndpoint:
        rediscovered.append(graph_server.endpoint)
        return graph_server.endpoint

    store.follow(rediscover)
    return store


async def test_work_whose_connection_fell_out_of_step_runs_again_on_a_new_connection(graph_server: TestGraph) -> None:
    rediscovered: list[BoltEndpoint] = []
    store = await _following_store(graph_server, rediscovered)
    failures = ["BEGIN not expected in state: AUTHENTICATION"] * 2

    async def work(tx: Transaction) -> int:
        if failures:
            raise _server_error("Neo.ClientError.Request.Invalid", failures.pop())
        return (await run(tx, "RETURN 7 AS n"))[0]["n"]

    try:
        assert await store.write(work) == 7
        assert len(rediscovered) == 2  # one new connection per failure, then the work went through
    finally:
        await store.close()


async def test_a_server_that_keeps_failing_after_each_reconnection_is_an_error_in_the_end(
    graph_server: TestGraph,
) -> None:
    rediscovered: list[BoltEndpoint] = []
    store = await _following_store(graph_server, rediscovered)

    async def work(tx: Transaction) -> None:
        raise _server_error("Neo.ClientError.Request.Invalid", "RUN not expected in state: AUTHENTICATION")

    try:
        with pytest.raises(GraphUnavailableError, match="not expected in state"):
            await store.write(work)
        assert 1 <= len(rediscovered) < 10  # followed a few times, never forever
        assert await store.ping()
    finally:
        await store.close()
