"""The graph servers we run as child processes: what they share.

``EmbeddedGraphServer`` (ArcadeDB, a developer's default) and ``LocalNeo4j`` (Neo4j 5
for tests and benchmarks) both start a JVM that must never outlive us, wait until it
answers Bolt, and stop it with SIGTERM (a clean shutdown) before SIGKILL.
"""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass

from profilegraph.errors import EmbeddedServerError

__all__ = ["BoltEndpoint", "ChildGraphServer", "die_with_parent", "free_loopback_port"]

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class BoltEndpoint:
    """How to reach a Bolt graph server."""

    uri: str
    user: str
    password: str
    database: str | None


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def die_with_parent() -> None:
    """Ask the kernel to SIGTERM this process when its parent dies, even by SIGKILL.

    Runs in the child between fork and exec (``preexec_fn``), so a JVM we start is
    never orphaned.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ChildGraphServer:
    """A graph server running as our child process; subclasses say how to ``start`` it."""

    description = "graph server"

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._endpoint: BoltEndpoint | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        """True while the child process lives (it may still be starting)."""
        return self._process is not None and self._process.poll() is None

    @property
    def endpoint(self) -> BoltEndpoint:
        if self._endpoint is None:
            raise EmbeddedServerError(f"The {self.description} is not running")
        return self._endpoint

    def start(self) -> BoltEndpoint:
        raise NotImplementedError

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (the server shuts down cleanly), then SIGKILL after ``timeout`` seconds."""
        process, self._process = self._process, None
        self._endpoint = None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> BoltEndpoint:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __del__(self) -> None:
        if getattr(self, "_process", None) is not None:
            self.stop()
