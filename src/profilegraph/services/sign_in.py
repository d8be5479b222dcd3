"""One-time console sign-in links: a short-lived ticket, traded once for a session token.

``profilegraph console-link`` signs a ticket (a JWT for the audience
``<PROFILEGRAPH_JWT_AUDIENCE>:console-sign-in``, so it is never accepted as an API token)
and prints the console's address with the ticket in the fragment, which browsers do not
send to servers or put in logs. The console posts the ticket once; the service checks it,
records its id in the graph so that a second use is refused by any process, and answers
with an ordinary token of the ticket's role and scopes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from profilegraph.domain.access import Role
from profilegraph.errors import AuthenticationError, ConfigurationError, InvalidInputError
from profilegraph.services.credentials import issue_token, sign_claims, signing_secret
from profilegraph.settings import Settings
from profilegraph.store import sign_in as sign_in_store
from profilegraph.store.ports import GraphAccess

__all__ = ["SignedIn", "issue_sign_in_ticket", "redeem_sign_in_ticket"]

TICKET_MINUTES = 10  # long enough to open the link, short enough not to matter if it leaks
SESSION_HOURS = 8  # one working shift
_CLOCK_SKEW = timedelta(seconds=30)


def _ticket_audience(settings: Settings) -> str:
    return f"{settings.jwt_audience}:console-sign-in"


def issue_sign_in_ticket(
    settings: Settings,
    role: Role,
    *,
    subject: str,
    scopes: Iterable[str] = (),
    minutes: float = TICKET_MINUTES,
    session_hours: float = SESSION_HOURS,
) -> str:
    """A ticket that signs one browser in as ``subject`` with ``role`` and ``scopes``."""
    if minutes <= 0 or session_hours <= 0:
        raise InvalidInputError("a sign-in link needs a positive lifetime and session length", field="minutes")
    return sign_claims(
        settings,
        role,
        subject=subject,
        scopes=scopes,
        lifetime=timedelta(minutes=minutes),
        audience=_ticket_audience(settings),
        extra={"jti": secrets.token_urlsafe(18), "session_hours": session_hours},
    )


@dataclass(frozen=True)
class SignedIn:
    token: str
    role: str
    scopes: tuple[str, ...]
    subject: str
    expires_at: str


async def redeem_sign_in_ticket(store: GraphAccess, settings: Settings, ticket: str) -> SignedIn:
    """The session token a valid, unused ticket stands for; AuthenticationError saying why otherwise."""
    try:
        secret = signing_secret(settings)
    except ConfigurationError:
        raise AuthenticationError(
            "sign-in links are off here: tokens are signed by your identity provider; paste one instead"
        ) from None
    try:
        claims = jwt.decode(
            ticket,
            secret,
            algorithms=["HS256"],
            audience=_ticket_audience(settings),
            issuer=settings.jwt_issuer,
            leeway=_CLOCK_SKEW,
            options={"require": ["exp", "sub", "aud", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("this sign-in link has expired; ask for a new one") from None
    except jwt.PyJWTError as exc:
        raise AuthenticationError(f"this is not a sign-in link of this service: {exc}") from None
    try:
        role = Role(str(claims.get("role")))
        hours = float(claims.get("session_hours", SESSION_HOURS))
    except (TypeError, ValueError):
        raise AuthenticationError("this sign-in link names no known role") from None
    now = datetime.now(UTC)
    fresh = await sign_in_store.redeem_ticket(
        store,
        str(claims["jti"]),
        nonce=secrets.token_hex(16),
        now=now.isoformat(),
        expires_at=(datetime.fromtimestamp(int(claims["exp"]), UTC) + _CLOCK_SKEW).isoformat(),
    )
    if not fresh:
        raise AuthenticationError("this sign-in link was used already; ask for a new one")
    scopes = tuple(str(claims.get("scope") or "").split())
    subject = str(claims["sub"])
    return SignedIn(
        token=issue_token(settings, role, subject=subject, scopes=scopes, hours=hours),
        role=str(role),
        scopes=scopes,
        subject=subject,
        expires_at=(now + timedelta(hours=hours)).isoformat(timespec="seconds"),
    )
