"""Campaign touches: in the ingestion contract, on the identifiers that carried them, on the profile."""

from __future__ import annotations

from typing import Any

from tests.api.client import Api

TOUCHES = """query($phone: String!, $after: String) { profileByIdentifier(type: PHONE, value: $phone) {
  touches(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { eventId at action campaignId campaign channel source } } } } }"""


def _touch(n: int, day: int, action: str, key: tuple[str, str] = ("phone", "13800138001")) -> dict[str, Any]:
    return {
        "event_id": f"t-{n}",
        "type": "touch",
        "ts": f"2026-03-{day:02d}T09:00:00Z",
        "source": "crm_journey",
        "identifiers": [{"type": key[0], "value": key[1]}],
        "touch": {"campaign_id": "spring-26", "channel": "sms", "action": action},
    }


def test_touches_are_served_newest_first_with_their_campaign_and_follow_a_merge(api: Api) -> None:
    campaign = {
        "event_id": "cat-c",
        "type": "campaign",
        "ts": "2026-03-01T00:00:00Z",
        "campaign": {"campaign_id": "spring-26", "name": "Spring tea", "start": "2026-03-01", "channel": "sms"},
    }
    result = api.ingest(
        [
            campaign,
            _touch(1, 2, "sent"),
            _touch(2, 2, "delivered"),
            _touch(3, 3, "opened"),
            _touch(4, 4, "liked"),  # not an action: rejected alone
            _touch(5, 5, "clicked", ("member_id", "M-7")),  # another identifier, not yet known as the same person
        ]
    )
    assert (result["accepted"], result["rejected"]) == (5, 1)
    [rejected] = [r for r in result["results"] if r["status"] == "REJECTED"]
    assert rejected["eventId"] == "t-4"
    assert rejected["errors"][0]["field"] == "touch.action"

    page = api.data(TOUCHES, {"phone": "13800138001"})["profileByIdentifier"]["touches"]
    assert page["totalCount"] == 3
    assert [e["node"]["action"] for e in page["edges"]] == ["opened", "delivered"]
    first = page["edges"][0]["node"]
    assert first["campaign"] == {"name": "Spring tea", "start": "2026-03-01", "channel": "sms"}
    assert (first["campaignId"], first["channel"], first["source"]) == ("spring-26", "sms", "crm_journey")
    rest = api.data(TOUCHES, {"phone": "13800138001", "after": page["pageInfo"]["endCursor"]})
    assert [e["node"]["action"] for e in rest["profileByIdentifier"]["touches"]["edges"]] == ["sent"]

    # The member id turns out to be the same consumer: its touch joins the profile.
    api.ingest(
        [
            {
                "event_id": "id-1",
                "type": "identify",
                "ts": "2026-03-06T00:00:00Z",
                "identifiers": [{"type": "phone", "value": "13800138001"}, {"type": "member_id", "value": "M-7"}],
            },
            _touch(3, 3, "opened"),  # a replay changes nothing
        ]
    )
    merged = api.data(TOUCHES, {"phone": "13800138001"})["profileByIdentifier"]["touches"]
    assert merged["totalCount"] == 4
    assert [e["node"]["action"] for e in merged["edges"]] == ["clicked", "opened"]
