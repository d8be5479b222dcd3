"""The graph servers a benchmark can run on, each fresh in a temporary directory."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


def jvm_peak_mib(pid: int | None) -> float:
    """The resident high-water mark of the server's JVM."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
