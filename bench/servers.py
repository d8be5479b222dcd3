"""The graph servers a benchmark can run on, each fresh in a temporary directory."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from profilegraph.store.embedded import BoltEndpoint, EmbeddedGraphServer
from profilegraph.store.neo4j_local import NEO4J_VERSION, LocalNeo4j

BACKENDS = ("embedded", "neo4j")


@dataclass(frozen=True)
class RunningServer:
    endpoint: BoltEndpoint
    pid: int | None
    description: str


@contextmanager
def graph_server(backend: str, heap: str, page_cache: str = "2g") -> Iterator[RunningServer]:
    """A fresh, empty server of ``backend``: the embedded ArcadeDB or a local Neo4j 5."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{backend}-") as directory:
        server: EmbeddedGraphServer | LocalNeo4j
        if backend == "embedded":
            server, description = EmbeddedGraphServer(Path(directory), heap=heap), f"embedded ArcadeDB, heap {heap}"
        elif backend == "neo4j":
            server = LocalNeo4j(Path(directory), heap=heap, page_cache=page_cache)
            description = f"Neo4j {NEO4J_VERSION} community, heap {heap}, page cache {page_cache}"
        else:
            raise ValueError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
        endpoint = server.start()
        try:
            yield RunningServer(endpoint, server.pid, description)
        finally:
            server.stop()


def add_service_backend(parser: argparse.ArgumentParser) -> None:
    """--backend for a benchmark that runs the service on a graph it builds."""
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="embedded",
        help="neo4j: a fresh local Neo4j 5 (heap 4 GiB, page cache 2 GiB), the graph built anew for the run",
    )


def local_neo4j_service(stack: ExitStack, prefix: str) -> tuple[Path, dict[str, str]]:
    """A fresh local Neo4j 5 (heap 4 GiB, page cache 2 GiB) for a benchmark's service, stopped
    with ``stack``: a scratch directory, and the variables that point the service at it."""
    home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
    server = LocalNeo4j(home / "neo4j", heap="4g", page_cache="2g")
    endpoint = server.start()
    stack.callback(server.stop)
    return home, {
        "PROFILEGRAPH_NEO4J_URI": endpoint.uri,
        "PROFILEGRAPH_NEO4J_USER": endpoint.user,
        "PROFILEGRAPH_NEO4J_PASSWORD": endpoint.password,
    }


def jvm_peak_mib(pid: int | None) -> float:
    """The resident high-water mark of the server's JVM."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
