from __future__ import annotations

import asyncio

import pytest

from profilegraph.store.bolt import GraphStore

MERGE_PRODUCT = """
MERGE (p:Product {sku: $sku})
ON CREATE SET p.created_by = $writer
RETURN p.created_by AS created_by
"""
COUNT_PRODUCTS = "MATCH (p:Product {sku: $sku}) RETURN count(p) AS n"


@pytest.mark.neo4j
async def test_ping_answers(graph_store: GraphStore) -> None:
    assert await graph_store.ping()


@pytest.mark.neo4j
async def test_concurrent_get_or_create_yields_one_node(graph_store: GraphStore) -> None:
    results = await asyncio.gather(
        *(graph_store.get_or_create(MERGE_PRODUCT, sku="SKU-RACE", writer=f"w{i}") for i in range(12))
    )
    creators = {records[0]["created_by"] for records in results}
    assert len(creators) == 1  # every writer sees the one node the winner created
    assert (await graph_store.query(COUNT_PRODUCTS, sku="SKU-RACE"))[0]["n"] == 1
