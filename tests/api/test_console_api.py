"""What the console asks of the API: one search box, the caller, identity graphs, masked reads
on request, and the one-time sign-in exchange."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from profilegraph.api.console import CONSOLE_DIR
from profilegraph.domain.access import Role
from profilegraph.services.credentials import signing_secret
from profilegraph.services.sign_in import issue_sign_in_ticket
from tests.api.client import Api

SAMPLE = Path(__file__).parents[2] / "examples" / "sample-events.ndjson"
LOOKUP = "query($q: String!) { lookup(query: $q) { matchedBy identifier profile { oneId redirectedFrom } } }"
GRAPH = """query($id: ID!) { profile(oneId: $id) { identityGraph {
  truncated nodes { id type value status oneId inProfile } edges { source target status rule count sources } } } }"""
EXPLAIN = """query($id: ID!, $a: ID!, $b: ID!) { profile(oneId: $id) { identityGraph {
  explain(a: $a, b: $b) { a b linked reason path { a b detail } } } } }"""


def _sample(api: Api) -> None:
    events = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line]
    assert api.ingest(events)["rejected"] == 0


def _one_id(api: Api, type_: str, value: str) -> str:
    data = api.data(
        "query($t: IdentifierType!, $v: String!) { profileByIdentifier(type: $t, value: $v) { oneId } }",
        {"t": type_, "v": value},
    )
    return str(data["profileByIdentifier"]["oneId"])


def test_lookup_reads_the_text_as_every_identifier_an_order_and_a_one_id(api: Api) -> None:
    _sample(api)
    li_wei = _one_id(api, "PHONE", "13800138001")
    for typed, kind in (
        ("+86 138-0013-8001", "IDENTIFIER"),
        ("LIWEI@example.com ", "IDENTIFIER"),
        ("M1001", "IDENTIFIER"),
        ("member_id:M1001", "IDENTIFIER"),
        ("SO-1001-3", "ORDER"),
        (li_wei, "ONE_ID"),
    ):
        matches = api.data(LOOKUP, {"q": typed})["lookup"]
        assert [(m["matchedBy"], m["profile"]["oneId"]) for m in matches] == [(kind, li_wei)], typed
    phone_match = api.data(LOOKUP, {"q": "13800138001"})["lookup"][0]
    assert phone_match["identifier"] == "phone:138****8001"  # masked like any read without pii:read
    assert api.data(LOOKUP, {"q": "nobody"})["lookup"] == []


def test_lookup_of_a_retired_one_id_answers_with_the_survivor(api: Api) -> None:
    _sample(api)
    a, b = _one_id(api, "PHONE", "13800138001"), _one_id(api, "PHONE", "13912345678")
    merged = api.data(
        "mutation($a: ID!, $b: ID!) { mergeProfiles(a: $a, b: $b, reason: 'same') { profile { oneId } } }".replace(
            "'", '"'
        ),
        {"a": a, "b": b},
        role="admin",
    )["mergeProfiles"]["profile"]["oneId"]
    retired = b if merged == a else a
    [match] = api.data(LOOKUP, {"q": retired})["lookup"]
    assert match["profile"] == {"oneId": merged, "redirectedFrom": retired}


def test_lookup_refuses_empty_and_overlong_text_with_a_code(api: Api) -> None:
    assert api.errors(LOOKUP, {"q": "   "})[0]["extensions"]["code"] == "INVALID"
    assert api.errors(LOOKUP, {"q": "x" * 300})[0]["extensions"]["code"] == "VALUE_TOO_LONG"
    assert api.errors(LOOKUP, {"q": "phone:"})[0]["extensions"]["code"] == "INVALID_IDENTIFIER"
    assert api.errors(LOOKUP, {"q": "M1"}, role="app")[0]["extensions"]["code"] == "FORBIDDEN"


def test_caller_reports_role_scopes_and_capabilities(api: Api) -> None:
    caller = api.data(
        "{ caller { name role scopes capabilities } }", role="service", scopes=("pii:read",), subject="agent-3"
    )
    assert caller["caller"] == {
        "name": "agent-3",
        "role": "service",
        "scopes": ["pii:read"],
        "capabilities": ["viewer", "lookup"],
    }
    assert "PHONE" in api.data("{ identifierTypes }", role="app")["identifierTypes"]


def test_mask_header_masks_for_a_pii_reader_and_writes_no_audit(api: Api) -> None:
    _sample(api)
    query = '{ profileByIdentifier(type: PHONE, value: "13800138001") { identifiers { value } } }'
    masked = api.data(query, role="service", scopes=("pii:read",), headers={"X-Mask-PII": "1"})
    assert "138****8001" in {i["value"] for i in masked["profileByIdentifier"]["identifiers"]}
    audits = '{ auditLog(action: "read_unmasked") { totalCount } }'
    assert api.data(audits, role="admin", headers={"X-Mask-PII": "1"})["auditLog"]["totalCount"] == 0
    plain = api.data(query, role="service", scopes=("pii:read",), headers={"X-Access-Reason": "ticket 9"})
    assert "+8613800138001" in {i["value"] for i in plain["profileByIdentifier"]["identifiers"]}
    assert api.data(audits, role="admin")["auditLog"]["totalCount"] == 1


def test_identity_graph_marks_household_links_and_explains_by_node(api: Api) -> None:
    _sample(api)
    wang_fang = _one_id(api, "PHONE", "13700001111")
    graph = api.data(GRAPH, {"id": wang_fang}, role="admin")["profile"]["identityGraph"]
    nodes = {f"{n['type']}:{n['value']}": n for n in graph["nodes"]}
    assert {key for key, n in nodes.items() if n["inProfile"]} == {
        "device_id:phone-wf-1",
        "email:w***@example.com",
        "phone:137****1111",
    }
    tablet = nodes["device_id:tablet-home-7"]
    chen_jie = next(n for key, n in nodes.items() if key.startswith("member_id:"))
    assert tablet["status"] == "household"
    assert not tablet["inProfile"]
    assert chen_jie["oneId"] not in (None, wang_fang)  # the other person on the family tablet
    statuses = {(e["source"], e["target"]): (e["status"], e["rule"]) for e in graph["edges"]}
    tablet_links = [v for k, v in statuses.items() if tablet["id"] in k]
    assert tablet_links
    assert all(v == ("NOT_BRIDGING", "household") for v in tablet_links)
    assert ("ACCEPTED", None) in statuses.values()

    phone, email = nodes["phone:137****1111"]["id"], nodes["email:w***@example.com"]["id"]
    linked = api.data(EXPLAIN, {"id": wang_fang, "a": phone, "b": email}, role="admin")
    assert linked["profile"]["identityGraph"]["explain"]["linked"] is True
    apart = api.data(EXPLAIN, {"id": wang_fang, "a": phone, "b": chen_jie["id"]}, role="admin")
    explanation = apart["profile"]["identityGraph"]["explain"]
    assert explanation["linked"] is False
    assert "household" in explanation["reason"]
    # The people on the family tablet are named in the reason: masked, like every identifier.
    assert "wangfang@example.com" not in json.dumps(explanation)
    assert "M1004" not in json.dumps(explanation)
    assert (
        api.data(EXPLAIN, {"id": wang_fang, "a": phone, "b": "999"}, role="admin")["profile"]["identityGraph"][
            "explain"
        ]
        is None
    )
    errors = api.errors(EXPLAIN, {"id": wang_fang, "a": phone, "b": "x"}, role="admin")
    assert errors[0]["extensions"]["code"] == "INVALID"


def test_past_a_shared_device_the_graph_shows_the_people_it_was_seen_with(api: Api) -> None:
    kiosk = [
        {
            "event_id": f"kiosk-{n}",
            "type": "identify",
            "ts": f"2026-06-{n + 1:02d}T10:00:00Z",
            "identifiers": [{"type": "device_id", "value": "KIOSK-1"}, {"type": "phone", "value": f"1590000{n:04d}"}],
        }
        for n in range(14)
    ]
    api.ingest(kiosk)
    graph = api.data(GRAPH, {"id": _one_id(api, "PHONE", "15900000000")}, role="admin")["profile"]["identityGraph"]
    nodes = {f"{n['type']}:{n['value']}": n for n in graph["nodes"]}
    assert nodes["device_id:kiosk-1"]["status"] == "shared"
    others = [n for key, n in nodes.items() if key.startswith("phone:") and not n["inProfile"]]
    assert len(others) == 13  # every other person the kiosk saw, none of them joined
    assert {e["status"] for e in graph["edges"]} == {"NOT_BRIDGING"}
    assert len({n["oneId"] for n in others}) == 13


def test_identity_graph_is_for_admins(api: Api) -> None:
    _sample(api)
    errors = api.errors(GRAPH, {"id": _one_id(api, "PHONE", "13700001111")}, role="service")
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


def _exchange(api: Api, ticket: Any) -> Any:
    return api.client.post("/console/sign-in", json={"ticket": ticket})


def test_a_sign_in_link_gives_a_working_token_once(api: Api) -> None:
    ticket = issue_sign_in_ticket(api.settings, Role.SERVICE, subject="agent-5", scopes=["pii:read"])
    # The ticket is not a bearer token: its audience is the sign-in exchange only.
    refused = api.client.post(
        "/graphql", json={"query": "{ caller { name } }"}, headers={"Authorization": f"Bearer {ticket}"}
    )
    assert refused.status_code == 401

    first = _exchange(api, ticket)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["role"], body["scopes"], body["subject"]) == ("service", ["pii:read"], "agent-5")
    caller = api.client.post(
        "/graphql",
        json={"query": "{ caller { name role scopes } }"},
        headers={"Authorization": f"Bearer {body['token']}"},
    ).json()["data"]["caller"]
    assert caller == {"name": "agent-5", "role": "service", "scopes": ["pii:read"]}

    again = _exchange(api, ticket)
    assert again.status_code == 401
    assert "used already" in again.json()["error"]["message"]


def test_sign_in_refuses_expired_forged_and_malformed_tickets(api: Api) -> None:
    now = datetime.now(UTC)
    claims = {"sub": "x", "role": "admin", "aud": f"{api.settings.jwt_audience}:console-sign-in", "jti": "j1"}
    expired = jwt.encode({**claims, "exp": now - timedelta(minutes=5)}, signing_secret(api.settings), algorithm="HS256")
    assert "expired" in _exchange(api, expired).json()["error"]["message"]
    forged = jwt.encode(
        {**claims, "exp": now + timedelta(minutes=5)}, "a-secret-of-another-service-0123456789abcdef", algorithm="HS256"
    )
    assert _exchange(api, forged).status_code == 401
    assert _exchange(api, "").status_code == 400
    assert api.client.post("/console/sign-in", content=b"[1, 2").status_code == 400
    assert api.client.post("/console/sign-in", content=b"x" * 10_000).status_code == 413


def test_the_console_page_and_scripts_are_served_with_a_strict_policy(api: Api) -> None:
    assert api.client.get("/console", follow_redirects=False).status_code == 308
    page = api.client.get("/console/")
    assert page.status_code == 200
    assert 'src="assets/app.js"' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy
    assert "connect-src 'self'" in policy
    script = api.client.get("/console/assets/vendor/cytoscape.esm.min.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.headers["content-security-policy"] == policy
    assert api.client.get("/console/assets/../../../settings.py").status_code == 404


def test_every_script_and_style_the_page_loads_is_packaged_and_nothing_names_another_host() -> None:
    assets = CONSOLE_DIR / "assets"
    own = [path for path in assets.glob("*.*") if path.suffix in {".js", ".css"}]
    assert own, "no console assets"
    for path in [*own, CONSOLE_DIR / "index.html"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://|//cdn", text), path.name
    for path in own:
        for imported in re.findall(r'from "\./([^"]+)"', path.read_text(encoding="utf-8")):
            assert (assets / imported).is_file(), f"{path.name} imports a missing {imported}"
