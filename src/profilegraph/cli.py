"""The ``profilegraph`` command line."""

from __future__ import annotations

import asyncio
import logging
import sys

from collections.abc import Coroutine
from typing import Any, TypeVar

import click

from profilegraph import __version__
from profilegraph.cli_clv import register as register_clv_commands
from profilegraph.cli_identity import register as register_identity_commands
from profilegraph.errors import ProfileGraphError
from profilegraph.services.runtime import open_graph
from profilegraph.settings import Settings, load_settings

__all__ = ["main", "run_async"]

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return load_settings()
    except ProfileGraphError as exc:
        raise click.ClickException(exc.message) from exc


@click.group()
@click.version_option(__version__, prog_name="profilegraph")
@click.option("-v", "--verbose", is_flag=True, help="Log what the command does.")
def main(verbose: bool) -> None:
    """profilegraph: OneID identity resolution and unified customer profiles."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.option("--host", default=None, help="Interface to listen on [default: PROFILEGRAPH_HOST or 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port to listen on [default: PROFILEGRAPH_PORT or 8000].")
def serve(host: str | None, port: int | None) -> None:
    """Serve the GraphQL API (starting the embedded graph server when no Neo4j is configured)."""
    import uvicorn

    from profilegraph.app import create_app

    settings = _settings()
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


@main.command()
def migrate() -> None:
    """Apply the pending graph schema migrations."""

    async def run() -> None:
        async with open_graph(_settings(), migrate=False) as runtime:
            from profilegraph.store.migrate import apply_migrations

            applied = await apply_migrations(runtime.store)
        for migration in applied:
            click.echo(f"applied {migration.version:04d}_{migration.name}")
        if not applied:
            click.echo("schema is up to date")

    run_async(run())


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; a ProfileGraphError ends the command with its code and message."""
    try:
        return asyncio.run(coroutine)
    except ProfileGraphError as exc:
        click.echo(f"error [{exc.code}]: {exc.message}", err=True)
        sys.exit(1)


register_identity_commands(main, _settings)
register_clv_commands(main, _settings)
