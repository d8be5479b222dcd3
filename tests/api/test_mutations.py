"""Mutations answer with typed payloads: results, and errors whose codes are the schema's enum."""

from __future__ import annotations

from tests.api.client import INGEST, Api
from tests.api.events import PHONE, alice, identify, order

MERGE = """mutation($a: ID!, $b: ID!, $reason: String!) {
  mergeProfiles(a: $a, b: $b, reason: $reason) { profile { oneId } auditId errors { code field message } } }"""
SPLIT = """mutation($id: ID!, $ids: [IdentifierInput!]!, $reason: String!) {
  splitProfile(oneId: $id, identifiers: $ids, reason: $reason) {
    profiles { oneId identifiers { type } } auditId errors { code field message } } }"""
BLOCK = """mutation($type: IdentifierType!, $value: String!, $reason: String!) {
  blockIdentifier(identifier: {type: $type, value: $value}, reason: $reason) {
    identifier status profile { oneId } auditId errors { code field message } } }"""
UNBLOCK = BLOCK.replace("blockIdentifier", "unblockIdentifier")


def _one_id(api: Api, type_: str, value: str) -> str:
    query = "query($t: IdentifierType!, $v: String!) { profileByIdentifier(type: $t, value: $v) { oneId } }"
    return str(api.data(query, {"t": type_, "v": value})["profileByIdentifier"]["oneId"])


def test_ingest_events_answers_for_each_event_in_order(api: Api) -> None:
    events = [
        identify("e-1", "2026-01-01T00:00:00Z", ("phone", PHONE), ("email", "a@example.com")),
        identify("e-2", "2026-01-01T00:00:00Z", ("phone", "179"), ("member_id", "M-9")),  # one bad phone
        {"event_id": "e-3", "type": "identify", "ts": "yesterday", "identifiers": [{"type": "phone", "value": PHONE}]},
        identify("e-1", "2026-01-01T00:00:00Z", ("phone", PHONE)),  # repeated in the call
        "not an object",
        order("e-4", "2026-01-02T00:00:00Z", "o-1", 12.5, ("member_id", "M-9")),
    ]
    payload = api.data(INGEST, {"events": events}, role="ingest")["ingestEvents"]
    assert (payload["accepted"], payload["duplicates"], payload["rejected"]) == (3, 1, 2)
    results = payload["results"]
    assert [(r["position"], r["eventId"], r["status"]) for r in results] == [
        (0, "e-1", "ACCEPTED"),
        (1, "e-2", "ACCEPTED"),
        (2, "e-3", "REJECTED"),
        (3, "e-1", "DUPLICATE"),
        (4, None, "REJECTED"),
        (5, "e-4", "ACCEPTED"),
    ]
    assert results[1]["warnings"] == [
        {"code": "INVALID_IDENTIFIER", "field": "identifiers[0].value", "message": results[1]["warnings"][0]["message"]}
    ]
    assert results[2]["errors"][0]["field"] == "ts"
    assert results[2]["errors"][0]["code"] == "INVALID_EVENT"
    assert results[4]["errors"][0]["code"] == "INVALID_EVENT"
    # resolved before the answer: the member id's order is already on the profile
    assert (
        _one_id(api, "MEMBER_ID", "M-9")
        == api.data('{ profileByOrder(orderId: "o-1") { oneId } }')["profileByOrder"]["oneId"]
    )
    again = api.data(INGEST, {"events": events[:2]}, role="ingest")["ingestEvents"]
    assert [r["status"] for r in again["results"]] == ["DUPLICATE", "DUPLICATE"]


def test_a_call_over_the_event_limit_writes_nothing_and_says_why(api: Api) -> None:
    limit = api.settings.max_events_per_call
    events = [identify(f"bulk-{n}", "2026-01-01T00:00:00Z", ("member_id", f"B{n}")) for n in range(limit + 1)]
    payload = api.data(INGEST, {"events": events}, role="ingest")["ingestEvents"]
    assert payload["results"] == []
    assert payload["errors"][0]["code"] == "TOO_MANY_EVENTS"
    assert str(limit) in payload["errors"][0]["message"]
    assert api.data("{ profiles { totalCount } }")["profiles"]["totalCount"] == 0


def test_merge_errors_are_typed_and_nothing_changes(api: Api) -> None:
    api.ingest(alice())
    one_id = _one_id(api, "PHONE", PHONE)
    cases = [
        ({"a": one_id, "b": "oid_nobody", "reason": "r"}, "NOT_FOUND", None),
        ({"a": one_id, "b": one_id, "reason": "r"}, "INVALID", "oneId"),
        ({"a": one_id, "b": "oid_nobody", "reason": "   "}, "INVALID", "reason"),
    ]
    for variables, code, field in cases:
        payload = api.data(MERGE, variables, role="admin")["mergeProfiles"]
        assert payload["profile"] is None
        assert payload["auditId"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], payload
    assert api.data("{ auditLog { totalCount } }", role="admin")["auditLog"]["totalCount"] == 0


def test_split_then_block_and_unblock_with_their_audit(api: Api) -> None:
    api.ingest(alice())
    one_id = _one_id(api, "PHONE", PHONE)
    split = api.data(
        SPLIT,
        {"id": one_id, "ids": [{"type": "MEMBER_ID", "value": "M-1"}], "reason": "a colleague's card"},
        role="admin",
    )["splitProfile"]
    assert split["errors"] == []
    assert sorted(sorted(i["type"] for i in p["identifiers"]) for p in split["profiles"]) == [
        ["email", "phone"],
        ["member_id"],
    ]
    assert _one_id(api, "MEMBER_ID", "M-1") != _one_id(api, "PHONE", PHONE)

    refused = api.data(
        SPLIT, {"id": one_id, "ids": [{"type": "MEMBER_ID", "value": "M-404"}], "reason": "r"}, role="admin"
    )["splitProfile"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID", "identifiers")]
    bad_phone = api.data(SPLIT, {"id": one_id, "ids": [{"type": "PHONE", "value": "179"}], "reason": "r"}, role="admin")
    assert bad_phone["splitProfile"]["errors"][0]["code"] == "INVALID_IDENTIFIER"

    blocked = api.data(BLOCK, {"type": "EMAIL", "value": "alice@example.com", "reason": "shared inbox"}, role="admin")
    assert blocked["blockIdentifier"]["errors"] == []
    assert blocked["blockIdentifier"]["identifier"] == "email:a***@example.com"
    assert blocked["blockIdentifier"]["status"] == "blocked"
    unknown = api.data(BLOCK, {"type": "EMAIL", "value": "nobody@example.com", "reason": "r"}, role="admin")
    assert unknown["blockIdentifier"]["errors"][0]["code"] == "NOT_FOUND"
    configured = api.data(UNBLOCK, {"type": "PHONE", "value": "13800138000", "reason": "r"}, role="admin")
    error = configured["unblockIdentifier"]["errors"][0]
    assert (error["code"], error["field"]) == ("INVALID", "identifier")
    assert "blocked_values" in error["message"]
    unblocked = api.data(
        UNBLOCK, {"type": "EMAIL", "value": "alice@example.com", "reason": "not shared after all"}, role="admin"
    )
    assert unblocked["unblockIdentifier"]["status"] == "active"

    log = api.data("{ auditLog { totalCount edges { node { action reason actor } } } }", role="admin")["auditLog"]
    assert [e["node"]["action"] for e in log["edges"]] == ["unblock", "block", "split"]
    assert log["edges"][1]["node"] == {"action": "block", "reason": "shared inbox", "actor": "test-admin"}
    history = api.data(
        "query($id: ID!) { mergeHistory(oneId: $id) { status audit { action } } }", {"id": one_id}, role="admin"
    )["mergeHistory"]
    assert "split" in [a["action"] for a in history["audit"]]


def test_a_graph_failure_in_a_mutation_is_a_typed_error_without_driver_text(api: Api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from profilegraph.errors import GraphUnavailableError
    from profilegraph.services import admin

    async def unavailable(*args: object, **kwargs: object) -> None:
        raise GraphUnavailableError("The graph database does not answer: bolt://10.0.0.7:7687 refused (secret detail)")

    api.ingest(alice())
    monkeypatch.setattr(admin, "merge_profiles", unavailable)
    payload = api.data(MERGE, {"a": "oid_a", "b": "oid_b", "reason": "r"}, role="admin")["mergeProfiles"]
    assert payload["errors"][0]["code"] == "GRAPH_UNAVAILABLE"
    assert "10.0.0.7" not in payload["errors"][0]["message"]
