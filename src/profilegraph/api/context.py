"""What every resolver receives: the request, the graph runtime, the caller and its loaders."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from starlette.requests import Request
from strawberry.types import Info as StrawberryInfo

from profilegraph.api.loaders import Loaders
from profilegraph.api.metrics import metrics
from profilegraph.domain.access import Principal
from profilegraph.domain.events import InputLimits
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.lifecycle import LifecycleConfig
from profilegraph.domain.survivorship import SurvivorshipRules
from profilegraph.services.config import (
    identity_config,
    input_limits,
    lifecycle_config,
    survivorship_rules,
    tag_context,
)
from profilegraph.services.runtime import GraphRuntime
from profilegraph.services.tags import TagContext
from profilegraph.settings import Settings

__all__ = ["Info", "RequestContext", "ServiceConfig"]


@dataclass(frozen=True)
class ServiceConfig:
    """The rules read once at start-up from the settings."""

    settings: Settings
    identity: IdentityConfig
    lifecycle: LifecycleConfig

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceConfig:
        return cls(settings, identity_config(settings), lifecycle_config(settings))

    @cached_property
    def input_limits(self) -> InputLimits:
        return input_limits(self.settings)

    @cached_property
    def tags(self) -> TagContext:
        return tag_context(self.settings)

    @cached_property
    def survivorship(self) -> SurvivorshipRules:
        return survivorship_rules(self.settings)


@dataclass
class RequestContext:
    request: Request | None
    runtime: GraphRuntime
    config: ServiceConfig
    principal: Principal
    request_id: str
    # OneID -> the fields served unmasked to this caller, audited when the request ends.
    pii_reads: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.runtime, self.config.settings, self.config.lifecycle)

    def note_pii_read(self, one_id: str, what: str) -> None:
        self.pii_reads[one_id].add(what)

    def note_ingested(self, accepted: int, rejected: int) -> None:
        metrics.events.labels("accepted").inc(accepted)
        metrics.events.labels("rejected").inc(rejected)


Info = StrawberryInfo[RequestContext, None]
