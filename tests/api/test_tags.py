"""Tags, the catalog, affinities and audiences over HTTP, as admins, jobs and marketers use them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.client import Api
from tests.api.events import PHONE, identify, interaction, order

DEFINE = """
mutation($name: String!, $object: TagObjectType!, $type: TagValueType!, $kind: TagKind!, $expression: String,
         $ttl: Int) {
  defineTag(name: $name, objectType: $object, valueType: $type, kind: $kind, expression: $expression,
            ttlSeconds: $ttl, description: "test") {
    tag { name objectType valueType kind expression ttlSeconds }
    errors { code field message }
  }
}
"""
SET = """
mutation($values: [TagValueInput!]!, $reason: String! = "") {
  setTags(values: $values, reason: $reason) { written results { position ok errors { code field message } }
                                              errors { code message } }
}
"""
TAGS = """
query($value: String!) { profileByIdentifier(type: PHONE, value: $value) {
  oneId tags { name value kind source confidence updatedAt expiresAt } } }
"""
PROFILES = """
query($filter: ProfileFilter) { profiles(filter: $filter, first: 100) { totalCount edges { node { oneId } } } }
"""


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _define(api: Api, name: str, kind: str, value_type: str = "BOOL", obj: str = "USER", **extra: Any) -> dict:
    variables = {"name": name, "object": obj, "type": value_type, "kind": kind, **extra}
    return dict(api.data(DEFINE, variables, role="admin")["defineTag"])


def _defined(api: Api, name: str, kind: str, value_type: str = "BOOL", obj: str = "USER", **extra: Any) -> None:
    assert _define(api, name, kind, value_type, obj, **extra)["errors"] == []


def _set(api: Api, values: list[dict[str, Any]], role: str = "admin", reason: str = "") -> dict:
    return dict(api.data(SET, {"values": values, "reason": reason}, role=role)["setTags"])


def _people(api: Api, count: int = 4) -> list[str]:
    """``count`` consumers with one phone each and an order each; their OneIDs by phone order."""
    events = []
    for n in range(count):
        phone = f"+86 139-0000-{n:04d}"
        events.append(identify(f"p-{n}", _days_ago(30), ("phone", phone), ("member_id", f"M{n}")))
        events.append(order(f"o-{n}", _days_ago(10 + n), f"order-{n}", 100.0 * (n + 1), ("phone", phone)))
    api.ingest(events)
    return [api.data(TAGS, {"value": f"+86 139-0000-{n:04d}"})["profileByIdentifier"]["oneId"] for n in range(count)]


def _selected(api: Api, filter: dict[str, Any]) -> tuple[int, set[str]]:
    found = api.data(PROFILES, {"filter": filter})["profiles"]
    return found["totalCount"], {edge["node"]["oneId"] for edge in found["edges"]}


def test_model_and_manual_tags_are_set_in_bulk_and_each_bad_item_fails_alone(api: Api) -> None:
    people = _people(api, 2)
    _defined(api, "churn_risk", "MODEL", "NUMBER")
    _defined(api, "vip", "MANUAL")

    result = _set(
        api,
        [
            {"tag": "churn_risk", "objectType": "USER", "oneId": people[0], "value": 0.8, "confidence": 0.9},
            {"tag": "churn_risk", "objectType": "USER", "identifier": {"type": "PHONE", "value": "13900000001"},
             "value": 0.2},
            {"tag": "churn_risk", "objectType": "USER", "oneId": people[1], "value": "high"},
            {"tag": "nope", "objectType": "USER", "oneId": people[1], "value": True},
            {"tag": "vip", "objectType": "USER", "oneId": "no-such-one-id", "value": True},
            {"tag": "vip", "objectType": "USER", "oneId": people[1], "value": True},
        ],
        reason="campaign list from the CRM",
    )  # fmt: skip
    assert [r["ok"] for r in result["results"]] == [True, True, False, False, False, True]
    assert result["written"] == 3
    assert [e["code"] for r in result["results"] for e in r["errors"]] == ["TAG_WRONG_TYPE", "UNKNOWN_TAG", "NOT_FOUND"]

    first = api.data(TAGS, {"value": "13900000000"})["profileByIdentifier"]["tags"]
    assert [(t["name"], t["value"], t["kind"], t["confidence"]) for t in first] == [("churn_risk", 0.8, "MODEL", 0.9)]
    second = {t["name"]: t for t in api.data(TAGS, {"value": "13900000001"})["profileByIdentifier"]["tags"]}
    assert second["churn_risk"]["value"] == 0.2  # set on its phone: it follows the phone
    assert second["vip"]["value"] is True
    assert second["vip"]["source"] == "test-admin"

    audit = api.data('{ auditLog(action: "set_tags") { edges { node { actor reason } } } }', role="admin")
    assert [e["node"] for e in audit["auditLog"]["edges"]] == [
        {"actor": "test-admin", "reason": "campaign list from the CRM"}
    ]


def test_jobs_set_model_tags_but_only_admins_set_manual_ones_or_define_tags(api: Api) -> None:
    people = _people(api, 1)
    _defined(api, "score", "MODEL", "NUMBER")
    _defined(api, "vip", "MANUAL")

    result = _set(
        api,
        [
            {"tag": "score", "objectType": "USER", "oneId": people[0], "value": 3},
            {"tag": "vip", "objectType": "USER", "oneId": people[0], "value": True},
        ],
        role="ingest",
    )
    assert [r["ok"] for r in result["results"]] == [True, False]
    assert result["results"][1]["errors"][0]["code"] == "FORBIDDEN"

    refused = api.errors(DEFINE, {"name": "x", "object": "USER", "type": "BOOL", "kind": "MANUAL"}, role="service")
    assert refused[0]["extensions"]["code"] == "FORBIDDEN"
    refused = api.errors(SET, {"values": []}, role="service")
    assert refused[0]["extensions"]["code"] == "FORBIDDEN"


def test_a_bad_rule_is_refused_when_defined_with_where_the_problem_is(api: Api) -> None:
    errors = _define(api, "heavy", "RULE", expression="orders_90d >= 2 && amount > 100")["errors"]
    assert errors[0]["code"] == "INVALID_EXPRESSION"
    assert "1:27" in errors[0]["message"]
    assert "2.0" in errors[0]["message"]

    errors = _define(api, "heavy", "RULE", expression="order_count > 2")["errors"]
    assert "undeclared reference to 'order_count'" in errors[0]["message"]

    errors = _define(api, "heavy", "RULE", "STRING", expression="orders > 2")["errors"]
    assert errors[0]["code"] == "INVALID_EXPRESSION"
    assert "gives bool" in errors[0]["message"]

    assert _define(api, "heavy", "RULE", expression="orders >= 2 && amount > 100.0")["errors"] == []
    # its kind and type stay: redefining it as another kind is refused
    assert _define(api, "heavy", "MODEL")["errors"][0]["code"] == "TAG_EXISTS"


def test_rule_tags_follow_ingestion_of_the_consumers_it_touches(api: Api) -> None:
    _people(api, 2)
    _defined(api, "repeat_buyer", "RULE", expression="orders_365d >= 2")
    _defined(api, "spend_band", "RULE", "STRING", expression="amount >= 300.0 ? 'high' : 'low'")
    assert "repeat_buyer" not in {
        t["name"] for t in api.data(TAGS, {"value": "13900000000"})["profileByIdentifier"]["tags"]
    }

    # a second order for the first consumer: the ingest re-evaluates their rules before it answers
    api.ingest([order("o-x", _days_ago(1), "order-x", 250.0, ("phone", "+86 139-0000-0000"))])
    tags = {t["name"]: t for t in api.data(TAGS, {"value": "13900000000"})["profileByIdentifier"]["tags"]}
    assert tags["repeat_buyer"]["value"] is True
    assert tags["repeat_buyer"]["kind"] == "RULE"
    assert tags["spend_band"]["value"] == "high"  # 100 + 250
    # the other consumer was not touched: their rules wait for `tags recompute`
    assert api.data(TAGS, {"value": "13900000001"})["profileByIdentifier"]["tags"] == []


def _catalog(api: Api) -> None:
    api.ingest([
        {"event_id": "cat-1", "type": "product", "ts": _days_ago(100), "source": "erp",
         "product": {"sku": "serum", "category": "skincare", "brand": "Lumi", "price_band": "high"}},
        {"event_id": "cat-2", "type": "product", "ts": _days_ago(100), "source": "erp",
         "product": {"sku": "lipstick", "category": "makeup", "brand": "Lumi", "price_band": "mid"}},
        {"event_id": "cat-3", "type": "content", "ts": _days_ago(100), "source": "cms",
         "content": {"content_id": "c-skin", "topic": "skincare", "format": "video"}},
        {"event_id": "cat-4", "type": "channel", "ts": _days_ago(100), "source": "cms",
         "channel": {"code": "miniapp", "kind": "owned"}},
    ])  # fmt: skip


def _bought(event_id: str, days: int, order_id: str, sku: str, phone: str, channel: str = "tmall") -> dict:
    event = order(event_id, _days_ago(days), order_id, 100.0, ("phone", phone))
    event["order"]["items"] = [{"sku": sku, "qty": 1, "price": 100.0}]
    event["order"]["channel"] = channel
    return event


def test_event_tags_are_set_by_matching_events_and_expire_with_their_ttl(api: Api) -> None:
    _catalog(api)
    _defined(api, "featured", "MANUAL", obj="CONTENT")
    assert (
        _set(api, [{"tag": "featured", "objectType": "CONTENT", "objectKey": "c-skin", "value": True}])["written"] == 1
    )
    _defined(
        api,
        "viewed_skincare_7d",
        "EVENT",
        expression="event_type == 'interaction' && interaction.kind == 'view' && 'featured' in content.tags",
        ttl=7 * 86400,
    )
    api.ingest([
        interaction("v-1", _days_ago(2), "view", ("phone", PHONE), content_id="c-skin"),
        interaction("v-2", _days_ago(20), "view", ("phone", "+86 139-0000-0009"), content_id="c-skin"),
        interaction("v-3", _days_ago(1), "click", ("phone", "+86 139-0000-0008"), content_id="c-skin"),
    ])  # fmt: skip

    fresh = api.data(TAGS, {"value": PHONE})["profileByIdentifier"]["tags"]
    assert [(t["name"], t["value"], t["kind"]) for t in fresh] == [("viewed_skincare_7d", True, "EVENT")]
    assert fresh[0]["source"] == "event:v-1"
    assert fresh[0]["expiresAt"] > fresh[0]["updatedAt"]
    # a view 20 days ago set a value that had expired after 7: never served, never counted
    assert api.data(TAGS, {"value": "13900000009"})["profileByIdentifier"]["tags"] == []
    assert api.data(TAGS, {"value": "13900000008"})["profileByIdentifier"]["tags"] == []
    count, _ = _selected(api, {"tags": [{"name": "viewed_skincare_7d"}]})
    assert count == 1


def test_the_catalog_serves_records_tags_the_consumers_reached_and_an_affinity_audience(api: Api) -> None:
    _catalog(api)
    alice, bob = "+86 139-0000-0001", "+86 139-0000-0002"
    api.ingest([
        identify("i-a", _days_ago(200), ("phone", alice)),
        identify("i-b", _days_ago(200), ("phone", bob)),
        _bought("b-1", 5, "o-1", "serum", alice),
        _bought("b-2", 6, "o-2", "serum", alice),
        _bought("b-3", 7, "o-3", "lipstick", alice),
        _bought("b-4", 8, "o-4", "serum", bob),
        _bought("b-5", 9, "o-5", "lipstick", bob, channel="miniapp"),
        _bought("b-6", 10, "o-6", "lipstick", bob, channel="miniapp"),
    ])  # fmt: skip
    query = """{ product(sku: "serum") { sku properties orders tags { name value }
                   profiles(first: 10) { totalCount }
                   audience(first: 5) { profile { oneId } affinity { dimension value score evidence } } }
                 content(id: "c-skin") { contentId properties }
                 channel(code: "miniapp") { code properties profiles { totalCount } }
                 missing: product(sku: "nope") { sku } }"""
    data = api.data(query)
    serum = data["product"]
    assert serum["properties"] == {"category": "skincare", "brand": "Lumi", "price_band": "high"}
    assert serum["orders"] == 3
    assert serum["profiles"]["totalCount"] == 2
    ranked = [(m["affinity"]["value"], m["affinity"]["evidence"]) for m in serum["audience"]]
    assert ranked == [("skincare", 2), ("skincare", 1)]  # alice leans more to skincare than bob
    scores = [m["affinity"]["score"] for m in serum["audience"]]
    assert scores[0] > scores[1]
    assert data["content"]["properties"] == {"topic": "skincare", "format": "video"}
    assert data["channel"]["profiles"]["totalCount"] == 1
    assert data["missing"] is None

    _defined(api, "featured", "MANUAL", obj="PRODUCT")
    assert (
        _set(api, [{"tag": "featured", "objectType": "PRODUCT", "objectKey": "serum", "value": True}])["written"] == 1
    )
    fans = api.data('{ tagAudience(objectType: PRODUCT, name: "featured") { affinity { value score evidence } } }')
    # alice bought the featured serum twice and an unfeatured lipstick: all her tag evidence is "featured"
    assert [m["affinity"] for m in fans["tagAudience"]] == [
        {"value": "featured", "score": 1.0, "evidence": 2},
        {"value": "featured", "score": 1.0, "evidence": 1},
    ]
    refused = api.errors('{ tagAudience(objectType: USER, name: "x") { affinity { value } } }')
    assert refused[0]["extensions"]["code"] == "INVALID"


AUDIENCE = """
mutation($name: String!, $filter: ProfileFilter!) {
  defineAudience(name: $name, filter: $filter) { audience { id name definition } errors { code field message } }
}
"""


def test_audiences_combine_tag_value_and_affinity_conditions_with_and_or_not(api: Api) -> None:
    people = _people(api, 4)  # orders of 100, 200, 300 and 400
    _defined(api, "segment", "MODEL", "STRING")
    _defined(api, "interests", "MODEL", "STRING_LIST")
    _defined(api, "score", "MODEL", "NUMBER")
    values = [
        ("segment", people[0], "gold"), ("segment", people[1], "silver"), ("segment", people[2], "gold"),
        ("interests", people[0], ["skincare", "travel"]), ("interests", people[3], ["travel"]),
        ("score", people[0], 0.9), ("score", people[1], 0.5), ("score", people[3], 0.1),
    ]  # fmt: skip
    _set(api, [{"tag": t, "objectType": "USER", "oneId": o, "value": v} for t, o, v in values])

    assert _selected(api, {"tags": [{"name": "segment", "eq": "gold"}]}) == (2, {people[0], people[2]})
    assert _selected(api, {"tags": [{"name": "interests", "in": ["travel"]}]}) == (2, {people[0], people[3]})
    assert _selected(api, {"tags": [{"name": "score", "min": 0.5}]}) == (2, {people[0], people[1]})
    assert _selected(api, {"tags": [{"name": "segment"}, {"name": "score", "max": 0.6}]}) == (1, {people[1]})
    assert _selected(
        api, {"or": [{"tags": [{"name": "interests"}]}, {"tags": [{"name": "segment", "eq": "silver"}]}]}
    ) == (
        3,
        {people[0], people[1], people[3]},
    )
    assert _selected(api, {"not": {"tags": [{"name": "segment"}]}}) == (1, {people[3]})
    # predicted CLV without a fit is what each has spent: 100, 200, 300, 400
    assert _selected(api, {"predictedClv": {"min": 150}, "not": {"tags": [{"name": "segment", "eq": "gold"}]}}) == (
        2,
        {people[1], people[3]},
    )
    errors = api.data(AUDIENCE, {"name": "x", "filter": {"tags": [{"name": "nope"}]}})["defineAudience"]["errors"]
    assert errors[0]["code"] == "UNKNOWN_TAG"
    assert (
        api.errors(PROFILES, {"filter": {"predictedClv": {"min": 5, "max": 1}}})[0]["extensions"]["code"]
        == "INVALID_FILTER"
    )


def test_a_saved_audience_counts_as_events_arrive(api: Api) -> None:
    _people(api, 2)
    _defined(api, "repeat_buyer", "RULE", expression="orders >= 2")
    saved = api.data(
        AUDIENCE,
        {
            "name": "repeat buyers over 250",
            "filter": {"tags": [{"name": "repeat_buyer"}], "predictedClv": {"min": 250}},
        },
    )["defineAudience"]
    assert saved["errors"] == []
    audience_id = saved["audience"]["id"]
    read = "query($id: ID!) { audience(id: $id) { name count profiles(first: 5) { totalCount } } }"
    assert api.data(read, {"id": audience_id})["audience"]["count"] == 0

    api.ingest([order("late", _days_ago(1), "order-late", 200.0, ("phone", "+86 139-0000-0001"))])
    assert api.data(read, {"id": audience_id})["audience"] == {
        "name": "repeat buyers over 250",
        "count": 1,
        "profiles": {"totalCount": 1},
    }
    listed = api.data("{ audiences { id name definition } }")["audiences"]
    assert [a["id"] for a in listed] == [audience_id]
    assert listed[0]["definition"]["conditions"][0]["kind"] in {"tag", "value"}


def test_tags_set_on_a_oneid_stay_with_the_profile_it_is_merged_into(api: Api) -> None:
    people = _people(api, 2)
    _defined(api, "vip", "MANUAL")
    _set(api, [{"tag": "vip", "objectType": "USER", "oneId": people[1], "value": True}])
    merged = api.data(
        """mutation($a: ID!, $b: ID!) {
             mergeProfiles(a: $a, b: $b, reason: "same person") { profile { oneId tags { name } } } }""",
        {"a": people[0], "b": people[1]},
        role="admin",
    )["mergeProfiles"]["profile"]
    assert [t["name"] for t in merged["tags"]] == ["vip"]
    assert _selected(api, {"tags": [{"name": "vip"}]}) == (1, {merged["oneId"]})


def test_a_profile_serves_its_affinities_strongest_first(api: Api) -> None:
    _catalog(api)
    phone = "+86 139-0000-0001"
    api.ingest([
        identify("i-a", _days_ago(300), ("phone", phone)),
        _bought("b-1", 0, "o-1", "serum", phone),
        _bought("b-2", 90, "o-2", "lipstick", phone),
        interaction("v-1", _days_ago(0), "view", ("phone", phone), content_id="c-skin"),
    ])  # fmt: skip
    query = """query($v: String!) { profileByIdentifier(type: PHONE, value: $v) {
      affinities(first: 20) { dimension value score weight evidence }
      categories: affinities(dimension: PRODUCT_CATEGORY) { value score } } }"""
    found = api.data(query, {"v": phone})["profileByIdentifier"]
    # the default half-life is 90 days: today's serum weighs 1, the lipstick of 90 days ago 0.5
    assert found["categories"] == [{"value": "skincare", "score": 2 / 3}, {"value": "makeup", "score": 1 / 3}]
    by_value = {(a["dimension"], a["value"]): a for a in found["affinities"]}
    assert by_value["CONTENT_TOPIC", "skincare"]["score"] == 1.0
    assert by_value["PRODUCT_BRAND", "Lumi"] == {
        "dimension": "PRODUCT_BRAND",
        "value": "Lumi",
        "score": 1.0,
        "weight": 1.5,
        "evidence": 2,
    }
    assert by_value["CHANNEL", "tmall"]["evidence"] == 2
    content_only = api.data(
        """query($v: String!) {
             profileByIdentifier(type: PHONE, value: $v) { affinities(objectType: CONTENT) { dimension } } }""",
        {"v": phone},
    )["profileByIdentifier"]["affinities"]
    assert {a["dimension"] for a in content_only} == {"CONTENT_TOPIC"}
    assert _selected(api, {"affinities": [{"dimension": "PRODUCT_CATEGORY", "value": "skincare", "min": 0.6}]})[0] == 1
    assert _selected(api, {"affinities": [{"dimension": "PRODUCT_CATEGORY", "value": "makeup", "min": 0.6}]})[0] == 0


def test_deleting_a_tag_takes_its_values_and_is_for_admins(api: Api) -> None:
    people = _people(api, 1)
    _defined(api, "vip", "MANUAL")
    _set(api, [{"tag": "vip", "objectType": "USER", "oneId": people[0], "value": True}])
    delete = """mutation($r: String!) {
      deleteTag(name: "vip", objectType: USER, reason: $r) { deleted errors { code } } }"""
    assert api.errors(delete, {"r": "done"}, role="service")[0]["extensions"]["code"] == "FORBIDDEN"
    blank = api.data(delete, {"r": " "}, role="admin")["deleteTag"]
    assert blank == {"deleted": False, "errors": [{"code": "INVALID"}]}
    assert api.data(delete, {"r": "list retired"}, role="admin")["deleteTag"] == {"deleted": True, "errors": []}
    assert api.data(TAGS, {"value": "13900000000"})["profileByIdentifier"]["tags"] == []
    assert api.data("{ tagDefinitions { name } }")["tagDefinitions"] == []
    again = api.data(delete, {"r": "again"}, role="admin")["deleteTag"]
    assert again == {"deleted": False, "errors": [{"code": "UNKNOWN_TAG"}]}
