from __future__ import annotations

from pathlib import Path

import neo4j
import pytest

from profilegraph.errors import DataDirectoryInUseError, EmbeddedServerError
from profilegraph.store.embedded import BoltEndpoint, EmbeddedGraphServer, running_server


def test_a_second_server_on_the_same_data_directory_is_refused(
    embedded_endpoint: BoltEndpoint, embedded_data_dir: Path
) -> None:
    with pytest.raises(DataDirectoryInUseError, match="already running on"):
        EmbeddedGraphServer(embedded_data_dir).start()


def test_the_running_server_is_found_through_its_data_directory(
    embedded_endpoint: BoltEndpoint, embedded_data_dir: Path
) -> None:
    assert running_server(embedded_data_dir) == embedded_endpoint


def test_no_server_is_found_where_none_runs(tmp_path: Path) -> None:
    assert running_server(tmp_path) is None


def test_a_server_that_cannot_start_names_the_cause_and_leaves_nothing(tmp_path: Path) -> None:
    server = EmbeddedGraphServer(tmp_path, heap="1k")  # the JVM refuses a heap this small
    with pytest.raises(EmbeddedServerError, match="exited with status") as caught:
        server.start()
    assert "heap" in str(caught.value).lower()
    assert server.pid is None
    assert running_server(tmp_path) is None  # the directory lock was released


def test_a_server_that_does_not_answer_in_time_is_stopped(tmp_path: Path) -> None:
    server = EmbeddedGraphServer(tmp_path, start_timeout=0.3)
    with pytest.raises(EmbeddedServerError, match="did not answer a Bolt query"):
        server.start()
    assert server.pid is None
    assert running_server(tmp_path) is None


def test_the_root_password_is_not_on_the_servers_command_line(tmp_path: Path) -> None:
    server = EmbeddedGraphServer(tmp_path)
    endpoint = server.start()
    try:
        command_line = Path(f"/proc/{server.pid}/cmdline").read_bytes().decode()
        assert endpoint.password not in command_line
        with neo4j.GraphDatabase.driver(endpoint.uri, auth=(endpoint.user, endpoint.password)) as driver:
            assert driver.execute_query("RETURN 1 AS ok", database_=endpoint.database).records[0]["ok"] == 1
    finally:
        server.stop()
