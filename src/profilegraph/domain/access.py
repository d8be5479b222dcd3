"""Who may do what: roles, scopes and the principal a request acts as (DESIGN §7)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["PII_READ", "SCOPES", "Capability", "Principal", "Role", "may"]

PII_READ = "pii:read"  # unmasked phones, e-mails and account ids
SCOPES = frozenset({PII_READ})


class Role(StrEnum):
    APP = "app"  # a front-end acting for one consumer: only that consumer's own profile
    SERVICE = "service"  # customer service: look consumers up
    ADMIN = "admin"  # identity administration: merge, split, block, explain, audit
    INGEST = "ingest"  # a pipeline writing events


class Capability(StrEnum):
    VIEWER = "viewer"  # read the caller's own profile
    LOOKUP = "lookup"  # read any profile, search audiences, the value map
    ADMINISTER = "administer"  # change and explain identity, read the audit log
    INGEST = "ingest"  # write events
    SET_TAGS = "set_tags"  # write model tags (manual tags also need ADMINISTER)


_GRANTS: dict[Role, frozenset[Capability]] = {
    Role.APP: frozenset({Capability.VIEWER}),
    Role.SERVICE: frozenset({Capability.VIEWER, Capability.LOOKUP}),
    # An identity admin must see the profiles they change.
    Role.ADMIN: frozenset({Capability.VIEWER, Capability.LOOKUP, Capability.ADMINISTER, Capability.SET_TAGS}),
    # Model tags are written by jobs, which hold pipeline credentials.
    Role.INGEST: frozenset({Capability.INGEST, Capability.SET_TAGS}),
}


@dataclass(frozen=True)
class Principal:
    """The caller a request acts as, once its credential is verified."""

    name: str  # who, as audit records name them: a token's subject or "apikey:<name>"
    role: Role
    scopes: frozenset[str] = field(default_factory=frozenset)
    subject: str | None = None  # the identifier key (``phone:+86...``) of the consumer an app acts for
    credential: str = "jwt"  # jwt | apikey

    @property
    def reads_pii(self) -> bool:
        return PII_READ in self.scopes


def may(principal: Principal, capability: Capability) -> bool:
    return capability in _GRANTS[principal.role]
