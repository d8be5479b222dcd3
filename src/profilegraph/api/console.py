"""The console at /console: a page, its packaged scripts, and the sign-in link's exchange.

Everything the page shows comes from /graphql with the signed-in token, so the console
can do exactly what its role can. The page and every script ship in the package
(``static/console``): no build step at install time and no call to another host, which
the Content-Security-Policy also enforces.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from profilegraph.errors import AuthenticationError, GraphError
from profilegraph.services.runtime import GraphRuntime
from profilegraph.services.sign_in import redeem_sign_in_ticket
from profilegraph.settings import Settings

__all__ = ["CONSOLE_DIR", "console_routes"]

CONSOLE_DIR = Path(__file__).parent / "static" / "console"
_MAX_TICKET_BYTES = 4096

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'none'"
    ),
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


class _SecuredFiles(StaticFiles):
    """The console's scripts and styles, with the page's security headers."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def secured(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))  # type: ignore[call-overload]
                headers.extend((name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items())
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, secured)  # type: ignore[arg-type]


async def to_console_page(request: Request) -> Response:
    # The page's relative asset addresses resolve under /console/.
    return RedirectResponse("/console/", status_code=308)


async def console_page(request: Request) -> Response:
    return FileResponse(CONSOLE_DIR / "index.html", headers={**SECURITY_HEADERS, "cache-control": "no-cache"})


def _refusal(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=SECURITY_HEADERS)


def sign_in_endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    async def sign_in(request: Request) -> Response:
        """Trade a one-time sign-in ticket for a session token."""
        body = await request.body()
        if len(body) > _MAX_TICKET_BYTES:
            return _refusal(413, "BAD_REQUEST", "the sign-in request is too large")
        try:
            ticket = json.loads(body).get("ticket")
        except (ValueError, AttributeError):
            ticket = None
        if not isinstance(ticket, str) or not ticket:
            return _refusal(400, "BAD_REQUEST", 'send {"ticket": "..."} from a console sign-in link')
        runtime: GraphRuntime = request.app.state.runtime
        try:
            signed_in = await redeem_sign_in_ticket(runtime.store, settings, ticket)
        except AuthenticationError as error:
            return _refusal(401, error.code.value, error.message)
        except GraphError:
            return _refusal(503, "GRAPH_UNAVAILABLE", "the graph database does not answer; try the link again")
        return JSONResponse(
            {
                "token": signed_in.token,
                "role": signed_in.role,
                "scopes": list(signed_in.scopes),
                "subject": signed_in.subject,
                "expiresAt": signed_in.expires_at,
            },
            headers={**SECURITY_HEADERS, "cache-control": "no-store"},
        )

    return sign_in


def console_routes(settings: Settings) -> list[BaseRoute]:
    return [
        Route("/console", to_console_page),
        Route("/console/", console_page),
        Route("/console/sign-in", sign_in_endpoint(settings), methods=["POST"]),
        Mount("/console/assets", app=_SecuredFiles(directory=CONSOLE_DIR / "assets"), name="console-assets"),
    ]
