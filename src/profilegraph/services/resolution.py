"""Resolving OneIDs around identifiers inside one transaction, and the full recompute."""

from __future__ import annotations

import asyncio
import gc
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import islice

from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.resolution import (
    Evidence,
    Household,
    OneIdPlan,
    Resolution,
    plan_households,
    plan_one_ids,
    resolve,
)
from profilegraph.store.oneids import active_one_id_count, all_identifier_keys
from profilegraph.store.ports import GraphAccess, Transaction
from profilegraph.store.resolution import MembershipState, apply_plan, load_component, pending_keys

__all__ = ["ResolutionSummary", "new_one_id", "resolve_around", "resolve_full", "resolve_pending", "utc_now"]

PENDING_CHUNK = 5000

OnWalked = Callable[[frozenset[str]], object]


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Resolution allocates hundreds of thousands of small objects that reference counting
    frees on its own; pausing the cycle collector meanwhile saves about a third of its time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def new_lock_token(now: str) -> str:
    """A value written on every identifier a resolution walks: unique, so the write always
    changes the record (which is what makes concurrent walks conflict), and dated."""
    return f"{now}/{uuid.uuid4().hex}"


def new_one_id() -> str:
    return f"oid_{uuid.uuid4().hex}"


@dataclass(frozen=True)
class ResolutionSummary:
    identifiers: int
    one_ids: int
    created: tuple[str, ...]
    merged: tuple[str, ...]
    conflicts: int
    walked: frozenset[str] = frozenset()  # every identifier whose evidence was read (and marked resolved)


async def resolve_around(
    tx: Transaction,
    seeds: Collection[str],
    config: IdentityConfig,
    *,
    recheck: Collection[str] = (),
    merge_reason: str | None = None,
    on_walked: OnWalked | None = None,
) -> ResolutionSummary:
    """Re-resolve every evidence component that touches ``seeds`` and write the result.

    ``merge_reason`` is kept on the redirects of the OneIDs this joins (an admin's
    reason for a merge) instead of the generic "merge". ``on_walked`` learns the
    identifiers walked (and locked) as soon as the walk is done.
    """
    now = utc_now()
    if not seeds:
        return ResolutionSummary(0, 0, (), (), 0)
    evidence, state = await load_component(tx, seeds, new_lock_token(now), recheck=recheck)
    walked = frozenset(k for k, node in evidence.nodes.items() if node.expanded)
    if on_walked is not None:
        on_walked(walked)
    # In a worker thread: the event loop meanwhile sends other transactions' queries and
    # serves requests, so the graph server is not left idle while Python decides.
    resolution, plan, households = await asyncio.to_thread(_decide, evidence, state, config)
    if merge_reason is not None:
        redirects = tuple(replace(r, reason=merge_reason) if r.survivor is not None else r for r in plan.redirects)
        plan = replace(plan, redirects=redirects)
    await apply_plan(tx, evidence, resolution, state, plan, now, households)
    return _summary(resolution, plan, walked)


def _decide(
    evidence: Evidence, state: MembershipState, config: IdentityConfig
) -> tuple[Resolution, OneIdPlan, tuple[Household, ...]]:
    """The partition of the loaded components and what it changes: pure, and CPU-bound."""
    with _collector_paused():
        resolution = resolve(evidence, config)
        plan = plan_one_ids(resolution, evidence.nodes, state.membership, state.persons, config, new_one_id)
        return resolution, plan, plan_households(resolution, plan.assignments)


def _summary(resolution: Resolution, plan: OneIdPlan, walked: frozenset[str] = frozenset()) -> ResolutionSummary:
    return ResolutionSummary(
        identifiers=len(plan.assignments),
        one_ids=len(resolution.clusters),
        created=tuple(plan.created),
        merged=tuple(r.retired for r in plan.redirects),
        conflicts=len(resolution.refusals),
        walked=walked,
    )


async def resolve_full(
    store: GraphAccess,
    config: IdentityConfig,
    *,
    chunk: int = PENDING_CHUNK,
    on_progress: Callable[[int, int], object] | None = None,
) -> ResolutionSummary:
    """Recompute every OneID from all evidence (``profilegraph resolve --full``).

    Every identifier is a seed once, ``chunk`` seeds per transaction; each walk loads
    the whole evidence components of its seeds and rechecks every seed's status (the
    configuration may have changed), so memory and transaction size stay bounded by
    the components, not the graph. A chunk commits on its own: an interrupted run
    keeps what it finished, and running it again completes it. On a consistent graph
    with unchanged configuration it changes nothing. ``on_progress(done, total)``
    follows the identifiers.
    """
    keys = await store.read(all_identifier_keys)
    summary = await _resolve_in_chunks(store, keys, config, chunk, on_progress, recheck=True)
    return replace(summary, one_ids=await store.read(active_one_id_count))


async def resolve_pending(
    store: GraphAccess,
    config: IdentityConfig,
    *,
    chunk: int = PENDING_CHUNK,
    on_progress: Callable[[int, int], object] | None = None,
) -> int:
    """Resolve every identifier a bulk import left pending, a chunk per transaction; return how many.

    The pending identifiers (those without a ``resolution`` token) are listed once (a
    scan: an index on the token costs more on every write than it saves here) and
    walked a chunk at a time; a chunk's walk marks every identifier in the
    components it resolves, so those are not walked again. One listing is enough:
    an import lists after its last write, so whatever another import marks later
    is resolved by that import's own pass. ``on_progress(resolved, total)`` is called
    after each chunk.
    """
    keys = await store.read(pending_keys)
    await _resolve_in_chunks(store, keys, config, chunk, on_progress, recheck=False)
    return len(keys)


async def _resolve_in_chunks(
    store: GraphAccess,
    keys: list[str],
    config: IdentityConfig,
    chunk: int,
    on_progress: Callable[[int, int], object] | None,
    *,
    recheck: bool,
) -> ResolutionSummary:
    """Resolve around ``keys``, ``chunk`` seeds per transaction, skipping what earlier walks covered.

    Two chunks are in flight: the next one walks the graph while the one before decides
    and writes, so the graph server and Python work at the same time instead of in turn.
    The next chunk starts only once the one before has walked (and so locked) its
    components; a walk that reaches them waits for that chunk to commit and then reads
    what it wrote, which keeps the outcome the same as one chunk after another.
    """
    remaining = dict.fromkeys(keys)
    total = len(remaining)
    if on_progress is not None:
        on_progress(0, total)
    done, identifiers, conflicts = 0, 0, 0
    created: list[str] = []
    merged: list[str] = []
    running: tuple[asyncio.Task[ResolutionSummary], list[int]] | None = None
    started: tuple[asyncio.Task[ResolutionSummary], list[int]] | None = None
    try:
        while remaining or running is not None:
            started = None
            if remaining:
                started = await _start_chunk(store, remaining, config, chunk, recheck)
            if running is not None:
                summary = await running[0]
                done += running[1][0]
                identifiers += summary.identifiers
                conflicts += summary.conflicts
                created.extend(summary.created)
                merged.extend(summary.merged)
                if on_progress is not None:
                    on_progress(done, total)
            running, started = started, None
    finally:
        # On an error, neither chunk is left running behind the caller's back.
        unfinished = [flight[0] for flight in (running, started) if flight is not None and not flight[0].done()]
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
    return ResolutionSummary(identifiers, 0, tuple(created), tuple(merged), conflicts)


async def _start_chunk(
    store: GraphAccess, remaining: dict[str, None], config: IdentityConfig, chunk: int, recheck: bool
) -> tuple[asyncio.Task[ResolutionSummary], list[int]]:
    """Start resolving the next ``chunk`` seeds of ``remaining``; return once its walk is done.

    What the walk covers is taken off ``remaining`` as soon as it is known. The count
    of keys the chunk took is returned beside its task, for progress.
    """
    seeds = list(islice(remaining, chunk))
    for key in seeds:
        del remaining[key]
    covered = [len(seeds)]
    walked = asyncio.Event()

    def taken(keys: frozenset[str]) -> None:
        for key in keys & remaining.keys():
            del remaining[key]
            covered[0] += 1
        walked.set()

    async def work(tx: Transaction) -> ResolutionSummary:
        return await resolve_around(tx, seeds, config, recheck=seeds if recheck else (), on_walked=taken)

    task = asyncio.create_task(store.write(work, retry_conflicts=True))
    waiting = asyncio.create_task(walked.wait())
    await asyncio.wait((task, waiting), return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    return task, covered
