"""Households in the graph: a family tablet, the OneIDs of the people who use it, kept with the partition."""

from __future__ import annotations

from profilegraph.domain.identifiers import DeviceJoins, IdentityConfig
from profilegraph.services import admin
from profilegraph.services.households import households_of_person
from profilegraph.services.ingest import ingest_lines
from profilegraph.services.profiles import persons, persons_by_identifier
from profilegraph.services.resolution import resolve_full
from profilegraph.store.bolt import GraphStore
from profilegraph.store.oneids import one_id_map
from tests.identity_events import identify, partition

CONFIG = IdentityConfig()
TABLET = {"type": "device_id", "value": "family-tablet"}
MUM = [{"type": "phone", "value": "13900000001"}, {"type": "email", "value": "mum@x.cn"}]
DAD = [
    {"type": "member_id", "value": "M-dad"},
    {"type": "alipay_uid", "value": "2088dad"},
    {"type": "phone", "value": "13900000002"},
]
KID = [{"type": "taobao_id", "value": "tb-kid"}, {"type": "douyin_openid", "value": "dy-kid"}]


def _own_phone(name: str, accounts: list[dict[str, str]], day: int) -> str:
    return identify(f"{name}-own", day, {"type": "device_id", "value": f"{name}-phone"}, *accounts)


# Mum and dad each on a phone of their own, and each signed in on the family tablet,
# dad with another kind of account than mum.
PARENTS = [
    _own_phone("mum", MUM, 1),
    _own_phone("dad", DAD, 2),
    identify("t-mum", 3, TABLET, MUM[0]),
    identify("t-dad", 4, TABLET, DAD[0]),
]


async def test_a_family_tablet_forms_a_household_of_the_people_who_sign_in_on_it(graph_store: GraphStore) -> None:
    await ingest_lines(graph_store, PARENTS, CONFIG)
    assert len(await partition(graph_store)) == 2  # the tablet joins nobody
    ids = await one_id_map(graph_store)
    mum, dad = ids["phone:+8613900000001"], ids["member_id:M-dad"]

    found = await households_of_person(graph_store, CONFIG, "member_id:M-dad")
    (household,) = found.households
    assert household.devices == ("device_id:family-tablet",)
    assert set(household.members) == {mum, dad}
    assert (await households_of_person(graph_store, CONFIG, mum)).households == (household,)

    # the kid signs in too: the same household, now of three
    await ingest_lines(graph_store, [_own_phone("kid", KID, 5), identify("t-kid", 6, TABLET, KID[1])], CONFIG)
    (grown,) = (await households_of_person(graph_store, CONFIG, mum)).households
    assert grown.household_id == household.household_id
    assert len(grown.members) == 3


async def test_a_household_dissolves_when_its_people_turn_out_to_be_one(graph_store: GraphStore) -> None:
    await ingest_lines(graph_store, PARENTS, CONFIG)
    ids = await one_id_map(graph_store)
    await admin.merge_profiles(
        graph_store, CONFIG, ids["phone:+8613900000001"], ids["member_id:M-dad"], actor="ops", reason="one person"
    )
    found = await households_of_person(graph_store, CONFIG, "phone:13900000001")
    assert found.households == ()
    assert "device_id:family-tablet" in await one_id_map(graph_store)  # one person's tablet again


async def test_the_family_tablet_stays_on_the_profile_of_each_person_who_used_it(graph_store: GraphStore) -> None:
    kiosk = {"type": "device_id", "value": "store-kiosk-1"}
    await ingest_lines(
        graph_store,
        [*PARENTS, identify("k-mum", 5, kiosk, MUM[0]), identify("k-dad", 6, kiosk, DAD[0])],
        CONFIG,
    )
    assert len(await partition(graph_store)) == 2  # neither device joins anybody
    ids = await one_id_map(graph_store)
    mum, dad = ids["phone:+8613900000001"], ids["member_id:M-dad"]

    for person in [
        *await persons(graph_store, [mum, dad]),
        *await persons_by_identifier(graph_store, ["email:mum@x.cn"]),
    ]:
        assert person is not None
        statuses = {view.key: view.status for view in person.identifiers}
        assert statuses["device_id:family-tablet"] == "household"
        assert statuses["device_id:store-kiosk-1"] == "household"
    (mum_view,) = await persons(graph_store, [mum])
    assert mum_view is not None
    assert "member_id:M-dad" not in {view.key for view in mum_view.identifiers}  # the devices bridge nobody


async def test_a_deployment_that_lets_no_device_join_people_keeps_a_second_account_apart_until_strong_evidence(
    graph_store: GraphStore,
) -> None:
    never = IdentityConfig(device_joins=DeviceJoins.NEVER)
    li = [{"type": "phone", "value": "13900000007"}, {"type": "email", "value": "li@x.cn"}]
    alipay = {"type": "alipay_uid", "value": "2088li"}
    tablet = {"type": "device_id", "value": "li-tablet"}
    await ingest_lines(
        graph_store,
        [_own_phone("li", li, 1), identify("t-li", 2, tablet, li[0]), identify("t-ali", 3, tablet, alipay)],
        CONFIG,
    )
    (li_id,) = set((await one_id_map(graph_store)).values())  # the default rule: Li's own second account

    await resolve_full(graph_store, never)  # the configuration changed
    ids = await one_id_map(graph_store)
    assert ids["phone:+8613900000007"] == li_id  # the part holding the anchor keeps the OneID
    assert ids["alipay_uid:2088li"] != li_id
    assert "device_id:li-tablet" not in ids
    (household,) = (await households_of_person(graph_store, never, li_id)).households
    assert set(household.members) == {li_id, ids["alipay_uid:2088li"]}
    why = await admin.explain_link(graph_store, never, "phone:13900000007", "alipay_uid:2088li")
    assert not why.linked
    assert "device_id:li-tablet is a household device" in why.reason
    assert "device_joins is never" in why.reason
    before = await partition(graph_store)
    await resolve_full(graph_store, never)
    assert await partition(graph_store) == before  # nothing left to change

    # an order carrying both accounts is strong evidence: one OneID again, the tablet Li's own
    await ingest_lines(graph_store, [identify("order-1", 4, li[0], alipay)], never)
    assert set((await one_id_map(graph_store)).values()) == {li_id}
    assert (await households_of_person(graph_store, never, li_id)).households == ()
