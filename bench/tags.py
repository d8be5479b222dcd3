"""Rule-tag recompute and audience counts over a graph of --people consumers.

Builds the graph bench/api.py builds (once, kept in --data-dir, apart from that bench's,
whose ingestion runs add consumers): consumers with a phone, a member id, an e-mail, three
attributes and one to twelve orders, CLV fitted. On it:

- defines three user rule tags (repeat buyer, spend band, lapsed) and two model tags, and
  sets the model tags in bulk with `setTags`'s service (segment on 60 % of consumers, a
  score on 70 %);
- `tags recompute` over every consumer, --runs times: the first run writes every value
  (cold), the others only what changed (warm, the daily case); profiles/s each;
- an audience count with two tag predicates and a CLV range (segment = gold AND
  score >= 0.5 AND 100 <= predicted CLV < 2000), --runs times after the recompute, with
  the figures the recompute stored; and once with every stored figure stale, computed afresh.

    python bench/tags.py --people 100000 --runs 3 [--backend neo4j]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import api
from api import build
from profilegraph.domain.audience import Filter, TagLeaf, ValueLeaf
from profilegraph.domain.tags import ObjectType, TagKind, ValueType
from profilegraph.services import tags as tag_service
from profilegraph.services.audiences import select
from profilegraph.services.config import tag_context
from profilegraph.services.lookup import all_one_ids
from profilegraph.services.runtime import open_graph
from profilegraph.settings import load_settings
from profilegraph.store import tags as tag_store
from profilegraph.store.ports import GraphAccess
from servers import add_service_backend

ROOT = Path(__file__).resolve().parents[1]
RULES = {
    "repeat_buyer": (ValueType.BOOL, "orders_365d >= 2"),
    "spend_band": (ValueType.STRING, "amount >= 1000.0 ? 'high' : amount >= 300.0 ? 'mid' : 'low'"),
    "lapsed": (ValueType.BOOL, "days_since_order > 180 && p_alive < 0.5"),
}
AUDIENCE = Filter(
    conditions=(TagLeaf("segment", eq="gold"), TagLeaf("score", min=0.5), ValueLeaf(clv_min=100.0, clv_max=2000.0))
)


async def _setup(store: GraphAccess, seed: int = 5) -> int:
    # A run starts cold: the tags of an earlier run on the same graph go, with their values.
    for held in await tag_service.tag_definitions(store, ObjectType.USER):
        if held.name in {*RULES, "segment", "score"}:
            await tag_service.delete_tag(store, ObjectType.USER, held.name, actor="bench", reason="a new bench run")
    for name, (value_type, expression) in RULES.items():
        await tag_service.define_tag(
            store, name=name, object_type=ObjectType.USER, value_type=value_type, kind=TagKind.RULE,
            expression=expression, actor="bench",
        )  # fmt: skip
    await tag_service.define_tag(
        store, name="segment", object_type=ObjectType.USER, value_type=ValueType.STRING, kind=TagKind.MODEL,
        actor="bench",
    )  # fmt: skip
    await tag_service.define_tag(
        store, name="score", object_type=ObjectType.USER, value_type=ValueType.NUMBER, kind=TagKind.MODEL,
        actor="bench",
    )  # fmt: skip
    rng = random.Random(seed)
    one_ids = sorted(set((await all_one_ids(store)).values()))
    assignments = []
    for one_id in one_ids:
        if rng.random() < 0.6:
            segment = rng.choice(("gold", "silver", "bronze"))
            assignments.append(tag_service.Assignment("segment", ObjectType.USER, one_id=one_id, value=segment))
        if rng.random() < 0.7:
            score = round(rng.random(), 3)
            assignments.append(tag_service.Assignment("score", ObjectType.USER, one_id=one_id, value=score))
    for begin in range(0, len(assignments), 5000):
        results = await tag_service.set_tags(
            store, assignments[begin : begin + 5000], actor="bench", may_set_manual=False
        )
        failed = [r.error for r in results if r.error is not None]
        if failed:
            raise SystemExit(f"setting model tags failed: {failed[0]}")
    return len(one_ids)


async def main(args: argparse.Namespace) -> None:
    built = build(args.data_dir, args.people)
    print(f"graph: {built}", flush=True)
    settings = load_settings(data_dir=args.data_dir, embedded_heap=args.heap, **api.neo4j_settings())
    context = tag_context(settings)
    async with open_graph(settings) as runtime:
        store = runtime.store
        started = time.perf_counter()
        people = await _setup(store)
        print(f"defined 5 tags and set model tags on {people:,} consumers in {time.perf_counter() - started:.1f} s")

        recompute: list[float] = []
        for run in range(args.runs):
            report = (await tag_service.recompute(store, context, object_types=[ObjectType.USER]))[0]
            rate = report.objects / report.seconds
            recompute.append(rate)
            print(
                f"recompute run {run + 1} ({'cold' if run == 0 else 'warm'}): {report.objects:,} profiles in "
                f"{report.seconds:.1f} s = {rate:,.0f} profiles/s; {report.set:,} set, {report.cleared:,} cleared",
                flush=True,
            )

        counts: list[float] = []
        for _ in range(args.runs):
            started = time.perf_counter()
            found = await select(store, AUDIENCE, context=context, half_life_days=settings.affinity_half_life_days)
            counts.append(time.perf_counter() - started)
        print(f"audience count ({len(found):,} of {people:,}) in " + ", ".join(f"{s:.3f}" for s in counts) + " s")

        await tag_store.invalidate_scores(store, None)
        started = time.perf_counter()
        stale = await select(store, AUDIENCE, context=context, half_life_days=settings.affinity_half_life_days)
        fresh_s = time.perf_counter() - started
        assert stale == found
        print(f"audience count with every stored figure stale: {fresh_s:.2f} s")

    print()
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"command: python {' '.join(sys.argv)}")
    print(f"| measure | median of {args.runs} | target |")
    print("| --- | --- | --- |")
    warm = recompute[1:] or recompute
    print(f"| rule-tag recompute, cold (all values written) | {recompute[0]:,.0f} profiles/s | ≥ 2,000 |")
    print(f"| rule-tag recompute, warm (changes written) | {statistics.median(warm):,.0f} profiles/s | ≥ 2,000 |")
    print(f"| audience count, 2 tags + CLV range | {statistics.median(counts):.3f} s | ≤ 1 s |")
    print(f"| the same, every stored figure stale | {fresh_s:.2f} s | |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "tags-graph")
    add_service_backend(parser)
    arguments = parser.parse_args()
    with api.on_backend(arguments, "bench-tags-neo4j-"):
        asyncio.run(main(arguments))
