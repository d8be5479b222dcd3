"""Which of our Cypher statements ran on which graph server during the test session.

The store is instrumented, not replaced: every query still goes to the real server,
and its text is recorded under the product of the server that ran it. At the end of
a session that ran on Neo4j, ``missing_on_neo4j`` names every statement of store/
and graph_schema/ that never executed there.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, LiteralString

from neo4j import graph

from profilegraph.store import bolt
from profilegraph.store.bolt import GraphProduct, GraphStore
from profilegraph.store.migrate import load_migrations
from profilegraph.store.ports import Transaction, Work

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "src" / "profilegraph" / "store"
CYPHER_START = re.compile(
    r"^\s*(MATCH|OPTIONAL|MERGE|CREATE|UNWIND|RETURN|WITH|CALL|SHOW|DROP|DETACH|DELETE|SET|FOREACH)\b"
)

executed: dict[GraphProduct, set[str]] = defaultdict(set)
_running_on: ContextVar[GraphProduct | None] = ContextVar("running_on", default=None)


def store_statements() -> dict[str, str]:
    """Module-level string constants of store/ that hold Cypher, by `module:NAME`."""
    found: dict[str, str] = {}
    for path in sorted(STORE.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target, value = None, None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            if (
                isinstance(target, ast.Name)
                and target.id.isupper()
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
                and CYPHER_START.match(value.value)
            ):
                found[f"{path.relative_to(ROOT)}:{target.id}"] = value.value
    return found


def schema_statements() -> dict[str, str]:
    return {
        f"graph_schema/{m.version:04d}_{m.name}.cypher#{i + 1}": statement
        for m in load_migrations()
        for i, statement in enumerate(m.statements)
    }


def missing_on_neo4j() -> list[str]:
    ran = executed[GraphProduct.NEO4J]
    return sorted(name for name, text in {**store_statements(), **schema_statements()}.items() if text not in ran)


def _assert_plain(value: Any, query: str) -> None:
    """The store hands rows on as the driver decoded them: a node or relationship in one is a defect."""
    if isinstance(value, graph.Node | graph.Relationship | graph.Path):
        raise AssertionError(f"a query returned a graph entity, not plain values: {query.strip()[:200]}")
    if isinstance(value, dict):
        for item in value.values():
            _assert_plain(item, query)
    elif isinstance(value, list):
        for item in value:
            _assert_plain(item, query)


def install() -> None:
    """Record every query the store runs, under the product of the server it runs on."""
    records = bolt._records
    read, write, ping, query = GraphStore.read, GraphStore.write, GraphStore.ping, GraphStore.query

    async def recorded(tx: Transaction, query: LiteralString, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        product = _running_on.get()
        if product is not None:
            executed[product].add(query)
        rows = await records(tx, query, params)
        for row in rows:
            _assert_plain(row, query)
        return rows

    async def recorded_read(self: GraphStore, work: Work[Any]) -> Any:
        token = _running_on.set(self.product)
        try:
            return await read(self, work)
        finally:
            _running_on.reset(token)

    async def recorded_write(self: GraphStore, work: Work[Any], *, retry_conflicts: bool = False) -> Any:
        token = _running_on.set(self.product)
        try:
            return await write(self, work, retry_conflicts=retry_conflicts)
        finally:
            _running_on.reset(token)

    async def recorded_query(self: GraphStore, text: LiteralString, **params: Any) -> list[dict[str, Any]]:
        token = _running_on.set(self.product)
        try:
            return await query(self, text, **params)
        finally:
            _running_on.reset(token)

    async def recorded_ping(self: GraphStore, timeout: float = 3.0) -> bool:
        answered = await ping(self, timeout)
        if answered:
            executed[self.product].add(bolt.PING)
        return answered

    bolt._records = recorded  # type: ignore[assignment]
    GraphStore.read = recorded_read  # type: ignore[method-assign]
    GraphStore.write = recorded_write  # type: ignore[method-assign]
    GraphStore.ping = recorded_ping  # type: ignore[method-assign]
    GraphStore.query = recorded_query  # type: ignore[method-assign]
