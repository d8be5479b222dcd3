"""Identity ingestion benchmark: events/s, peak memory and pairwise precision / recall.

    python bench/identity.py --events 100000 --runs 3 [--backend embedded|neo4j]

Each run imports the generated events into a fresh graph server (the embedded
ArcadeDB, or a local Neo4j 5 community fetched with Maven) with
full OneID resolution, as ``profilegraph import`` does (bulk mode; or with
``--resolve-each-batch``, as the live ingestion path does), and, as the baseline
in the same run, writes the same identifiers and links with plain UNWIND MERGE
and no resolution.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
import statistics
import sys
import time
from collections import Counter
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from identity_data import generate
from profilegraph.domain.events import Event, parse_line
from profilegraph.domain.evidence import build_rows
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.services.ingest import ingest_lines
from profilegraph.store.bolt import GraphStore
from profilegraph.store.ingest import UPSERT_IDENTIFIERS, UPSERT_LINKS
from profilegraph.store.migrate import apply_migrations
from profilegraph.store.oneids import one_id_map
from servers import BACKENDS, graph_server, jvm_peak_mib

CONFIG = IdentityConfig()


def _pairs(sizes: Counter[object]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes.values())


def pairwise(predicted: dict[str, str], truth: dict[str, int]) -> tuple[float, float]:
    keys = [k for k in truth if k in predicted]
    together = _pairs(Counter((predicted[k], truth[k]) for k in keys))
    predicted_pairs = _pairs(Counter(predicted[k] for k in keys))
    true_pairs = _pairs(Counter(truth[k] for k in truth))
    return together / max(predicted_pairs, 1), together / max(true_pairs, 1)


def recall_ceiling(lines: list[str], truth: dict[str, int]) -> float:
    """The recall of linking exactly the evidence between identifiers of the same person."""
    parent = {k: k for k in truth}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for number, line in enumerate(lines, 1):
        event = parse_line(line, number, CONFIG)
        assert isinstance(event, Event)
        keys = [i.key for i in event.identifiers if i.key in truth]
        for a, b in combinations(keys, 2):
            if truth[a] == truth[b]:
                parent[find(a)] = find(b)
    clusters = {k: find(k) for k in truth}
    return pairwise(clusters, truth)[1]


async def _with_server(backend: str, heap: str, work) -> tuple[float, object, float]:  # type: ignore[no-untyped-def]
    with graph_server(backend, heap) as server:
        store = await GraphStore.connect(server.endpoint)
        try:
            await apply_migrations(store)
            started = time.perf_counter()
            result = await work(store)
            elapsed = time.perf_counter() - started
        finally:
            await store.close()
        return elapsed, result, jvm_peak_mib(server.pid)


async def raw_links(store: GraphStore, lines: list[str], batch_size: int) -> None:
    """The baseline: the same identifiers and links, UNWIND MERGE, no resolution, no facts."""
    for start in range(0, len(lines), batch_size):
        events = [
            e
            for n, line in enumerate(lines[start : start + batch_size], start + 1)
            if isinstance(e := parse_line(line, n, CONFIG), Event)
        ]
        rows = build_rows(events, CONFIG)

        async def work(tx, rows=rows):  # type: ignore[no-untyped-def]
            await (await tx.run(UPSERT_IDENTIFIERS, rows=rows.identifiers, pending=False)).consume()
            await (await tx.run(UPSERT_LINKS, rows=rows.links, max_event_ids=20)).consume()

        await store.write(work)


async def run_once(
    lines: list[str], truth: dict[str, int], batch_size: int, backend: str, heap: str, deferred: bool
) -> dict[str, float]:
    async def resolved(store: GraphStore) -> dict[str, str]:
        await ingest_lines(store, lines, CONFIG, batch_size=batch_size, deferred=deferred)
        return await one_id_map(store)

    ours, predicted, our_peak = await _with_server(backend, heap, resolved)
    base, _, base_peak = await _with_server(backend, heap, lambda store: raw_links(store, lines, batch_size))
    precision, recall = pairwise(predicted, truth)  # type: ignore[arg-type]
    return {
        "events_per_s": len(lines) / ours,
        "baseline_events_per_s": len(lines) / base,
        "ratio": base / ours,
        "precision": precision,
        "recall": recall,
        "jvm_peak_mib": our_peak,
        "baseline_jvm_peak_mib": base_peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--heap", default="4g")
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="embedded",
        help="The graph server: the embedded ArcadeDB or a local Neo4j 5 (page cache 2g).",
    )
    parser.add_argument(
        "--resolve-each-batch",
        action="store_true",
        help="Resolve in every batch's transaction (the live path) instead of the import's bulk mode.",
    )
    args = parser.parse_args()

    lines, truth = generate(args.events)
    ceiling = recall_ceiling(lines, truth)
    deferred = not args.resolve_each_batch
    runs = []
    for number in range(1, args.runs + 1):
        runs.append(asyncio.run(run_once(lines, truth, args.batch_size, args.backend, args.heap, deferred)))
        # each run as it ends, so a long series that is stopped still says what it measured
        print(json.dumps({"run": number, **runs[-1]}), file=sys.stderr, flush=True)
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    report = {
        "events": args.events,
        "backend": args.backend,
        "runs": args.runs,
        "batch_size": args.batch_size,
        "mode": "bulk (deferred resolution)" if deferred else "resolution in every batch",
        "machine": f"{platform.machine()}, {platform.python_version()}, 2 cores",
        "median": median,
        "recall_ceiling": ceiling,
        "python_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "all_runs": runs,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
