"""The embedded local graph server: ArcadeDB with its Bolt plugin, as a child process.

A developer's first run needs no database install and no Docker: the
``arcadedb-embedded`` wheel bundles a Java runtime and the ArcadeDB server jars,
and the server speaks Bolt, so the neo4j driver and our Cypher use it exactly as
they use Neo4j.

One server owns a data directory at a time. The owner holds an exclusive lock on
``<data_dir>/server.lock`` and records how to reach it in ``<data_dir>/server.json``,
so other commands on the same directory connect to it instead of starting another.
The JVM runs in its own session (a terminal's Ctrl-C reaches only us, and we stop it
cleanly) and is told by the kernel to terminate if we die, so no JVM is ever orphaned.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import subprocess
import time
from pathlib import Path
from typing import IO, Self

from neo4j import GraphDatabase
from neo4j.exceptions import Neo4jError, ServiceUnavailable

from profilegraph.errors import DataDirectoryInUseError, EmbeddedServerError
from profilegraph.settings import Settings
from profilegraph.store.process import BoltEndpoint, ChildGraphServer, die_with_parent, free_loopback_port

__all__ = ["BoltEndpoint", "EmbeddedGraphServer", "bolt_answers", "running_server"]

ROOT_USER = "root"
BOLT_PLUGIN = "Bolt:com.arcadedb.bolt.BoltProtocolPlugin"
_LOCK_FILE = "server.lock"
_ADDRESS_FILE = "server.json"
_PASSWORD_FILE = "bolt-password"  # noqa: S105 - a file name, not a password
_LOG_FILE = "server.log"


def _java_and_classpath() -> tuple[Path, str]:
    try:
        from arcadedb_embedded.jvm import get_bundled_jre_lib_path, get_jar_path
    except ImportError:
        raise EmbeddedServerError(
            "The embedded graph server is not installed: install it with pip install 'profilegraph[embedded]', "
            "or set PROFILEGRAPH_NEO4J_URI to use Neo4j"
        ) from None

    libjvm = Path(get_bundled_jre_lib_path())  # <jre>/lib/server/libjvm.so
    java = libjvm.parents[2] / "bin" / "java"
    if not java.is_file():
        raise EmbeddedServerError(f"The bundled Java runtime is missing: {java} does not exist")
    return java, os.path.join(get_jar_path(), "*")


def bolt_answers(endpoint: BoltEndpoint, timeout: float = 2.0) -> bool:
    try:
        with GraphDatabase.driver(
            endpoint.uri,
            auth=(endpoint.user, endpoint.password),
            connection_timeout=timeout,
            max_connection_pool_size=1,
        ) as driver:
            # An auto-commit query: the driver's managed transactions would retry for 30 s.
            with driver.session(database=endpoint.database) as session:
                record = session.run("RETURN 1 AS ok").single()
            return record is not None and record["ok"] == 1
    except (ServiceUnavailable, Neo4jError, OSError):
        return False


def _password_for(data_dir: Path) -> str:
    """The root password of this data directory's server, created once and kept private."""
    path = data_dir / _PASSWORD_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    password = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password)
    return password


def _try_lock(data_dir: Path) -> IO[str] | None:
    handle = open(data_dir / _LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 - held for the server's life
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def running_server(data_dir: Path, *, wait: float = 30.0) -> BoltEndpoint | None:
    """The endpoint of the server that owns ``data_dir`` now, or None if nobody does.

    A server that holds the lock but has not yet written its address is still
    starting: wait up to ``wait`` seconds for it.
    """
    data_dir = data_dir.resolve()
    if not data_dir.is_dir():
        return None
    deadline = time.monotonic() + wait
    while True:
        lock = _try_lock(data_dir)
        if lock is not None:  # nobody owns the directory; any address file is stale
            lock.close()
            return None
        address = data_dir / _ADDRESS_FILE
        if address.exists():
            recorded = json.loads(address.read_text(encoding="utf-8"))
            return BoltEndpoint(
                uri=recorded["bolt_uri"],
                user=ROOT_USER,
                password=_password_for(data_dir),
                database=recorded["database"],
            )
        if time.monotonic() > deadline:
            raise EmbeddedServerError(
                f"The graph server that owns {data_dir} has not published its address "
                f"within {wait:.0f} s; see {data_dir / _LOG_FILE}"
            )
        time.sleep(0.2)


class EmbeddedGraphServer(ChildGraphServer):
    """Starts and stops ArcadeDB with Bolt on a free loopback port.

    Example::

        with EmbeddedGraphServer(Path("var/graph")) as endpoint:
            driver = neo4j.GraphDatabase.driver(endpoint.uri, auth=(endpoint.user, endpoint.password))
    """

    description = "embedded graph server"

    def __init__(
        self,
        data_dir: Path,
        *,
        heap: str = "1g",
        start_timeout: float = 60.0,
        database: str = "profilegraph",
    ) -> None:
        super().__init__()
        self.data_dir = data_dir.resolve()
        self.heap = heap
        self.start_timeout = start_timeout
        self.database = database
        self._lock: IO[str] | None = None

    def start(self) -> BoltEndpoint:
        """Launch the server and return once a Bolt query answers."""
        if self._process is not None:
            return self.endpoint
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = _try_lock(self.data_dir)
        if self._lock is None:
            raise DataDirectoryInUseError(
                f"Another graph server is already running on {self.data_dir}; "
                "stop it, or point PROFILEGRAPH_DATA_DIR at another directory"
            )
        try:
            return self._launch()
        except BaseException:
            self.stop()
            raise

    def _launch(self) -> BoltEndpoint:
        (self.data_dir / _ADDRESS_FILE).unlink(missing_ok=True)
        password = _password_for(self.data_dir)
        bolt_port = free_loopback_port()
        java, classpath = _java_and_classpath()
        command = [
            str(java),
            f"-Xmx{self.heap}",
            # The throughput collector: the server's heavy work is batches of writes and
            # evidence walks that allocate fast and die young, where it spends a fifth
            # less CPU than the default G1; pauses stay short at these heap sizes.
            "-XX:+UseParallelGC",
            "-Djava.awt.headless=true",
            f"-Darcadedb.server.rootPath={self.data_dir}",
            f"-Darcadedb.server.databaseDirectory={self.data_dir / 'databases'}",
            # the path, not the password: a command line is visible to every local user
            f"-Darcadedb.server.rootPasswordPath={self.data_dir / _PASSWORD_FILE}",
            f"-Darcadedb.server.defaultDatabases={self.database}[{ROOT_USER}]",
            "-Darcadedb.server.mode=production",
            "-Darcadedb.server.httpIncomingHost=127.0.0.1",
            f"-Darcadedb.server.httpIncomingPort={free_loopback_port()}",
            f"-Darcadedb.server.httpsIncomingPort={free_loopback_port()}",
            f"-Darcadedb.server.plugins={BOLT_PLUGIN}",
            "-Darcadedb.bolt.host=127.0.0.1",
            f"-Darcadedb.bolt.port={bolt_port}",
            "-cp",
            classpath,
            "com.arcadedb.server.ArcadeDBServer",
        ]
        log = open(self.data_dir / _LOG_FILE, "ab")  # noqa: SIM115 - the child writes to it
        try:
            self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                command,
                cwd=self.data_dir,  # ArcadeDB writes its log/ folder into the working directory
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
            )
        finally:
            log.close()
        endpoint = BoltEndpoint(
            uri=f"bolt://127.0.0.1:{bolt_port}", user=ROOT_USER, password=password, database=self.database
        )
        self._wait_until_ready(endpoint)
        self._endpoint = endpoint
        (self.data_dir / _ADDRESS_FILE).write_text(
            json.dumps({"bolt_uri": endpoint.uri, "database": self.database, "pid": os.getpid(), "java_pid": self.pid}),
            encoding="utf-8",
        )
        return endpoint

    def _wait_until_ready(self, endpoint: BoltEndpoint) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            code = self._process.poll()
            if code is not None:
                raise EmbeddedServerError(
                    f"The embedded graph server exited with status {code} while starting:\n{self._log_tail()}"
                )
            if bolt_answers(endpoint):
                return
            time.sleep(0.25)
        raise EmbeddedServerError(
            f"The embedded graph server did not answer a Bolt query on {endpoint.uri} within "
            f"{self.start_timeout:.0f} s (PROFILEGRAPH_EMBEDDED_START_TIMEOUT):\n{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 15) -> str:
        try:
            text = (self.data_dir / _LOG_FILE).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the JVM (SIGTERM, then SIGKILL after ``timeout``) and release the directory."""
        super().stop(timeout)
        if self._lock is not None:
            (self.data_dir / _ADDRESS_FILE).unlink(missing_ok=True)
            self._lock.close()
            self._lock = None

    @classmethod
    def for_settings(cls, settings: Settings) -> Self:
        return cls(
            settings.data_dir,
            heap=settings.embedded_heap,
            start_timeout=settings.embedded_start_timeout,
            database=settings.embedded_database,
        )
