"""Every Cypher statement we ship must pass Neo4j 5's own semantic analysis.

The embedded server accepts Cypher that Neo4j rejects, so running the store tests
is not enough; `tools/cypher_lint.mjs` runs Neo4j's linter (npm package
@neo4j-cypher/language-support) on each statement.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cypher_coverage import schema_statements, store_statements

ROOT = Path(__file__).resolve().parents[1]
LINTER = ROOT / "tools" / "cypher_lint.mjs"


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
    statements = store_statements() | schema_statements()
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
