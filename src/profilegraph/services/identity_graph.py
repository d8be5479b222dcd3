"""A profile's identity graph, read in one transaction, and explanations between its nodes."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from profilegraph.domain.explain import Explanation
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.identity_graph import MAX_NODES, IdentityGraph, identity_graph
from profilegraph.domain.resolution import Evidence, IdentifierNode, LinkEvidence, pair, resolve
from profilegraph.services.admin import explain_link
from profilegraph.store import admin as admin_store
from profilegraph.store.ports import GraphAccess, Transaction
from profilegraph.store.resolution import load_component, load_memberships

__all__ = ["explain_nodes", "profile_graph"]


async def _drawing(tx: Transaction, config: IdentityConfig, profile_keys: Collection[str]) -> IdentityGraph:
    """The nodes and links as resolution sees them: enough to name the nodes by position."""
    evidence, _ = await load_component(tx, sorted(profile_keys), None)
    resolution = resolve(evidence, config)
    # A shared or household identifier is not walked through, yet its links (to the other
    # people on a family tablet) are what an admin needs to see.
    unwalked = [
        key for key, node in evidence.nodes.items() if not node.expanded and node.status in ("shared", "household")
    ]
    if unwalked:
        evidence = _with_links(evidence, await admin_store.direct_links(tx, unwalked, MAX_NODES))
    return identity_graph(evidence, resolution, {}, profile_keys)


async def _graph(tx: Transaction, config: IdentityConfig, profile_keys: Collection[str]) -> IdentityGraph:
    drawn = await _drawing(tx, config, profile_keys)
    keys = [node.key for node in drawn.nodes]
    state = await load_memberships(tx, keys)
    # Resolution reads only what it decides on; the drawing shows each link's whole evidence.
    found = await admin_store.link_evidence(tx, [(edge.a, edge.b) for edge in drawn.edges if edge.count])
    return replace(
        drawn,
        nodes=tuple(replace(node, one_id=state.membership.get(node.key)) for node in drawn.nodes),
        edges=tuple(
            replace(
                edge,
                count=link.count,
                first_seen=link.first_seen or None,
                last_seen=link.last_seen or None,
                sources=link.sources,
            )
            if (link := found.get(pair(edge.a, edge.b))) is not None
            else edge
            for edge in drawn.edges
        ),
    )


def _with_links(evidence: Evidence, links: list[tuple[str, str, str | None, str]]) -> Evidence:
    nodes = dict(evidence.nodes)
    found = {pair(link.a, link.b): link for link in evidence.links}
    for key, other, status, first_seen in links:
        nodes.setdefault(other, IdentifierNode.stored(other, status))
        found.setdefault(pair(key, other), LinkEvidence(*pair(key, other), first_seen))
    return replace(evidence, nodes=nodes, links=tuple(found.values()))


async def profile_graph(store: GraphAccess, config: IdentityConfig, profile_keys: Collection[str]) -> IdentityGraph:
    """The identifiers of a profile (``profile_keys``), their neighbours, and the links among them."""

    async def work(tx: Transaction) -> IdentityGraph:
        return await _graph(tx, config, profile_keys)

    return await store.read(work)


async def explain_nodes(
    store: GraphAccess, config: IdentityConfig, profile_keys: Collection[str], a: int, b: int
) -> Explanation | None:
    """The explanation between the ``a``-th and ``b``-th node of the profile's graph; None if either is gone.

    A drawing names its nodes by position, so a caller who may only see masked values can
    still ask why two of them are (or are not) one person.
    """

    # Positions depend on the nodes alone: their owners and each link's whole evidence are not read.
    async def work(tx: Transaction) -> IdentityGraph:
        return await _drawing(tx, config, profile_keys)

    drawn = await store.read(work)
    if not (0 <= a < len(drawn.nodes) and 0 <= b < len(drawn.nodes)):
        return None
    return await explain_link(store, config, drawn.nodes[a].key, drawn.nodes[b].key)
