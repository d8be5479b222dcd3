"""What identity reads hand back: a OneID's standing, an identifier's, merges, audit, conflicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from profilegraph.domain.identifiers import IdentifierKey, OneId

__all__ = ["AuditEntry", "Conflict", "IdentifierState", "MergeRecord", "PersonStanding"]


@dataclass(frozen=True)
class PersonStanding:
    """A OneID as it stands: active, or retired and redirecting to ``current``."""

    one_id: OneId
    status: str  # active | retired
    current: OneId | None  # the active OneID it redirects to; None when active or left empty

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class IdentifierState:
    key: IdentifierKey
    status: str  # active | shared | blocked
    admin_blocked: bool
    one_id: OneId | None


@dataclass(frozen=True)
class MergeRecord:
    """One redirect: ``retired`` now answers as ``survivor``."""

    retired: OneId
    survivor: OneId
    at: str
    reason: str


@dataclass(frozen=True)
class AuditEntry:
    audit_id: str
    at: str
    actor: str
    action: str
    reason: str
    one_ids: tuple[OneId, ...]
    identifier_keys: tuple[IdentifierKey, ...]
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Conflict:
    """A link refused by a rule, kept for review while its ends stay apart."""

    conflict_id: str
    a: IdentifierKey
    b: IdentifierKey
    rule: str
    detail: str
    detected_at: str
    one_id_a: OneId | None
    one_id_b: OneId | None
