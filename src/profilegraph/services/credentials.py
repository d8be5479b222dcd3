"""Credentials: signed tokens for people and apps, API keys for pipelines (DESIGN §7).

A token is a JWT whose ``sub`` names the caller (for an ``app`` token, the identifier
key of the consumer it acts for), with a ``role`` claim and a space-separated ``scope``
claim, the audience ``PROFILEGRAPH_JWT_AUDIENCE`` and an expiry. An API key is
``pg_<id>_<secret>``; the graph keeps only the SHA-256 of the secret (the secret is
256 random bits, so a fast hash is all a stolen table can be attacked with).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from profilegraph.domain.access import SCOPES, Principal, Role
from profilegraph.errors import AuthenticationError, ConfigurationError, InvalidInputError, NotFoundError
from profilegraph.settings import Settings
from profilegraph.store import apikeys as apikey_store
from profilegraph.store.ports import GraphAccess

__all__ = [
    "API_KEY_PREFIX",
    "ApiKeyVerifier",
    "CreatedApiKey",
    "TokenVerifier",
    "create_api_key",
    "development_secret",
    "issue_token",
    "list_api_keys",
    "revoke_api_key",
    "sign_claims",
    "signing_secret",
]

log = logging.getLogger(__name__)

API_KEY_PREFIX = "pg_"
DEV_SECRET_FILE = "dev-token-secret"  # noqa: S105 - a file name, not a secret
DEFAULT_TOKEN_HOURS = 12
_CLOCK_SKEW = timedelta(seconds=30)


def development_secret(settings: Settings) -> str:
    """The data directory's development signing secret, created (mode 0600) on first use."""
    path = settings.data_dir / DEV_SECRET_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secret)
    log.warning(
        "no token keys configured: created a development signing secret in %s; "
        "`profilegraph token --role ROLE` signs tokens with it (never use it in production)",
        path,
    )
    return secret


def signing_secret(settings: Settings) -> str:
    """The HS256 secret tokens are signed with here; ConfigurationError where only public keys verify them."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    if settings.has_token_keys:
        raise ConfigurationError(
            "tokens are verified with public keys here; sign them with the matching private key, "
            "not with profilegraph token"
        )
    return development_secret(settings)


def _checked_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = sorted(set(scopes))
    unknown = [scope for scope in wanted if scope not in SCOPES]
    if unknown:
        raise InvalidInputError(f"unknown scope {unknown[0]!r}; known: {', '.join(sorted(SCOPES))}", field="scope")
    return wanted


def issue_token(
    settings: Settings,
    role: Role,
    *,
    subject: str,
    scopes: Iterable[str] = (),
    hours: float = DEFAULT_TOKEN_HOURS,
) -> str:
    """A token signed with the configured HS256 secret, or the development secret."""
    return sign_claims(settings, role, subject=subject, scopes=scopes, lifetime=timedelta(hours=hours))


def sign_claims(
    settings: Settings,
    role: Role,
    *,
    subject: str,
    scopes: Iterable[str],
    lifetime: timedelta,
    audience: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """A JWT for ``subject`` with ``role`` and ``scopes``, for ``audience`` (the API's by default),
    signed as tokens are signed here; unknown scopes are refused before anything is signed."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "role": str(role),
        "scope": " ".join(_checked_scopes(scopes)),
        "aud": audience or settings.jwt_audience,
        "iat": now,
        "exp": now + lifetime,
        **(extra or {}),
    }
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    return jwt.encode(claims, signing_secret(settings), algorithm="HS256")


class TokenVerifier:
    """Checks a JWT's signature with the configured keys, then its expiry, audience and claims."""

    def __init__(self, settings: Settings) -> None:
        self._audience = settings.jwt_audience
        self._issuer = settings.jwt_issuer
        self._secret: str | None = None
        self._public_keys: list[Any] = []
        self._jwks: jwt.PyJWKSet | None = None
        if settings.jwt_secret is not None:
            self._secret = settings.jwt_secret.get_secret_value()
        if settings.jwt_public_keys is not None:
            self._public_keys = _read_public_keys(settings.jwt_public_keys)
        if settings.jwt_jwks_file is not None:
            try:
                self._jwks = jwt.PyJWKSet.from_json(settings.jwt_jwks_file.read_text(encoding="utf-8"))
            except (OSError, jwt.PyJWTError, json.JSONDecodeError) as exc:
                raise ConfigurationError(
                    f"PROFILEGRAPH_JWT_JWKS_FILE: cannot read {settings.jwt_jwks_file}: {exc}"
                ) from exc
        if not settings.has_token_keys:
            self._secret = development_secret(settings)

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"the bearer token is not a JWT: {exc}") from exc
        algorithm = header.get("alg")
        candidates: list[tuple[Any, str]] = []
        if algorithm == "HS256" and self._secret is not None:
            candidates.append((self._secret, "HS256"))
        elif algorithm == "RS256":
            if self._jwks is not None:
                kid = header.get("kid")
                candidates.extend((key.key, "RS256") for key in self._jwks.keys if kid is None or key.key_id == kid)
            candidates.extend((key, "RS256") for key in self._public_keys)
        if not candidates:
            raise AuthenticationError(f"tokens signed with {algorithm!r} are not accepted here")
        failure: jwt.PyJWTError | None = None
        for key, alg in candidates:
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=[alg],
                    audience=self._audience,
                    issuer=self._issuer,
                    leeway=_CLOCK_SKEW,
                    options={"require": ["exp", "sub", "aud"]},
                )
            except jwt.InvalidSignatureError as exc:
                failure = exc
                continue
            except jwt.PyJWTError as exc:
                raise AuthenticationError(f"the bearer token was refused: {self._reason(exc)}") from exc
            return _principal(claims)
        raise AuthenticationError(f"the bearer token was refused: {failure}")

    def _reason(self, error: jwt.PyJWTError) -> str:
        if isinstance(error, jwt.ExpiredSignatureError):
            return "it has expired; ask for a new one"
        if isinstance(error, jwt.InvalidAudienceError):
            return f"its audience is not {self._audience!r} (PROFILEGRAPH_JWT_AUDIENCE)"
        if isinstance(error, jwt.InvalidIssuerError):
            return f"its issuer is not {self._issuer!r} (PROFILEGRAPH_JWT_ISSUER)"
        if isinstance(error, jwt.MissingRequiredClaimError):
            return f"it has no {error.claim!r} claim"
        return str(error)


def _read_public_keys(path: Path) -> list[Any]:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        text = path.read_text(encoding="ascii")
    except OSError as exc:
        raise ConfigurationError(f"PROFILEGRAPH_JWT_PUBLIC_KEYS: cannot read {path}: {exc}") from exc
    end = "-----END PUBLIC KEY-----"
    blocks = [block + end for block in text.split(end) if "-----BEGIN PUBLIC KEY-----" in block]
    if not blocks:
        raise ConfigurationError(f"PROFILEGRAPH_JWT_PUBLIC_KEYS: {path} holds no PEM public key")
    try:
        return [load_pem_public_key(block.strip().encode()) for block in blocks]
    except ValueError as exc:
        raise ConfigurationError(f"PROFILEGRAPH_JWT_PUBLIC_KEYS: {path}: {exc}") from exc


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        role = Role(str(claims.get("role")))
    except ValueError:
        raise AuthenticationError(
            f"the token's role {claims.get('role')!r} is not one of {', '.join(r.value for r in Role)}"
        ) from None
    scope = claims.get("scope") or ""
    if not isinstance(scope, str):
        raise AuthenticationError("the token's scope claim must be a space-separated string")
    subject = str(claims["sub"])
    return Principal(name=subject, role=role, scopes=frozenset(scope.split()), subject=subject)


@dataclass(frozen=True)
class CreatedApiKey:
    key: str  # shown once; only its hash is kept
    stored: apikey_store.StoredApiKey


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_api_key(store: GraphAccess, *, role: Role, name: str, scopes: Iterable[str] = ()) -> CreatedApiKey:
    name = name.strip()
    if not name:
        raise InvalidInputError("an API key needs a name", field="name")
    if any(existing.name == name and existing.revoked_at is None for existing in await apikey_store.all_keys(store)):
        raise InvalidInputError(f"an API key named {name!r} exists; revoke it or choose another name", field="name")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    stored = apikey_store.StoredApiKey(
        key_id=key_id,
        name=name,
        role=str(role),
        scopes=tuple(_checked_scopes(scopes)),
        secret_hash=_hash(secret),
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        revoked_at=None,
    )
    await apikey_store.save_key(store, stored)
    return CreatedApiKey(f"{API_KEY_PREFIX}{key_id}_{secret}", stored)


async def list_api_keys(store: GraphAccess) -> list[apikey_store.StoredApiKey]:
    return await apikey_store.all_keys(store)


async def revoke_api_key(store: GraphAccess, wanted: str) -> list[str]:
    revoked = await apikey_store.revoke_key(store, wanted, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    if not revoked:
        raise NotFoundError(f"no API key has the id or name {wanted!r}")
    return revoked


class ApiKeyVerifier:
    """Checks ``pg_<id>_<secret>`` against the stored hash, trusting a result for a few seconds."""

    def __init__(self, store: GraphAccess, cache_seconds: float) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def verify(self, key: str) -> Principal:
        key_id, _, secret = key.removeprefix(API_KEY_PREFIX).partition("_")
        if not key_id or not secret:
            raise AuthenticationError("the API key is malformed; it looks like pg_<id>_<secret>")
        cache_key = _hash(key)
        cached = self._cache.get(cache_key)
        if cached is not None and time.monotonic() - cached[0] < self._cache_seconds:
            principal = cached[1]
        else:
            principal = await self._look_up(key_id, secret)
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[cache_key] = (time.monotonic(), principal)
        if principal is None:
            raise AuthenticationError("the API key is unknown or revoked")
        return principal

    async def _look_up(self, key_id: str, secret: str) -> Principal | None:
        stored = await apikey_store.find_key(self._store, key_id)
        if stored is None or stored.revoked_at is not None:
            return None
        if not hmac.compare_digest(stored.secret_hash, _hash(secret)):
            return None
        return Principal(
            name=f"apikey:{stored.name}", role=Role(stored.role), scopes=frozenset(stored.scopes), credential="apikey"
        )
