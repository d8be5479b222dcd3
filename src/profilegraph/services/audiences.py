"""Audiences: which active OneIDs a filter selects, exactly, and saved audiences.

Each condition of a filter is answered once as a set of OneIDs (domain.audience combines
them). Value conditions (stage, tier, CLV) read the figures ``tags recompute`` stores on
each Person; figures stored before the newest CLV fit, on another day, or for a consumer
an ingest has touched since are computed afresh, so a count is always as of now.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from profilegraph.domain.affinity import Dimension
from profilegraph.domain.audience import (
    AffinityLeaf,
    Filter,
    IdentityLeaf,
    Leaf,
    TagLeaf,
    ValueLeaf,
    evaluate,
    filter_from_json,
    filter_to_json,
    leaves,
    tag_value_predicate,
)
from profilegraph.domain.tags import ObjectType, TagKind
from profilegraph.errors import ErrorCode, InvalidInputError, NotFoundError
from profilegraph.services.affinities import scored_candidates
from profilegraph.services.clv._common import today
from profilegraph.services.clv.audience import score_profiles
from profilegraph.services.collector import pauses_collector
from profilegraph.services.resolution import utc_now
from profilegraph.services.tags import TagContext, tag_definitions
from profilegraph.store import audiences as audience_store
from profilegraph.store import clv as clv_store
from profilegraph.store import profiles as profile_store
from profilegraph.store import tags as tag_store
from profilegraph.store.ports import GraphAccess

__all__ = ["SavedAudience", "StoredScore", "define_audience", "get_audience", "list_audiences", "select"]

# Past this share of stale figures, scoring everyone in one pass is cheaper than a lookup per OneID.
_SCORE_ALL_SHARE = 0.2


@dataclass(frozen=True)
class StoredScore:
    value: float  # predicted CLV, or historic spend without a fit
    stage: str
    tier: str


async def _scores(
    store: GraphAccess, context: TagContext, as_of: date, within: frozenset[str] | None = None
) -> dict[str, StoredScore]:
    """Value figures of every active OneID (or of those ``within``): stored ones where still
    current, the rest computed now."""
    rows = await tag_store.scores(store, sorted(within) if within is not None else None)
    model = await clv_store.latest_fit(store, max_age=clv_store.FIT_MAX_AGE_SECONDS)
    fit_id = model.fitted_at if model else ""
    day = as_of.isoformat()
    found: dict[str, StoredScore] = {}
    stale: list[str] = []
    for one_id, clv, _historic, _p_alive, stage, tier, scored_on, scored_fit in rows:
        if scored_on == day and (scored_fit or "") == fit_id and clv is not None:
            found[one_id] = StoredScore(float(clv), stage, tier)
        else:
            stale.append(one_id)
    if stale:
        everyone = within is None and len(stale) > _SCORE_ALL_SHARE * len(rows)
        scored = await score_profiles(
            store,
            None if everyone else stale,
            horizon_days=context.horizon_days,
            as_of=as_of,
            lifecycle_config=context.lifecycle,
        )
        wanted = set(stale)
        for row in scored:
            if row.one_id in wanted:
                value = row.predicted if row.predicted is not None else row.historic
                found[row.one_id] = StoredScore(value, str(row.stage), str(row.tier))
    return found


def _within(value: str, low: str | None, high: str | None) -> bool:
    # Timestamps are "YYYY-MM-DDTHH:MM:SSZ" and compare as text; a bound is inclusive.
    return (low is None or value >= low) and (high is None or value <= high)


class _Answers:
    """Each leaf's OneIDs, reading what several leaves share once."""

    def __init__(self, store: GraphAccess, context: TagContext, as_of: date, half_life_days: float) -> None:
        self.store = store
        self.context = context
        self.as_of = as_of
        self.half_life_days = half_life_days
        self.now = utc_now()
        # Leaves are answered side by side: what several read is read once, by the first to ask.
        self._scores: asyncio.Future[dict[str, StoredScore]] | None = None
        self._identity_rows: asyncio.Future[list[profile_store.ProfileFilterRows]] | None = None
        self._retired: asyncio.Future[set[str]] | None = None

    async def scores(self) -> dict[str, StoredScore]:
        if self._scores is None:
            self._scores = asyncio.ensure_future(_scores(self.store, self.context, self.as_of))
        return await self._scores

    async def retired(self) -> set[str]:
        if self._retired is None:
            self._retired = asyncio.ensure_future(tag_store.retired_one_ids(self.store))
        return await self._retired

    async def universe(self) -> frozenset[str]:
        return frozenset(await self.scores())

    async def answer(self, leaf: Leaf, within: frozenset[str] | None = None) -> frozenset[str]:
        """The OneIDs meeting ``leaf``; with ``within``, only those among it (a value leaf reads no more)."""
        if isinstance(leaf, IdentityLeaf):
            return await self._identity(leaf)
        if isinstance(leaf, ValueLeaf):
            return await self._value(leaf, within)
        if isinstance(leaf, TagLeaf):
            return await self._tag(leaf)
        return await self._affinity(leaf)

    async def _identity(self, leaf: IdentityLeaf) -> frozenset[str]:
        if self._identity_rows is None:
            self._identity_rows = asyncio.ensure_future(profile_store.profile_rows(self.store))
        rows = await self._identity_rows
        return frozenset(
            row.one_id
            for row in rows
            if leaf.identifier_types <= row.types
            and (leaf.source is None or leaf.source in row.sources)
            and _within(row.first_seen, leaf.first_seen_from, leaf.first_seen_to)
            and _within(row.last_seen, leaf.last_seen_from, leaf.last_seen_to)
        )

    async def _value(self, leaf: ValueLeaf, within: frozenset[str] | None) -> frozenset[str]:
        if within is not None and self._scores is None:
            scores = await _scores(self.store, self.context, self.as_of, within)
        else:
            scores = await self.scores()
        return frozenset(
            one_id
            for one_id, score in scores.items()
            if (leaf.stage is None or score.stage == leaf.stage)
            and (leaf.tier is None or score.tier == leaf.tier)
            and (leaf.clv_min is None or score.value >= leaf.clv_min)
            and (leaf.clv_max is None or score.value < leaf.clv_max)
        )

    async def _tag(self, leaf: TagLeaf) -> frozenset[str]:
        rows = await tag_store.audience_rows(self.store, f"{ObjectType.USER}:{leaf.name}", self.now)
        owners = await tag_store.owners_of_values(self.store, [key for one_id, _, _, _, key in rows if one_id is None])
        retired = await self.retired() if rows else set()
        # A value set on a OneID since merged counts for the survivor; a rule's is computed anew there.
        moved = sorted({one_id for one_id, kind, _, _, _ in rows if one_id in retired and kind != TagKind.RULE})
        current = await tag_store.redirects(self.store, moved)
        holds = tag_value_predicate(leaf)
        if not owners and not current and not any(one_id in retired for one_id, _, _, _, _ in rows):
            # Every value is set on an active OneID, one per OneID: no newest to choose.
            return frozenset(one_id for one_id, _, value, _, _ in rows if one_id is not None and holds(value))
        newest: dict[str, tuple[str, Any]] = {}
        for one_id, _, value, updated_at, key in rows:
            owner = owners.get(key) if one_id is None else (current.get(one_id) if one_id in retired else one_id)
            if owner is None:
                continue
            held = newest.get(owner)
            # the newest value of the tag counts (a tie in time goes to the greater value, for one answer)
            if held is None or updated_at > held[0] or (updated_at == held[0] and str(value) > str(held[1])):
                newest[owner] = (updated_at, value)
        return frozenset(owner for owner, (_, value) in newest.items() if holds(value))

    async def _affinity(self, leaf: AffinityLeaf) -> frozenset[str]:
        scored = await scored_candidates(
            self.store, leaf.dimension, leaf.value, as_of=self.as_of, half_life_days=self.half_life_days
        )
        return frozenset(one_id for one_id, affinity in scored if affinity.score >= leaf.min_score)


async def _check_tags(store: GraphAccess, wanted: Filter) -> None:
    user_tags = {d.name for d in await tag_definitions(store, ObjectType.USER)}
    for leaf in leaves(wanted):
        if isinstance(leaf, TagLeaf) and leaf.name not in user_tags:
            raise InvalidInputError(
                f"no user tag is named {leaf.name!r}", field="filter.tag.name", code=ErrorCode.UNKNOWN_TAG
            )
        if isinstance(leaf, AffinityLeaf) and leaf.dimension not in Dimension:
            raise InvalidInputError(f"unknown affinity dimension {leaf.dimension}", field="filter.affinity")


@pauses_collector
async def select(
    store: GraphAccess,
    wanted: Filter,
    *,
    context: TagContext,
    half_life_days: float,
    as_of: date | None = None,
) -> list[str]:
    """The active OneIDs the filter selects, in OneID order (exact; the caller pages)."""
    wanted.check()
    await _check_tags(store, wanted)
    answers = _Answers(store, context, as_of or today(), half_life_days)
    # A value condition ANDed at the top, and nowhere else, is read only for the OneIDs its
    # sibling conditions let through: the stored figures of a few, not of everyone.
    children = (*wanted.all_of, *wanted.any_of, *([wanted.none_of] if wanted.none_of else []))
    nested = {leaf for child in children for leaf in leaves(child)}
    narrowed = [leaf for leaf in wanted.conditions if isinstance(leaf, ValueLeaf) and leaf not in nested]
    first = list(dict.fromkeys(leaf for leaf in leaves(wanted) if leaf not in narrowed))
    found = dict(zip(first, await asyncio.gather(*(answers.answer(leaf) for leaf in first)), strict=True))
    siblings = [found[leaf] for leaf in wanted.conditions if leaf not in narrowed]
    within = frozenset.intersection(*siblings) if siblings else None
    for leaf in narrowed:
        found[leaf] = await answers.answer(leaf, within)
    universe = await answers.universe() if _needs_universe(wanted) else frozenset()
    return sorted(evaluate(wanted, found, lambda: universe))


def _needs_universe(node: Filter) -> bool:
    if node.none_of is not None or not (node.conditions or node.all_of or node.any_of):
        return True
    return any(_needs_universe(child) for child in (*node.all_of, *node.any_of))


@dataclass(frozen=True)
class SavedAudience:
    audience_id: str
    name: str
    definition: Filter
    created_at: str
    created_by: str


def _saved(row: dict[str, Any]) -> SavedAudience:
    return SavedAudience(
        row["audience_id"], row["name"], filter_from_json(row["definition"]), row["created_at"], row["created_by"]
    )


async def define_audience(store: GraphAccess, name: str, wanted: Filter, *, actor: str) -> SavedAudience:
    """Save a filter under a name; its members and count are computed whenever it is read."""
    if not name.strip() or len(name) > 200:
        raise InvalidInputError("an audience needs a name of 1 to 200 characters", field="name")
    wanted.check()
    await _check_tags(store, wanted)
    row = {
        "audience_id": uuid.uuid4().hex,
        "name": name.strip(),
        "definition": filter_to_json(wanted),
        "created_at": utc_now(),
        "created_by": actor,
    }
    await audience_store.save(store, row)
    return _saved(row)


async def list_audiences(store: GraphAccess) -> list[SavedAudience]:
    return [_saved(row) for row in await audience_store.all_audiences(store)]


async def get_audience(store: GraphAccess, audience_id: str) -> SavedAudience:
    row = await audience_store.audience(store, audience_id)
    if row is None:
        raise NotFoundError(f"no audience has the id {audience_id!r}")
    return _saved(row)
