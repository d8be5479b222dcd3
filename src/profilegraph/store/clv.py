"""Orders and interactions per OneID (across all its identifiers), and stored CLV fits."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any, LiteralString

from profilegraph.domain.clv import BgNbdParams, GammaGammaParams, ParetoNbdParams
from profilegraph.domain.rfm import RfmCuts
from profilegraph.domain.valuation import ClvModel
from profilegraph.store.bolt import collected
from profilegraph.store.ports import GraphAccess

__all__ = [
    "ProfileActivity",
    "activity",
    "activity_of",
    "activity_of_facts",
    "activity_with_fit",
    "all_activity",
    "first_seen",
    "latest_fit",
    "save_fit",
]

# Each query answers in one row: a row per order or per person costs more to stream than it
# holds. An order carried by two identifiers of one person hangs off both: DISTINCT counts it once.
ALL_ORDERS: LiteralString = """
MATCH (p:Person {status: 'active'})<-[:MEMBER_OF]-(:Identifier)<-[:BY]-(o:Order)
RETURN collect(DISTINCT [p.one_id, o.order_id, substring(o.ts, 0, 10), o.amount]) AS rows
"""

ALL_INTERACTION_DAYS: LiteralString = """
MATCH (p:Person {status: 'active'})<-[:MEMBER_OF]-(:Identifier)<-[:BY]-(x:Interaction)
RETURN collect(DISTINCT [p.one_id, substring(x.ts, 0, 10)]) AS rows
"""

ACTIVE_PERSONS: LiteralString = """
MATCH (p:Person {status: 'active'})<-[:MEMBER_OF]-(i:Identifier)
WITH p, min(i.first_seen) AS first_seen
RETURN collect([p.one_id, substring(first_seen, 0, 10)]) AS rows
"""

# When each of a few OneIDs was first seen: the OneIDs named that have identifiers.
FIRST_SEEN_OF: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(i:Identifier)
WITH one_id, min(i.first_seen) AS first_seen
RETURN collect([one_id, substring(first_seen, 0, 10)]) AS rows
"""

# A few OneIDs' orders, interaction days and first sighting in one query: the identifiers
# are collected first, so orders and interactions never multiply each other's rows.
ACTIVITY_OF: LiteralString = """
UNWIND $one_ids AS one_id
MATCH (:Person {one_id: one_id})<-[:MEMBER_OF]-(i:Identifier)
WITH one_id, collect(i) AS ids, min(i.first_seen) AS first_seen
UNWIND ids AS i
OPTIONAL MATCH (i)<-[:BY]-(o:Order)
WITH one_id, ids, first_seen, collect(DISTINCT [o.order_id, o.ts, o.amount]) AS orders
UNWIND ids AS i
OPTIONAL MATCH (i)<-[:BY]-(x:Interaction)
RETURN one_id, first_seen, orders, collect(DISTINCT substring(x.ts, 0, 10)) AS days
"""

SAVE_FIT: LiteralString = """
CREATE (f:ClvFit {fit_id: $fit_id, fitted_at: $fitted_at, until: $until, unit: $unit, customers: $customers,
                  bgnbd_r: $bgnbd_r, bgnbd_alpha: $bgnbd_alpha, bgnbd_a: $bgnbd_a, bgnbd_b: $bgnbd_b,
                  bgnbd_log_likelihood: $bgnbd_ll,
                  pnbd_r: $pnbd_r, pnbd_alpha: $pnbd_alpha, pnbd_s: $pnbd_s, pnbd_beta: $pnbd_beta,
                  pnbd_log_likelihood: $pnbd_ll,
                  gg_p: $gg_p, gg_q: $gg_q, gg_v: $gg_v, gg_log_likelihood: $gg_ll,
                  rfm_recency_cuts: $rfm_recency, rfm_frequency_cuts: $rfm_frequency, rfm_monetary_cuts: $rfm_monetary,
                  high_value_cutoff: $high_value_cutoff, reference_horizon_days: $reference_horizon_days,
                  annual_discount_rate: $annual_discount_rate})
"""

LATEST_FIT: LiteralString = """
MATCH (f:ClvFit)
RETURN f {.*} AS fit
ORDER BY f.fitted_at DESC
LIMIT 1
"""


class ProfileActivity:
    """Purchases by day and interaction days of each OneID, with when it was first seen."""

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, tuple[date, float]]] = defaultdict(dict)
        self.interactions: dict[str, set[date]] = defaultdict(set)
        self.first_seen: dict[str, date] = {}

    def purchases(self, one_id: str) -> list[tuple[date, float]]:
        """(day, amount) of each order, in that order: sums over them then do not depend on
        the order the graph returned the orders in, to the last bit."""
        return sorted(self.orders.get(one_id, {}).values())


@lru_cache(maxsize=1 << 16)
def _date(day: str) -> date:
    # Facts fall on a few thousand days: each is parsed once, however many facts share it.
    return date.fromisoformat(day)


def _day(ts: str) -> date:
    return _date(ts[:10])


async def all_activity(store: GraphAccess) -> ProfileActivity:
    result = ProfileActivity()
    # The server answers the three side by side while the first answers are decoded here.
    orders, interactions, persons = await asyncio.gather(
        store.query(ALL_ORDERS), store.query(ALL_INTERACTION_DAYS), first_seen(store, None)
    )
    for one_id, order_id, day, amount in collected(orders):
        result.orders[one_id][order_id] = (_date(day), float(amount))
    for one_id, day in collected(interactions):
        result.interactions[one_id].add(_date(day))
    result.first_seen.update(persons)
    return result


async def activity(store: GraphAccess, one_id: str) -> ProfileActivity:
    return await activity_of(store, [one_id])


async def first_seen(store: GraphAccess, one_ids: Sequence[str] | None) -> dict[str, date]:
    """OneID -> the day it was first seen, for the OneIDs named that have identifiers (every
    active one for None): the OneIDs that have value figures."""
    rows = await (store.query(ACTIVE_PERSONS) if one_ids is None else store.query(FIRST_SEEN_OF, one_ids=list(one_ids)))
    return {one_id: _date(day) for one_id, day in collected(rows)}


def activity_of_facts(
    first_seen: Mapping[str, date], orders: Iterable[Sequence[Any]], interactions: Iterable[Sequence[Any]]
) -> ProfileActivity:
    """The activity of the OneIDs in ``first_seen`` from order and interaction rows that
    start [one_id, id, ts, ...] (as user rules read them): no second read of the same facts."""
    result = ProfileActivity()
    result.first_seen.update(first_seen)
    for one_id, order_id, ts, amount, *_ in orders:
        if one_id in first_seen:
            result.orders[one_id][order_id] = (_day(ts), float(amount))
    for one_id, _, ts, *_ in interactions:
        if one_id in first_seen:
            result.interactions[one_id].add(_day(ts))
    return result


async def activity_of(store: GraphAccess, one_ids: Sequence[str]) -> ProfileActivity:
    """The activity of the OneIDs named, in one query however many they are."""
    return _activity(await store.query(ACTIVITY_OF, one_ids=list(one_ids)))


# A fit is stored when `clv fit` runs, rarely; reading it with every profile would add a
# query to each. A fit stored by another process is therefore served within this many seconds.
FIT_MAX_AGE_SECONDS = 10.0


async def activity_with_fit(store: GraphAccess, one_ids: Sequence[str]) -> tuple[ProfileActivity, ClvModel | None]:
    """The OneIDs' activity and the newest fit (read at most FIT_MAX_AGE_SECONDS ago): what their figures need."""
    rows = await store.query(ACTIVITY_OF, one_ids=list(one_ids))
    return _activity(rows), await latest_fit(store, max_age=FIT_MAX_AGE_SECONDS)


def _activity(rows: list[dict[str, Any]]) -> ProfileActivity:
    """ACTIVITY_OF's rows (one per OneID, its orders and days collected) as a ProfileActivity."""
    result = ProfileActivity()
    for row in rows:
        one_id = row["one_id"]
        result.first_seen[one_id] = _day(row["first_seen"])
        # a OneID without orders or interactions collects one [null, ...] entry
        for order_id, ts, amount in row["orders"]:
            if order_id is not None:
                result.orders[one_id][order_id] = (_day(ts), float(amount))
        result.interactions[one_id].update(date.fromisoformat(day) for day in row["days"] if day is not None)
    return result


async def save_fit(store: GraphAccess, model: ClvModel) -> str:
    fit_id = uuid.uuid4().hex
    await store.execute(
        SAVE_FIT,
        fit_id=fit_id,
        fitted_at=model.fitted_at,
        until=model.until.isoformat(),
        unit=model.unit,
        customers=model.customers,
        bgnbd_r=model.bgnbd.r,
        bgnbd_alpha=model.bgnbd.alpha,
        bgnbd_a=model.bgnbd.a,
        bgnbd_b=model.bgnbd.b,
        bgnbd_ll=model.bgnbd.log_likelihood,
        pnbd_r=model.pareto_nbd.r,
        pnbd_alpha=model.pareto_nbd.alpha,
        pnbd_s=model.pareto_nbd.s,
        pnbd_beta=model.pareto_nbd.beta,
        pnbd_ll=model.pareto_nbd.log_likelihood,
        gg_p=model.gamma_gamma.p,
        gg_q=model.gamma_gamma.q,
        gg_v=model.gamma_gamma.v,
        gg_ll=model.gamma_gamma.log_likelihood,
        rfm_recency=list(model.rfm.recency_days),
        rfm_frequency=list(model.rfm.frequency),
        rfm_monetary=list(model.rfm.monetary),
        high_value_cutoff=model.high_value_cutoff,
        reference_horizon_days=model.reference_horizon_days,
        annual_discount_rate=model.annual_discount_rate,
    )
    _latest.pop(store.graph_key, None)
    return fit_id


# graph -> (when read, the newest fit then); a fit saved in this process replaces its entry.
_latest: dict[str, tuple[float, ClvModel | None]] = {}


async def latest_fit(store: GraphAccess, *, max_age: float = 0.0) -> ClvModel | None:
    """The newest fit; one read at most ``max_age`` seconds ago will do."""
    cached = _latest.get(store.graph_key)
    if cached is not None and time.monotonic() - cached[0] < max_age:
        return cached[1]
    model = _model(await store.query(LATEST_FIT))
    _latest[store.graph_key] = (time.monotonic(), model)
    return model


def _model(rows: list[dict[str, Any]]) -> ClvModel | None:
    if not rows:
        return None
    f = rows[0]["fit"]
    return ClvModel(
        fitted_at=f["fitted_at"],
        until=date.fromisoformat(f["until"]),
        unit=f["unit"],
        customers=int(f["customers"]),
        bgnbd=BgNbdParams(f["bgnbd_r"], f["bgnbd_alpha"], f["bgnbd_a"], f["bgnbd_b"], f["bgnbd_log_likelihood"]),
        pareto_nbd=ParetoNbdParams(f["pnbd_r"], f["pnbd_alpha"], f["pnbd_s"], f["pnbd_beta"], f["pnbd_log_likelihood"]),
        gamma_gamma=GammaGammaParams(f["gg_p"], f["gg_q"], f["gg_v"], f["gg_log_likelihood"]),
        rfm=RfmCuts(tuple(f["rfm_recency_cuts"]), tuple(f["rfm_frequency_cuts"]), tuple(f["rfm_monetary_cuts"])),
        high_value_cutoff=float(f["high_value_cutoff"]),
        reference_horizon_days=int(f["reference_horizon_days"]),
        annual_discount_rate=float(f["annual_discount_rate"]),
    )
