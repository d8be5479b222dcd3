"""Why two identifiers share a OneID, or why they do not."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx

from profilegraph.domain.identifiers import DeviceJoins
from profilegraph.domain.resolution import Evidence, Resolution, pair

__all__ = ["Explanation", "LinkStep", "explain"]


@dataclass(frozen=True)
class LinkStep:
    a: str
    b: str
    kind: str  # evidence | must_link
    first_seen: str | None = None
    last_seen: str | None = None
    count: int = 0
    sources: tuple[str, ...] = ()
    event_ids: tuple[str, ...] = ()
    refused_by: str | None = None  # the rule that refused this step, if any
    detail: str | None = None


@dataclass(frozen=True)
class Explanation:
    a: str
    b: str
    linked: bool
    path: tuple[LinkStep, ...]
    reason: str


def _graph(evidence: Evidence, allowed: set[str] | None) -> nx.Graph:
    graph = nx.Graph()
    for link in evidence.links:
        if allowed is None or (link.a in allowed and link.b in allowed):
            graph.add_edge(
                link.a,
                link.b,
                step=LinkStep(
                    link.a,
                    link.b,
                    "evidence",
                    link.first_seen,
                    link.last_seen,
                    link.count,
                    link.sources,
                    link.event_ids,
                ),
            )
    for a, b in evidence.must_links:
        if allowed is None or (a in allowed and b in allowed):
            graph.add_edge(a, b, step=LinkStep(a, b, "must_link", sources=("admin",)))
    return graph


def _path(graph: nx.Graph, a: str, b: str) -> list[LinkStep] | None:
    if a not in graph or b not in graph:
        return None
    try:
        nodes = nx.shortest_path(graph, a, b)
    except nx.NetworkXNoPath:
        return None
    return [graph.edges[u, v]["step"] for u, v in itertools.pairwise(nodes)]


def _neighbours(evidence: Evidence, key: str) -> list[str]:
    return sorted({link.b if link.a == key else link.a for link in evidence.links if key in (link.a, link.b)})


def explain(
    evidence: Evidence, resolution: Resolution, a: str, b: str, device_joins: DeviceJoins = DeviceJoins.WEIGHED
) -> Explanation:
    """The path of accepted links joining ``a`` and ``b``, or the steps that were refused.

    ``device_joins`` is the rule the resolution was made with: under ``never`` a household
    device is named as one because of it, not because of the people around it.
    """
    for key in (a, b):
        if key not in evidence.nodes:
            return Explanation(a, b, False, (), f"{key} has never been seen")
    cluster_of = resolution.cluster_of()
    if a in cluster_of and cluster_of.get(a) == cluster_of.get(b):
        members = set(resolution.clusters[cluster_of[a]])
        steps = _path(_graph(evidence, members), a, b) or []
        return Explanation(a, b, True, tuple(steps), "linked by the evidence below")

    found = _path(_graph(evidence, None), a, b)
    if found is None:
        # A value blocked by configuration never became evidence, so no path reaches it.
        for key in (a, b):
            if key in resolution.blocked:
                by = "an admin" if evidence.nodes[key].admin_blocked else "configuration (blocked values and patterns)"
                return Explanation(a, b, False, (), f"{key} is blocked by {by} and never links anything")
        return Explanation(a, b, False, (), "no evidence connects them")
    steps = found
    refusals = {pair(r.a, r.b): r for r in resolution.refusals}
    annotated: list[LinkStep] = []
    for step in steps:
        rule, detail = None, None
        for key in (step.a, step.b):
            if key in resolution.blocked:
                rule, detail = "blocked", f"{key} is blocked and never links"
            elif key in resolution.households:
                people = resolution.households[key]
                rule, detail = (
                    "household",
                    f"{key} is a household device shared by {len(people)} people ({', '.join(people)}) "
                    "and never joins them"
                    + (" (device_joins is never: no device joins people)" if device_joins is DeviceJoins.NEVER else ""),
                )
            elif key in resolution.shared:
                seen_with = _neighbours(evidence, key)
                rule, detail = (
                    "shared",
                    f"{key} is seen with more than one person ({', '.join(seen_with[:5])}"
                    f"{', …' if len(seen_with) > 5 else ''}) and joins none of them",
                )
        refusal = refusals.get(pair(step.a, step.b))
        if refusal is not None:
            rule, detail = refusal.rule, refusal.detail
        annotated.append(LinkStep(**{**step.__dict__, "refused_by": rule, "detail": detail}))
    refused = [s for s in annotated if s.refused_by]
    reason = (
        "; ".join(f"{s.a} – {s.b}: {s.detail}" for s in refused)
        if refused
        else "the link joining them was refused: see the conflicts of their OneIDs"
    )
    return Explanation(a, b, False, tuple(annotated), reason)
