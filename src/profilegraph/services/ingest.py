"""Ingesting NDJSON events: validate, write evidence and facts, resolve, in batches.

Each batch is one transaction: claiming its event ids, writing its facts and
re-resolving the OneIDs it touches commit together or not at all. An import
killed half-way therefore leaves whole batches behind, and running it again
skips exactly the events already in.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from profilegraph.domain.events import Event, Rejection, parse_line, parse_or_reject
from profilegraph.domain.evidence import BatchRows, build_rows
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.services.resolution import resolve_around, resolve_pending, utc_now
from profilegraph.store.ingest import claim_events, write_rows
from profilegraph.store.ports import GraphAccess, Transaction

__all__ = ["IngestReport", "ingest_events", "ingest_lines"]

DEFAULT_BATCH_SIZE = 500
# A batch is one transaction whose rows travel in one Bolt message; the embedded
# server drops messages over 16 MiB without an answer. Lines past this many bytes
# start the next batch, whatever the batch size.
DEFAULT_BATCH_BYTES = 4 << 20


@dataclass
class IngestReport:
    lines: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "lines": self.lines,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": len(self.rejected),
            "rejections": [r.__dict__ for r in self.rejected[:100]],
        }


@dataclass
class _Batch:
    """One batch of input lines, parsed: its valid events (first of each event id) and the rest."""

    lines: int
    events: list[Event]
    rows: BatchRows
    rejected: list[tuple[Rejection, str | bytes | None]]
    repeated: int  # events whose id came earlier in the same batch


Parsed = Iterator[tuple[int, str | bytes | None, Event | Rejection]]


def _next_batch(
    parsed: Parsed, batch_size: int, config: IdentityConfig, max_bytes: int = DEFAULT_BATCH_BYTES
) -> _Batch | None:
    chunk: list[tuple[int, str | bytes | None, Event | Rejection]] = []
    size = 0
    for parsed_line in parsed:
        chunk.append(parsed_line)
        size += len(parsed_line[1]) if parsed_line[1] is not None else 0
        if len(chunk) >= batch_size or size >= max_bytes:
            break
    if not chunk:
        return None
    events: dict[str, Event] = {}
    rejected: list[tuple[Rejection, str | bytes | None]] = []
    repeated = 0
    for _, raw, item in chunk:
        if isinstance(item, Rejection):
            rejected.append((item, raw))
        elif item.event_id in events:
            repeated += 1
        else:
            events[item.event_id] = item
    batch = list(events.values())
    return _Batch(len(chunk), batch, build_rows(batch, config), rejected, repeated)


async def _write_batch(store: GraphAccess, batch: _Batch, config: IdentityConfig, deferred: bool) -> int:
    """Write one batch; return how many of its events were new."""
    batch_id = uuid.uuid4().hex

    async def work(tx: Transaction) -> int:
        fresh_ids = await claim_events(tx, [e.event_id for e in batch.events], batch_id, utc_now())
        if not fresh_ids:
            return 0
        if len(fresh_ids) == len(batch.events):
            rows = batch.rows
        else:
            rows = build_rows([e for e in batch.events if e.event_id in fresh_ids], config)
        await write_rows(tx, rows, pending=deferred)
        if not deferred:
            await resolve_around(tx, rows.touched_keys, config)
        return len(fresh_ids)

    return await store.write(work, retry_conflicts=True)


async def _ingest(
    store: GraphAccess,
    parsed: Parsed,
    config: IdentityConfig,
    batch_size: int,
    on_progress: Callable[[int], object] | None,
    on_reject: Callable[[Rejection, str | bytes | None], None] | None,
    deferred: bool,
    on_resolve_progress: Callable[[int, int], object] | None = None,
) -> IngestReport:
    report = IngestReport()
    # The next batch is read, validated and aggregated in a worker thread while the
    # current one is written: the graph server works while Python parses.
    upcoming = asyncio.create_task(asyncio.to_thread(_next_batch, parsed, batch_size, config))
    try:
        while batch := await upcoming:
            upcoming = asyncio.create_task(asyncio.to_thread(_next_batch, parsed, batch_size, config))
            for rejection, raw in batch.rejected:
                report.rejected.append(rejection)
                if on_reject:
                    on_reject(rejection, raw)
            report.duplicates += batch.repeated
            if batch.events:
                fresh = await _write_batch(store, batch, config, deferred)
                report.accepted += fresh
                report.duplicates += len(batch.events) - fresh
            report.lines += batch.lines
            if on_progress:
                on_progress(batch.lines)
    finally:
        # On an error, let the worker finish its batch before the input is closed.
        await asyncio.gather(upcoming, return_exceptions=True)
    if deferred:
        # Also finishes what an earlier, interrupted bulk import left pending.
        await resolve_pending(store, config, on_progress=on_resolve_progress)
    return report


async def ingest_lines(
    store: GraphAccess,
    lines: Iterable[str | bytes],
    config: IdentityConfig,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int], object] | None = None,
    on_reject: Callable[[Rejection, str | bytes | None], None] | None = None,
    deferred: bool = False,
    on_resolve_progress: Callable[[int, int], object] | None = None,
) -> IngestReport:
    """Ingest NDJSON lines (blank lines are skipped); a bad line is reported, never fatal.

    ``deferred`` is the bulk mode: batches write evidence and facts only, and the
    OneIDs they touch are resolved once at the end, each evidence component about
    once instead of once per batch that touches it. Until then new identifiers
    have no OneID; the result is the same partition as resolving every batch.
    ``on_resolve_progress(resolved, total)`` follows that final pass.
    """
    parsed = (
        (number, line, parse_line(line, number, config)) for number, line in enumerate(lines, start=1) if line.strip()
    )
    return await _ingest(store, parsed, config, batch_size, on_progress, on_reject, deferred, on_resolve_progress)


async def ingest_events(
    store: GraphAccess,
    raw_events: Iterable[object],
    config: IdentityConfig,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    deferred: bool = False,
) -> IngestReport:
    """Ingest decoded events (the GraphQL mutation's input); positions count from 1."""
    parsed = ((number, None, parse_or_reject(raw, number, config)) for number, raw in enumerate(raw_events, start=1))
    return await _ingest(store, parsed, config, batch_size, None, None, deferred)
