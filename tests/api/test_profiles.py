"""Reading unified profiles over HTTP: every lookup path, the profile's parts, redirects and paging."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.lifecycle import LifecycleConfig
from profilegraph.services import clv as clv_service
from profilegraph.services.cdnow import cdnow_events
from profilegraph.services.ingest import ingest_events
from profilegraph.store.bolt import GraphStore
from tests.api.client import Api
from tests.api.events import PHONE, alice, identify, order

PROFILE = """
fragment Whole on Profile {
  oneId redirectedFrom createdAt updatedAt mergedFrom { oneId reason }
  identifiers { type value firstSeen lastSeen sources status }
  attributes { name value source observedAt }
  orders(first: 2) { totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { orderId at amount currency items { sku quantity price product { sku } } } } }
  interactions(first: 5) { totalCount edges { node { eventId at kind contentId channel } } }
  clv { historic predicted expectedPurchases pAlive rfm { segment } fittedAt }
  lifecycle { stage since tier }
}
"""
BY_IDENTIFIER = (
    PROFILE
    + """
query($type: IdentifierType!, $value: String!) { profileByIdentifier(type: $type, value: $value) { ...Whole } }
"""
)


def _by_phone(api: Api, value: str = PHONE, **options: object) -> dict:
    return api.data(BY_IDENTIFIER, {"type": "PHONE", "value": value}, **options)["profileByIdentifier"]


def test_a_profile_is_found_by_any_spelling_of_its_phone_and_holds_everything_known(api: Api) -> None:
    api.ingest(alice())

    profile = _by_phone(api, "+86 138-0013-8001", scopes=("pii:read",))
    assert _by_phone(api, "13800138001", scopes=("pii:read",))["oneId"] == profile["oneId"]

    assert profile["redirectedFrom"] is None
    identifiers = {(i["type"], i["value"]): i for i in profile["identifiers"]}
    assert set(identifiers) == {("phone", "+8613800138001"), ("email", "alice@example.com"), ("member_id", "M-1")}
    phone = identifiers["phone", "+8613800138001"]
    assert (phone["firstSeen"], phone["lastSeen"], phone["status"]) == (
        "2026-01-05T09:00:00Z",
        "2026-03-10T12:00:00Z",
        "active",
    )
    assert sorted(phone["sources"]) == ["app", "crm", "miniapp", "pos"]
    # the surviving value of an attribute is the most recent, with where it came from
    assert profile["attributes"] == [
        {"name": "name", "value": "Alice W", "source": "crm", "observedAt": "2026-02-01T09:00:00Z"}
    ]
    orders = profile["orders"]
    assert orders["totalCount"] == 3
    assert [e["node"]["orderId"] for e in orders["edges"]] == ["o-3", "o-2"]  # newest first
    assert orders["edges"][0]["node"]["items"] == [
        {"sku": "sku-o-3", "quantity": 1.0, "price": 45.5, "product": {"sku": "sku-o-3"}}
    ]
    assert orders["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["kind"] for e in profile["interactions"]["edges"]] == ["click", "view"]
    assert profile["interactions"]["edges"][1]["node"]["contentId"] == "c-1"
    assert profile["clv"]["historic"] == pytest.approx(245.5)
    assert profile["clv"]["predicted"] is None  # no model fitted yet
    assert profile["lifecycle"]["stage"] in {"ACTIVE", "DORMANT", "NEW", "CHURNED"}


def test_order_pages_follow_their_cursors_to_the_end(api: Api) -> None:
    api.ingest(alice())
    query = """query($after: String) { profileByIdentifier(type: PHONE, value: "13800138001") {
        orders(first: 1, after: $after) { pageInfo { hasNextPage endCursor } edges { node { orderId } } } } }"""
    seen, after = [], None
    while True:
        page = api.data(query, {"after": after})["profileByIdentifier"]["orders"]
        seen.extend(e["node"]["orderId"] for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["o-3", "o-2", "o-1"]
    errors = api.errors(query, {"after": "not-a-cursor"})
    assert errors[0]["extensions"]["code"] == "INVALID"


def test_attribute_history_lists_every_value_observed(api: Api) -> None:
    api.ingest(alice())
    query = """{ profileByIdentifier(type: MEMBER_ID, value: "M-1") {
        attributes(names: ["name"], history: true) { value source } } }"""
    history = api.data(query)["profileByIdentifier"]["attributes"]
    assert history == [{"value": "Alice W", "source": "crm"}, {"value": "Alice", "source": "app"}]


def test_lookups_by_oneid_order_and_token_subject_find_the_same_profile(api: Api) -> None:
    api.ingest(alice())
    one_id = _by_phone(api)["oneId"]

    assert api.data("query($id: ID!) { profile(oneId: $id) { oneId } }", {"id": one_id})["profile"]["oneId"] == one_id
    found = api.data('{ profileByOrder(orderId: "o-2") { oneId } }')["profileByOrder"]
    assert found["oneId"] == one_id
    viewer = api.data("{ viewer { oneId } }", role="app", subject="phone:+86 138 0013 8001")["viewer"]
    assert viewer["oneId"] == one_id


def test_what_is_not_there_is_null_and_a_bad_identifier_is_a_named_error(api: Api) -> None:
    api.ingest(alice())
    assert api.data('{ profile(oneId: "oid_nobody") { oneId } }')["profile"] is None
    assert api.data('{ profileByOrder(orderId: "o-404") { oneId } }')["profileByOrder"] is None
    assert (
        api.data('{ profileByIdentifier(type: EMAIL, value: "bob@example.com") { oneId } }')["profileByIdentifier"]
        is None
    )
    assert api.data("{ viewer { oneId } }", role="app", subject="email:nobody@example.com")["viewer"] is None

    errors = api.errors('{ profileByIdentifier(type: PHONE, value: "179") { oneId } }')
    assert errors[0]["extensions"]["code"] == "INVALID_IDENTIFIER"
    assert "phone" in errors[0]["message"]
    # the type is an enum of the configured types: an unknown one is a validation error
    assert api.post('{ profileByIdentifier(type: FAX, value: "1") { oneId } }').json()["errors"]


def test_a_retired_oneid_answers_as_its_survivor_and_says_so(api: Api) -> None:
    api.ingest([identify("b-1", "2026-01-01T00:00:00Z", ("phone", "13900139001"))])
    api.ingest([identify("b-2", "2026-01-02T00:00:00Z", ("email", "bob@example.com"))])
    older = _by_phone(api, "13900139001")["oneId"]
    newer = api.data('{ profileByIdentifier(type: EMAIL, value: "bob@example.com") { oneId } }')["profileByIdentifier"][
        "oneId"
    ]
    merged = api.data(
        'mutation($a: ID!, $b: ID!) { mergeProfiles(a: $a, b: $b, reason: "same person, checked by phone") '
        "{ profile { oneId } auditId errors { code } } }",
        {"a": older, "b": newer},
        role="admin",
    )["mergeProfiles"]
    assert merged["errors"] == []
    assert merged["profile"]["oneId"] == older  # the older OneID survives

    answer = api.data(
        "query($id: ID!) { profile(oneId: $id) { oneId redirectedFrom mergedFrom { oneId reason } } }", {"id": newer}
    )["profile"]
    assert answer == {
        "oneId": older,
        "redirectedFrom": newer,
        "mergedFrom": [{"oneId": newer, "reason": "same person, checked by phone"}],
    }


def test_audiences_filter_page_and_count_exactly(api: Api) -> None:
    events = []
    for n in range(7):
        phone = f"1390013{n:04d}"
        events.append(identify(f"p-{n}", f"2026-0{1 + n % 3}-01T00:00:00Z", ("phone", phone), source="app"))
        if n % 2 == 0:
            events.append(
                identify(f"m-{n}", "2026-04-01T00:00:00Z", ("phone", phone), ("member_id", f"M{n}"), source="crm")
            )
        if n < 3:
            events.append(order(f"o-{n}", "2026-04-02T00:00:00Z", f"ord-{n}", 100.0 * (n + 1), ("phone", phone)))
    api.ingest(events)
    query = """query($filter: ProfileFilter, $after: String) {
        profiles(filter: $filter, first: 2, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } edges { node { oneId } } } }"""

    def everyone(filter_: dict | None) -> tuple[int, list[str]]:
        ids, after, total = [], None, None
        while True:
            page = api.data(query, {"filter": filter_, "after": after})["profiles"]
            total = page["totalCount"]
            ids.extend(e["node"]["oneId"] for e in page["edges"])
            if not page["pageInfo"]["hasNextPage"]:
                return total, ids
            after = page["pageInfo"]["endCursor"]

    total, ids = everyone(None)
    assert total == 7
    assert len(set(ids)) == 7
    assert ids == sorted(ids)
    assert everyone({"identifierTypes": ["MEMBER_ID"]})[0] == 4
    assert everyone({"source": "crm"})[0] == 4
    assert everyone({"identifierTypes": ["MEMBER_ID"], "firstSeen": {"from": "2026-02-01", "to": "2026-03-31"}})[0] == 2
    assert everyone({"lastSeen": {"from": "2026-04-02"}})[0] == 3
    assert everyone({"predictedClv": {"min": 150}})[0] == 2  # without a fit, historic spend: 200 and 300
    assert everyone({"predictedClv": {"min": 150}, "identifierTypes": ["MEMBER_ID"]})[0] == 1
    by_stage = {
        stage: everyone({"stage": stage})[0]
        for stage in ("POTENTIAL", "NEW", "ACTIVE", "HIGH_VALUE", "DORMANT", "CHURNED")
    }
    assert sum(by_stage.values()) == 7
    assert by_stage["POTENTIAL"] == 4  # identified, no order


def test_the_value_map_counts_every_profile(api: Api) -> None:
    api.ingest([*alice(), identify("x-1", "2026-01-01T00:00:00Z", ("phone", "13900139999"))])
    value_map = api.data(
        "{ valueMap(buckets: [0, 100, 1000]) { customers buyers historicTotal histogram { from to count } } }"
    )["valueMap"]
    assert value_map["customers"] == 2
    assert value_map["buyers"] == 1
    assert value_map["historicTotal"] == pytest.approx(245.5)
    assert [b["count"] for b in value_map["histogram"]] == [0, 1, 1, 0]  # below 0, [0, 100), [100, 1000), above


CDNOW_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "CDNOW_sample.txt"


async def test_clv_and_lifecycle_on_the_profile_match_the_clv_service(api: Api, session_store: GraphStore) -> None:
    config = IdentityConfig()
    report = await ingest_events(
        session_store, cdnow_events(CDNOW_SAMPLE.read_text().splitlines()), config, batch_size=2000
    )
    assert report.accepted == 6919
    lifecycle = LifecycleConfig()
    await clv_service.fit_population(
        session_store,
        until=date(1997, 9, 30),
        unit="weeks",
        annual_discount_rate=0.1,
        reference_horizon_days=365,
        lifecycle_config=lifecycle,
    )
    expected = await clv_service.profile_value(
        session_store, config, "member_id:00004", horizon_days=90, as_of=None, lifecycle_config=lifecycle
    )
    query = """{ profileByIdentifier(type: MEMBER_ID, value: "00004") {
        clv { historic predicted(horizonDays: 90) expectedPurchases(horizonDays: 90) pAlive
              rfm { recency frequency monetary rScore fScore mScore segment } fittedAt }
        lifecycle { stage since tier } } }"""
    profile = api.data(query)["profileByIdentifier"]
    clv = profile["clv"]
    assert clv["historic"] == pytest.approx(expected.clv.historic)
    assert clv["predicted"] == pytest.approx(expected.clv.predicted)
    assert clv["expectedPurchases"] == pytest.approx(expected.clv.expected_purchases)
    assert clv["pAlive"] == pytest.approx(expected.clv.p_alive)
    assert clv["fittedAt"] == expected.clv.fitted_at
    assert clv["rfm"]["segment"] == expected.clv.rfm.segment
    assert profile["lifecycle"] == {
        "stage": expected.lifecycle.stage.name,
        "since": expected.lifecycle.since.isoformat(),
        "tier": expected.lifecycle.tier.name,
    }
    one_id = api.data('{ profileByIdentifier(type: MEMBER_ID, value: "00004") { oneId } }')["profileByIdentifier"]
    errors = api.errors(
        "query($id: ID!) { profile(oneId: $id) { clv { predicted(horizonDays: 0) } } }", {"id": one_id["oneId"]}
    )
    assert errors[0]["extensions"] == {"code": "INVALID", "field": "horizonDays"}
