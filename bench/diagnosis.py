"""Scoring every consumer (churn risk, high-value sub-type, intent, segment) over a graph of --people.

Builds (once, kept in --data-dir) a graph of --people consumers over 2024-01 to 2026-06:
about three in four buy, at rates and with lifetimes of their own (some lapse early); the
rest are leads who only interact. Everyone views products (a few of them featured), reads
content, clicks and fills lead forms on several channels, and receives some of a dozen
campaigns, which they open or click according to a responsiveness of their own. The graph
is imported with `profilegraph import`, the CLV models are fitted (`clv fit`), a churn
model is trained (`models train churn`, calibration to 2026-03-31, holdout to 2026-06-30)
and segments are discovered (`segments discover`), each with the command a user runs.

Then `models score` (the service it calls) runs --runs times as of 2026-06-30: the first run
writes every score (cold), the others only the scores that changed (warm, the daily case).
Each run reads every consumer's facts, evaluates the churn signals, scores churn risk with
the model, types the high-value tier, scores the leads' intent and assigns segments.

    python bench/diagnosis.py --people 100000 --runs 3 [--backend neo4j]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import api
from profilegraph.domain.tags import ObjectType, TagKind, ValueType
from profilegraph.services import tags as tag_service
from profilegraph.services.config import diagnosis_context
from profilegraph.services.diagnosis.scoring import SCORED_TAGS, score_everyone
from profilegraph.services.resolution import utc_now
from profilegraph.services.runtime import open_graph
from profilegraph.settings import load_settings
from profilegraph.store import tags as tag_store
from profilegraph.store.ports import GraphAccess, Transaction
from servers import add_service_backend

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 912  # to 2026-06-30
AS_OF = date(2026, 6, 30)
SKUS = 800
FEATURED = 40  # SKU0000..SKU0039 carry the product tag `featured`
CAMPAIGNS = 12
CHANNELS = ("app", "miniapp", "tmall", "douyin", "xiaohongshu", "wechat")
KINDS = ("view", "view", "view", "view", "click", "add_to_cart", "lead_form", "visit")


def _ts(day: float) -> str:
    return (START + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _person(n: int, rng: random.Random) -> list[dict[str, Any]]:
    """One consumer's events: identify, orders while they stay, interactions, campaign touches."""
    phone = {"type": "phone", "value": f"137{n:08d}"}
    member = {"type": "member_id", "value": f"D{n:07d}"}
    joined = rng.uniform(0, DAYS - 30)
    events: list[dict[str, Any]] = [
        {"event_id": f"id-{n}", "type": "identify", "ts": _ts(joined), "source": rng.choice(("app", "crm", "pos")),
         "identifiers": [phone, member], "attributes": {"city": rng.choice(api.CITIES)}},
    ]  # fmt: skip
    buyer = rng.random() < 0.75
    # How long they stay active, and how often they act while they do: heterogeneous, as BG/NBD assumes.
    stays = rng.expovariate(1 / rng.choice((60, 240, 720)))
    last = min(DAYS, joined + stays)
    if buyer:
        gap = rng.lognormvariate(4.3, 0.8)  # days between orders, median about 75
        ticket = rng.lognormvariate(5.3, 0.7)  # median about 200
        day, k = joined, 0
        while day <= last and k < 30:
            items: list[dict[str, Any]] = [
                {"sku": f"SKU{rng.randrange(SKUS):04d}", "qty": rng.randrange(1, 3), "price": round(ticket, 2)}
                for _ in range(rng.randrange(1, 3))
            ]
            events.append({
                "event_id": f"or-{n}-{k}", "type": "order", "ts": _ts(day), "source": "pos",
                "identifiers": [member if k % 2 else phone],
                "order": {"order_id": f"DO{n:07d}-{k}", "currency": "CNY", "items": items,
                          "amount": round(sum(i["qty"] * i["price"] for i in items), 2)},
            })  # fmt: skip
            day += rng.expovariate(1 / gap)
            k += 1
    for k in range(rng.randrange(0, 8)):
        kind = rng.choice(KINDS)
        body: dict[str, Any] = {"kind": kind, "channel": rng.choice(CHANNELS)}
        if kind in {"view", "add_to_cart"}:
            # Featured products draw a share of views that differs by person.
            body["sku"] = f"SKU{rng.randrange(FEATURED if rng.random() < 0.3 else SKUS):04d}"
        else:
            body["content_id"] = f"c-{rng.randrange(200)}"
        events.append({
            "event_id": f"in-{n}-{k}", "type": "interaction", "ts": _ts(rng.uniform(joined, max(joined, last))),
            "source": body["channel"], "identifiers": [phone], "interaction": body,
        })  # fmt: skip
    responsive = rng.random()
    for campaign in range(CAMPAIGNS):
        sent = 30 + campaign * (DAYS - 60) / CAMPAIGNS
        if sent < joined or rng.random() < 0.6:
            continue
        actions = ["sent"]
        if sent <= last and rng.random() < responsive:
            actions.append("opened")
            if rng.random() < responsive:
                actions.append("clicked")
        for action in actions:
            events.append({
                "event_id": f"t-{n}-{campaign}-{action}", "type": "touch", "ts": _ts(sent + len(events) % 3 / 24),
                "source": "crm", "identifiers": [phone],
                "touch": {"campaign_id": f"dc-{campaign:02d}", "channel": "sms", "action": action},
            })  # fmt: skip
    return events


def generate(people: int, path: Path, seed: int = 23) -> int:
    """NDJSON events for ``people`` consumers, campaigns first; returns how many."""
    rng = random.Random(seed)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for campaign in range(CAMPAIGNS):
            start = _ts(30 + campaign * (DAYS - 60) / CAMPAIGNS)
            record = {"event_id": f"cat-dc-{campaign}", "type": "campaign", "ts": start,
                      "campaign": {"campaign_id": f"dc-{campaign:02d}", "name": f"Campaign {campaign}",
                                   "start": start[:10], "channel": "sms"}}  # fmt: skip
            out.write(json.dumps(record) + "\n")
            count += 1
        for n in range(people):
            for event in _person(n, rng):
                out.write(json.dumps(event, ensure_ascii=False) + "\n")
                count += 1
    return count


def build(data_dir: Path, people: int) -> dict[str, object]:
    marker = data_dir / "bench-diagnosis.json"
    if marker.exists() and json.loads(marker.read_text()).get("people") == people:
        return dict(json.loads(marker.read_text()))
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    built: dict[str, object] = {"people": people}
    with tempfile.TemporaryDirectory() as scratch:
        events = Path(scratch) / "events.ndjson"
        built["events"] = generate(people, events)
        started = time.perf_counter()
        api.cli(data_dir, "import", str(events), "--json")
        built["import_s"] = round(time.perf_counter() - started, 1)
    steps = {
        "fit_s": ("clv", "fit", "--until", AS_OF.isoformat()),
        "train_s": ("models", "train", "churn", "--until", "2026-03-31", "--holdout-until", "2026-06-30",
                    "--no-score", "--json"),
        "segments_s": ("segments", "discover", "--k", "2..8", "--as-of", AS_OF.isoformat(), "--no-score", "--json"),
    }  # fmt: skip
    for name, command in steps.items():
        started = time.perf_counter()
        output = api.cli(data_dir, *command)
        built[name] = round(time.perf_counter() - started, 1)
        if name == "train_s":
            built["churn_model"] = json.loads(output)
    marker.write_text(json.dumps(built))
    return built


async def _feature_products(store: GraphAccess) -> None:
    """Tag the featured products, as a merchandising job would."""
    held = {d.name for d in await tag_service.tag_definitions(store, ObjectType.PRODUCT)}
    if "featured" not in held:
        await tag_service.define_tag(
            store, name="featured", object_type=ObjectType.PRODUCT, value_type=ValueType.BOOL, kind=TagKind.MODEL,
            actor="bench",
        )  # fmt: skip
    assignments = [
        tag_service.Assignment("featured", ObjectType.PRODUCT, object_key=f"SKU{n:04d}", value=True)
        for n in range(FEATURED)
    ]
    results = await tag_service.set_tags(store, assignments, actor="bench", may_set_manual=False)
    failed = [r.error for r in results if r.error is not None]
    if failed:
        raise SystemExit(f"tagging featured products failed: {failed[0]}")


async def _clear_scores(store: GraphAccess) -> int:
    """Clear every score an earlier run wrote, so the first run writes them all again (cold)."""
    now = utc_now()
    keys = []
    for definition in await tag_service.tag_definitions(store, ObjectType.USER):
        if definition.name in SCORED_TAGS:
            held = await tag_store.person_values_of_tag(store, definition.key, now)
            keys += [tag_service.value_key(definition.key, "person", one_id) for one_id in held]
    for begin in range(0, len(keys), 10_000):

        async def clear(tx: Transaction, batch: list[str] = keys[begin : begin + 10_000]) -> None:
            await tag_store.clear_values(tx, batch)

        await store.write(clear)
    return len(keys)


async def main(args: argparse.Namespace) -> None:
    built = build(args.data_dir, args.people)
    print(f"graph: {built}", flush=True)
    settings = load_settings(data_dir=args.data_dir, embedded_heap=args.heap, **api.neo4j_settings())
    context = diagnosis_context(settings)
    rates: list[float] = []
    async with open_graph(settings) as runtime:
        await _feature_products(runtime.store)
        print(f"cleared {await _clear_scores(runtime.store):,} scores of an earlier run", flush=True)
        for run in range(args.runs):
            report = await score_everyone(runtime.store, context, as_of=AS_OF)
            rate = report.profiles / report.seconds
            rates.append(rate)
            print(
                f"score run {run + 1} ({'cold' if run == 0 else 'warm'}): {report.profiles:,} profiles in "
                f"{report.seconds:.1f} s = {rate:,.0f} profiles/s; churn {report.churn_scored:,}, "
                f"high-value typed {report.high_value_typed:,}, intent {report.intent_scored:,}, "
                f"segmented {report.segmented:,}; {report.set:,} set, {report.cleared:,} cleared",
                flush=True,
            )
    print()
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"command: python {' '.join(sys.argv)}")
    warm = rates[1:] or rates
    print(f"| measure | profiles/s (median of {len(warm)} warm; runs {', '.join(f'{r:,.0f}' for r in rates)}) |")
    print("| --- | --- |")
    print(f"| scoring, cold (every score written) | {rates[0]:,.0f} |")
    print(f"| scoring, warm (changes written) | {statistics.median(warm):,.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "diagnosis-graph")
    add_service_backend(parser)
    arguments = parser.parse_args()
    with api.on_backend(arguments, "bench-diagnosis-neo4j-"):
        asyncio.run(main(arguments))
