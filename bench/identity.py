"""Identity ingestion benchmark: events/s, peak memory and pairwise precision / recall.

    python bench/identity.py --events 100000 --runs 3 [--backend embedded|neo4j] [--scenario NAME|mix|all]
        [--shape even|skewed] [--device-joins weighed|never]

Each run imports the generated events into a fresh graph server (the embedded
ArcadeDB, or a local Neo4j 5 community fetched with Maven) with
full OneID resolution, as ``profilegraph import`` does (bulk mode; or with
``--resolve-each-batch``, as the live ingestion path does), and, as the baseline
in the same run, writes the same identifiers and links with plain UNWIND MERGE
and no resolution; like the import, the baseline parses the next batch while the
current one is written. Each time covers the writing alone (for the import, with its
final resolution pass); reading the OneIDs back for the precision and recall comes
after the clock stops, as the baseline reads nothing back.

``--scenario`` picks the data (bench/identity_data.py): ``base`` (people alone), one
scenario switched on (households, two_phones, kiosks, invalid_phones, junk,
recycled_phones), ``mix`` (all of them at once, the default), or ``all`` (each scenario
and then the mix, one after the other). Each reports precision, recall, the recall
ceiling and the OneIDs that hold more than one person. ``--shape`` picks the population
(``even`` or ``skewed``), ``--device-joins`` the rule for devices between people.

``--rules-only`` skips the servers: the domain rules resolve all the evidence at once,
component by component, for the precision and recall alone (the import reproduces that
partition exactly); it takes seconds where an import takes minutes, so rules can be
compared on large data.
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
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from identity_data import SCENARIOS, SHAPES, generate
from profilegraph.domain.events import Event, parse_line
from profilegraph.domain.evidence import build_rows
from profilegraph.domain.identifiers import DeviceJoins, IdentityConfig
from profilegraph.domain.resolution import Evidence, IdentifierNode, LinkEvidence, resolve
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


async def _with_server(backend: str, heap: str, work, read_back=None) -> tuple[float, object, float]:  # type: ignore[no-untyped-def]
    """Time ``work`` on a fresh server; ``read_back`` (what scoring needs) runs after, untimed."""
    with graph_server(backend, heap) as server:
        store = await GraphStore.connect(server.endpoint)
        try:
            await apply_migrations(store)
            started = time.perf_counter()
            await work(store)
            elapsed = time.perf_counter() - started
            result = await read_back(store) if read_back is not None else None
        finally:
            await store.close()
        return elapsed, result, jvm_peak_mib(server.pid)


def _batch_rows(lines: list[str], start: int, batch_size: int):  # type: ignore[no-untyped-def]
    events = [
        e
        for n, line in enumerate(lines[start : start + batch_size], start + 1)
        if isinstance(e := parse_line(line, n, CONFIG), Event)
    ]
    return build_rows(events, CONFIG)


async def raw_links(store: GraphStore, lines: list[str], batch_size: int) -> None:
    """The baseline: the same identifiers and links, UNWIND MERGE, no resolution, no facts.

    As in the import, the next batch is parsed in a worker thread while one is written.
    """
    starts = list(range(0, len(lines), batch_size))
    upcoming = asyncio.create_task(asyncio.to_thread(_batch_rows, lines, 0, batch_size)) if starts else None
    for index, _ in enumerate(starts):
        assert upcoming is not None
        rows = await upcoming
        if index + 1 < len(starts):
            upcoming = asyncio.create_task(asyncio.to_thread(_batch_rows, lines, starts[index + 1], batch_size))

        async def work(tx, rows=rows):  # type: ignore[no-untyped-def]
            await (await tx.run(UPSERT_IDENTIFIERS, rows=rows.identifiers, pending=False)).consume()
            await (await tx.run(UPSERT_LINKS, rows=rows.links, max_event_ids=20)).consume()

        await store.write(work)


def rules_only(lines: list[str], config: IdentityConfig) -> dict[str, str]:
    """Identifier key -> cluster, from the domain rules over all the evidence at once."""
    rows = _batch_rows(lines, 0, len(lines))
    nodes = {
        row["key"]: IdentifierNode(row["key"], row["type"], row["first_seen"], row["status"])
        for row in rows.identifiers
    }
    links = [LinkEvidence(row["a"], row["b"], row["first_seen"], row["last_seen"], row["count"]) for row in rows.links]
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((link.a, link.b) for link in links)
    components = list(nx.connected_components(graph))
    component_of = {key: number for number, keys in enumerate(components) for key in keys}
    by_component: dict[int, list[LinkEvidence]] = {}
    for link in links:
        by_component.setdefault(component_of[link.a], []).append(link)
    predicted: dict[str, str] = {}
    for number, keys in enumerate(components):
        evidence = Evidence({key: nodes[key] for key in keys}, tuple(by_component.get(number, ())))
        for cluster_number, cluster in enumerate(resolve(evidence, config).clusters):
            predicted.update(dict.fromkeys(cluster, f"{number}-{cluster_number}"))
    return predicted


def over_merged(predicted: dict[str, str], truth: dict[str, int]) -> int:
    """OneIDs that hold identifiers of more than one person."""
    people: dict[str, set[int]] = {}
    for key, one_id in predicted.items():
        if key in truth:
            people.setdefault(one_id, set()).add(truth[key])
    return sum(1 for owners in people.values() if len(owners) > 1)


async def run_once(
    lines: list[str],
    truth: dict[str, int],
    batch_size: int,
    backend: str,
    heap: str,
    deferred: bool,
    config: IdentityConfig = CONFIG,
) -> dict[str, float]:
    async def imported(store: GraphStore) -> None:
        await ingest_lines(store, lines, config, batch_size=batch_size, deferred=deferred)

    ours, predicted, our_peak = await _with_server(backend, heap, imported, one_id_map)
    base, _, base_peak = await _with_server(backend, heap, lambda store: raw_links(store, lines, batch_size))
    precision, recall = pairwise(predicted, truth)  # type: ignore[arg-type]
    return {
        "over_merged_one_ids": over_merged(predicted, truth),  # type: ignore[arg-type]
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
    parser.add_argument(
        "--scenario",
        choices=["base", *SCENARIOS, "mix", "all"],
        default="mix",
        help="Which data: people alone, one scenario, all scenarios at once, or each then the mix.",
    )
    parser.add_argument(
        "--rules-only",
        action="store_true",
        help="No servers: the domain rules on all the evidence at once, for precision and recall alone.",
    )
    parser.add_argument(
        "--shape",
        choices=SHAPES,
        default="even",
        help="The population (bench/identity_data.py): even, or skewed (heavy-tailed activity, "
        "optional phones, sign-ins, more and larger families).",
    )
    parser.add_argument(
        "--device-joins",
        choices=[policy.value for policy in DeviceJoins],
        default=DeviceJoins.WEIGHED.value,
        help="The identity rule for devices between people (docs/identity.md): weighed, or never.",
    )
    args = parser.parse_args()
    names = [*SCENARIOS, "mix"] if args.scenario == "all" else [args.scenario]
    reports = [_measure(args, name) for name in names]
    print(json.dumps(reports if len(reports) > 1 else reports[0], indent=2))


def _scenarios(name: str) -> frozenset[str]:
    return {"base": frozenset(), "mix": frozenset(SCENARIOS)}.get(name, frozenset({name}))


def _measure(args: argparse.Namespace, scenario: str) -> dict[str, object]:
    lines, truth = generate(args.events, scenarios=_scenarios(scenario), shape=args.shape)
    ceiling = recall_ceiling(lines, truth)
    deferred = not args.resolve_each_batch
    config = replace(CONFIG, device_joins=DeviceJoins(args.device_joins))
    if args.rules_only:
        predicted = rules_only(lines, config)
        precision, recall = pairwise(predicted, truth)
        return {
            "scenario": scenario,
            "events": args.events,
            "shape": args.shape,
            "device_joins": args.device_joins,
            "mode": "the domain rules on all the evidence at once",
            "precision": precision,
            "recall": recall,
            "recall_ceiling": ceiling,
            "over_merged_one_ids": over_merged(predicted, truth),
        }
    runs = []
    for number in range(1, args.runs + 1):
        runs.append(asyncio.run(run_once(lines, truth, args.batch_size, args.backend, args.heap, deferred, config)))
        # each run as it ends, so a long series that is stopped still says what it measured
        print(json.dumps({"scenario": scenario, "run": number, **runs[-1]}), file=sys.stderr, flush=True)
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    return {
        "scenario": scenario,
        "events": args.events,
        "backend": args.backend,
        "runs": args.runs,
        "batch_size": args.batch_size,
        "mode": "bulk (deferred resolution)" if deferred else "resolution in every batch",
        "shape": args.shape,
        "device_joins": args.device_joins,
        "machine": f"{platform.machine()}, {platform.python_version()}, 2 cores",
        "median": median,
        "recall_ceiling": ceiling,
        "python_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "all_runs": runs,
    }


if __name__ == "__main__":
    main()
