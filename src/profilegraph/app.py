"""The Starlette application: lifespan, /graphql, /healthz, /readyz."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from profilegraph import __version__
from profilegraph.api.context import RequestContext
from profilegraph.api.graphiql import ASSETS_PATH, graphiql_assets, local_graphiql_html
from profilegraph.api.schema import build_schema
from profilegraph.services.runtime import GraphRuntime, open_graph
from profilegraph.settings import Settings, load_settings

__all__ = ["create_app"]


class _GraphQLApp(GraphQL[RequestContext, None]):
    @property
    def graphql_ide_html(self) -> str:
        return local_graphiql_html(super().graphql_ide_html)

    async def get_context(self, request: Request | WebSocket, response: Any) -> RequestContext:
        assert isinstance(request, Request)
        return RequestContext(request=request, runtime=request.app.state.runtime)


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


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_graph(settings) as runtime:
            app.state.runtime = runtime
            yield

    graphql = _GraphQLApp(
        build_schema(settings),
        graphql_ide="graphiql" if settings.environment == "development" else None,
        allow_queries_via_get=False,
    )
    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    if settings.environment == "development":
        routes.append(Mount(ASSETS_PATH, app=graphiql_assets(), name="graphiql-assets"))
    return Starlette(routes=routes, lifespan=lifespan)
