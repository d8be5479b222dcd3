"""Small identity event sets for store tests, and reading a partition back."""

from __future__ import annotations

import json
from collections import defaultdict

from hypothesis import strategies as st

from profilegraph.store.bolt import GraphStore
from profilegraph.store.oneids import one_id_map

IDENTIFIER_POOL = (
    [{"type": "phone", "value": f"+86 139 0000 00{i:02d}"} for i in range(6)]
    + [{"type": "member_id", "value": f"M{i}"} for i in range(4)]
    + [{"type": "wechat_unionid", "value": f"u{i}"} for i in range(3)]
    + [{"type": "device_id", "value": f"dev-{i}"} for i in range(3)]
    + [{"type": "phone", "value": "13800138000"}]
)  # blocked


def identify(event_id: str, day: int, *identifiers: dict[str, str], source: str = "app") -> str:
    return json.dumps(
        {
            "event_id": event_id,
            "type": "identify",
            "ts": f"2026-03-{day:02d}T08:00:00Z",
            "source": source,
            "identifiers": list(identifiers),
        }
    )


event_lists = st.lists(
    st.tuples(st.integers(1, 28), st.lists(st.sampled_from(IDENTIFIER_POOL), min_size=1, max_size=3)),
    min_size=1,
    max_size=14,
).map(lambda raw: [identify(f"ev-{n}", day, *ids) for n, (day, ids) in enumerate(raw)])


async def partition(store: GraphStore) -> set[frozenset[str]]:
    clusters: dict[str, set[str]] = defaultdict(set)
    for key, one_id in (await one_id_map(store)).items():
        clusters[one_id].add(key)
    return {frozenset(c) for c in clusters.values()}
