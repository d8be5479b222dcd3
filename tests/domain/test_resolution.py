from __future__ import annotations

import itertools
import random
from collections.abc import Collection

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from profilegraph.domain.explain import explain
from profilegraph.domain.identifiers import DeviceJoins, IdentifierType, IdentityConfig, Strength
from profilegraph.domain.resolution import (
    Evidence,
    IdentifierNode,
    LinkEvidence,
    PersonState,
    pair,
    plan_one_ids,
    resolve,
)

CONFIG = IdentityConfig()
# Nothing limited, blocked or weak: the partition must be plain connected components.
PLAIN = IdentityConfig(
    types={"x": IdentifierType("x")}, blocked_values=frozenset(), blocked_patterns=(), shared_strong_threshold=10**9
)


def node(key: str, first_seen: str = "2026-01-01T00:00:00Z") -> IdentifierNode:
    return IdentifierNode(key, key.split(":", maxsplit=1)[0], first_seen)


def link(a: str, b: str, first_seen: str = "2026-01-01T00:00:00Z") -> LinkEvidence:
    a, b = sorted((a, b))
    return LinkEvidence(a, b, first_seen)


def evidence(links: list[LinkEvidence], *extra: str, **kwargs: object) -> Evidence:
    keys = {k for lk in links for k in (lk.a, lk.b)} | set(extra)
    return Evidence({k: node(k) for k in keys}, tuple(links), **kwargs)  # type: ignore[arg-type]


def partition(ev: Evidence, config: IdentityConfig = CONFIG) -> set[frozenset[str]]:
    return set(resolve(ev, config).clusters)


def test_identifiers_seen_together_form_one_oneid() -> None:
    ev = evidence([link("phone:+1", "wechat_openid:o1"), link("wechat_openid:o1", "email:a@b.c")])
    assert partition(ev) == {frozenset({"phone:+1", "wechat_openid:o1", "email:a@b.c"})}


def test_blocked_values_never_link() -> None:
    ev = evidence([link("phone:+8613800138000", "member_id:1"), link("phone:+8613800138000", "member_id:2")])
    result = resolve(ev, CONFIG)
    assert set(result.clusters) == {frozenset({"member_id:1"}), frozenset({"member_id:2"})}
    assert result.blocked == {"phone:+8613800138000"}


def test_a_device_seen_with_many_people_is_shared_and_bridges_nobody() -> None:
    phones = [f"phone:+{i}" for i in range(12)]
    ev = evidence([link("device_id:kiosk", p) for p in phones])
    result = resolve(ev, CONFIG)
    assert result.shared == {"device_id:kiosk"}
    assert set(result.clusters) == {frozenset({p}) for p in phones}


def test_a_family_tablet_with_two_member_ids_is_shared() -> None:
    ev = evidence([link("device_id:tablet", "member_id:mum"), link("device_id:tablet", "member_id:kid")])
    result = resolve(ev, CONFIG)
    assert result.shared == {"device_id:tablet"}
    assert frozenset({"member_id:mum"}) in result.clusters


def test_a_device_of_one_person_links() -> None:
    ev = evidence([link("device_id:d", "phone:+1"), link("device_id:d", "member_id:m")])
    assert partition(ev) == {frozenset({"device_id:d", "phone:+1", "member_id:m"})}


def test_a_link_exceeding_a_type_limit_is_refused_as_a_conflict_and_the_older_link_wins() -> None:
    ev = evidence(
        [
            link("phone:+1", "member_id:old", "2026-01-01T00:00:00Z"),
            link("email:a@b.c", "phone:+1", "2026-01-02T00:00:00Z"),
            link("email:a@b.c", "member_id:new", "2026-02-01T00:00:00Z"),
        ]
    )
    result = resolve(ev, CONFIG)
    assert set(result.clusters) == {
        frozenset({"phone:+1", "member_id:old", "email:a@b.c"}),
        frozenset({"member_id:new"}),
    }
    (refusal,) = result.refusals
    assert (refusal.a, refusal.b, refusal.rule) == ("email:a@b.c", "member_id:new", "type_limit")
    assert "2 member_id" in refusal.detail


def test_a_phone_seen_with_two_member_cards_joins_neither() -> None:
    # A recycled or junk number, or one person's duplicate card: an admin merge can join them.
    ev = evidence(
        [
            link("phone:+1", "member_id:old", "2026-01-01T00:00:00Z"),
            link("phone:+1", "member_id:new", "2026-02-01T00:00:00Z"),
        ]
    )
    result = resolve(ev, CONFIG)
    assert set(result.clusters) == {frozenset({"member_id:old"}), frozenset({"member_id:new"})}
    assert result.status_of("phone:+1") == "shared"
    assert result.refusals == ()


def test_cannot_link_keeps_identifiers_apart_whatever_the_evidence() -> None:
    ev = evidence(
        [link("phone:+1", "email:a@b.c"), link("email:a@b.c", "phone:+2")],
        cannot_links=frozenset({("phone:+1", "phone:+2")}),
    )
    result = resolve(ev, CONFIG)
    assert len(result.clusters) == 2
    assert result.refusals[0].rule == "cannot_link"


def test_must_link_joins_without_evidence() -> None:
    ev = evidence([], "phone:+1", "phone:+2", must_links=frozenset({("phone:+1", "phone:+2")}))
    assert partition(ev) == {frozenset({"phone:+1", "phone:+2"})}


graphs = st.lists(st.tuples(st.integers(0, 24), st.integers(0, 24)), max_size=40)


@given(graphs)
def test_without_limits_blocks_or_shared_identifiers_the_partition_is_connected_components(
    edges: list[tuple[int, int]],
) -> None:
    links = [link(f"x:{a}", f"x:{b}") for a, b in edges if a != b]
    ev = evidence(links, *(f"x:{i}" for i in range(25)))
    graph = nx.Graph()
    graph.add_nodes_from(ev.nodes)
    graph.add_edges_from((lk.a, lk.b) for lk in links)
    assert partition(ev, PLAIN) == {frozenset(c) for c in nx.connected_components(graph)}


typed_links = st.lists(
    st.tuples(
        st.sampled_from(
            ["phone:+1", "phone:+2", "member_id:a", "member_id:b", "device_id:d", "email:e@x.y", "device_id:k"]
        ),
        st.sampled_from(
            ["phone:+3", "member_id:c", "wechat_unionid:u", "wechat_unionid:v", "device_id:d", "email:f@x.y"]
        ),
        st.integers(0, 6 * 12 - 1),  # the month, over six years: a phone may be reissued
    ),
    max_size=25,
)


def month(number: int) -> str:
    return f"{2019 + number // 12}-{number % 12 + 1:02d}-01T00:00:00Z"


@given(typed_links, st.randoms())
def test_the_partition_does_not_depend_on_the_order_of_the_evidence(
    raw: list[tuple[str, str, int]], rnd: random.Random
) -> None:
    links = [link(a, b, month(m)) for a, b, m in raw if a != b]
    shuffled = links[:]
    rnd.shuffle(shuffled)
    assert partition(evidence(links)) == partition(evidence(shuffled))


@given(typed_links)
@settings(max_examples=60)
def test_resolving_components_separately_equals_resolving_everything(raw: list[tuple[str, str, int]]) -> None:
    links = [link(a, b, month(m)) for a, b, m in raw if a != b]
    whole = partition(evidence(links))
    graph = nx.Graph((lk.a, lk.b) for lk in links)
    parts: set[frozenset[str]] = set()
    for component in nx.connected_components(graph):
        parts |= partition(evidence([lk for lk in links if lk.a in component]))
    assert parts == whole


def _ids() -> itertools.count[int]:
    return itertools.count(1)


def test_when_oneids_join_the_oldest_anchor_survives_and_the_other_redirects() -> None:
    nodes = {
        "phone:+1": node("phone:+1", "2026-01-01T00:00:00Z"),
        "email:a@b.c": node("email:a@b.c", "2026-03-01T00:00:00Z"),
    }
    ev = Evidence(nodes, (link("phone:+1", "email:a@b.c"),))
    persons = {
        "old": PersonState("old", "2026-01-01T00:00:00Z", "phone:+1"),
        "young": PersonState("young", "2026-03-01T00:00:00Z", "email:a@b.c"),
    }
    membership = {"phone:+1": "old", "email:a@b.c": "young"}
    counter = _ids()
    plan = plan_one_ids(resolve(ev, CONFIG), nodes, membership, persons, CONFIG, lambda: f"new{next(counter)}")
    assert plan.assignments == {"phone:+1": "old", "email:a@b.c": "old"}
    assert [(r.retired, r.survivor) for r in plan.redirects] == [("young", "old")]
    assert plan.created == {}


def test_after_a_split_the_part_holding_the_anchor_keeps_the_oneid() -> None:
    nodes = {k: node(k) for k in ("phone:+1", "email:a@b.c", "member_id:m")}
    ev = Evidence(
        nodes,
        (link("phone:+1", "email:a@b.c"), link("email:a@b.c", "member_id:m")),
        cannot_links=frozenset({("email:a@b.c", "member_id:m"), ("member_id:m", "phone:+1")}),
    )
    persons = {"p": PersonState("p", "2026-01-01T00:00:00Z", "phone:+1")}
    membership = dict.fromkeys(nodes, "p")
    plan = plan_one_ids(resolve(ev, CONFIG), nodes, membership, persons, CONFIG, lambda: "fresh")
    assert plan.assignments == {"phone:+1": "p", "email:a@b.c": "p", "member_id:m": "fresh"}
    assert plan.created == {"fresh": "member_id:m"}
    assert plan.redirects == ()
    assert plan.changed == {"p"}


def test_weak_identifiers_are_never_anchors_when_a_strong_one_exists() -> None:
    nodes = {
        "device_id:d": node("device_id:d", "2025-01-01T00:00:00Z"),
        "phone:+1": node("phone:+1", "2026-01-01T00:00:00Z"),
    }
    ev = Evidence(nodes, (link("device_id:d", "phone:+1"),))
    plan = plan_one_ids(resolve(ev, CONFIG), nodes, {}, {}, CONFIG, lambda: "n")
    assert plan.created == {"n": "phone:+1"}
    assert CONFIG.strength("device_id") is Strength.WEAK


def test_a_merge_is_bound_by_every_strong_identifier_of_each_side_and_weak_ones_only_where_needed() -> None:
    from profilegraph.domain.resolution import MERGE_BINDING_MEMBERS, merge_bindings

    config = IdentityConfig()
    side_a = ["device_id:d1", "phone:+8613900000001", "alipay_uid:2088"]
    side_b = ["device_id:d2", "member_id:M1"]  # one strong identifier: its device binds too
    assert merge_bindings(side_a, side_b, config) == sorted(
        [
            ("alipay_uid:2088", "device_id:d2"),
            ("alipay_uid:2088", "member_id:M1"),
            ("device_id:d2", "phone:+8613900000001"),
            ("member_id:M1", "phone:+8613900000001"),
        ]
    )
    many = [f"email:p{n}@example.com" for n in range(100)]
    assert len(merge_bindings(many, ["member_id:M9"], config)) == MERGE_BINDING_MEMBERS


def _person(name: str, *accounts: str) -> list[LinkEvidence]:
    """A whole person: accounts of their own, all seen on a device of their own."""
    return [link(f"device_id:{name}-phone", account) for account in accounts]


def test_a_family_tablet_signed_in_with_different_kinds_of_account_joins_nobody() -> None:
    # Each has a phone of their own, and signs in on the tablet with a different kind of account.
    mum = _person("mum", "phone:+1", "email:mum@x.cn")
    dad = _person("dad", "phone:+2", "member_id:M-dad", "alipay_uid:dad")
    kid = _person("kid", "phone:+3", "taobao_id:kid", "douyin_openid:kid")
    tablet = [
        link("device_id:tablet", "phone:+1"),
        link("device_id:tablet", "member_id:M-dad"),
        link("device_id:tablet", "douyin_openid:kid"),
    ]
    result = resolve(evidence(mum + dad + kid + tablet), CONFIG)

    assert result.status_of("device_id:tablet") == "household"
    assert result.households["device_id:tablet"] == ("douyin_openid:kid", "member_id:M-dad", "phone:+1")
    assert set(result.clusters) == {
        frozenset({"device_id:mum-phone", "phone:+1", "email:mum@x.cn"}),
        frozenset({"device_id:dad-phone", "phone:+2", "member_id:M-dad", "alipay_uid:dad"}),
        frozenset({"device_id:kid-phone", "phone:+3", "taobao_id:kid", "douyin_openid:kid"}),
    }


def test_a_second_account_signed_in_on_ones_own_device_joins() -> None:
    owner = _person("li", "phone:+1", "email:li@x.cn")
    # An Alipay account seen only on Li's tablet, beside Li's phone: nothing else says it is someone else's.
    tablet = [link("device_id:li-tablet", "phone:+1"), link("device_id:li-tablet", "alipay_uid:li")]
    result = resolve(evidence(owner + tablet), CONFIG)
    assert result.households == {}
    assert len(result.clusters) == 1


NO_DEVICE_JOINS = IdentityConfig(device_joins=DeviceJoins.NEVER)


def test_where_no_device_may_join_people_a_second_account_on_ones_own_device_stays_apart() -> None:
    # Li registered with phone and e-mail together, and uses both on a phone of their own.
    owner = [*_person("li", "phone:+1", "email:li@x.cn"), link("phone:+1", "email:li@x.cn")]
    tablet = [link("device_id:li-tablet", "phone:+1"), link("device_id:li-tablet", "alipay_uid:li")]
    result = resolve(evidence(owner + tablet), NO_DEVICE_JOINS)

    assert result.households == {"device_id:li-tablet": ("alipay_uid:li", "email:li@x.cn")}
    # the device that touches one group of accounts still joins it
    assert set(result.clusters) == {
        frozenset({"device_id:li-phone", "phone:+1", "email:li@x.cn"}),
        frozenset({"alipay_uid:li"}),
    }
    why = explain(evidence(owner + tablet), result, "phone:+1", "alipay_uid:li", DeviceJoins.NEVER)
    assert not why.linked
    assert "device_id:li-tablet is a household device shared by 2 people" in why.reason
    assert "device_joins is never" in why.reason  # the setting, not the people around it, made it one

    # strong evidence (an order carrying both accounts), or an admin merge, joins them, and the tablet with them
    for joined in (
        evidence([*owner, *tablet, link("alipay_uid:li", "phone:+1")]),
        evidence(owner + tablet, must_links=frozenset({pair("alipay_uid:li", "email:li@x.cn")})),
    ):
        again = resolve(joined, NO_DEVICE_JOINS)
        assert again.households == {}
        assert len(again.clusters) == 1


weak_and_strong_links = st.lists(
    st.tuples(
        st.sampled_from(["phone:+1", "phone:+2", "email:e@x.y", "device_id:d", "device_id:k", "alipay_uid:a"]),
        st.sampled_from(["member_id:c", "email:f@x.y", "device_id:d", "device_id:t", "taobao_id:t", "phone:+3"]),
    ),
    max_size=20,
)


@given(weak_and_strong_links, st.randoms())
@settings(max_examples=200)
def test_where_no_device_may_join_people_each_oneid_is_held_together_by_strong_evidence(
    raw: list[tuple[str, str]], rnd: random.Random
) -> None:
    links = [link(a, b) for a, b in dict.fromkeys(raw) if a != b]
    result = resolve(evidence(links), NO_DEVICE_JOINS)
    for cluster in result.clusters:
        strong = {key for key in cluster if NO_DEVICE_JOINS.strength(key.partition(":")[0]) is Strength.STRONG}
        graph = nx.Graph()
        graph.add_nodes_from(strong)
        graph.add_edges_from((lk.a, lk.b) for lk in links if lk.a in strong and lk.b in strong)
        assert not strong or nx.is_connected(graph)  # no device holds two people's accounts together
    shuffled = links[:]
    rnd.shuffle(shuffled)
    assert partition(evidence(shuffled), NO_DEVICE_JOINS) == set(result.clusters)
    # the default rule only ever joins more: what it keeps apart, this keeps apart too
    weighed = resolve(evidence(links), CONFIG).cluster_of()
    for cluster in result.clusters:
        assert len({weighed.get(key) for key in cluster}) == 1


def test_a_family_sharing_a_tablet_and_a_tv_is_kept_apart_by_both() -> None:
    # Neither device alone holds the family together, but the two of them do. Each parent
    # registered with a phone and an account together.
    family = [
        *_person("mum", "phone:+1", "email:mum@x.cn"),
        link("phone:+1", "email:mum@x.cn"),
        *_person("dad", "phone:+2", "member_id:M-dad"),
        link("phone:+2", "member_id:M-dad"),
    ]
    shared = [
        link("device_id:tablet", "phone:+1"),
        link("device_id:tablet", "member_id:M-dad"),
        link("device_id:tv", "email:mum@x.cn"),
        link("device_id:tv", "phone:+2"),
    ]
    result = resolve(evidence(family + shared), CONFIG)
    assert result.status_of("device_id:tablet") == result.status_of("device_id:tv") == "household"
    assert len(result.clusters) == 2


def test_one_persons_accounts_of_complementary_kinds_on_devices_of_their_own_join() -> None:
    # Phone and e-mail on one device, member card and Alipay on another, a laptop seeing
    # both: no kind twice, so nothing says these are two people.
    links = (
        _person("phone", "phone:+1", "email:li@x.cn")
        + _person("pad", "member_id:M-li", "alipay_uid:li")
        + [link("device_id:laptop", "phone:+1"), link("device_id:laptop", "member_id:M-li")]
    )
    result = resolve(evidence(links), CONFIG)
    assert result.households == {}
    assert len(result.clusters) == 1


def test_household_devices_are_the_same_whatever_order_the_evidence_comes_in() -> None:
    links = (
        _person("mum", "phone:+1", "email:mum@x.cn")
        + _person("dad", "phone:+2", "member_id:M-dad", "alipay_uid:dad")
        + [link("device_id:tablet", "phone:+1"), link("device_id:tablet", "member_id:M-dad")]
    )
    expected = resolve(evidence(links), CONFIG)
    for seed in range(5):
        shuffled = links[:]
        random.Random(seed).shuffle(shuffled)
        result = resolve(evidence(shuffled), CONFIG)
        assert (result.clusters, dict(result.households)) == (expected.clusters, dict(expected.households))


def test_households_group_the_devices_that_serve_the_same_people() -> None:
    from profilegraph.domain.resolution import plan_households

    links = (
        _person("mum", "phone:+1", "email:mum@x.cn")
        + _person("dad", "phone:+2", "member_id:M-dad", "alipay_uid:dad")
        + [link("device_id:tablet", "phone:+1"), link("device_id:tablet", "member_id:M-dad")]
    )
    result = resolve(evidence(links), CONFIG)
    assignments = {key: f"oid-{min(cluster)}" for cluster in result.clusters for key in cluster}
    (household,) = plan_households(result, assignments)
    assert household.devices == ("device_id:tablet",)
    assert household.members == ("oid-alipay_uid:dad", "oid-device_id:mum-phone")
    again = plan_households(resolve(evidence(list(reversed(links))), CONFIG), assignments)
    assert again[0].household_id == household.household_id  # derived from its device, not the order


def test_a_device_keeping_more_people_apart_than_a_household_holds_is_shared() -> None:
    config = IdentityConfig(household_max_people=2)
    links = (
        _person("a", "phone:+1", "email:a@x.cn")
        + _person("b", "phone:+2", "email:b@x.cn")
        + _person("c", "phone:+3", "email:c@x.cn")
        + [link("device_id:kiosk", f"phone:+{n}") for n in (1, 2, 3)]
    )
    result = resolve(evidence(links), config)
    assert result.households == {}
    assert result.status_of("device_id:kiosk") == "shared"
    assert len(result.clusters) == 3


def _dated(name: str, day: str, *accounts: str) -> list[LinkEvidence]:
    """A whole person seen on one day: accounts of their own on a device of their own."""
    return [LinkEvidence(*sorted((f"device_id:{name}-phone", account)), day, day) for account in accounts]


def _number_used(number: str, account: str, first: str, last: str) -> LinkEvidence:
    a, b = sorted((number, account))
    return LinkEvidence(a, b, first, last)


# Wang used 139… until mid-2020, then moved to 137…; the carrier gave 139… to Zhao in 2022.
WANG = _dated("wang", "2019-03-01T00:00:00Z", "member_id:WANG", "email:wang@x.cn", "phone:+8613700000001")
ZHAO = _dated("zhao", "2022-05-01T00:00:00Z", "alipay_uid:zhao", "email:zhao@x.cn")
NUMBER = "phone:+8613900000001"


def _recycled(wang_last_use: str, zhao_first_use: str) -> Evidence:
    links = [
        *WANG,
        *ZHAO,
        _number_used(NUMBER, "member_id:WANG", "2019-03-01T00:00:00Z", wang_last_use),
        _number_used(NUMBER, "alipay_uid:zhao", zhao_first_use, "2024-01-01T00:00:00Z"),
    ]
    nodes = {k: node(k, "2019-03-01T00:00:00Z") for lk in links for k in (lk.a, lk.b)}
    nodes[NUMBER] = node(NUMBER, "2019-02-01T00:00:00Z")  # Wang's oldest identifier
    return Evidence(nodes, tuple(links))


def test_a_phone_number_reissued_to_someone_else_stays_with_its_new_holder_only() -> None:
    result = resolve(_recycled("2020-06-30T00:00:00Z", "2022-05-01T00:00:00Z"), CONFIG)
    wang, zhao = (next(c for c in result.clusters if key in c) for key in ("member_id:WANG", "alipay_uid:zhao"))
    assert wang != zhao
    assert NUMBER in zhao
    assert NUMBER not in wang
    assert result.reassigned == frozenset({NUMBER})
    (refusal,) = result.refusals
    assert (refusal.a, refusal.b, refusal.rule) == ("member_id:WANG", NUMBER, "reassigned")
    assert "last used with member_id:WANG on 2020-06-30" in refusal.detail
    assert "from 2022-05-01" in refusal.detail
    told = explain(_recycled("2020-06-30T00:00:00Z", "2022-05-01T00:00:00Z"), result, "member_id:WANG", NUMBER)
    assert not told.linked
    assert told.reason == f"member_id:WANG – {NUMBER}: {refusal.detail}"


def test_a_number_used_on_both_sides_without_a_quiet_period_between_joins_them() -> None:
    # 60 days apart: shorter than the 90 days a carrier keeps a cancelled number frozen.
    result = resolve(_recycled("2022-03-02T00:00:00Z", "2022-05-01T00:00:00Z"), CONFIG)
    assert len(result.clusters) == 1
    assert result.reassigned == frozenset()


def test_a_number_whose_older_side_shows_no_number_of_its_own_still_joins() -> None:
    # Without a number of its own, the older side may be the same person coming back.
    links = [lk for lk in _recycled("2020-06-30T00:00:00Z", "2022-05-01T00:00:00Z").links if "137" not in lk.a + lk.b]
    nodes = {k: node(k, "2019-03-01T00:00:00Z") for lk in links for k in (lk.a, lk.b)}
    result = resolve(Evidence(nodes, tuple(links)), CONFIG)
    assert len(result.clusters) == 1


def test_types_the_issuer_never_reissues_are_never_reassigned() -> None:
    config = IdentityConfig(
        types={**CONFIG.types, "phone": IdentifierType("phone", normaliser="phone", reissued_after_days=None)}
    )
    result = resolve(_recycled("2020-06-30T00:00:00Z", "2022-05-01T00:00:00Z"), config)
    assert len(result.clusters) == 1


def test_a_reassigned_number_is_decided_the_same_whatever_order_the_evidence_comes_in() -> None:
    evidence = _recycled("2020-06-30T00:00:00Z", "2022-05-01T00:00:00Z")
    expected = resolve(evidence, CONFIG)
    for seed in range(5):
        shuffled = list(evidence.links)
        random.Random(seed).shuffle(shuffled)
        result = resolve(Evidence(evidence.nodes, tuple(shuffled)), CONFIG)
        assert (result.clusters, result.refusals) == (expected.clusters, expected.refusals)


def test_the_older_holder_keeps_their_oneid_when_their_anchor_number_is_reissued() -> None:
    before = _recycled("2020-06-30T00:00:00Z", "2022-05-01T00:00:00Z")
    wang_links = tuple(lk for lk in before.links if "zhao" not in lk.a + lk.b)
    wang_only = Evidence({k: before.nodes[k] for lk in wang_links for k in (lk.a, lk.b)}, wang_links)
    first = plan_one_ids(resolve(wang_only, CONFIG), wang_only.nodes, {}, {}, CONFIG, lambda: "oid-wang")
    # The number is Wang's oldest identifier, so it anchored Wang's OneID.
    assert first.created == {"oid-wang": NUMBER}
    wang = PersonState("oid-wang", "2019-03-01T00:00:00Z", NUMBER)
    later = plan_one_ids(
        resolve(before, CONFIG), before.nodes, first.assignments, {"oid-wang": wang}, CONFIG, lambda: "oid-zhao"
    )
    assert later.assignments["member_id:WANG"] == "oid-wang"
    assert later.assignments[NUMBER] == later.assignments["alipay_uid:zhao"] == "oid-zhao"
    assert later.anchors["oid-wang"] != NUMBER
    assert later.created["oid-zhao"] != NUMBER
    assert later.redirects == ()


# Strong types only, none reissued: no identifier can be a household device or a reissued
# number, so the partition is what the shared rule, the type limits and the admin
# constraints make of the evidence.
LIMITED = IdentityConfig(
    types={
        "u": IdentifierType("u", max_per_person=1),
        "m": IdentifierType("m", max_per_person=2),
        "x": IdentifierType("x"),
    },
    blocked_values=frozenset(),
    blocked_patterns=(),
)
SMALL_KEYS = ["u:1", "u:2", "u:3", "m:1", "m:2", "m:3", "x:1", "x:2"]
small_evidence = st.tuples(
    st.lists(st.tuples(st.sampled_from(SMALL_KEYS), st.sampled_from(SMALL_KEYS), st.integers(0, 9)), max_size=14),
    st.lists(st.tuples(st.sampled_from(SMALL_KEYS), st.sampled_from(SMALL_KEYS)), max_size=2),
    st.lists(st.tuples(st.sampled_from(SMALL_KEYS), st.sampled_from(SMALL_KEYS)), max_size=2),
)


def _over_a_limit(ca: Collection[str], cb: Collection[str], config: IdentityConfig) -> bool:
    """Whether joining two clusters adds to a type both hold beyond its limit (one side alone may
    be over it already: an admin merge stands)."""
    for type_name in {key.partition(":")[0] for key in ca} & {key.partition(":")[0] for key in cb}:
        total = sum(1 for key in [*ca, *cb] if key.partition(":")[0] == type_name)
        if (limit := config.limit(type_name)) is not None and total > limit:
            return True
    return False


def _kept_apart(ca: Collection[str], cb: Collection[str], ev: Evidence) -> bool:
    """Whether a CannotLink has one end on each side (a MustLink of the same pair stands)."""
    return any((a in ca and b in cb) or (a in cb and b in ca) for a, b in ev.cannot_links)


def _brute_force(ev: Evidence, config: IdentityConfig) -> set[frozenset[str]]:
    """The rules as written, with no data structure: an identifier seen with two values of a
    one-per-person type is shared and joins nothing; then admin MustLinks; then every link in
    canonical order (oldest first, then by key), joined unless the union breaks a type limit
    or holds both ends of a CannotLink."""
    shared = {
        key
        for key in ev.nodes
        for type_name in config.one_per_person_types()
        if len(
            {
                other
                for lk in ev.links
                for other in (lk.a, lk.b)
                if key in (lk.a, lk.b) and other != key and other.startswith(f"{type_name}:")
            }
        )
        >= 2
    }
    clusters = [{key} for key in ev.nodes if key not in shared]

    def where(key: str) -> set[str]:
        return next(c for c in clusters if key in c)

    def allowed(ca: set[str], cb: set[str]) -> bool:
        return not _over_a_limit(ca, cb, config) and not _kept_apart(ca, cb, ev)

    def join(a: str, b: str, *, checked: bool) -> None:
        ca, cb = where(a), where(b)
        if ca is not cb and (not checked or allowed(ca, cb)):
            clusters.remove(cb)
            ca |= cb

    for a, b in sorted(ev.must_links):
        if a not in shared and b not in shared:
            join(a, b, checked=False)
    for lk in sorted(ev.links, key=lambda lk: (lk.first_seen, lk.a, lk.b)):
        if lk.a not in shared and lk.b not in shared:
            join(lk.a, lk.b, checked=True)
    return {frozenset(c) for c in clusters}


@given(small_evidence)
@settings(max_examples=300)
def test_on_small_graphs_the_partition_is_the_brute_force_reading_of_the_rules(
    raw: tuple[list[tuple[str, str, int]], list[tuple[str, str]], list[tuple[str, str]]],
) -> None:
    seen, must, cannot = raw
    links: dict[tuple[str, str], LinkEvidence] = {}
    for a, b, day in seen:
        if a != b:  # one link per pair, as the store keeps it: its first sighting
            found = link(a, b, f"2026-01-{day + 1:02d}T00:00:00Z")
            if (found.a, found.b) not in links or found.first_seen < links[(found.a, found.b)].first_seen:
                links[(found.a, found.b)] = found
    ev = Evidence(
        {key: node(key) for key in SMALL_KEYS},
        tuple(links.values()),
        frozenset(pair(a, b) for a, b in must if a != b),
        frozenset(pair(a, b) for a, b in cannot if a != b),
    )
    result = resolve(ev, LIMITED)
    assert set(result.clusters) == _brute_force(ev, LIMITED)

    # And what any such partition must be, whatever the order links were tried in:
    cluster_of = result.cluster_of()
    for cluster in result.clusters:
        graph = nx.Graph()
        graph.add_nodes_from(cluster)
        graph.add_edges_from(
            (lk.a, lk.b)
            for lk in [*ev.links, *(LinkEvidence(a, b, "") for a, b in ev.must_links)]
            if lk.a in cluster and lk.b in cluster
        )
        assert nx.is_connected(graph)  # joined by its own evidence
    for lk in ev.links:  # a link left between two OneIDs is one the rules refuse
        if lk.a in cluster_of and lk.b in cluster_of and cluster_of[lk.a] != cluster_of[lk.b]:
            ca, cb = result.clusters[cluster_of[lk.a]], result.clusters[cluster_of[lk.b]]
            assert _over_a_limit(ca, cb, LIMITED) or _kept_apart(ca, cb, ev)


def test_a_chunk_of_many_components_resolves_as_each_component_alone() -> None:
    # A bulk resolution loads thousands of components at once; the household and reissue
    # analyses look only at the components that need them, and must decide those the same.
    family = [
        *_person("mum", "phone:+1", "email:mum@x.cn"),
        *_person("dad", "phone:+2", "member_id:M-dad", "alipay_uid:dad"),
        link("device_id:tablet", "phone:+1"),
        link("device_id:tablet", "member_id:M-dad"),
    ]
    loners = [link(f"device_id:d{n}", f"phone:+9{n}") for n in range(5)]
    recycled = _recycled("2020-06-30T00:00:00Z", "2022-05-01T00:00:00Z")
    nodes = {k: node(k) for lk in (*family, *loners) for k in (lk.a, lk.b)} | dict(recycled.nodes)
    together = resolve(Evidence(nodes, (*family, *loners, *recycled.links)), CONFIG)
    apart = [resolve(evidence(family), CONFIG), resolve(evidence(loners), CONFIG), resolve(recycled, CONFIG)]

    assert set(together.clusters) == {cluster for result in apart for cluster in result.clusters}
    assert together.households == apart[0].households != {}
    assert together.reassigned == apart[2].reassigned == frozenset({NUMBER})
    assert set(together.refusals) == {refusal for result in apart for refusal in result.refusals}
