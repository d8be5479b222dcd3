"""The ``health`` query: service version and the state of its graph."""

from __future__ import annotations

import strawberry

from profilegraph import __version__
from profilegraph.api.context import Info

__all__ = ["GraphHealth", "Health", "resolve_health"]


@strawberry.type(description="Whether the graph database answers and its schema is up to date.")
class GraphHealth:
    backend: str = strawberry.field(description="`embedded` (local server) or `neo4j` (configured URI).")
    reachable: bool
    migrations_applied: bool
    pending_migrations: list[int]


@strawberry.type
class Health:
    version: str

    @strawberry.field(description="Asks the graph: only when this field is requested.")
    async def graph(self, info: Info) -> GraphHealth:
        status = await info.context.runtime.status()
        return GraphHealth(
            backend=status.backend,
            reachable=status.reachable,
            migrations_applied=status.ready,
            pending_migrations=list(status.migrations.pending) if status.migrations else [],
        )


def resolve_health() -> Health:
    return Health(version=__version__)
