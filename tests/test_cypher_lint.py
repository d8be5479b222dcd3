"""Every Cypher statement we ship must pass Neo4j 5's own semantic analysis.

The embedded server accepts Cypher that Neo4j rejects, so running the store tests
is not enough; `tools/cypher_lint.mjs` runs Neo4j's linter (npm package
@neo4j-cypher/language-support) on each statement.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from profilegraph.store.migrate import load_migrations

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "src" / "profilegraph" / "store"
LINTER = ROOT / "tools" / "cypher_lint.mjs"
_CYPHER_START = re.compile(
    r"^\s*(MATCH|OPTIONAL|MERGE|CREATE|UNWIND|RETURN|WITH|CALL|SHOW|DROP|DETACH|DELETE|SET|FOREACH)\b"
)


def _store_statements() -> dict[str, str]:
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
                and _CYPHER_START.match(value.value)
            ):
                found[f"{path.relative_to(ROOT)}:{target.id}"] = value.value
    return found


def _schema_statements() -> dict[str, str]:
    return {
        f"graph_schema/{m.version:04d}_{m.name}.cypher#{i + 1}": statement
        for m in load_migrations()
        for i, statement in enumerate(m.statements)
    }


def _lint(statements: dict[str, str]) -> dict[str, list[dict[str, object]]]:
    node = shutil.which("node")
    assert node is not None, "node is needed to lint Cypher (see README)"
    payload = json.dumps([{"id": key, "query": query} for key, query in statements.items()])
    completed = subprocess.run(
        [node, str(LINTER)], input=payload, capture_output=True, text=True, cwd=ROOT, check=False, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    return {entry["id"]: entry["errors"] for entry in json.loads(completed.stdout)}


def test_store_and_schema_cypher_passes_neo4j_5_analysis() -> None:
    statements = _store_statements() | _schema_statements()
    assert len(statements) > 15  # the collector found the store's queries, not nothing
    report = _lint(statements)
    failures = {key: errors for key, errors in report.items() if errors}
    assert failures == {}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("MATCH (n) WHERE exists(n.prop) RETURN n", "no longer supported"),
        ("MATCH (n:Identifier {key: $key})", "cannot conclude with MATCH"),
        ("RETURN apoc.coll.sum([1, 2]) AS s", "apoc.coll.sum is not present"),
    ],
)
def test_the_linter_rejects_what_neo4j_5_rejects(query: str, message: str) -> None:
    errors = _lint({"q": query})["q"]
    assert any(message in str(error["message"]) for error in errors)
