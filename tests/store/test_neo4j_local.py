"""The local Neo4j 5 the suite and the benchmarks run on, as a process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import neo4j
import pytest

from profilegraph.errors import EmbeddedServerError
from profilegraph.store.neo4j_local import LocalNeo4j
from tests.conftest import selected_backends

pytestmark = pytest.mark.skipif(
    "neo4j-local" not in selected_backends(), reason="PROFILEGRAPH_TEST_BACKEND does not name neo4j-local"
)

COUNT_MARKS = "MATCH (m:Mark) RETURN count(m) AS n"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers signal 0; its state in /proc says it is gone
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1][0] != "Z"


def test_data_survives_a_clean_stop_and_the_password_never_shows_in_the_process_list(tmp_path: Path) -> None:
    server = LocalNeo4j(tmp_path / "home", heap="512m", page_cache="64m")
    endpoint = server.start()
    try:
        assert server.pid is not None
        assert endpoint.password not in Path(f"/proc/{server.pid}/cmdline").read_text()
        with neo4j.GraphDatabase.driver(endpoint.uri, auth=(endpoint.user, endpoint.password)) as driver:
            driver.execute_query("CREATE (:Mark)")
        with (
            neo4j.GraphDatabase.driver(endpoint.uri, auth=(endpoint.user, "wrong-password")) as intruder,
            pytest.raises(neo4j.exceptions.AuthError),
        ):
            intruder.verify_connectivity()
    finally:
        server.stop()

    endpoint = server.start()  # the same home: the database was shut down cleanly and is still there
    try:
        with neo4j.GraphDatabase.driver(endpoint.uri, auth=(endpoint.user, endpoint.password)) as driver:
            assert driver.execute_query(COUNT_MARKS).records[0]["n"] == 1
    finally:
        server.stop()


def test_the_jvm_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom profilegraph.store.neo4j_local import LocalNeo4j\n"
            "server = LocalNeo4j(Path(sys.argv[1]), heap='256m', page_cache='32m')\nserver.start()\n"
            "print(server.pid, flush=True)\ntime.sleep(600)\n",
            str(tmp_path / "home"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert starter.stdout is not None
    jvm = int(starter.stdout.readline())
    assert _alive(jvm)
    starter.send_signal(signal.SIGKILL)
    starter.wait(10)
    starter.stdout.close()
    deadline = time.monotonic() + 60
    while _alive(jvm) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(jvm), f"the Neo4j JVM {jvm} outlived its parent"


def test_a_neo4j_that_cannot_start_names_the_cause(tmp_path: Path) -> None:
    server = LocalNeo4j(tmp_path / "home", heap="1k")  # the JVM refuses a heap this small
    with pytest.raises(EmbeddedServerError, match="exited with status"):
        server.start()
    assert server.pid is None
