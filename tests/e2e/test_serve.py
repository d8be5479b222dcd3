"""`profilegraph serve` as a user runs it: a real process, a real port, real signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.client import bearer

HEALTH = {"query": "{ health { version graph { reachable migrationsApplied } } }"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it is gone for our purposes
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    port = _free_port()
    data_dir = tmp_path / "graph"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROFILEGRAPH_")}
    env["PROFILEGRAPH_DATA_DIR"] = str(data_dir)
    process = subprocess.Popen(
        [sys.executable, "-m", "profilegraph", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield process, f"http://127.0.0.1:{port}", data_dir
    if process.poll() is None:
        process.kill()
        process.wait()


def _wait_for_health(url: str, process: subprocess.Popen[bytes], timeout: float, data_dir: Path) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "profilegraph serve exited while starting"
        try:
            response = httpx.post(f"{url}/graphql", json=HEALTH, headers=bearer(data_dir), timeout=2)
            if response.status_code == 200:
                return dict(response.json()["data"]["health"])
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no answer to {{ health }} within {timeout} s")


def _java_pid(data_dir: Path) -> int:
    return int(json.loads((data_dir / "server.json").read_text())["java_pid"])


@pytest.mark.slow
def test_serve_answers_health_within_30_s_and_sigterm_leaves_no_process(
    serve: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    process, url, data_dir = serve
    health = _wait_for_health(url, process, timeout=30, data_dir=data_dir)
    assert health["graph"] == {"reachable": True, "migrationsApplied": True}
    java_pid = _java_pid(data_dir)
    assert _alive(java_pid)

    process.send_signal(signal.SIGTERM)
    # uvicorn shuts down cleanly, then re-raises the signal it caught
    assert process.wait(timeout=30) in (0, -signal.SIGTERM)
    assert _wait_gone(java_pid, timeout=5), "the graph server outlived `profilegraph serve`"
    assert not (data_dir / "server.json").exists()


@pytest.mark.slow
def test_the_graph_server_dies_with_a_killed_service(serve: tuple[subprocess.Popen[bytes], str, Path]) -> None:
    process, url, data_dir = serve
    _wait_for_health(url, process, timeout=30, data_dir=data_dir)
    java_pid = _java_pid(data_dir)

    process.kill()  # no chance to clean up: the kernel must stop the JVM
    process.wait()
    assert _wait_gone(java_pid, timeout=20), "the graph server was orphaned"
