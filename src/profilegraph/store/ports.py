"""The interfaces services see the graph through, so no service imports the driver.

``Transaction`` is what a unit of work receives inside a managed transaction; the
store's functions take it and run their Cypher in it. ``GraphAccess`` is what a
service needs of the store: run work in a managed read or write transaction.
``GraphStore`` (store/bolt.py) implements both over the neo4j driver.

Example::

    async def members(store: GraphAccess, one_id: str) -> list[str]:
        return await store.read(lambda tx: admin_store.members_of(tx, one_id))
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, LiteralString, Protocol, TypeVar

__all__ = ["GraphAccess", "Transaction", "Work"]

T = TypeVar("T")


class ResultRecord(Protocol):
    """One row as the driver decoded it: its column names, and its values in that order."""

    def keys(self) -> list[str]: ...
    def __iter__(self) -> Iterator[Any]: ...


class QueryResult(Protocol):
    def __aiter__(self) -> AsyncIterator[ResultRecord]: ...


class Transaction(Protocol):
    """An open managed transaction: queries are constants, values are parameters."""

    async def run(self, query: LiteralString, parameters: dict[str, Any] | None = None) -> QueryResult: ...


Work = Callable[[Transaction], Awaitable[T]]


class GraphAccess(Protocol):
    """Managed transactions on one graph database; errors arrive as ``GraphError``."""

    @property
    def graph_key(self) -> str:
        """Names the graph; two stores on one graph give the same key."""
        ...

    async def read(self, work: Work[T]) -> T: ...

    async def write(self, work: Work[T], *, retry_conflicts: bool = False) -> T: ...

    async def query(self, query: LiteralString, **params: Any) -> list[dict[str, Any]]:
        """One read query in its own transaction, its records as dictionaries."""
        ...

    async def execute(self, query: LiteralString, **params: Any) -> list[dict[str, Any]]:
        """One write query in its own transaction, its records as dictionaries."""
        ...
