"""Prometheus metrics of the API: requests, latency, errors, events and graph round trips.

With several workers (``serve --workers N``) each process writes its samples to
PROFILEGRAPH_METRICS_DIR's files (prometheus-client's multiprocess mode, enabled by
PROMETHEUS_MULTIPROC_DIR), and ``/metrics`` adds them up.
"""

from __future__ import annotations

import os
import re

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

from profilegraph.round_trips import on_round_trip

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "metrics"]

_OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MAX_OPERATION_LABELS = 200  # operation names come from clients: their variety is capped


class Metrics:
    def __init__(self) -> None:
        self.requests = Counter(
            "profilegraph_requests", "GraphQL requests, by operation name and outcome.", ["operation", "outcome"]
        )
        self.latency = Histogram(
            "profilegraph_request_seconds",
            "GraphQL request latency, by operation name.",
            ["operation"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
        )
        self.errors = Counter("profilegraph_errors", "GraphQL and payload errors, by code.", ["code"])
        self.events = Counter("profilegraph_events", "Events received by ingestEvents, by outcome.", ["outcome"])
        self.round_trips = Counter("profilegraph_graph_round_trips", "Queries sent to the graph database.")
        self._operations: set[str] = set()
        on_round_trip(self.round_trips.inc)

    def operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if not _OPERATION_NAME.match(name):
            return "other"
        if name not in self._operations:
            if len(self._operations) >= _MAX_OPERATION_LABELS:
                return "other"
            self._operations.add(name)
        return name

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest()


metrics = Metrics()
