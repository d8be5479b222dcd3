"""CLV benchmark: model fit time against lifetimes 0.11.3, a million-customer fit, scoring throughput.

    pip install -e '.[bench]'
    python bench/clv.py --repeats 7 [--backend embedded|neo4j]

Fit times are the median of ``--repeats`` fits, ours and lifetimes' measured in the
same run on the same summaries. The million customers are simulated from the BG/NBD
process with CDNOW's published parameters, at day resolution, in weeks. The graph
section loads CDNOW into a fresh server of ``--backend`` as order events and times
``clv fit`` as the CLI runs it: every OneID's orders read from the graph, then fitted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
import warnings
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent))

from profilegraph.domain.clv import (
    BgNbdParams,
    CustomerSummary,
    GammaGammaParams,
    ParetoNbdParams,
    Rows,
    collapse,
    fit_bgnbd,
    fit_gamma_gamma,
    summarise,
)
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.lifecycle import LifecycleConfig
from profilegraph.domain.rfm import rfm_cuts
from profilegraph.domain.valuation import ClvModel, Population, figures, predict
from profilegraph.services.cdnow import cdnow_events, cdnow_purchases
from profilegraph.services.clv import fit_population
from profilegraph.services.ingest import ingest_lines
from profilegraph.store.bolt import GraphStore
from profilegraph.store.migrate import apply_migrations
from servers import BACKENDS, graph_server

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "CDNOW_sample.txt"
MASTER = ROOT.parent / "shared" / "data" / "cdnow" / "CDNOW_master.txt"
CALIBRATION_END = date(1997, 9, 30)


def cdnow_summaries(path: Path) -> list[CustomerSummary]:
    purchases = cdnow_purchases(path.read_text().splitlines())
    return [s for s in (summarise(p, CALIBRATION_END) for p in purchases.values()) if s is not None]


def timed(work, repeats: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def fit_against_lifetimes(path: Path, repeats: int) -> dict[str, object]:
    import pandas as pd
    from lifetimes import BetaGeoFitter

    summaries = cdnow_summaries(path)
    frame = pd.DataFrame(
        {
            "frequency": [s.frequency for s in summaries],
            "recency": [s.recency for s in summaries],
            "T": [s.age for s in summaries],
        }
    )
    ours, params = timed(lambda: fit_bgnbd(collapse(summaries)), repeats)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, fitted = timed(lambda: BetaGeoFitter().fit(frame["frequency"], frame["recency"], frame["T"]), repeats)
    return {
        "customers": len(summaries),
        "ours_s": ours,
        "lifetimes_s": theirs,
        "ratio_ours_to_lifetimes": ours / theirs,
        "ours": {k: round(v, 4) for k, v in params.__dict__.items()},  # type: ignore[union-attr]
        "lifetimes": {k: round(float(v), 4) for k, v in fitted.params_.items()},  # type: ignore[union-attr]
    }


def simulate(customers: int, seed: int = 7, chunk: int = 100_000) -> NDArray[np.float64]:
    """BG/NBD customers: acquired over 12 weeks, observed to week 39, purchase days rounded."""
    rnd = np.random.default_rng(seed)
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    rows = []
    for start in range(0, customers, chunk):
        n = min(chunk, customers - start)
        rate = rnd.gamma(r, 1 / alpha, n)  # purchases per week
        dropout = rnd.beta(a, b, n)
        horizon = 39 - np.floor(rnd.uniform(0, 12 * 7, n)) / 7  # T in weeks, whole days
        gaps = rnd.exponential(1 / np.maximum(rate, 1e-12)[:, None], (n, 40))
        times = np.cumsum(gaps, axis=1)
        dies = rnd.uniform(size=(n, 40)) < dropout[:, None]
        alive = np.cumprod(np.concatenate([np.ones((n, 1), bool), ~dies[:, :-1]], axis=1), axis=1).astype(bool)
        seen = alive & (times < horizon[:, None])
        days = np.where(seen, np.floor(times * 7) / 7, np.nan)
        x = seen.sum(axis=1).astype(float)
        t_x = np.where(x > 0, np.nanmax(np.where(seen, days, -np.inf), axis=1), 0.0)
        rows.append(np.column_stack([x, t_x, horizon]))
    return np.concatenate(rows)


def million(customers: int, repeats: int) -> dict[str, object]:
    """Time from per-customer (x, t_x, T) arrays to fitted parameters: collapse plus fit."""
    data = simulate(customers)
    seconds, params = timed(lambda: fit_bgnbd(Rows.from_arrays(data[:, 0], data[:, 1], data[:, 2])), repeats)
    collapse_s, rows = timed(lambda: Rows.from_arrays(data[:, 0], data[:, 1], data[:, 2]), repeats)
    return {
        "customers": len(data),
        "unique_rows": len(rows.x),
        "collapse_and_fit_s": seconds,  # type: ignore[union-attr]
        "collapse_s": collapse_s,
        "fitted": {k: round(v, 4) for k, v in params.__dict__.items()},
    }  # type: ignore[union-attr]


def scoring(profiles: int, repeats: int) -> dict[str, float]:
    summaries = cdnow_summaries(SAMPLE)
    model = ClvModel(
        fitted_at="2026-01-01T00:00:00Z",
        until=CALIBRATION_END,
        unit="weeks",
        customers=len(summaries),
        bgnbd=BgNbdParams(0.243, 4.414, 0.793, 2.426),
        pareto_nbd=ParetoNbdParams(0.553, 10.578, 0.606, 11.669),
        gamma_gamma=GammaGammaParams(6.25, 3.74, 15.44),
        rfm=rfm_cuts([10, 50, 100], [1, 2, 3], [10, 20, 40]),
        high_value_cutoff=100.0,
        reference_horizon_days=365,
        annual_discount_rate=0.1,
    )
    rnd = np.random.default_rng(3)
    picks = rnd.integers(0, len(summaries), profiles)
    people = Population(
        np.array([summaries[i].frequency for i in picks], float),
        np.array([summaries[i].recency for i in picks]),
        np.array([summaries[i].age for i in picks]),
        np.array([summaries[i].monetary for i in picks]),
    )
    batch, _ = timed(lambda: predict(model, people, 365), repeats)
    purchases = [(CALIBRATION_END - timedelta(days=int(d)), 20.0) for d in (3, 40, 90, 200)]
    reads = 2000
    single, _ = timed(lambda: [figures(model, purchases, CALIBRATION_END, 365) for _ in range(reads)], repeats)
    return {
        "profiles": profiles,
        "batch_s": batch,
        "batch_profiles_per_s": profiles / batch,
        "single_read_profiles_per_s": reads / single,
    }


def _cdnow_lines(path: Path) -> list[str]:
    return [json.dumps(event) for event in cdnow_events(path.read_text().splitlines())]


async def _from_graph(backend: str, events: list[str], repeats: int) -> dict[str, object]:
    with graph_server(backend, heap="2g", page_cache="1g") as server:
        store = await GraphStore.connect(server.endpoint)
        try:
            await apply_migrations(store)
            started = time.perf_counter()
            await ingest_lines(store, events, IdentityConfig(), batch_size=1000, deferred=True)
            load_s = time.perf_counter() - started
            fits = []
            for _ in range(repeats):
                started = time.perf_counter()
                model = await fit_population(
                    store,
                    until=CALIBRATION_END,
                    unit="weeks",
                    annual_discount_rate=0.1,
                    reference_horizon_days=365,
                    lifecycle_config=LifecycleConfig(),
                )
                fits.append(time.perf_counter() - started)
        finally:
            await store.close()
    return {
        "server": server.description,
        "orders": len(events),
        "load_s": load_s,
        "load_orders_per_s": len(events) / load_s,
        "read_and_fit_s": statistics.median(fits),
        "customers": model.customers,
        "bgnbd_r": round(model.bgnbd.r, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="embedded",
        help="The graph server of the graph section: the embedded ArcadeDB or a local Neo4j 5.",
    )
    args = parser.parse_args()
    report = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}, 2 cores",
        "cdnow_sample": fit_against_lifetimes(SAMPLE, args.repeats),
        "cdnow_master": fit_against_lifetimes(MASTER, args.repeats) if MASTER.exists() else None,
        "million": million(args.customers, args.repeats),
        "gamma_gamma_sample_s": timed(
            lambda: fit_gamma_gamma(
                np.array([s.frequency for s in cdnow_summaries(SAMPLE)], float),
                np.array([s.monetary for s in cdnow_summaries(SAMPLE)], float),
            ),
            3,
        )[0],
        "scoring": scoring(args.profiles, args.repeats),
        "graph": asyncio.run(
            _from_graph(args.backend, _cdnow_lines(MASTER if MASTER.exists() else SAMPLE), min(args.repeats, 3))
        ),
    }
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
