"""GraphQL over HTTP at /graphql, as the GraphQL-over-HTTP specification asks.

- POST with ``application/json`` bodies; GET with query parameters for queries only
  (a mutation over GET is 405).
- The answer is ``application/graphql-response+json`` when the client accepts it, and
  then a request error (unparsable, invalid, a limit) is HTTP 400; under
  ``application/json`` it is 200 with ``errors``, as legacy clients expect.
- Every request but the development GraphiQL page needs a credential: 401 without one.
- A batched array of operations, a body over the size limit, a wrong media type are
  refused with a readable error. An error raised inside the service is masked: the
  client gets its request id, the log gets the traceback.
- Personal data served unmasked is audited before the answer leaves.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from strawberry import Schema
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from profilegraph.api.auth import Authenticator
from profilegraph.api.context import RequestContext, ServiceConfig
from profilegraph.api.metrics import metrics
from profilegraph.domain.access import PII_READ, Principal
from profilegraph.errors import AuthenticationError, GraphError, ProfileGraphError
from profilegraph.services.admin import record_unmasked_reads
from profilegraph.services.runtime import GraphRuntime

__all__ = ["GraphQLEndpoint", "RequestError", "authenticated", "error_response"]

log = logging.getLogger(__name__)
request_log = logging.getLogger("profilegraph.requests")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON_MEDIA = "application/json"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REASON_HEADER = "x-access-reason"  # why an unmasked read was needed, kept in its audit entry
# A pii:read holder asks for masked values, as the console does until an agent says why it needs them.
MASK_HEADER = "x-mask-pii"


class RequestError(Exception):
    """A request that cannot be executed: answered with ``status`` and one error."""

    def __init__(self, status: int, message: str, code: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


@dataclass
class _Outcome:
    operation: str = "anonymous"
    outcome: str = "ok"
    status: int = 200
    codes: list[str] = field(default_factory=list)
    principal: Principal | None = None


# What each acceptable media range is answered with; between equal weights the
# specification's own media type wins (the second item).
_ANSWERS = {
    GRAPHQL_RESPONSE: (GRAPHQL_RESPONSE, 1),
    JSON_MEDIA: (JSON_MEDIA, 0),
    "application/*": (JSON_MEDIA, 0),
    "*/*": (JSON_MEDIA, 0),
}


def _weight(params: list[str]) -> float:
    """A media range's q weight; 0 when it asks for a charset other than UTF-8."""
    weight = 1.0
    for param in params:
        name, _, value = (piece.strip().lower() for piece in param.partition("="))
        if name == "q":
            try:
                weight = float(value)
            except ValueError:
                return 0.0
        elif name == "charset" and value not in {"utf-8", "utf8"}:
            return 0.0
    return weight


def _accepted_media(request: Request) -> str:
    """The media type to answer with, from the Accept header (RFC 9110 weights honoured)."""
    header = request.headers.get("accept")
    if not header:
        return JSON_MEDIA
    candidates = []
    for part in header.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        answer = _ANSWERS.get(media.lower())
        weight = _weight(params)
        if answer is not None and weight > 0:
            candidates.append((weight, answer[1], answer[0]))
    if not candidates:
        raise RequestError(406, f"cannot answer in any media type the Accept header allows: {header}", "NOT_ACCEPTABLE")
    return max(candidates)[2]


async def authenticated(request: Request) -> Principal:
    """The principal a request acts as; RequestError 401 without a valid credential, 503 when an
    API key cannot be looked up."""
    authenticator: Authenticator = request.app.state.authenticator
    try:
        return await authenticator.principal(request)
    except AuthenticationError as error:
        raise RequestError(
            401, error.message, error.code, {"www-authenticate": 'Bearer realm="profilegraph"'}
        ) from None
    except GraphError as error:
        raise RequestError(
            503, "credentials cannot be checked: the graph database does not answer", error.code
        ) from None


class GraphQLEndpoint:
    def __init__(self, schema: Schema, config: ServiceConfig, graphiql_html: str | None) -> None:
        self._schema = schema
        self._config = config
        self._graphiql_html = graphiql_html

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = request.headers.get("x-request-id", "")
        if not _REQUEST_ID.match(request_id):
            request_id = uuid.uuid4().hex
        if self._wants_graphiql(request):
            return HTMLResponse(self._graphiql_html)
        outcome = _Outcome()
        try:
            response = await self._handle(request, request_id, outcome)
        except RequestError as error:
            outcome.outcome, outcome.status = "refused", error.status
            outcome.codes.append(error.code)
            response = error_response(error, request_id)
        finally:
            elapsed = time.perf_counter() - started
        self._observe(request, request_id, outcome, elapsed)
        response.headers["x-request-id"] = request_id
        return response

    def _wants_graphiql(self, request: Request) -> bool:
        return (
            self._graphiql_html is not None
            and request.method == "GET"
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    async def _handle(self, request: Request, request_id: str, outcome: _Outcome) -> Response:
        runtime: GraphRuntime = request.app.state.runtime
        try:
            principal = await authenticated(request)
        except RequestError as error:
            if error.status == 401:
                outcome.outcome = "unauthenticated"
            raise
        if request.headers.get(MASK_HEADER, "").strip().lower() in {"1", "true", "yes"}:
            principal = replace(principal, scopes=principal.scopes - {PII_READ})
        outcome.principal = principal
        media = _accepted_media(request)
        params = await self._params(request)
        query, variables, operation_name = params
        outcome.operation = metrics.operation_label(operation_name or _sole_operation_name(query))
        context = RequestContext(request, runtime, self._config, principal, request_id)
        allowed = (OperationType.QUERY,) if request.method == "GET" else (OperationType.QUERY, OperationType.MUTATION)
        try:
            result = await self._schema.execute(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
                allowed_operation_types=allowed,
            )
        except MissingQueryError:
            raise RequestError(400, "the request has no query", "BAD_REQUEST") from None
        except CannotGetOperationTypeError as error:
            raise RequestError(400, error.as_http_error_reason(), "BAD_REQUEST") from None
        except InvalidOperationTypeError:
            raise RequestError(
                405, "mutations are sent with POST, never GET", "METHOD_NOT_ALLOWED", {"allow": "POST"}
            ) from None
        request_error = _is_request_error(result)
        if context.pii_reads and result.data is not None:
            try:
                await record_unmasked_reads(
                    runtime.store,
                    actor=principal.name,
                    reason=request.headers.get(REASON_HEADER, "").strip()[:500],
                    fields_by_one_id=context.pii_reads,
                )
            except GraphError:
                log.exception("the audit of an unmasked read could not be written; the data is withheld")
                raise RequestError(
                    503, "the read could not be audited, so its data is withheld; try again", "GRAPH_UNAVAILABLE"
                ) from None
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [_formatted(error, request_id, outcome) for error in result.errors]
            outcome.outcome = "refused" if request_error else "error"
        if not request_error:
            body["data"] = result.data
        status = 400 if request_error and media == GRAPHQL_RESPONSE else 200
        outcome.status = status
        return Response(
            json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            status_code=status,
            media_type=f"{media}; charset=utf-8",
        )

    async def _params(self, request: Request) -> tuple[str | None, dict[str, Any] | None, str | None]:
        if request.method == "GET":
            raw: Any = dict(request.query_params)
            for name in ("variables", "extensions"):
                if name in raw:
                    raw[name] = _decoded(raw[name], name)
        else:
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != JSON_MEDIA:
                raise RequestError(
                    415, f"send the request as {JSON_MEDIA}, not {content_type or 'no content type'}", "BAD_REQUEST"
                )
            raw = _decoded((await self._body(request)).decode("utf-8", "replace"), "body")
        if isinstance(raw, list):
            raise RequestError(
                400, "batched operations are not supported: send one operation per request", "BAD_REQUEST"
            )
        if not isinstance(raw, dict):
            raise RequestError(400, "the request body must be a JSON object", "BAD_REQUEST")
        query, variables = raw.get("query"), raw.get("variables")
        operation_name, extensions = raw.get("operationName"), raw.get("extensions")
        if not isinstance(query, str):
            raise RequestError(400, "the query parameter is missing or not a string", "BAD_REQUEST")
        if variables is not None and not isinstance(variables, dict):
            raise RequestError(400, "variables must be a JSON object", "BAD_REQUEST")
        if operation_name is not None and not isinstance(operation_name, str):
            raise RequestError(400, "operationName must be a string", "BAD_REQUEST")
        if extensions is not None and not isinstance(extensions, dict):
            raise RequestError(400, "extensions must be a JSON object", "BAD_REQUEST")
        return query, variables, operation_name

    async def _body(self, request: Request) -> bytes:
        limit = self._config.settings.max_request_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise RequestError(413, f"the request body is over {limit:,} bytes", "PAYLOAD_TOO_LARGE")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RequestError(413, f"the request body is over {limit:,} bytes", "PAYLOAD_TOO_LARGE")
            chunks.append(chunk)
        if not size:
            raise RequestError(400, "the request has no body", "BAD_REQUEST")
        return b"".join(chunks)

    def _observe(self, request: Request, request_id: str, outcome: _Outcome, elapsed: float) -> None:
        metrics.requests.labels(outcome.operation, outcome.outcome).inc()
        metrics.latency.labels(outcome.operation).observe(elapsed)
        for code in outcome.codes:
            metrics.errors.labels(code).inc()
        principal = outcome.principal
        # One line per request, never with personal data: the caller is its role and a digest.
        request_log.info(
            json.dumps(
                {
                    "request_id": request_id,
                    "method": request.method,
                    "operation": outcome.operation,
                    "status": outcome.status,
                    "outcome": outcome.outcome,
                    "ms": round(elapsed * 1000, 1),
                    "role": str(principal.role) if principal else None,
                    "caller": _caller(principal),
                    "errors": outcome.codes,
                },
                separators=(",", ":"),
            )
        )


def _caller(principal: Principal | None) -> str | None:
    if principal is None:
        return None
    if principal.credential == "apikey":
        return principal.name
    return "sub:" + hashlib.sha256(principal.name.encode()).hexdigest()[:12]


_OPERATION = re.compile(r"(?:^|[\s}])(?:query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)")


def _sole_operation_name(query: str | None) -> str | None:
    """The name of the document's one named operation, for labelling; None if it is not that simple."""
    names = _OPERATION.findall(query or "")
    return names[0] if len(names) == 1 else None


def _decoded(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise RequestError(400, f"the {name} is not valid JSON", "BAD_REQUEST") from None


def _is_request_error(result: ExecutionResult) -> bool:
    """A request error (parse, validation, a limit, variable coercion) ran no field at all."""
    if isinstance(result, PreExecutionError):
        return True
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


def _formatted(error: GraphQLError, request_id: str, outcome: _Outcome) -> dict[str, Any]:
    original = error.original_error
    formatted: dict[str, Any] = dict(error.formatted)
    extensions: dict[str, Any] = dict(formatted.get("extensions") or {})
    if original is None or isinstance(original, GraphQLError):
        # parse, validation and limit errors, and permission refusals: readable as they are
        extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED" if error.path is None else "BAD_REQUEST")
    elif isinstance(original, GraphError):
        formatted["message"] = (
            "the graph database could not answer; try again"
            if original.retryable
            else ("the graph database refused the request")
        )
        extensions["code"] = original.code.value
        log.error("request %s: %s", request_id, original.message)
    elif isinstance(original, ProfileGraphError):
        formatted["message"] = original.message
        extensions["code"] = original.code.value
        field = getattr(original, "field", None)
        if field:
            extensions["field"] = field
    else:
        log.error("request %s failed", request_id, exc_info=original)
        formatted["message"] = f"internal error (request {request_id})"
        extensions = {"code": "INTERNAL", "requestId": request_id}
    formatted["extensions"] = extensions
    outcome.codes.append(str(extensions["code"]))
    return formatted


def error_response(error: RequestError, request_id: str | None = None) -> Response:
    extensions = {"code": error.code} | ({"requestId": request_id} if request_id else {})
    body = {"errors": [{"message": error.message, "extensions": extensions}]}
    return JSONResponse(body, status_code=error.status, headers=error.headers)
