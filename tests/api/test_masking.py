"""Personal data is masked without pii:read; every unmasked read is audited with who, what and why."""

from __future__ import annotations

import json

from tests.api.client import Api
from tests.api.events import alice, identify

QUERY = """{ profileByIdentifier(type: PHONE, value: "13800138001") {
  oneId identifiers { type value } attributes { name value } } }"""
AUDIT = """{ auditLog(action: "read_unmasked") { totalCount edges { node { actor at oneIds reason detail } } } }"""


def test_phones_emails_and_accounts_are_masked_for_a_service_agent(api: Api) -> None:
    api.ingest(
        [
            *alice(),
            identify(
                "a-9",
                "2026-03-05T00:00:00Z",
                ("phone", "13800138001"),
                ("alipay_uid", "2088123456"),
                ("device_id", "DEV-ABC"),
                contact="call me on 13900139000 or bob@example.org",
                birthday="1990-05-01",
            ),
        ]
    )

    profile = api.data(QUERY)["profileByIdentifier"]
    values = {i["type"]: i["value"] for i in profile["identifiers"]}
    assert values["phone"] == "138****8001"
    assert values["email"] == "a***@example.com"
    assert values["member_id"] != "M-1"
    assert values["alipay_uid"] == "20****56"
    assert values["device_id"] == "dev-abc"  # a device id is not personal data here (DEFAULT_TYPES pii=False)
    attributes = {a["name"]: a["value"] for a in profile["attributes"]}
    assert attributes["contact"] == "call me on 139****9000 or b***@example.org"
    assert attributes["birthday"] == "1990-05-01"  # a date is not a phone number
    assert "13800138001" not in json.dumps(profile)
    assert "alice@example.com" not in json.dumps(profile)
    # nothing was served unmasked, so nothing is audited
    assert api.data(AUDIT, role="admin")["auditLog"]["totalCount"] == 0


def test_an_unmasked_read_is_audited_with_the_reason_given(api: Api) -> None:
    api.ingest(alice())
    profile = api.data(
        QUERY, scopes=("pii:read",), subject="agent-42", headers={"X-Access-Reason": "ticket 1234: caller verification"}
    )["profileByIdentifier"]
    assert {i["value"] for i in profile["identifiers"]} == {"+8613800138001", "alice@example.com", "M-1"}

    entries = api.data(AUDIT, role="admin")["auditLog"]["edges"]
    assert len(entries) == 1
    entry = entries[0]["node"]
    assert entry["actor"] == "agent-42"
    assert entry["oneIds"] == [profile["oneId"]]
    assert entry["reason"] == "ticket 1234: caller verification"
    assert entry["detail"] == {"fields": ["identifiers"]}
    assert entry["at"].endswith("Z")


def test_admin_reads_mask_identifier_keys_too(api: Api) -> None:
    api.ingest(alice())
    explained = api.data(
        '{ explainLink(a: {type: PHONE, value: "13800138001"}, b: {type: MEMBER_ID, value: "M-1"}) '
        "{ a b linked reason path { a b kind sources } } }",
        role="admin",
    )["explainLink"]
    assert explained["linked"] is True
    assert explained["a"] == "phone:138****8001"
    text = json.dumps(explained)
    assert "13800138001" not in text
    assert "+8613800138001" not in text
    unmasked = api.data(
        '{ explainLink(a: {type: PHONE, value: "13800138001"}, b: {type: MEMBER_ID, value: "M-1"}) { a } }',
        role="admin",
        scopes=("pii:read",),
    )["explainLink"]
    assert unmasked["a"] == "phone:+8613800138001"
    audit = api.data(AUDIT, role="admin")["auditLog"]["edges"]
    assert [e["node"]["detail"] for e in audit] == [{"fields": ["explainLink"]}]
