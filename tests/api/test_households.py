"""A household reaches the profile: the family members' OneIDs and the device that reveals them."""

from __future__ import annotations

import json

from tests.api.client import Api
from tests.api.events import identify, interaction, order
from tests.store.test_households import PARENTS

QUERY = """query($t: IdentifierType!, $v: String!) { profileByIdentifier(type: $t, value: $v) {
  oneId households { householdId members devices } } }"""


def test_each_member_of_a_household_sees_it_on_their_profile(api: Api) -> None:
    api.ingest([json.loads(line) for line in PARENTS])
    dad = api.data(QUERY, {"t": "MEMBER_ID", "v": "M-dad"})["profileByIdentifier"]
    mum = api.data(QUERY, {"t": "PHONE", "v": "13900000001"})["profileByIdentifier"]
    assert dad["oneId"] != mum["oneId"]  # the tablet joins nobody
    (household,) = dad["households"]
    assert sorted(household["members"]) == sorted([dad["oneId"], mum["oneId"]])
    assert household["devices"] == ["device_id:family-tablet"]  # a device id is not masked
    assert mum["households"] == dad["households"]

    alone = api.data(QUERY, {"t": "PHONE", "v": "13900000001"}, role="admin")["profileByIdentifier"]
    assert alone["households"][0]["householdId"] == household["householdId"]


FACTS = """query($t: IdentifierType!, $v: String!, $shared: Boolean!) { profileByIdentifier(type: $t, value: $v) {
  orders(first: 10, shared: $shared) { totalCount edges { node { orderId amount } } }
  interactions(first: 10, shared: $shared) { totalCount edges { node { eventId kind } } } } }"""


def _facts(api: Api, type_: str, value: str, *, shared: bool) -> tuple[list[str], int, list[str], int]:
    found = api.data(FACTS, {"t": type_, "v": value, "shared": shared})["profileByIdentifier"]
    orders, interactions = found["orders"], found["interactions"]
    return (
        [e["node"]["orderId"] for e in orders["edges"]],
        orders["totalCount"],
        [e["node"]["eventId"] for e in interactions["edges"]],
        interactions["totalCount"],
    )


def test_facts_recorded_only_on_the_family_tablet_stay_on_each_members_profile_apart_from_their_own(
    api: Api,
) -> None:
    tablet = ("device_id", "family-tablet")
    api.ingest(
        [
            *(json.loads(line) for line in PARENTS),
            order("o-1", "2026-03-10T20:00:00Z", "SO-TABLET", 88.0, tablet),  # nobody signed in
            order("o-2", "2026-03-11T20:00:00Z", "SO-DAD", 40.0, tablet, ("member_id", "M-dad")),
            interaction("x-1", "2026-03-12T20:00:00Z", "view", tablet),
            interaction("x-2", "2026-03-13T20:00:00Z", "click", tablet, ("phone", "13900000001")),
        ]
    )
    dad = _facts(api, "MEMBER_ID", "M-dad", shared=False)
    mum = _facts(api, "PHONE", "13900000001", shared=False)
    assert dad == (["SO-DAD"], 1, [], 0)  # signed in: dad's own order, on nobody else's profile
    assert mum == ([], 0, ["x-2"], 1)
    for type_, value in (("MEMBER_ID", "M-dad"), ("PHONE", "13900000001")):
        assert _facts(api, type_, value, shared=True) == (["SO-TABLET"], 1, ["x-1"], 1)

    # a consumer who never used the tablet sees none of its facts
    api.ingest([identify("n-1", "2026-03-01T08:00:00Z", ("phone", "13900000009"), ("email", "n@x.cn"))])
    assert _facts(api, "PHONE", "13900000009", shared=True) == ([], 0, [], 0)
