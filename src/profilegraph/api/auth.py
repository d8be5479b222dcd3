"""From a request's credential to the principal it acts as; AuthenticationError otherwise.

A caller presents ``Authorization: Bearer <JWT>``, or an API key either as
``Authorization: Bearer pg_...`` or as ``X-API-Key: pg_...``.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from profilegraph.domain.access import Principal
from profilegraph.errors import AuthenticationError
from profilegraph.services.credentials import API_KEY_PREFIX, ApiKeyVerifier, TokenVerifier

__all__ = ["Authenticator"]


class Authenticator:
    def __init__(self, tokens: TokenVerifier, api_keys: ApiKeyVerifier) -> None:
        self._tokens = tokens
        self._api_keys = api_keys

    async def principal(self, request: HTTPConnection) -> Principal:
        api_key = request.headers.get("x-api-key")
        if api_key:
            return await self._api_keys.verify(api_key.strip())
        header = request.headers.get("authorization")
        if not header:
            raise AuthenticationError("no credential: send Authorization: Bearer <token>, or X-API-Key: <key>")
        scheme, _, credential = header.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
        if credential.startswith(API_KEY_PREFIX):
            return await self._api_keys.verify(credential)
        return self._tokens.verify(credential)
