"""Field permissions by role: a field the caller's role may not use is a FORBIDDEN error."""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry.permission import BasePermission

from profilegraph.api.context import Info
from profilegraph.domain.access import Capability, may
from profilegraph.errors import ErrorCode

__all__ = ["CanAdminister", "CanIngest", "CanLookUp", "CanSetTags", "CanView"]


class _Requires(BasePermission):
    capability: ClassVar[Capability]
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}  # noqa: RUF012 - read, never changed

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        if may(principal, self.capability):
            return True
        self.message = f"the {principal.role} role may not use {info.field_name}"
        return False


class CanView(_Requires):
    capability = Capability.VIEWER


class CanLookUp(_Requires):
    capability = Capability.LOOKUP


class CanAdminister(_Requires):
    capability = Capability.ADMINISTER


class CanIngest(_Requires):
    capability = Capability.INGEST


class CanSetTags(_Requires):
    capability = Capability.SET_TAGS
