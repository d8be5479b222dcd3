"""One async Bolt driver for the process, and managed transactions around it.

Managed transactions (``execute_read`` / ``execute_write``) are retried by the
driver on transient errors. On top of that, ``write(..., retry_conflicts=True)``
also retries a transaction that lost a race on a uniqueness constraint: Neo4j
serialises two concurrent MERGEs with locks, while the embedded server lets both
run and fails the later commit with ``ConstraintError``. Re-running the
transaction then finds the node the winner created.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, LiteralString, TypeVar

from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncManagedTransaction
from neo4j.exceptions import ConstraintError, Neo4jError, ServiceUnavailable, TransientError

from profilegraph.errors import GraphUnavailableError
from profilegraph.store.embedded import BoltEndpoint

__all__ = ["GraphStore", "Record", "Work"]

T = TypeVar("T")
Record = dict[str, Any]
Work = Callable[[AsyncManagedTransaction], Awaitable[T]]

_CONFLICT_ATTEMPTS = 8


async def _records(tx: AsyncManagedTransaction, query: LiteralString, params: Mapping[str, Any]) -> list[Record]:
    result = await tx.run(query, params)
    return [record.data() async for record in result]


# How the embedded server reports a lost optimistic-concurrency race: a record
# changed or deleted by a transaction that committed after ours began.
_CONFLICT_CODES = frozenset({"Neo.ClientError.Statement.EntityNotFound"})


def _is_retryable_conflict(error: Neo4jError) -> bool:
    return (
        isinstance(error, ConstraintError | TransientError)
        or error.code in _CONFLICT_CODES
        or "ConcurrentModification" in str(error)
    )


class GraphStore:
    """Access to one graph database through a long-lived async driver."""

    def __init__(self, driver: AsyncDriver, database: str | None) -> None:
        self._driver = driver
        self.database = database

    @classmethod
    async def connect(cls, endpoint: BoltEndpoint, *, verify: bool = True) -> GraphStore:
        driver = AsyncGraphDatabase.driver(
            endpoint.uri,
            auth=(endpoint.user, endpoint.password),
            max_transaction_retry_time=30.0,
        )
        store = cls(driver, endpoint.database)
        if verify:
            try:
                await driver.verify_connectivity()
            except (ServiceUnavailable, OSError, Neo4jError) as exc:
                await driver.close()
                raise GraphUnavailableError(f"The graph database at {endpoint.uri} does not answer: {exc}") from exc
        return store

    async def close(self) -> None:
        await self._driver.close()

    async def read(self, work: Work[T]) -> T:
        """Run ``work`` in a managed read transaction."""
        async with self._driver.session(database=self.database) as session:
            return await session.execute_read(work)

    async def write(self, work: Work[T], *, retry_conflicts: bool = False) -> T:
        """Run ``work`` in a managed write transaction.

        With ``retry_conflicts`` the whole transaction is run again, after a short
        jittered pause, when a concurrent writer won a uniqueness constraint or an
        optimistic-concurrency check; ``work`` must therefore be idempotent.
        """
        attempt = 0
        while True:
            try:
                async with self._driver.session(database=self.database) as session:
                    return await session.execute_write(work)
            except Neo4jError as error:
                attempt += 1
                if not retry_conflicts or attempt >= _CONFLICT_ATTEMPTS or not _is_retryable_conflict(error):
                    raise
                await asyncio.sleep(random.uniform(0.005, 0.02) * 2**attempt)  # noqa: S311 - jitter, not crypto

    async def query(self, query: LiteralString, **params: Any) -> list[Record]:
        """Run one read query and return its records as dictionaries."""
        return await self.read(lambda tx: _records(tx, query, params))

    async def execute(self, query: LiteralString, **params: Any) -> list[Record]:
        """Run one write query in its own transaction and return its records."""
        return await self.write(lambda tx: _records(tx, query, params))

    async def get_or_create(self, query: LiteralString, **params: Any) -> list[Record]:
        """Run a MERGE-style query that may race with another writer of the same key."""
        return await self.write(lambda tx: _records(tx, query, params), retry_conflicts=True)

    async def ping(self, timeout: float = 3.0) -> bool:
        """True when the database answers a query now; never waits on the driver's retries."""
        try:
            async with asyncio.timeout(timeout), self._driver.session(database=self.database) as session:
                result = await session.run(PING)
                record = await result.single()
        except (ServiceUnavailable, Neo4jError, OSError, TimeoutError):
            return False
        return record is not None and record["ok"] == 1


PING: LiteralString = "RETURN 1 AS ok"


async def run(tx: AsyncManagedTransaction, query: LiteralString, **params: Any) -> list[Record]:
    """Run ``query`` inside ``tx`` and collect its records; for multi-statement transactions."""
    return await _records(tx, query, params)
