"""A profile's identity graph: which links join, which are refused, what is left out."""

from __future__ import annotations

from dataclasses import replace

from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.identity_graph import LinkStatus, identity_graph
from profilegraph.domain.resolution import Evidence, IdentifierNode, LinkEvidence, resolve
from profilegraph.domain.search import search_candidates

CONFIG = IdentityConfig()


def _evidence(links: list[tuple[str, str]], **kwargs: object) -> Evidence:
    keys = {k for pair in links for k in pair} | {k for pair in kwargs.get("cannot_links", ()) for k in pair}  # type: ignore[attr-defined]
    nodes = {k: IdentifierNode(k, k.split(":")[0], "2026-01-01T00:00:00Z") for k in keys}
    evidence = [LinkEvidence(*sorted(pair), f"2026-01-0{n + 1}T00:00:00Z") for n, pair in enumerate(links)]
    return Evidence(nodes, tuple(evidence), **kwargs)  # type: ignore[arg-type]


def test_accepted_refused_and_neighbour_links_are_told_apart() -> None:
    evidence = _evidence([("phone:+1", "member_id:old"), ("email:a@b.c", "phone:+1"), ("email:a@b.c", "member_id:new")])
    resolution = resolve(evidence, CONFIG)
    graph = identity_graph(evidence, resolution, {}, ["phone:+1", "member_id:old", "email:a@b.c"])
    edges = {(e.a, e.b): (e.status, e.rule) for e in graph.edges}
    assert edges[("member_id:old", "phone:+1")] == (LinkStatus.ACCEPTED, None)
    assert edges[("email:a@b.c", "member_id:new")] == (LinkStatus.REFUSED, "type_limit")
    nodes = {n.key: n for n in graph.nodes}
    assert not nodes["member_id:new"].in_profile
    assert nodes["phone:+1"].in_profile
    assert [n.in_profile for n in graph.nodes] == sorted((n.in_profile for n in graph.nodes), reverse=True)


def test_admin_merges_and_splits_are_drawn_as_such() -> None:
    evidence = _evidence([("phone:+1", "email:a@b.c")], must_links=frozenset({("member_id:m", "phone:+1")}))
    evidence = replace(
        evidence, nodes={**evidence.nodes, "member_id:m": IdentifierNode("member_id:m", "member_id", "")}
    )
    evidence = replace(evidence, cannot_links=frozenset({("email:a@b.c", "phone:+1")}))
    graph = identity_graph(evidence, resolve(evidence, CONFIG), {}, ["phone:+1", "member_id:m"])
    edges = {(e.a, e.b): e.status for e in graph.edges}
    assert edges[("member_id:m", "phone:+1")] is LinkStatus.MERGED
    assert edges[("email:a@b.c", "phone:+1")] is LinkStatus.KEPT_APART
    # The far end of a split is named by the constraint, whether or not its node was loaded.
    split_off = replace(evidence, cannot_links=frozenset({("member_id:gone", "phone:+1")}))
    graph = identity_graph(split_off, resolve(evidence, CONFIG), {}, ["phone:+1"])
    assert {n.key: n.status for n in graph.nodes}["member_id:gone"] == "active"
    assert {(e.a, e.b): e.status for e in graph.edges}[("member_id:gone", "phone:+1")] is LinkStatus.KEPT_APART


def test_a_widely_shared_device_is_drawn_with_its_nearest_neighbours_and_marked_truncated() -> None:
    links = [("phone:+1", "device_id:kiosk")] + [("device_id:kiosk", f"member_id:m{i:03d}") for i in range(300)]
    evidence = _evidence(links)
    graph = identity_graph(evidence, resolve(evidence, CONFIG), {}, ["phone:+1"], max_nodes=20)
    assert len(graph.nodes) == 20
    assert graph.truncated
    kiosk = next(n for n in graph.nodes if n.key == "device_id:kiosk")
    assert kiosk.status == "shared"
    assert all(e.status is LinkStatus.NOT_BRIDGING for e in graph.edges if "device_id:kiosk" in (e.a, e.b))
    small = identity_graph(evidence, resolve(evidence, CONFIG), {}, ["phone:+1"], max_nodes=1000)
    assert not small.truncated
    assert len(small.nodes) == 302


def test_search_text_becomes_every_identifier_it_can_be() -> None:
    phone = search_candidates(CONFIG, " +86 138-0013-8001 ")
    assert "phone:+8613800138001" in phone.keys
    assert "member_id:+86 138-0013-8001" in phone.keys
    assert phone.text == "+86 138-0013-8001"
    email = search_candidates(CONFIG, "A@Example.com")
    assert "email:a@example.com" in email.keys
    assert not any(k.startswith("phone:") for k in email.keys)
    assert search_candidates(CONFIG, "phone:138 0013 8001").keys == ("phone:+8613800138001",)
    assert len(set(search_candidates(CONFIG, "dev-1").keys)) == len(search_candidates(CONFIG, "dev-1").keys)
