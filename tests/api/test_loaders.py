"""A page of profiles costs the same number of graph round trips whatever its size."""

from __future__ import annotations

from profilegraph.round_trips import counting
from tests.api.client import Api
from tests.api.events import identify, order

PAGE = """query($first: Int!) { profiles(first: $first) { edges { node {
  oneId identifiers { type value } attributes { name value }
  orders(first: 5) { totalCount edges { node { orderId amount items { sku } } } }
  clv { historic pAlive predicted } lifecycle { stage } } } } }"""


def _people(count: int) -> list[dict]:
    events = []
    for n in range(count):
        member = ("member_id", f"L{n:03d}")
        events.append(identify(f"l-{n}", "2026-01-01T00:00:00Z", member, ("email", f"p{n}@example.com"), tier="gold"))
        events.extend(
            order(f"l-{n}-{k}", f"2026-02-{k + 1:02d}T00:00:00Z", f"L{n}-{k}", 10.0 + k, member) for k in range(6)
        )
    return events


def test_fifty_profiles_cost_no_more_round_trips_than_five(api: Api) -> None:
    api.ingest(_people(50))

    def round_trips(first: int) -> int:
        # The test client runs the app in this thread's context copy, so the counter sees its queries.
        with counting() as trips:
            page = api.data(PAGE, {"first": first})["profiles"]["edges"]
        assert len(page) == first
        assert all(len(e["node"]["orders"]["edges"]) == 5 for e in page)
        assert all(e["node"]["orders"]["totalCount"] == 6 for e in page)
        return trips.count

    round_trips(1)  # the newest CLV fit is then kept for a few seconds, for both pages alike
    small, large = round_trips(5), round_trips(50)
    assert small > 0
    assert large == small, (small, large)
