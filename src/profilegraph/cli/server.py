"""``profilegraph serve`` and ``profilegraph migrate``."""

from __future__ import annotations

import logging

import click

from profilegraph.cli._common import load_cli_settings, with_graph
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.services.runtime import GraphRuntime

__all__ = ["migrate", "serve"]


@click.command()
@click.option("--host", default=None, help="Interface to listen on [default: PROFILEGRAPH_HOST or 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port to listen on [default: PROFILEGRAPH_PORT or 8000].")
def serve(host: str | None, port: int | None) -> None:
    """Serve the GraphQL API (starting the embedded graph server when no Neo4j is configured)."""
    import uvicorn

    from profilegraph.app import create_app

    settings = load_cli_settings()
    logging.getLogger("profilegraph").setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=settings.port if port is None else port,
        log_level="info",
        lifespan="on",
    )


@click.command()
def migrate() -> None:
    """Apply the pending graph schema migrations."""

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> list[str]:
        return [f"{migration.version:04d}_{migration.name}" for migration in await runtime.migrate()]

    applied = with_graph(action, migrate=False)
    for name in applied:
        click.echo(f"applied {name}")
    if not applied:
        click.echo("schema is up to date")
