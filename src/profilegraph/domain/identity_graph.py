"""A profile's identity graph as an admin sees it: its identifiers, their neighbours, and every link.

Each link is marked with what resolution made of it, so a drawing can show why the
profile holds together (accepted evidence, admin merges) and what was kept apart
(a refused link, a shared or blocked identifier that never bridges, an admin split).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from profilegraph.domain.resolution import Evidence, Pair, Resolution, pair

__all__ = ["MAX_NODES", "GraphEdge", "GraphNode", "IdentityGraph", "LinkStatus", "identity_graph"]

# Enough for any person's identifiers and their neighbourhood; a shared device seen with
# thousands of people is drawn with the neighbours nearest the profile and marked truncated.
MAX_NODES = 150


class LinkStatus(StrEnum):
    ACCEPTED = "accepted"  # evidence that joins the two into one person
    MERGED = "merged"  # an admin merge (MustLink)
    REFUSED = "refused"  # evidence a rule refused (a type limit)
    NOT_BRIDGING = "not_bridging"  # one end is shared, a household device or blocked
    KEPT_APART = "kept_apart"  # an admin split (CannotLink)


@dataclass(frozen=True)
class GraphNode:
    key: str
    status: str  # active | shared | household | blocked
    one_id: str | None  # the OneID it belongs to now, if any
    in_profile: bool  # one of the profile's own identifiers


@dataclass(frozen=True)
class GraphEdge:
    a: str
    b: str
    status: LinkStatus
    rule: str | None  # the rule behind a refused or non-bridging link
    count: int
    first_seen: str | None
    last_seen: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class IdentityGraph:
    nodes: tuple[GraphNode, ...]  # sorted by key: the profile's own first
    edges: tuple[GraphEdge, ...]
    truncated: bool  # neighbours were left out to keep the drawing readable


_NOT_BRIDGING = ("blocked", "household", "shared")  # the strongest reason first


def _status(evidence: Evidence, resolution: Resolution, key: str) -> str:
    node = evidence.nodes.get(key)  # the far end of an admin split is named, not loaded
    if node is not None and not node.expanded and node.status in _NOT_BRIDGING:
        return node.status  # stored so, and never re-decided: more evidence cannot undo it
    return resolution.status_of(key)


def identity_graph(
    evidence: Evidence,
    resolution: Resolution,
    membership: Mapping[str, str],
    profile_keys: Collection[str],
    *,
    max_nodes: int = MAX_NODES,
) -> IdentityGraph:
    """The profile's identifiers, the identifiers linked to them, and the links among all of these."""
    own = set(profile_keys)
    pairs = [(link.a, link.b) for link in evidence.links] + [*evidence.must_links, *evidence.cannot_links]

    def around(centre: set[str]) -> dict[str, int]:
        """Identifiers outside ``own`` linked to ``centre``, with how many links reach each."""
        reached: dict[str, int] = {}
        for a, b in pairs:
            for near, far in ((a, b), (b, a)):
                if near in centre and far not in own:
                    reached[far] = reached.get(far, 0) + 1
        return reached

    neighbours = around(own)
    # Past a household device or a shared identifier are the other people who use it:
    # shown one step further, after the profile's own neighbours.
    sharing = {key for key in neighbours if _status(evidence, resolution, key) in _NOT_BRIDGING}
    beyond = {key: count for key, count in around(sharing).items() if key not in neighbours}
    ranked = sorted(neighbours, key=lambda key: (-neighbours[key], key))
    ranked += sorted(beyond, key=lambda key: (-beyond[key], key))
    room = max(max_nodes - len(own), 0)
    kept = ranked[:room]
    shown = own | set(kept)

    node_status = {key: _status(evidence, resolution, key) for key in shown}
    refusals = {pair(r.a, r.b): r.rule for r in resolution.refusals}
    edges: dict[Pair, GraphEdge] = {}
    for link in evidence.links:
        if link.a not in shown or link.b not in shown:
            continue
        key = pair(link.a, link.b)
        rule = next((r for r in _NOT_BRIDGING if r in (node_status[link.a], node_status[link.b])), None)
        if rule is not None:
            status = LinkStatus.NOT_BRIDGING
        elif key in evidence.cannot_links:
            status, rule = LinkStatus.KEPT_APART, "cannot_link"
        elif key in refusals:
            status, rule = LinkStatus.REFUSED, refusals[key]
        else:
            status = LinkStatus.ACCEPTED
        edges[key] = GraphEdge(
            *key, status, rule, link.count, link.first_seen or None, link.last_seen or None, link.sources
        )
    for a, b in evidence.must_links:
        if a in shown and b in shown and (a, b) not in edges:
            edges[(a, b)] = GraphEdge(a, b, LinkStatus.MERGED, None, 0, None, None, ("admin",))
    for a, b in evidence.cannot_links:
        if a in shown and b in shown and (a, b) not in edges:
            edges[(a, b)] = GraphEdge(a, b, LinkStatus.KEPT_APART, "cannot_link", 0, None, None, ("admin",))

    nodes = tuple(
        GraphNode(key, node_status[key], membership.get(key), key in own)
        for key in sorted(shown, key=lambda key: (key not in own, key))
    )
    return IdentityGraph(nodes, tuple(edges[key] for key in sorted(edges)), truncated=len(kept) < len(ranked))
