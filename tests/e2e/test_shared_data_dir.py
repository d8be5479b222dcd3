"""Several processes on one data directory: whoever owns the embedded server may go, the others carry on.

Each process either owns the directory's graph server or borrows it. When the owner
exits (cleanly or killed), a borrower takes the directory over or follows whoever did:
no permanent 503, no traceback, no lost data.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.client import bearer
from tests.e2e.test_serve import _alive, _free_port, _wait_gone
from tests.identity_events import identify

pytestmark = pytest.mark.slow


class Directory:
    """A data directory and the profilegraph processes started on it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PROFILEGRAPH_")}
        self.env["PROFILEGRAPH_DATA_DIR"] = str(path)
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """Start a command; its output goes to files (a service's log would fill a pipe)."""
        number = len(self.processes)
        with (
            open(self.path.parent / f"{number}.out", "wb") as out,
            open(self.path.parent / f"{number}.err", "wb") as err,
        ):
            command = [sys.executable, "-m", "profilegraph", *args]
            process = subprocess.Popen(command, env=self.env, cwd=self.path.parent, stdout=out, stderr=err)
        self.processes.append(process)
        return process

    def stderr(self, process: subprocess.Popen[bytes]) -> str:
        number = self.processes.index(process)
        return (self.path.parent / f"{number}.err").read_text(errors="replace")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "profilegraph", *args],
            env=self.env,
            cwd=self.path.parent,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )

    def serve(self) -> str:
        port = _free_port()
        self.start("serve", "--port", str(port))
        url = f"http://127.0.0.1:{port}"
        wait_ready(url)
        return url

    def owner(self) -> dict[str, int]:
        """Which process owns the directory's graph server now, and its Java process."""
        recorded = json.loads((self.path / "server.json").read_text())
        return {"pid": recorded["pid"], "java_pid": recorded["java_pid"]}

    def wait_owner(self, pid: int, url: str, timeout: float = 90) -> None:
        """Until process ``pid``, serving ``url``, owns the graph server. A borrower notices
        that its owner has gone when it next uses the graph, and a killed owner's server
        can answer for a moment after it: a ready borrower may not have taken over yet."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/readyz", timeout=10)
                if self.owner()["pid"] == pid:
                    return
            except (httpx.TransportError, OSError, ValueError):  # between owners
                pass
            time.sleep(0.5)
        raise AssertionError(f"process {pid} did not take the graph server over within {timeout} s")

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def directory(tmp_path: Path) -> Iterator[Directory]:
    shared = Directory(tmp_path / "graph")
    yield shared
    shared.stop_all()


def wait_ready(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{url}/readyz", timeout=10)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text}"
        except httpx.TransportError as exc:
            last = str(exc)
        time.sleep(0.5)
    raise AssertionError(f"{url} not ready within {timeout} s: {last}")


def write_events(path: Path, count: int, prefix: str) -> Path:
    path.write_text(
        "\n".join(
            identify(
                f"{prefix}-{n}",
                1 + n % 28,
                {"type": "member_id", "value": f"{prefix}M{n}"},
                {"type": "device_id", "value": f"{prefix}d{n}"},
            )
            for n in range(count)
        )
        + "\n"
    )
    return path


def one_id_count(directory: Directory) -> int:
    exported = directory.run("export-oneids", "-")
    assert exported.returncode == 0, exported.stderr
    return len(set(json.loads(exported.stdout).values()))


def test_borrowing_services_take_over_when_the_owner_stops_or_is_killed(directory: Directory) -> None:
    first = directory.serve()
    second = directory.serve()
    owner = directory.owner()
    assert owner["pid"] == directory.processes[0].pid  # the second service borrowed the first one's server
    assert directory.run("import", str(write_events(directory.path.parent / "a.ndjson", 50, "a"))).returncode == 0

    directory.processes[0].send_signal(signal.SIGTERM)  # the owner leaves cleanly
    directory.processes[0].wait(timeout=60)
    assert _wait_gone(owner["java_pid"], timeout=20)
    wait_ready(second)
    assert directory.owner()["pid"] == directory.processes[1].pid
    assert one_id_count(directory) == 50  # the same graph, now served by the second process

    third = directory.serve()
    directory.processes[1].kill()  # the new owner dies without a word
    directory.processes[1].wait()
    directory.wait_owner(directory.processes[2].pid, third)
    wait_ready(third)
    assert one_id_count(directory) == 50
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{first}/readyz", timeout=2)

    java = directory.owner()["java_pid"]
    directory.processes[2].send_signal(signal.SIGTERM)
    directory.processes[2].wait(timeout=60)
    assert _wait_gone(java, timeout=20), "the last graph server outlived its owner"
    for process in directory.processes:
        assert "Traceback" not in directory.stderr(process)


def test_a_command_whose_server_owner_leaves_mid_run_finishes_on_the_next_one(directory: Directory) -> None:
    directory.serve()
    events = write_events(directory.path.parent / "b.ndjson", 20_000, "b")
    importer = directory.start("import", str(events), "--batch-size", "500")
    time.sleep(8)  # some batches in, through the service's server
    assert importer.poll() is None, "the import ended before its server's owner could leave"

    owner = directory.owner()
    directory.processes[0].send_signal(signal.SIGTERM)
    assert importer.wait(timeout=300) == 0, directory.stderr(importer)
    assert "Traceback" not in directory.stderr(importer)
    assert not _alive(owner["java_pid"])
    assert one_id_count(directory) == 20_000


def test_a_service_outlives_the_short_command_whose_server_it_borrowed(directory: Directory) -> None:
    events = write_events(directory.path.parent / "c.ndjson", 20_000, "c")
    importer = directory.start("import", str(events), "--batch-size", "500")
    deadline = time.monotonic() + 90
    while not (directory.path / "server.json").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    url = directory.serve()
    assert directory.owner()["pid"] == importer.pid  # the service borrowed the import's server
    assert importer.wait(timeout=300) == 0, directory.stderr(importer)

    directory.wait_owner(directory.processes[1].pid, url)  # the import took its server with it
    wait_ready(url)  # and the service started its own
    health = httpx.post(
        f"{url}/graphql",
        json={"query": "{ health { graph { reachable } } }"},
        headers=bearer(directory.path),
        timeout=10,
    )
    assert health.json()["data"]["health"]["graph"]["reachable"] is True
    assert one_id_count(directory) == 20_000
