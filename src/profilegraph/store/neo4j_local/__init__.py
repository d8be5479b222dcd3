"""A real Neo4j 5 on this machine, for tests and benchmarks: fetched with Maven, run as a child.

Production runs Neo4j 5, and the embedded ArcadeDB server differs from it where it
matters (locking, the Cypher it accepts, speed), so the suite and the benchmarks also
run on the real thing. ``LocalNeo4j`` needs only a Java 17 runtime and Maven:

1. the community edition (``org.neo4j:neo4j``, version ``NEO4J_VERSION``) and its own
   Netty and log4j jars are copied from Maven Central into a cache folder, once per
   machine (``PROFILEGRAPH_NEO4J_CACHE``, default ``~/.cache/profilegraph/neo4j-<version>``);
2. ``LocalNeo4j.java`` beside this module is compiled there: it opens the embedded
   database with its Bolt connector on a loopback port, HTTP off, authentication on;
3. the JVM is started with a bounded heap and page cache, the password on its standard
   input (never on its command line), in its own session, and told by the kernel to
   stop when we die, so no JVM is ever orphaned.

Example::

    with LocalNeo4j(Path("/tmp/neo4j-home"), heap="1g") as endpoint:
        driver = neo4j.GraphDatabase.driver(endpoint.uri, auth=(endpoint.user, endpoint.password))
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from importlib import resources
from pathlib import Path

from profilegraph.errors import EmbeddedServerError
from profilegraph.store.process import BoltEndpoint, ChildGraphServer, die_with_parent, free_loopback_port

__all__ = ["NEO4J_VERSION", "LocalNeo4j", "install_neo4j"]

# Neo4j 5.26 is the LTS line that runs on Java 17; 2025.x needs Java 21.
NEO4J_VERSION = "5.26.30"
NEO4J_USER = "neo4j"
_MAIN_CLASS = "LocalNeo4j"
_READY = "READY"
_LOG_FILE = "neo4j-console.log"
# Neo4j 5 reads and writes NIO internals that Java 17 closes by default.
_JAVA_OPENS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
)


def _cache_dir() -> Path:
    configured = os.environ.get("PROFILEGRAPH_NEO4J_CACHE")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "profilegraph" / f"neo4j-{NEO4J_VERSION}"


def _tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise EmbeddedServerError(f"`{name}` is not on PATH; the local Neo4j needs it ({hint})")
    return path


def _run(command: list[str], what: str, cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip().splitlines()[-20:]
        raise EmbeddedServerError(f"{what} failed (exit {done.returncode}):\n" + "\n".join(output))


def install_neo4j(cache: Path | None = None) -> Path:
    """Fetch Neo4j's jars and compile the launcher into ``cache`` unless done already.

    Safe to call from several processes at once: one installs, the others wait for it.
    Returns the cache folder, holding ``lib/`` (the jars) and ``classes/`` (the launcher).
    """
    cache = cache or _cache_dir()
    done_marker = cache / "installed"
    if done_marker.exists():
        return cache
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / "install.lock", "a+", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if done_marker.exists():
            return cache
        mvn = _tool("mvn", "apt-get install maven")
        javac = _tool("javac", "apt-get install openjdk-17-jdk-headless")
        sources = resources.files(__name__)
        with tempfile.TemporaryDirectory(prefix="neo4j-install-") as work:
            work_dir = Path(work)
            (work_dir / "pom.xml").write_bytes(sources.joinpath("pom.xml").read_bytes())
            launcher = work_dir / f"{_MAIN_CLASS}.java"
            launcher.write_bytes(sources.joinpath(f"{_MAIN_CLASS}.java").read_bytes())
            lib = work_dir / "lib"
            _run(
                [
                    mvn,
                    "-B",
                    "-q",
                    f"-Dneo4j.version={NEO4J_VERSION}",
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={lib}",
                    "-DincludeScope=runtime",
                ],
                f"Fetching Neo4j {NEO4J_VERSION} from Maven Central",
                work_dir,
            )
            classes = work_dir / "classes"
            _run(
                [javac, "-d", str(classes), "-cp", f"{lib}/*", str(launcher)], "Compiling the Neo4j launcher", work_dir
            )
            for name in ("lib", "classes"):
                shutil.rmtree(cache / name, ignore_errors=True)
                shutil.move(work_dir / name, cache / name)
        done_marker.write_text(NEO4J_VERSION, encoding="utf-8")
    return cache


class LocalNeo4j(ChildGraphServer):
    """Starts and stops a Neo4j 5 community server with Bolt on a free loopback port.

    ``home`` holds its databases and logs; ``heap`` bounds the JVM heap and
    ``page_cache`` the page cache (Neo4j otherwise takes half the machine's memory).
    """

    description = "local Neo4j"

    def __init__(self, home: Path, *, heap: str = "1g", page_cache: str = "512m", start_timeout: float = 120.0) -> None:
        super().__init__()
        self.home = home.resolve()
        self.heap = heap
        self.page_cache_mb = _megabytes(page_cache)
        self.start_timeout = start_timeout

    def start(self) -> BoltEndpoint:
        """Install if needed, launch, and return once Bolt accepts connections."""
        if self._process is not None:
            return self.endpoint
        cache = install_neo4j()
        java = _tool("java", "apt-get install openjdk-17-jre-headless")
        self.home.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(18)
        port = free_loopback_port()
        command = [
            java,
            f"-Xmx{self.heap}",
            f"-Xms{self.heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            *_JAVA_OPENS,
            "-cp",
            f"{cache / 'classes'}{os.pathsep}{cache / 'lib'}/*",
            _MAIN_CLASS,
            str(self.home),
            str(port),
            str(self.page_cache_mb),
        ]
        log_path = self.home / _LOG_FILE
        log_path.unlink(missing_ok=True)
        with open(log_path, "ab") as log:
            self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                command,
                cwd=self.home,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
            )
        assert self._process.stdin is not None
        self._process.stdin.write(password.encode() + b"\n")
        self._process.stdin.close()
        try:
            self._wait_until_ready(log_path)
        except BaseException:
            self.stop()
            raise
        self._endpoint = BoltEndpoint(f"bolt://127.0.0.1:{port}", NEO4J_USER, password, None)
        return self._endpoint

    def _wait_until_ready(self, log_path: Path) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if _READY in log_path.read_text(encoding="utf-8", errors="replace"):
                return
            code = self._process.poll()
            if code is not None:
                raise EmbeddedServerError(f"Neo4j exited with status {code} while starting:\n{_tail(log_path)}")
            time.sleep(0.2)
        raise EmbeddedServerError(
            f"Neo4j did not accept Bolt connections within {self.start_timeout:.0f} s:\n{_tail(log_path)}"
        )

    def stop(self, timeout: float = 60.0) -> None:
        """Shut Neo4j down cleanly (SIGTERM runs its shutdown), then SIGKILL after ``timeout``."""
        super().stop(timeout)


def _megabytes(size: str) -> int:
    match = re.fullmatch(r"([1-9]\d*)([mMgG])", size)
    if match is None:
        raise EmbeddedServerError(f"Size {size!r} is not a number of megabytes or gigabytes such as 512m or 2g")
    return int(match[1]) * (1024 if match[2] in "gG" else 1)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
