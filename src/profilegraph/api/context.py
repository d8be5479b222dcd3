"""What every resolver receives: the request and the process's graph runtime."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from strawberry.types import Info as StrawberryInfo

from profilegraph.services.runtime import GraphRuntime

__all__ = ["Info", "RequestContext"]


@dataclass
class RequestContext:
    request: Request
    runtime: GraphRuntime


Info = StrawberryInfo[RequestContext, None]
