"""The graph a process works on: which server, the open store, the schema state."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from profilegraph.settings import Settings
from profilegraph.store.bolt import GraphStore
from profilegraph.store.embedded import BoltEndpoint, EmbeddedGraphServer, running_server
from profilegraph.store.migrate import Migration, MigrationStatus, apply_migrations, migration_status

__all__ = ["GraphRuntime", "GraphStatus", "open_graph"]

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
        if not await self.store.ping():
            return GraphStatus(self.backend, reachable=False, migrations=None)
        try:
            migrations = await migration_status(self.store)
        except Exception:  # the graph went away between the ping and the read
            log.exception("reading the migration status failed")
            return GraphStatus(self.backend, reachable=False, migrations=None)
        return GraphStatus(self.backend, reachable=True, migrations=migrations)


def _configured_endpoint(settings: Settings) -> BoltEndpoint:
    assert settings.neo4j_uri is not None
    password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else ""
    return BoltEndpoint(settings.neo4j_uri, settings.neo4j_user, password, settings.neo4j_database)


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
    try:
        store = await GraphStore.connect(endpoint, transaction_timeout=settings.graph_timeout)
        try:
            if migrate:
                for migration in await apply_migrations(store):
                    log.info("applied schema migration %04d_%s", migration.version, migration.name)
            yield GraphRuntime(settings, store, backend, server)
        finally:
            await store.close()
    finally:
        if server is not None:
            server.stop()
