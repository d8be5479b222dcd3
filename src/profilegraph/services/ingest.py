"""Ingesting NDJSON events: validate, write evidence and facts, resolve, in batches.

Each batch is one transaction: claiming its event ids, writing its facts and
re-resolving the OneIDs it touches commit together or not at all. An import
killed half-way therefore leaves whole batches behind, and running it again
skips exactly the events already in.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import BinaryIO

from profilegraph.domain.events import (
    DEFAULT_LIMITS,
    Event,
    InputLimits,
    InputWarning,
    Rejection,
    parse_line,
    parse_or_reject,
    warnings_of,
)
from profilegraph.domain.evidence import BatchRows, build_rows
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.rules import CompiledRule
from profilegraph.errors import ErrorCode, GraphConstraintError, GraphQueryError
from profilegraph.services.resolution import resolve_around, resolve_pending, utc_now
from profilegraph.services.tags import TagContext, ingest_rules, refresh_touched, write_event_tags
from profilegraph.store.ingest import claim_events, write_rows
from profilegraph.store.ports import GraphAccess, Transaction

__all__ = [
    "EventOutcome",
    "IngestReport",
    "Outcome",
    "bounded_lines",
    "ingest_call",
    "ingest_events",
    "ingest_lines",
    "problem_record",
]

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500
# A batch is one transaction whose rows travel in one Bolt message; the embedded
# server drops messages over 16 MiB without an answer. Lines past this many bytes
# start the next batch, whatever the batch size.
DEFAULT_BATCH_BYTES = 4 << 20


# The report keeps this many rejections and warnings in memory; the rest are counted
# and reach the caller's callback (the --errors file), so memory stays bounded.
REPORT_SAMPLE = 100

Problem = Rejection | InputWarning
OnProblem = Callable[[Problem, str | bytes | None], None]


@dataclass
class IngestReport:
    lines: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    warned: int = 0  # events that went in without some invalid identifiers
    rejections: list[Rejection] = field(default_factory=list)  # the first REPORT_SAMPLE
    warnings: list[InputWarning] = field(default_factory=list)  # the first REPORT_SAMPLE

    def add(self, problem: Problem) -> None:
        if isinstance(problem, Rejection):
            self.rejected += 1
            if len(self.rejections) < REPORT_SAMPLE:
                self.rejections.append(problem)
        else:
            self.warned += 1
            if len(self.warnings) < REPORT_SAMPLE:
                self.warnings.append(problem)

    def as_dict(self) -> dict[str, object]:
        return {
            "lines": self.lines,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "warnings": self.warned,
            "rejections": [r.__dict__ for r in self.rejections],
            "warning_details": [w.__dict__ for w in self.warnings],
        }


@dataclass
class _Batch:
    """One batch of input lines, parsed: its valid events (first of each event id) and the rest."""

    lines: int
    events: list[Event]
    rows: BatchRows
    problems: list[tuple[Problem, str | bytes | None]]
    repeated: int  # events whose id came earlier in the same batch
    origin: dict[str, tuple[int, str | bytes | None]]  # event id -> its line number and text


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
    problems: list[tuple[Problem, str | bytes | None]] = []
    origin: dict[str, tuple[int, str | bytes | None]] = {}
    repeated = 0
    for number, raw, item in chunk:
        if isinstance(item, Rejection):
            problems.append((item, raw))
        elif item.event_id in events:
            repeated += 1
        else:
            events[item.event_id] = item
            origin[item.event_id] = (number, raw)
            problems.extend((warning, raw) for warning in warnings_of(item, number))
    batch = list(events.values())
    return _Batch(len(chunk), batch, build_rows(batch, config), problems, repeated, origin)


async def _write_batch(
    store: GraphAccess,
    events: list[Event],
    rows: BatchRows,
    config: IdentityConfig,
    deferred: bool,
    event_rules: Sequence[CompiledRule] = (),
) -> set[str]:
    """Write one batch; return the ids of its events that were new."""
    batch_id = uuid.uuid4().hex

    async def work(tx: Transaction) -> set[str]:
        fresh_ids = await claim_events(tx, [e.event_id for e in events], batch_id, utc_now())
        if not fresh_ids:
            return fresh_ids
        fresh_rows = (
            rows
            if len(fresh_ids) == len(events)
            else build_rows([e for e in events if e.event_id in fresh_ids], config)
        )
        await write_rows(tx, fresh_rows, pending=deferred)
        if event_rules:
            fresh_events = events if len(fresh_ids) == len(events) else [e for e in events if e.event_id in fresh_ids]
            failures = await write_event_tags(store, tx, fresh_events, event_rules)
            if failures:
                log.info("%d event-tag evaluations failed, first: %s", len(failures), failures[0])
        if not deferred:
            await resolve_around(tx, fresh_rows.touched_keys, config)
        return fresh_ids

    return await store.write(work, retry_conflicts=True)


async def _write_or_split(
    store: GraphAccess,
    batch: _Batch,
    events: list[Event],
    rows: BatchRows,
    config: IdentityConfig,
    deferred: bool,
    event_rules: Sequence[CompiledRule] = (),
) -> tuple[set[str], list[tuple[Problem, str | bytes | None]]]:
    """Write ``events``; if the graph refuses them, halve until the one it refuses stands alone.

    A refusal that validation could not foresee (a value the server will not store)
    then costs one event, never its batch or the rest of the import. A server that is
    unavailable or keeps conflicting is not the events' fault: that error stops the import.
    """
    try:
        return await _write_batch(store, events, rows, config, deferred, event_rules), []
    except (GraphQueryError, GraphConstraintError) as error:
        if len(events) == 1:
            line, raw = batch.origin[events[0].event_id]
            reason = f"the graph refused the event: {error.message}"
            return set(), [(Rejection(line, events[0].event_id, "$", ErrorCode.WRITE_FAILED, reason), raw)]
    half = len(events) // 2
    written: set[str] = set()
    refused: list[tuple[Problem, str | bytes | None]] = []
    for part in (events[:half], events[half:]):
        fresh, problems = await _write_or_split(
            store, batch, part, build_rows(part, config), config, deferred, event_rules
        )
        written |= fresh
        refused.extend(problems)
    return written, refused


async def _ingest(
    store: GraphAccess,
    parsed: Parsed,
    config: IdentityConfig,
    batch_size: int,
    on_progress: Callable[[int], object] | None,
    on_problem: OnProblem | None,
    deferred: bool,
    on_resolve_progress: Callable[[int, int], object] | None = None,
) -> IngestReport:
    report = IngestReport()

    def record(problem: Problem, raw: str | bytes | None) -> None:
        report.add(problem)
        if on_problem:
            on_problem(problem, raw)

    rules = (await ingest_rules(store)).events
    # The next batch is read, validated and aggregated in a worker thread while the
    # current one is written: the graph server works while Python parses.
    upcoming = asyncio.create_task(asyncio.to_thread(_next_batch, parsed, batch_size, config))
    try:
        while batch := await upcoming:
            upcoming = asyncio.create_task(asyncio.to_thread(_next_batch, parsed, batch_size, config))
            report.duplicates += batch.repeated
            refused: list[tuple[Problem, str | bytes | None]] = []
            if batch.events:
                fresh, refused = await _write_or_split(store, batch, batch.events, batch.rows, config, deferred, rules)
                report.accepted += len(fresh)
                report.duplicates += len(batch.events) - len(fresh) - len(refused)
            for problem, raw in sorted([*batch.problems, *refused], key=lambda found: found[0].line):
                record(problem, raw)
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


def problem_record(problem: Problem, raw: str | bytes | None) -> bytes:
    """One line of an errors file: what was wrong, where, and the line as it came.

    A line over the length limit is not repeated: it was never read whole.
    """
    record: dict[str, object] = {"severity": "rejected" if isinstance(problem, Rejection) else "warning"}
    record |= problem.__dict__
    if raw is not None and problem.code is not ErrorCode.LINE_TOO_LONG:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        record["raw"] = text.rstrip("\r\n")
    return (json.dumps(record, ensure_ascii=False) + "\n").encode()


def bounded_lines(stream: BinaryIO, max_bytes: int) -> Iterator[bytes]:
    """The lines of ``stream``, none held past ``max_bytes`` + 1 bytes in memory.

    A longer line is passed on cut to that length (which the parser rejects as too
    long) and the rest of it is skipped in small reads, however long it is.
    """
    while line := stream.readline(max_bytes + 1):
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while (rest := stream.readline(1 << 16)) and not rest.endswith(b"\n"):
                pass
        yield line


async def ingest_lines(
    store: GraphAccess,
    lines: Iterable[str | bytes],
    config: IdentityConfig,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    limits: InputLimits = DEFAULT_LIMITS,
    strict: bool = False,
    on_progress: Callable[[int], object] | None = None,
    on_problem: OnProblem | None = None,
    deferred: bool = False,
    on_resolve_progress: Callable[[int, int], object] | None = None,
) -> IngestReport:
    """Ingest NDJSON lines (blank lines are skipped); a bad line is reported, never fatal.

    An invalid identifier is left out of its event with a warning and the rest of the
    event goes in; ``strict`` rejects the whole event instead. ``deferred`` is the bulk
    mode: batches write evidence and facts only, and the OneIDs they touch are resolved
    once at the end, each evidence component about once instead of once per batch that
    touches it. Until then new identifiers have no OneID; the result is the same
    partition as resolving every batch. ``on_resolve_progress(resolved, total)`` follows
    that final pass.
    """
    parsed = (
        (number, line, parse_line(line, number, config, limits, strict=strict))
        for number, line in enumerate(lines, start=1)
        if line.strip()
    )
    return await _ingest(store, parsed, config, batch_size, on_progress, on_problem, deferred, on_resolve_progress)


async def ingest_events(
    store: GraphAccess,
    raw_events: Iterable[object],
    config: IdentityConfig,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    limits: InputLimits = DEFAULT_LIMITS,
    strict: bool = False,
    deferred: bool = False,
) -> IngestReport:
    """Ingest decoded events (the GraphQL mutation's input); positions count from 1."""
    parsed = (
        (number, None, parse_or_reject(raw, number, config, limits, strict=strict))
        for number, raw in enumerate(raw_events, start=1)
    )
    return await _ingest(store, parsed, config, batch_size, None, None, deferred)


class Outcome(StrEnum):
    ACCEPTED = "ACCEPTED"  # new, written, its OneIDs resolved
    DUPLICATE = "DUPLICATE"  # its event id was ingested before (or earlier in the same call)
    REJECTED = "REJECTED"  # not written; ``problems`` says why


@dataclass(frozen=True)
class EventOutcome:
    position: int  # from 1, in the order given
    event_id: str | None
    outcome: Outcome
    problems: tuple[Problem, ...] = ()  # the rejection, or the fields left out of an accepted event


def _parse_call(
    raw_events: Sequence[object], config: IdentityConfig, limits: InputLimits, strict: bool
) -> tuple[list[Event | Rejection], _Batch]:
    parsed = [parse_or_reject(raw, number, config, limits, strict=strict) for number, raw in enumerate(raw_events, 1)]
    events: dict[str, Event] = {}
    origin: dict[str, tuple[int, str | bytes | None]] = {}
    for number, item in enumerate(parsed, 1):
        if isinstance(item, Event) and item.event_id not in events:
            events[item.event_id] = item
            origin[item.event_id] = (number, None)
    batch = list(events.values())
    return parsed, _Batch(len(parsed), batch, build_rows(batch, config), [], 0, origin)


async def ingest_call(
    store: GraphAccess,
    raw_events: Sequence[object],
    config: IdentityConfig,
    *,
    limits: InputLimits = DEFAULT_LIMITS,
    strict: bool = False,
    tagging: TagContext | None = None,
) -> list[EventOutcome]:
    """The live path: one call's events in one transaction, OneIDs resolved before it returns.

    Each event gets its own outcome, in the order given. A bad event costs only itself;
    one the graph refuses is found by halving, as in the bulk import. With ``tagging``,
    the rule tags and value figures of the OneIDs the call touched are refreshed before
    it returns, so audiences count them as they are now.
    """
    parsed, batch = await asyncio.to_thread(_parse_call, raw_events, config, limits, strict)
    fresh: set[str] = set()
    refused: dict[str, Rejection] = {}
    if batch.events:
        rules = await ingest_rules(store)
        fresh, problems = await _write_or_split(
            store, batch, batch.events, batch.rows, config, deferred=False, event_rules=rules.events
        )
        refused = {p.event_id: p for p, _ in problems if isinstance(p, Rejection) and p.event_id is not None}
        if fresh:
            await refresh_touched(store, sorted(batch.rows.touched_keys), tagging, rules.users)
    outcomes: list[EventOutcome] = []
    first_position = {event_id: line for event_id, (line, _) in batch.origin.items()}
    for number, item in enumerate(parsed, 1):
        if isinstance(item, Rejection):
            outcomes.append(EventOutcome(number, item.event_id, Outcome.REJECTED, (item,)))
        elif item.event_id in refused and first_position[item.event_id] == number:
            rejection = replace(refused[item.event_id], line=number)
            outcomes.append(EventOutcome(number, item.event_id, Outcome.REJECTED, (rejection,)))
        elif item.event_id in fresh and first_position[item.event_id] == number:
            outcomes.append(EventOutcome(number, item.event_id, Outcome.ACCEPTED, tuple(warnings_of(item, number))))
        else:
            outcomes.append(EventOutcome(number, item.event_id, Outcome.DUPLICATE))
    return outcomes
