"""The suite empties the database it runs on, so it must refuse one holding anybody else's data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import neo4j

from profilegraph.store.embedded import EmbeddedGraphServer

ROOT = Path(__file__).resolve().parents[1]


def test_the_suite_refuses_a_graph_with_data_it_did_not_write(tmp_path: Path) -> None:
    server = EmbeddedGraphServer(tmp_path / "graph")
    endpoint = server.start()
    try:
        with neo4j.GraphDatabase.driver(endpoint.uri, auth=(endpoint.user, endpoint.password)) as driver:
            driver.execute_query("CREATE (:Customer {name: 'precious'})", database_=endpoint.database)
            env = {k: v for k, v in os.environ.items() if not k.startswith("PROFILEGRAPH_")}
            env |= {
                "PROFILEGRAPH_TEST_BACKEND": "bolt",
                "PROFILEGRAPH_TEST_NEO4J_URI": endpoint.uri,
                "PROFILEGRAPH_TEST_NEO4J_USER": endpoint.user,
                "PROFILEGRAPH_TEST_NEO4J_PASSWORD": endpoint.password,
                "PROFILEGRAPH_TEST_NEO4J_DATABASE": endpoint.database or "",
            }
            run = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/store/test_bolt.py"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            left = driver.execute_query("MATCH (c:Customer) RETURN c.name AS name", database_=endpoint.database)
    finally:
        server.stop()

    assert run.returncode == 4, run.stdout + run.stderr
    assert "holds data that the tests did not write" in run.stdout + run.stderr
    assert [record["name"] for record in left.records] == ["precious"]
