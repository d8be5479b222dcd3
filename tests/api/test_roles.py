"""What each role may use: every root field against every role; a refused field is FORBIDDEN with no data."""

from __future__ import annotations

import pytest

from tests.api.client import Api
from tests.api.events import alice

FIELDS = {
    "viewer": "{ viewer { oneId identifiers { value } } }",
    "profile": '{ profile(oneId: "oid_x") { oneId } }',
    "profileByIdentifier": '{ profileByIdentifier(type: PHONE, value: "13800138001") { oneId } }',
    "profileByOrder": '{ profileByOrder(orderId: "o-1") { oneId } }',
    "profiles": "{ profiles(first: 5) { totalCount edges { node { oneId } } } }",
    "valueMap": "{ valueMap(buckets: [100]) { customers } }",
    "explainLink": '{ explainLink(a: {type: PHONE, value: "13800138001"}, b: {type: MEMBER_ID, value: "M-1"}) '
    "{ linked } }",
    "mergeHistory": '{ mergeHistory(oneId: "oid_x") { oneId } }',
    "conflicts": "{ conflicts { totalCount } }",
    "auditLog": "{ auditLog { totalCount } }",
    "ingestEvents": "mutation { ingestEvents(events: []) { accepted } }",
    "mergeProfiles": 'mutation { mergeProfiles(a: "oid_a", b: "oid_b", reason: "r") { errors { code } } }',
    "splitProfile": 'mutation { splitProfile(oneId: "oid_a", identifiers: [{type: PHONE, value: "13800138001"}], '
    'reason: "r") { errors { code } } }',
    "blockIdentifier": 'mutation { blockIdentifier(identifier: {type: DEVICE_ID, value: "d"}, reason: "r") '
    "{ errors { code } } }",
    "unblockIdentifier": 'mutation { unblockIdentifier(identifier: {type: DEVICE_ID, value: "d"}, reason: "r") '
    "{ errors { code } } }",
}
LOOKUPS = {"profile", "profileByIdentifier", "profileByOrder", "profiles", "valueMap"}
ADMIN = {
    "explainLink",
    "mergeHistory",
    "conflicts",
    "auditLog",
    "mergeProfiles",
    "splitProfile",
    "blockIdentifier",
    "unblockIdentifier",
}
ALLOWED = {
    "app": {"viewer"},
    "service": {"viewer"} | LOOKUPS,
    "admin": {"viewer"} | LOOKUPS | ADMIN,
    "ingest": {"ingestEvents"},
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_each_role_reaches_exactly_its_fields(api: Api, role: str) -> None:
    api.ingest(alice())
    for field, query in FIELDS.items():
        body = api.post(query, role=role, subject="phone:13800138001").json()
        errors = [e for e in body.get("errors", []) if e["extensions"]["code"] == "FORBIDDEN"]
        if field in ALLOWED[role]:
            assert not errors, (role, field, errors)
            assert field in (body.get("data") or {}), (role, field, body)
        else:
            assert errors, (role, field, body)
            assert errors[0]["path"] == [field]
            assert (body.get("data") or {}).get(field) is None  # nothing of it leaks


def test_an_app_sees_only_its_own_subjects_profile(api: Api) -> None:
    api.ingest(alice())
    own = api.data("{ viewer { oneId } }", role="app", subject="member_id:M-1")["viewer"]
    assert own is not None
    stranger = api.data("{ viewer { oneId } }", role="app", subject="member_id:M-2")["viewer"]
    assert stranger is None
