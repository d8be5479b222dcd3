from __future__ import annotations

from pathlib import Path
from typing import LiteralString, cast

import pytest

from profilegraph.errors import GraphConstraintError, MigrationError
from profilegraph.store.bolt import GraphStore
from profilegraph.store.migrate import apply_migrations, load_migrations, migration_status, split_statements

CREATE_IDENTIFIER = "CREATE (:Identifier {key: $key, type: 'phone'})"
SHOW_CONSTRAINT_NAMES = "SHOW CONSTRAINTS YIELD name RETURN name"


def test_statements_are_split_at_line_end_semicolons_and_comments_dropped() -> None:
    text = "// leading comment\nCREATE INDEX a IF NOT EXISTS\nFOR (n:A) ON (n.x);\n\nRETURN 'a;b' AS s;\n"
    assert split_statements(text) == ("CREATE INDEX a IF NOT EXISTS\nFOR (n:A) ON (n.x)", "RETURN 'a;b' AS s")


def test_badly_named_migration_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "1_constraints.cypher").write_text("RETURN 1;")
    with pytest.raises(MigrationError, match=r"1_constraints\.cypher"):
        load_migrations(tmp_path)


async def test_migrations_are_applied_once(graph_store: GraphStore) -> None:
    # the session fixture applied them already: a second run applies nothing
    assert await apply_migrations(graph_store) == []
    status = await migration_status(graph_store)
    assert status.complete
    assert status.applied == tuple(m.version for m in load_migrations())


async def test_every_natural_key_has_a_uniqueness_constraint(graph_store: GraphStore) -> None:
    names = {record["name"] for record in await graph_store.query(SHOW_CONSTRAINT_NAMES)}
    assert {
        "identifier_key",
        "person_one_id",
        "order_order_id",
        "product_sku",
        "content_content_id",
        "channel_code",
        "processed_event_id",
        "tag_def_key",
    } <= names


async def test_identifier_key_uniqueness_is_enforced(graph_store: GraphStore) -> None:
    await graph_store.execute(CREATE_IDENTIFIER, key="phone:+8613800138001")
    with pytest.raises(GraphConstraintError):
        await graph_store.execute(CREATE_IDENTIFIER, key="phone:+8613800138001")


FORGET_MIGRATIONS: LiteralString = "MATCH (m:SchemaMigration) DELETE m"
SHOW_INDEX_NAMES: LiteralString = "SHOW INDEXES YIELD name RETURN name"


async def test_every_migration_statement_can_run_twice(graph_store: GraphStore) -> None:
    # A deployment that lost its migration records (a restored backup) re-applies all of them.
    before = {record["name"] for record in await graph_store.query(SHOW_INDEX_NAMES)}
    await graph_store.execute(FORGET_MIGRATIONS)

    reapplied = await apply_migrations(graph_store)

    assert [m.version for m in reapplied] == [m.version for m in load_migrations()]
    assert {record["name"] for record in await graph_store.query(SHOW_INDEX_NAMES)} == before
    assert (await migration_status(graph_store)).complete


OLD_STYLE_INTERACTION: LiteralString = """
CREATE (x:Interaction {event_id: 'old-1', ts: '2025-01-01T00:00:00Z', kind: 'view'})
MERGE (c:Channel {code: 'tmall'})
MERGE (p:Product {sku: 'SKU-OLD'})
CREATE (x)-[:VIA]->(c), (x)-[:ON]->(p)
"""
INTERACTION_PROPERTIES: LiteralString = (
    "MATCH (x:Interaction {event_id: 'old-1'}) RETURN x.channel AS channel, x.sku AS sku"
)


async def test_interactions_written_before_0012_get_their_channel_and_sku(graph_store: GraphStore) -> None:
    await graph_store.execute(OLD_STYLE_INTERACTION)
    assert await graph_store.query(INTERACTION_PROPERTIES) == [{"channel": None, "sku": None}]
    backfill = [m for m in load_migrations() if m.name == "interaction_channel_and_sku"]
    assert len(backfill) == 1
    for statement in backfill[0].statements:
        await graph_store.execute(cast(LiteralString, statement))
    assert await graph_store.query(INTERACTION_PROPERTIES) == [{"channel": "tmall", "sku": "SKU-OLD"}]
