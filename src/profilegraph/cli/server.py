"""``profilegraph serve`` and ``profilegraph migrate``."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import click

from profilegraph.cli._common import load_cli_settings, with_graph
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.errors import ProfileGraphError
from profilegraph.services.runtime import GraphRuntime, shared_graph_server

__all__ = ["migrate", "serve"]

log = logging.getLogger(__name__)


@click.command()
@click.option("--host", default=None, help="Interface to listen on [default: PROFILEGRAPH_HOST or 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port to listen on [default: PROFILEGRAPH_PORT or 8000].")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes; they share one graph server (the data directory's, or the configured Neo4j).",
)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the GraphQL API (starting the embedded graph server when no Neo4j is configured)."""
    import uvicorn

    from profilegraph.app import create_app
    from profilegraph.services.credentials import TokenVerifier

    settings = load_cli_settings()
    logging.getLogger("profilegraph").setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        TokenVerifier(settings)  # the keys are read (or the development secret made) before anything starts
    except ProfileGraphError as exc:
        raise click.ClickException(exc.message) from exc
    # Every request already writes its own structured line (profilegraph.requests).
    options = {
        "host": host or settings.host,
        "port": settings.port if port is None else port,
        "log_level": "info",
        "access_log": False,
    }
    address = f"http://{options['host']}:{options['port']}"
    hint = f"profilegraph console-link --role service --url {address}" if settings.environment == "development" else ""
    click.echo(f"console: {address}/console/" + (f" (sign in with `{hint}`)" if hint else ""), err=True)
    if workers == 1:
        uvicorn.run(create_app(settings), lifespan="on", **options)  # type: ignore[arg-type]
        return
    with ExitStack() as stack:
        try:
            stack.enter_context(shared_graph_server(settings))
        except ProfileGraphError as exc:
            raise click.ClickException(exc.message) from exc
        stack.enter_context(_shared_metrics())
        # Each worker builds its app from the same environment and borrows the graph server.
        uvicorn.run("profilegraph.app:create_app", factory=True, workers=workers, lifespan="on", **options)  # type: ignore[arg-type]


@contextmanager
def _shared_metrics() -> Iterator[None]:
    """prometheus-client's multiprocess mode: every worker's samples add up in /metrics."""
    directory = tempfile.mkdtemp(prefix="profilegraph-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    try:
        yield
    finally:
        shutil.rmtree(directory, ignore_errors=True)


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
