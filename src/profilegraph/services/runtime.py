"""The graph a process works on: which server, the open store, the schema state."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

from profilegraph.domain.diagnosis.shipped import shipped_definitions
from profilegraph.errors import DataDirectoryInUseError, GraphUnavailableError, ProfileGraphError
from profilegraph.services.config import churn_signal_config
from profilegraph.services.tags import ensure_shipped_tags
from profilegraph.settings import Settings
from profilegraph.store.bolt import GraphStore
from profilegraph.store.embedded import BoltEndpoint, EmbeddedGraphServer, bolt_answers, running_server
from profilegraph.store.migrate import Migration, MigrationStatus, apply_migrations, migration_status

__all__ = ["GraphRuntime", "GraphStatus", "open_graph", "shared_graph_server"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GraphStatus:
    backend: str
    reachable: bool
    migrations: MigrationStatus | None

    @property
    def ready(self) -> bool:
        return self.reachable and self.migrations is not None and self.migrations.complete


@dataclass
class GraphRuntime:
    settings: Settings
    store: GraphStore
    backend: str
    server: EmbeddedGraphServer | None = None

    async def migrate(self) -> list[Migration]:
        """Apply the schema migrations this graph lacks; return them."""
        return await apply_migrations(self.store)

    async def status(self) -> GraphStatus:
        if not await self.store.ping() and not await self._follow_the_graph():
            return GraphStatus(self.backend, reachable=False, migrations=None)
        try:
            migrations = await migration_status(self.store)
        except Exception:  # the graph went away between the ping and the read
            log.exception("reading the migration status failed")
            return GraphStatus(self.backend, reachable=False, migrations=None)
        return GraphStatus(self.backend, reachable=True, migrations=migrations)

    async def _follow_the_graph(self) -> bool:
        """After a failed probe: reconnect if the graph moved; True if it answers now."""
        try:
            return await self.store.reconnect() and await self.store.ping()
        except ProfileGraphError as exc:
            log.warning("the graph is not reachable: %s", exc)
            return False

    async def data_directory_server(self) -> BoltEndpoint:
        """Where the data directory's graph answers now, starting a server if nobody runs one.

        A process that borrowed another's embedded server follows it: when that owner
        exits, the first process to notice takes the directory over and starts a server;
        the others find it through the directory's address file and connect to it.
        """
        deadline = time.monotonic() + self.settings.embedded_start_timeout
        while time.monotonic() < deadline:
            if self.server is not None:
                if self.server.running:
                    return self.server.endpoint
                self.server.stop()  # our own server died: release the directory, then start again
                self.server = None
            found = await asyncio.to_thread(
                running_server, self.settings.data_dir, wait=self.settings.embedded_start_timeout
            )
            if found is not None:
                if await asyncio.to_thread(bolt_answers, found):
                    return found
                await asyncio.sleep(0.5)  # its owner is still shutting down: wait for the directory
                continue
            server = EmbeddedGraphServer.for_settings(self.settings)
            try:
                endpoint = await asyncio.to_thread(server.start)
            except DataDirectoryInUseError:
                continue  # another process took the directory over first: follow it instead
            log.info("took over %s: embedded graph server answers on %s", self.settings.data_dir, endpoint.uri)
            self.server = server
            return endpoint
        raise GraphUnavailableError(
            f"No graph server answered or could be started on {self.settings.data_dir} "
            f"within {self.settings.embedded_start_timeout:.0f} s"
        )


def _configured_endpoint(settings: Settings) -> BoltEndpoint:
    assert settings.neo4j_uri is not None
    password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else ""
    return BoltEndpoint(settings.neo4j_uri, settings.neo4j_user, password, settings.neo4j_database)


async def _define_shipped_tags(store: GraphStore, settings: Settings) -> None:
    for definition in await ensure_shipped_tags(store, shipped_definitions(churn_signal_config(settings), "")):
        log.info("defined the shipped tag %s", definition.key)


@asynccontextmanager
async def open_graph(settings: Settings, *, migrate: bool = True) -> AsyncIterator[GraphRuntime]:
    """Connect to the configured graph, or to the embedded server of the data directory.

    With no ``PROFILEGRAPH_NEO4J_URI``, a server already running on the data
    directory is used; otherwise one is started here and stopped on exit.
    """
    server: EmbeddedGraphServer | None = None
    if settings.neo4j_uri:
        endpoint, backend = _configured_endpoint(settings), "neo4j"
    else:
        backend = "embedded"
        existing = running_server(settings.data_dir)
        if existing is not None:
            log.info("using the graph server already running on %s (%s)", settings.data_dir, existing.uri)
            endpoint = existing
        else:
            server = EmbeddedGraphServer.for_settings(settings)
            log.info("starting the embedded graph server on %s", settings.data_dir.resolve())
            endpoint = server.start()
            log.info("embedded graph server answers on %s", endpoint.uri)
    runtime: GraphRuntime | None = None
    try:
        store = await GraphStore.connect(endpoint, transaction_timeout=settings.graph_timeout)
        runtime = GraphRuntime(settings, store, backend, server)
        if backend == "embedded":
            store.follow(runtime.data_directory_server)
        try:
            if migrate:
                for migration in await apply_migrations(store):
                    log.info("applied schema migration %04d_%s", migration.version, migration.name)
                await _define_shipped_tags(store, settings)
            yield runtime
        finally:
            await store.close()
    finally:
        # the runtime may have taken over a server of its own since it started
        owned = runtime.server if runtime is not None else server
        if owned is not None:
            owned.stop()


@contextmanager
def shared_graph_server(settings: Settings) -> Iterator[None]:
    """One graph server for several processes (``serve --workers N``), migrated once before they start.

    Without a configured Neo4j, the data directory's server is started here (unless one
    runs already) and stops when the block ends; each process finds it through the directory.
    """
    server: EmbeddedGraphServer | None = None
    if settings.uses_embedded_server and running_server(settings.data_dir) is None:
        server = EmbeddedGraphServer.for_settings(settings)
        log.info("starting the embedded graph server on %s for the workers", settings.data_dir.resolve())
        server.start()
    try:

        async def migrate_once() -> None:
            async with open_graph(settings):
                pass

        asyncio.run(migrate_once())
        yield
    finally:
        if server is not None:
            server.stop()
