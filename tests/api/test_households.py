"""A household reaches the profile: the family members' OneIDs and the device that reveals them."""

from __future__ import annotations

import json

from tests.api.client import Api
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
