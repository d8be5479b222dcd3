"""API keys as the graph keeps them: an id, a name, a role, and a hash of the secret."""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString

from profilegraph.store.bolt import Record
from profilegraph.store.ports import GraphAccess

__all__ = ["StoredApiKey", "all_keys", "find_key", "revoke_key", "save_key"]

SAVE_KEY: LiteralString = """
CREATE (:ApiKey {key_id: $key_id, name: $name, role: $role, scopes: $scopes, secret_hash: $secret_hash,
                 created_at: $created_at, revoked_at: null})
"""

FIND_KEY: LiteralString = """
MATCH (k:ApiKey {key_id: $key_id})
RETURN k.key_id AS key_id, k.name AS name, k.role AS role, k.scopes AS scopes, k.secret_hash AS secret_hash,
       k.created_at AS created_at, k.revoked_at AS revoked_at
"""

ALL_KEYS: LiteralString = """
MATCH (k:ApiKey)
RETURN k.key_id AS key_id, k.name AS name, k.role AS role, k.scopes AS scopes, k.secret_hash AS secret_hash,
       k.created_at AS created_at, k.revoked_at AS revoked_at
ORDER BY created_at, key_id
"""

# A key is named by its id or its name; revoking twice keeps the first time.
REVOKE_KEY: LiteralString = """
MATCH (k:ApiKey)
WHERE k.key_id = $wanted OR k.name = $wanted
SET k.revoked_at = coalesce(k.revoked_at, $now)
RETURN k.key_id AS key_id
"""


@dataclass(frozen=True)
class StoredApiKey:
    key_id: str
    name: str
    role: str
    scopes: tuple[str, ...]
    secret_hash: str
    created_at: str
    revoked_at: str | None


def _key(row: Record) -> StoredApiKey:
    return StoredApiKey(
        row["key_id"],
        row["name"],
        row["role"],
        tuple(row["scopes"] or ()),
        row["secret_hash"],
        row["created_at"],
        row["revoked_at"],
    )


async def save_key(store: GraphAccess, key: StoredApiKey) -> None:
    await store.execute(
        SAVE_KEY,
        key_id=key.key_id,
        name=key.name,
        role=key.role,
        scopes=list(key.scopes),
        secret_hash=key.secret_hash,
        created_at=key.created_at,
    )


async def find_key(store: GraphAccess, key_id: str) -> StoredApiKey | None:
    rows = await store.query(FIND_KEY, key_id=key_id)
    return _key(rows[0]) if rows else None


async def all_keys(store: GraphAccess) -> list[StoredApiKey]:
    return [_key(row) for row in await store.query(ALL_KEYS)]


async def revoke_key(store: GraphAccess, wanted: str, now: str) -> list[str]:
    """Revoke the key with this id or name; the ids revoked (none if no key matched)."""
    return [row["key_id"] for row in await store.execute(REVOKE_KEY, wanted=wanted, now=now)]
