"""Resolving OneIDs around identifiers inside one transaction, and the full recompute."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from neo4j import AsyncManagedTransaction

from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.resolution import OneIdPlan, Resolution, plan_one_ids, resolve
from profilegraph.store.bolt import GraphStore
from profilegraph.store.oneids import load_all_evidence
from profilegraph.store.resolution import apply_plan, load_component, load_memberships

__all__ = ["ResolutionSummary", "new_one_id", "resolve_around", "resolve_full", "utc_now"]


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_one_id() -> str:
    return f"oid_{uuid.uuid4().hex}"


@dataclass(frozen=True)
class ResolutionSummary:
    identifiers: int
    one_ids: int
    created: tuple[str, ...]
    merged: tuple[str, ...]
    conflicts: int


async def resolve_around(
    tx: AsyncManagedTransaction,
    seeds: Collection[str],
    config: IdentityConfig,
    *,
    recheck: Collection[str] = (),
) -> ResolutionSummary:
    """Re-resolve every evidence component that touches ``seeds`` and write the result."""
    now = utc_now()
    if not seeds:
        return ResolutionSummary(0, 0, (), (), 0)
    evidence = await load_component(tx, seeds, now, recheck=recheck)
    resolution = resolve(evidence, config)
    expanded = [key for key, node in evidence.nodes.items() if node.expanded]
    state = await load_memberships(tx, expanded)
    plan = plan_one_ids(resolution, evidence.nodes, state.membership, state.persons, config, new_one_id)
    await apply_plan(tx, evidence, resolution, state, plan, now)
    return _summary(resolution, plan)


def _summary(resolution: Resolution, plan: OneIdPlan) -> ResolutionSummary:
    return ResolutionSummary(
        identifiers=len(plan.assignments),
        one_ids=len(resolution.clusters),
        created=tuple(plan.created),
        merged=tuple(r.retired for r in plan.redirects),
        conflicts=len(resolution.refusals),
    )


async def resolve_full(store: GraphStore, config: IdentityConfig) -> ResolutionSummary:
    """Recompute every OneID from all evidence at once (``profilegraph resolve --full``).

    Runs as one transaction: the result is exactly what incremental resolution
    must already have produced, so on a consistent graph it changes nothing.
    """

    async def work(tx: AsyncManagedTransaction) -> ResolutionSummary:
        now = utc_now()
        evidence = await load_all_evidence(tx, now)
        resolution = resolve(evidence, config)
        state = await load_memberships(tx, list(evidence.nodes))
        plan = plan_one_ids(resolution, evidence.nodes, state.membership, state.persons, config, new_one_id)
        await apply_plan(tx, evidence, resolution, state, plan, now)
        return _summary(resolution, plan)

    return await store.write(work, retry_conflicts=True)
