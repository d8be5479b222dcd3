from __future__ import annotations

from typing import LiteralString

import pytest

from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.errors import InvalidInputError, NotFoundError
from profilegraph.services import admin
from profilegraph.services.ingest import ingest_lines
from profilegraph.store.bolt import GraphStore
from profilegraph.store.oneids import one_id_map
from tests.identity_events import identify, partition

CONFIG = IdentityConfig()
PHONE = {"type": "phone", "value": "13900000001"}
EMAIL = {"type": "email", "value": "li@example.com"}
MEMBER = {"type": "member_id", "value": "M1"}
OTHER_PHONE = {"type": "phone", "value": "13900000002"}
AUDIT: LiteralString = "MATCH (a:AuditEntry) RETURN a.action AS action, a.actor AS actor, a.reason AS reason"


async def _ingest(store: GraphStore, *lines: str) -> dict[str, str]:
    await ingest_lines(store, lines, CONFIG)
    return await one_id_map(store)


async def test_merge_joins_two_oneids_and_the_retired_one_redirects(graph_store: GraphStore) -> None:
    ids = await _ingest(graph_store, identify("e1", 1, PHONE), identify("e2", 2, OTHER_PHONE))
    old, young = ids["phone:+8613900000001"], ids["phone:+8613900000002"]

    change = await admin.merge_profiles(graph_store, CONFIG, young, old, actor="ops", reason="same customer")

    assert set(change.one_ids.values()) == {old}
    history = await admin.merge_history(graph_store, young)
    assert (history.status, history.current) == ("retired", old)
    assert [r.retired for r in (await admin.merge_history(graph_store, old)).merged_from] == [young]
    assert history.merged_into is not None
    assert history.merged_into.survivor == old
    # a later event cannot undo an admin merge, nor does it need evidence
    await _ingest(graph_store, identify("e3", 3, OTHER_PHONE, {"type": "device_id", "value": "d9"}))
    assert len(await partition(graph_store)) == 1
    assert await graph_store.query(AUDIT) == [{"action": "merge", "actor": "ops", "reason": "same customer"}]


async def test_split_moves_identifiers_out_for_good(graph_store: GraphStore) -> None:
    ids = await _ingest(graph_store, identify("e1", 1, PHONE, EMAIL), identify("e2", 2, EMAIL, MEMBER))
    one_id = ids["phone:+8613900000001"]

    change = await admin.split_profile(graph_store, CONFIG, one_id, ["member_id:M1"], actor="ops", reason="wrong card")

    assert change.one_ids["phone:+8613900000001"] == one_id  # the part holding the anchor keeps the id
    assert change.one_ids["member_id:M1"] not in (None, one_id)
    await _ingest(graph_store, identify("e3", 3, PHONE, MEMBER))  # new evidence does not undo it
    assert await partition(graph_store) == {
        frozenset({"phone:+8613900000001", "email:li@example.com"}),
        frozenset({"member_id:M1"}),
    }
    explanation = await admin.explain_link(graph_store, CONFIG, "phone:13900000001", "member_id:M1")
    assert not explanation.linked
    assert explanation.path[0].refused_by == "cannot_link"


async def test_split_refuses_identifiers_that_are_not_members(graph_store: GraphStore) -> None:
    ids = await _ingest(graph_store, identify("e1", 1, PHONE, EMAIL))
    with pytest.raises(InvalidInputError, match="not identifiers of"):
        await admin.split_profile(
            graph_store, CONFIG, ids["email:li@example.com"], ["member_id:M9"], actor="a", reason="r"
        )


async def test_blocking_an_identifier_unlinks_it_and_unblocking_restores(graph_store: GraphStore) -> None:
    await _ingest(graph_store, identify("e1", 1, PHONE, EMAIL), identify("e2", 2, EMAIL, OTHER_PHONE))
    assert len(await partition(graph_store)) == 1

    await admin.block_identifier(graph_store, CONFIG, "email:LI@example.com", blocked=True, actor="ops", reason="leak")
    assert await partition(graph_store) == {frozenset({"phone:+8613900000001"}), frozenset({"phone:+8613900000002"})}

    await admin.block_identifier(graph_store, CONFIG, "email:li@example.com", blocked=False, actor="ops", reason="ok")
    assert len(await partition(graph_store)) == 1


async def test_explain_gives_the_path_of_accepted_links_with_evidence(graph_store: GraphStore) -> None:
    await _ingest(graph_store, identify("e1", 1, PHONE, EMAIL, source="crm"), identify("e2", 2, EMAIL, MEMBER))
    explanation = await admin.explain_link(graph_store, CONFIG, "phone:+86 139 0000 0001", "member_id:M1")
    assert explanation.linked
    assert [(s.a, s.b, s.event_ids) for s in explanation.path] == [
        ("email:li@example.com", "phone:+8613900000001", ("e1",)),
        ("email:li@example.com", "member_id:M1", ("e2",)),
    ]
    assert explanation.path[0].sources == ("crm",)


async def test_explain_names_the_type_limit_that_refused_a_link(graph_store: GraphStore) -> None:
    await _ingest(
        graph_store,
        identify("e1", 1, PHONE, MEMBER),
        identify("e2", 2, PHONE, EMAIL),
        identify("e3", 3, EMAIL, {"type": "member_id", "value": "M2"}),
    )
    explanation = await admin.explain_link(graph_store, CONFIG, "member_id:M1", "member_id:M2")
    assert not explanation.linked
    assert [s.refused_by for s in explanation.path] == [None, None, "type_limit"]
    conflicts = await admin.list_conflicts(graph_store)
    assert [(c.a, c.rule) for c in conflicts] == [("email:li@example.com", "type_limit")]


async def test_explain_names_a_phone_seen_with_two_people(graph_store: GraphStore) -> None:
    await _ingest(
        graph_store, identify("e1", 1, PHONE, MEMBER), identify("e2", 2, PHONE, {"type": "member_id", "value": "M2"})
    )
    explanation = await admin.explain_link(graph_store, CONFIG, "member_id:M1", "member_id:M2")
    assert not explanation.linked
    assert [s.refused_by for s in explanation.path] == ["shared", "shared"]
    assert "phone:+8613900000001 is seen with more than one person (member_id:M1, member_id:M2)" in explanation.reason


async def test_explain_names_the_household_device_that_keeps_a_family_apart(graph_store: GraphStore) -> None:
    tablet = {"type": "device_id", "value": "family-tablet"}
    mum = [PHONE, EMAIL, {"type": "device_id", "value": "mum-phone"}]
    dad = [
        MEMBER,
        {"type": "alipay_uid", "value": "2088dad"},
        {"type": "phone", "value": "13900000002"},  # a phone each: two people, not one person's two halves
        {"type": "device_id", "value": "dad-phone"},
    ]
    await _ingest(
        graph_store,
        identify("m", 1, *mum),
        identify("d", 2, *dad),
        identify("t1", 3, tablet, PHONE),
        identify("t2", 4, tablet, MEMBER),
    )
    assert len(await partition(graph_store)) == 2
    explanation = await admin.explain_link(graph_store, CONFIG, "phone:13900000001", "member_id:M1")
    assert not explanation.linked
    assert "device_id:family-tablet is a household device shared by 2 people" in explanation.reason


async def test_unknown_oneids_and_identifiers_are_named(graph_store: GraphStore) -> None:
    with pytest.raises(NotFoundError, match="oid_nope"):
        await admin.merge_history(graph_store, "oid_nope")
    with pytest.raises(NotFoundError, match="never been seen"):
        await admin.block_identifier(graph_store, CONFIG, "phone:13900000009", blocked=True, actor="a", reason="r")


async def test_explain_names_a_block_by_configuration(graph_store: GraphStore) -> None:
    await _ingest(graph_store, identify("e1", 1, PHONE, {"type": "phone", "value": "13800138000"}))
    explanation = await admin.explain_link(graph_store, CONFIG, "phone:+8613900000001", "phone:13800138000")
    assert not explanation.linked
    assert (
        explanation.reason == "phone:+8613800138000 is blocked by configuration (blocked values and patterns) "
        "and never links anything"
    )


async def test_an_admin_cannot_unblock_what_configuration_blocks(graph_store: GraphStore) -> None:
    await _ingest(graph_store, identify("e1", 1, PHONE, {"type": "phone", "value": "13800138000"}))
    with pytest.raises(InvalidInputError, match="blocked by configuration"):
        await admin.block_identifier(
            graph_store, CONFIG, "phone:13800138000", blocked=False, actor="ops", reason="customer asked"
        )


async def test_a_merge_names_its_survivor_and_its_redirect_keeps_the_admins_reason(graph_store: GraphStore) -> None:
    ids = await _ingest(graph_store, identify("e1", 1, PHONE), identify("e2", 2, OTHER_PHONE))
    old, young = ids["phone:+8613900000001"], ids["phone:+8613900000002"]

    change = await admin.merge_profiles(graph_store, CONFIG, young, old, actor="ops", reason="same customer, ticket 7")

    assert change.survivor == old
    history = await admin.merge_history(graph_store, old)
    assert [(m.retired, m.reason) for m in history.merged_from] == [(young, "same customer, ticket 7")]


async def test_a_merge_holds_whatever_later_happens_to_any_identifier_of_either_side(
    graph_store: GraphStore,
) -> None:
    alipay, tablet = {"type": "alipay_uid", "value": "2088a1"}, {"type": "device_id", "value": "dA"}
    family_tablet = {"type": "device_id", "value": "dB"}
    ids = await _ingest(
        graph_store,
        identify("e1", 1, tablet, alipay, PHONE),
        identify("e2", 2, family_tablet, MEMBER, EMAIL),
    )
    a, b = ids["phone:+8613900000001"], ids["member_id:M1"]
    assert a != b
    await admin.merge_profiles(graph_store, CONFIG, a, b, actor="ops", reason="same customer")

    # The identifiers a single binding would have used (the first key of each side) go:
    # one side's device and Alipay account are blocked, the other's tablet becomes shared.
    for key in ("device_id:da", "alipay_uid:2088a1"):
        await admin.block_identifier(graph_store, CONFIG, key, blocked=True, actor="ops", reason="compromised")
    await _ingest(
        graph_store,
        identify("e3", 3, family_tablet, {"type": "member_id", "value": "X1"}),
        identify("e4", 4, family_tablet, {"type": "member_id", "value": "X2"}),
    )

    clusters = await partition(graph_store)
    assert frozenset({"phone:+8613900000001", "member_id:M1", "email:li@example.com"}) in clusters
    assert len({(await one_id_map(graph_store))[k] for k in ("phone:+8613900000001", "member_id:M1")}) == 1
