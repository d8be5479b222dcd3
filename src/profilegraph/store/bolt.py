"""One async Bolt driver for the process, and managed transactions around it.

Transactions that fail on a transient error, such as a ``DeadlockDetected``, are run
again: reads by the driver's ``execute_read``, writes here after a short jittered
pause (the driver would wait a second before its first retry). The two graph
servers differ in one place that matters here, and ``GraphProduct`` (read from the
server's agent string when connecting) is where the store tells them apart:

- Neo4j serialises two concurrent MERGEs on a constrained key with locks, so a
  ``ConstraintError`` there is a real violation and is raised at once;
- the embedded ArcadeDB server lets both run and fails the later commit with
  ``ConstraintError`` (or a concurrent-modification error), so
  ``write(..., retry_conflicts=True)`` runs the transaction again, and the re-run
  finds the node the winner created.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any, LiteralString, TypeVar, cast

from neo4j import READ_ACCESS, AsyncDriver, AsyncGraphDatabase, AsyncSession
from neo4j.exceptions import (
    AuthError,
    ConstraintError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from profilegraph.errors import (
    GraphConflictError,
    GraphConstraintError,
    GraphError,
    GraphQueryError,
    GraphUnavailableError,
)
from profilegraph.round_trips import note_round_trip
from profilegraph.store.embedded import BoltEndpoint
from profilegraph.store.ports import Transaction, Work

__all__ = [
    "GraphProduct",
    "GraphStore",
    "Record",
    "Transaction",
    "Work",
    "collected",
    "retry_pause",
    "run",
    "translate",
]

T = TypeVar("T")
log = logging.getLogger(__name__)
Record = dict[str, Any]

_CONFLICT_ATTEMPTS = 8
# How long a write that keeps meeting transient errors (deadlocks, a lost connection) is
# run again before the error is raised: the driver's own default for managed transactions.
_TRANSIENT_RETRY_SECONDS = 30.0
# Long enough for the largest single transaction we run (a full recompute of a big
# graph); PROFILEGRAPH_GRAPH_TIMEOUT changes it.
DEFAULT_TIMEOUT = 600.0
# How many times one unit of work follows its server to a new address before the
# failure is raised: an owner shutting down may still answer a probe once.
_FOLLOW_ATTEMPTS = 4


async def _records(tx: Transaction, query: LiteralString, params: Mapping[str, Any]) -> list[Record]:
    """The rows of a query as dictionaries, taken as the driver decoded them.

    Our queries return plain values (maps, lists, text, numbers), never nodes or
    relationships, so the driver's ``Record.data()``, which walks every nested value to
    convert graph entities, would only cost time: on large nested rows, a third of the
    read. The test suite checks every row of every query for graph entities.
    """
    note_round_trip()
    result = await tx.run(query, dict(params))
    return [dict(zip(record.keys(), record, strict=True)) async for record in result]


def retry_pause(attempt: int) -> float:
    """A jittered pause before re-running a transaction: 10 ms after the first failure,
    doubling, at most half a second, so writers that collided do not collide again."""
    return random.uniform(0.5, 1.0) * min(0.01 * 2.0 ** (attempt - 1), 0.5)  # noqa: S311 - jitter, not crypto


async def _in_transaction(session: AsyncSession, work: Work[T]) -> T:
    """Run ``work`` in one explicit write transaction: committed when it returns, rolled back
    when it raises."""
    transaction = await session.begin_transaction()
    try:
        result = await work(cast(Transaction, transaction))
        await transaction.commit()
        return result
    finally:
        if not transaction.closed():
            await transaction.close()


def collected(rows: list[Record], column: str = "rows") -> list[Any]:
    """What a query that collects its answer into one row (a row per item costs more to stream
    than the item) returned in that row's ``column``; nothing when it returned no row."""
    return list(rows[0][column]) if rows else []


class GraphProduct(StrEnum):
    """Which server answers on the Bolt port."""

    NEO4J = "neo4j"
    ARCADEDB = "arcadedb"

    @classmethod
    def from_agent(cls, agent: str) -> GraphProduct:
        # ArcadeDB announces itself as "Neo4j/5.26.0 compatible (ArcadeDB 26.10.2)".
        return cls.ARCADEDB if "arcadedb" in agent.lower() else cls.NEO4J


# How the embedded server reports a lost race: a second MERGE of a constrained key,
# or a record changed or deleted by a transaction that committed after ours began.
_ARCADEDB_CONFLICT_CODES = frozenset(
    {"Neo.ClientError.Schema.ConstraintValidationFailed", "Neo.ClientError.Statement.EntityNotFound"}
)


def is_retryable_conflict(code: str | None, message: str, product: GraphProduct) -> bool:
    """Whether re-running the transaction can succeed where the error ``code`` failed it."""
    if code is not None and code.startswith("Neo.TransientError."):
        return True  # a deadlock, a lock timeout, a leader switch: on every server
    if product is GraphProduct.NEO4J:
        return False  # Neo4j locks instead of racing: anything else is the query's own fault
    return code in _ARCADEDB_CONFLICT_CODES or "ConcurrentModification" in message


def translate(error: Neo4jError | DriverError | OSError) -> GraphError:
    """The project's error for a driver exception, keeping the server's code in the message."""
    if isinstance(error, ServiceUnavailable | SessionExpired | OSError):
        return GraphUnavailableError(f"The graph database does not answer: {error}")
    if isinstance(error, AuthError):
        # Also what a connection meets when the server behind its address was replaced.
        return GraphUnavailableError(f"The graph database no longer accepts this connection's credentials: {error}")
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or str(error)
    detail = f"{code}: {message}" if code else str(error)
    if _connection_out_of_step(code, message):
        return GraphUnavailableError(f"The graph database dropped this connection's session ({detail})")
    if isinstance(error, TransientError):
        return GraphConflictError(f"The graph database gave up after repeated conflicts; try again ({detail})")
    if isinstance(error, ConstraintError):
        return GraphConstraintError(f"A uniqueness constraint refused the write ({detail})")
    return GraphQueryError(f"The graph database refused a query ({detail})")


def _connection_out_of_step(code: str | None, message: str) -> bool:
    """Whether the server refused a message because of the connection's state, not the query.

    A server that refuses a pooled connection's re-authentication (ArcadeDB does while it
    shuts down) leaves that connection unauthenticated while the driver believes it is
    logged on: its next BEGIN is "not expected in state: AUTHENTICATION". Only a new
    connection, perhaps to a new server, can go on from there.
    """
    return code == "Neo.ClientError.Request.Invalid" and "not expected in state" in message


Rediscover = Callable[[], Awaitable[BoltEndpoint]]


def _driver_for(endpoint: BoltEndpoint) -> AsyncDriver:
    return AsyncGraphDatabase.driver(
        endpoint.uri,
        auth=(endpoint.user, endpoint.password),
        max_transaction_retry_time=30.0,
        # "label does not exist" on a fresh database is no news; every other
        # notification (deprecations, performance hints) is still logged.
        notifications_disabled_classifications=["UNRECOGNIZED"],
    )


async def _open(endpoint: BoltEndpoint) -> tuple[AsyncDriver, GraphProduct]:
    """A driver for ``endpoint`` and the product answering there; GraphUnavailableError if none does."""
    driver = _driver_for(endpoint)
    try:
        info = await driver.get_server_info()
    except (ServiceUnavailable, OSError, Neo4jError) as exc:
        await driver.close()
        raise GraphUnavailableError(f"The graph database at {endpoint.uri} does not answer: {exc}") from exc
    return driver, GraphProduct.from_agent(info.agent)


class GraphStore:
    """Access to one graph database through a long-lived async driver.

    A store given a ``rediscover`` function follows its server: when the server stops
    answering, the store asks where the graph is now, reconnects there, and runs the
    transaction once more (every unit of work here is idempotent, as the conflict
    retries already require).
    """

    def __init__(
        self,
        driver: AsyncDriver,
        database: str | None,
        product: GraphProduct = GraphProduct.NEO4J,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        address: str = "",
    ) -> None:
        self._driver = driver
        self.database = database
        self.address = address  # the server's Bolt URI: with the database, which graph this is
        self.product = product
        self.timeout = timeout
        self._rediscover: Rediscover | None = None
        self._reconnecting = asyncio.Lock()
        self._connection = 0  # which driver this is; concurrent failures reconnect once
        # The embedded server checks concurrent writers optimistically and fails all but one
        # when they touch the same records (a product many orders name): taking turns within
        # the process costs less than doing the work again.
        self._write_turn = asyncio.Lock()

    @property
    def graph_key(self) -> str:
        """Names the graph this store reaches; two stores on one graph share it."""
        return f"{self.address}/{self.database or ''}"

    def follow(self, rediscover: Rediscover) -> None:
        """Reconnect through ``rediscover`` whenever the server stops answering."""
        self._rediscover = rediscover

    async def reconnect(self, failed_connection: int | None = None) -> bool:
        """Connect to wherever ``rediscover`` says the graph is now; False if the store cannot follow.

        Callers that saw driver ``failed_connection`` fail wait for one reconnection
        instead of each starting their own.
        """
        if self._rediscover is None:
            return False
        async with self._reconnecting:
            if failed_connection is not None and failed_connection != self._connection:
                return True  # someone else already moved on
            endpoint = await self._rediscover()
            driver, product = await _open(endpoint)
            old, self._driver = self._driver, driver
            self.database, self.product, self.address = endpoint.database, product, endpoint.uri
            self._connection += 1
            log.info("reconnected to the graph at %s", endpoint.uri)
        await old.close()
        return True

    async def _following(self, attempt: Callable[[], Awaitable[T]]) -> T:
        for _ in range(_FOLLOW_ATTEMPTS - 1):
            connection = self._connection
            try:
                return await attempt()
            except GraphError as error:
                if self._rediscover is None or not await self._went_away(error):
                    raise
                if not await self.reconnect(connection):
                    raise
        return await attempt()

    async def _went_away(self, error: GraphError) -> bool:
        """Whether ``error`` came from a server that is gone, not from the query.

        A server shutting down fails the requests in flight with a generic database
        error before it stops answering: if it no longer answers a probe, that was it.
        """
        if isinstance(error, GraphUnavailableError):
            return True
        return "Neo.DatabaseError." in error.message and not await self.ping()

    @classmethod
    async def connect(cls, endpoint: BoltEndpoint, *, transaction_timeout: float = DEFAULT_TIMEOUT) -> GraphStore:
        """Open a driver and learn which server answers; GraphUnavailableError if none does.

        ``transaction_timeout`` bounds every transaction, retries included: a server that stops
        answering (or drops a message it cannot take) becomes an error, never a hang.
        """
        driver, product = await _open(endpoint)
        return cls(driver, endpoint.database, product, timeout=transaction_timeout, address=endpoint.uri)

    async def close(self) -> None:
        await self._driver.close()

    async def read(self, work: Work[T]) -> T:
        """Run ``work`` in a managed read transaction."""
        return await self._following(lambda: self._read_once(work))

    async def _read_once(self, work: Work[T]) -> T:
        try:
            async with asyncio.timeout(self.timeout), self._driver.session(database=self.database) as session:
                return await session.execute_read(work)
        except TimeoutError:
            raise self._no_answer() from None
        except (Neo4jError, DriverError, OSError) as error:
            raise translate(error) from error

    async def write(self, work: Work[T], *, retry_conflicts: bool = False) -> T:
        """Run ``work`` in a managed write transaction.

        With ``retry_conflicts`` the whole transaction is run again, after a short
        jittered pause, when a concurrent writer won a uniqueness constraint or an
        optimistic-concurrency check; ``work`` must therefore be idempotent.
        """
        return await self._following(lambda: self._write_once(work, retry_conflicts))

    async def _write_once(self, work: Work[T], retry_conflicts: bool) -> T:
        # The transaction is run here rather than by the driver's execute_write: the driver
        # waits a second before its first retry (then two, four...), and on the embedded
        # server concurrent writers to one node lose races often enough (a deadlock report
        # on a shared product) that those pauses, not the work, set the pace of ingestion.
        attempt = 0
        started = time.monotonic()
        while True:
            try:
                async with (
                    self._write_turn if self.product is GraphProduct.ARCADEDB else contextlib.nullcontext(),
                    asyncio.timeout(self.timeout),
                    self._driver.session(database=self.database) as session,
                ):
                    return await _in_transaction(session, work)
            except TimeoutError:
                raise self._no_answer() from None
            except (Neo4jError, DriverError) as error:
                attempt += 1
                transient = error.is_retryable() and time.monotonic() - started < _TRANSIENT_RETRY_SECONDS
                conflict = (
                    retry_conflicts
                    and isinstance(error, Neo4jError)
                    and attempt < _CONFLICT_ATTEMPTS
                    and is_retryable_conflict(error.code, str(error), self.product)
                )
                if not transient and not conflict:
                    raise translate(error) from error
            except OSError as error:
                raise translate(error) from error
            await asyncio.sleep(retry_pause(attempt))

    def _no_answer(self) -> GraphUnavailableError:
        return GraphUnavailableError(
            f"The graph database did not finish a transaction within {self.timeout:.0f} s "
            "(PROFILEGRAPH_GRAPH_TIMEOUT); it may be overloaded, stopped, or unable to take the request"
        )

    async def query(self, query: LiteralString, **params: Any) -> list[Record]:
        """Run one read query and return its records as dictionaries.

        One query needs no explicit transaction: an auto-commit one saves the BEGIN and
        COMMIT exchanges, a third of the work of the short reads the API makes. A
        transient failure is retried here, as the driver retries managed transactions.
        """
        return await self._following(lambda: self._query_once(query, params))

    async def _query_once(self, query: LiteralString, params: Mapping[str, Any]) -> list[Record]:
        attempt = 0
        while True:
            try:
                async with (
                    asyncio.timeout(self.timeout),
                    self._driver.session(database=self.database, default_access_mode=READ_ACCESS) as session,
                ):
                    # A session runs a query as an auto-commit transaction.
                    return await _records(cast(Transaction, session), query, params)
            except TimeoutError:
                raise self._no_answer() from None
            except (Neo4jError, DriverError, OSError) as error:
                attempt += 1
                if attempt >= _CONFLICT_ATTEMPTS or not isinstance(error, TransientError | SessionExpired):
                    raise translate(error) from error
            await asyncio.sleep(retry_pause(attempt))

    async def execute(self, query: LiteralString, **params: Any) -> list[Record]:
        """Run one write query in its own transaction and return its records."""
        return await self.write(lambda tx: _records(tx, query, params))

    async def get_or_create(self, query: LiteralString, **params: Any) -> list[Record]:
        """Run a MERGE-style query that may race with another writer of the same key."""
        return await self.write(lambda tx: _records(tx, query, params), retry_conflicts=True)

    async def ping(self, timeout: float = 3.0) -> bool:  # noqa: ASYNC109 - a probe that must not hang
        """True when the database answers a query now; never waits on the driver's retries."""
        try:
            async with asyncio.timeout(timeout), self._driver.session(database=self.database) as session:
                result = await session.run(PING)
                record = await result.single()
        except (ServiceUnavailable, Neo4jError, OSError, TimeoutError):
            return False
        return record is not None and record["ok"] == 1


PING: LiteralString = "RETURN 1 AS ok"


async def run(tx: Transaction, query: LiteralString, **params: Any) -> list[Record]:
    """Run ``query`` inside ``tx`` and collect its records; for multi-statement transactions."""
    return await _records(tx, query, params)
