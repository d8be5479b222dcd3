"""The Starlette application: lifespan, /graphql, /console, /metrics, /healthz, /readyz."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from strawberry.http.ides import get_graphql_ide_html

from profilegraph import __version__
from profilegraph.api.auth import Authenticator
from profilegraph.api.console import console_routes
from profilegraph.api.context import ServiceConfig
from profilegraph.api.graphiql import ASSETS_PATH, graphiql_assets, local_graphiql_html
from profilegraph.api.http import GraphQLEndpoint, RequestError, authenticated, error_response
from profilegraph.api.metrics import CONTENT_TYPE_LATEST, metrics
from profilegraph.api.schema import build_schema
from profilegraph.services.clv.snapshots import run_snapshot_schedule
from profilegraph.services.credentials import ApiKeyVerifier, TokenVerifier
from profilegraph.services.runtime import GraphRuntime, open_graph
from profilegraph.settings import Settings, load_settings

__all__ = ["create_app"]


async def healthz(request: Request) -> JSONResponse:
    """The process is alive; says nothing of the graph."""
    return JSONResponse({"status": "ok", "version": __version__})


async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the graph answers and every migration is applied."""
    runtime: GraphRuntime = request.app.state.runtime
    status = await runtime.status()
    body = {
        "ready": status.ready,
        "graph": {
            "backend": status.backend,
            "reachable": status.reachable,
            "pending_migrations": list(status.migrations.pending) if status.migrations else None,
        },
    }
    return JSONResponse(body, status_code=200 if status.ready else 503)


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus metrics, for any caller with a credential (a scraper sends a token or an API key)."""
    try:
        await authenticated(request)
    except RequestError as error:
        return error_response(error)
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def _snapshot_schedule(runtime: GraphRuntime, settings: Settings, config: ServiceConfig) -> asyncio.Task[None] | None:
    """The value-map snapshots of PROFILEGRAPH_VALUE_MAP_SNAPSHOT_HOURS, taken in the background."""
    if not settings.value_map_snapshot_hours:
        return None
    return asyncio.create_task(
        run_snapshot_schedule(
            runtime.store,
            every_hours=settings.value_map_snapshot_hours,
            horizon_days=settings.clv_horizon_days,
            lifecycle_config=config.lifecycle,
        ),
        name="value-map-snapshots",
    )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()
    config = ServiceConfig.from_settings(settings)
    development = settings.environment == "development"

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tokens = TokenVerifier(settings)  # creates the development secret on a first run
        async with open_graph(settings) as runtime:
            app.state.runtime = runtime
            app.state.authenticator = Authenticator(
                tokens, ApiKeyVerifier(runtime.store, settings.api_key_cache_seconds)
            )
            # The schema, the libraries and the driver live as long as the process: kept out of
            # the collector's full passes, which otherwise walk them again and again under load.
            gc.freeze()
            schedule = _snapshot_schedule(runtime, settings, config)
            try:
                yield
            finally:
                if schedule is not None:
                    schedule.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await schedule

    graphiql = local_graphiql_html(get_graphql_ide_html(graphql_ide="graphiql")) if development else None
    endpoint = GraphQLEndpoint(build_schema(config), config, graphiql)
    routes: list[BaseRoute] = [
        Route("/graphql", endpoint.handle, methods=["GET", "POST"]),
        Route("/metrics", metrics_endpoint),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *console_routes(settings),
    ]
    if development:
        routes.append(Mount(ASSETS_PATH, app=graphiql_assets(), name="graphiql-assets"))
    return Starlette(routes=routes, lifespan=lifespan)
