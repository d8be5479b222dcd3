"""Catalog tags, affinities along every dimension, and what merges, clears and deletes do to tags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from profilegraph.domain.affinity import Dimension
from profilegraph.domain.audience import Filter, TagLeaf, ValueLeaf
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.lifecycle import LifecycleConfig
from profilegraph.domain.survivorship import SurvivorshipRules
from profilegraph.domain.tags import ObjectType, TagKind, ValueType
from profilegraph.errors import ErrorCode, InvalidInputError
from profilegraph.services import admin
from profilegraph.services import tags as tag_service
from profilegraph.services.affinities import scored_candidates
from profilegraph.services.audiences import select
from profilegraph.services.catalog import reached
from profilegraph.services.ingest import ingest_events
from profilegraph.store import tags as tag_store
from profilegraph.store.bolt import GraphStore
from profilegraph.store.oneids import one_id_map

CONFIG = IdentityConfig()
CONTEXT = tag_service.TagContext(365, LifecycleConfig(), SurvivorshipRules({}))
TODAY = datetime.now(UTC)


def _ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _phone(n: int) -> dict[str, str]:
    return {"type": "phone", "value": f"1370000{n:04d}"}


def _catalog() -> list[dict[str, Any]]:
    records = [
        ("product", {"sku": "serum", "category": "skincare", "brand": "Lumi"}),
        ("product", {"sku": "mask", "category": "skincare", "brand": "Aqua"}),
        ("product", {"sku": "lipstick", "category": "makeup", "brand": "Lumi"}),
        ("content", {"content_id": "c-spring", "topic": "skincare", "format": "video"}),
        ("content", {"content_id": "c-run", "topic": "sport", "format": "article"}),
        ("channel", {"code": "miniapp", "kind": "owned"}),
        ("channel", {"code": "tmall", "kind": "marketplace"}),
    ]
    return [
        {"event_id": f"cat-{n}", "type": kind, "ts": _ago(300), "source": "erp", kind: body}
        for n, (kind, body) in enumerate(records)
    ]


def _order(n: int, days: int, key: str, sku: str, channel: str) -> dict[str, Any]:
    return {"event_id": key, "type": "order", "ts": _ago(days), "source": "pos", "identifiers": [_phone(n)],
            "order": {"order_id": key, "amount": 10.0, "channel": channel,
                      "items": [{"sku": sku, "qty": 1, "price": 10.0}]}}  # fmt: skip


def _view(n: int, days: int, key: str, content: str, channel: str) -> dict[str, Any]:
    return {"event_id": key, "type": "interaction", "ts": _ago(days), "source": "app", "identifiers": [_phone(n)],
            "interaction": {"kind": "view", "content_id": content, "channel": channel}}  # fmt: skip


async def _people(store: GraphStore, count: int) -> list[str]:
    found = await one_id_map(store)
    return [found[f"phone:+861370000{n:04d}"] for n in range(count)]


async def _define(
    store: GraphStore, name: str, kind: TagKind, value_type: ValueType, obj: ObjectType, **more: Any
) -> None:
    await tag_service.define_tag(
        store, name=name, object_type=obj, value_type=value_type, kind=kind, actor="test", **more
    )


async def test_affinity_audiences_along_every_dimension_rank_by_share_then_weight(graph_store: GraphStore) -> None:
    events = [
        *_catalog(),
        # consumer 0: only skincare, through tmall; consumer 1: skincare and makeup; consumer 2: makeup
        _order(0, 1, "o-0a", "serum", "tmall"),
        _order(0, 2, "o-0b", "mask", "tmall"),
        _order(1, 1, "o-1a", "serum", "miniapp"),
        _order(1, 3, "o-1b", "lipstick", "tmall"),
        _order(2, 1, "o-2a", "lipstick", "miniapp"),
        _view(0, 1, "v-0", "c-spring", "miniapp"),
        _view(1, 1, "v-1a", "c-spring", "miniapp"),
        _view(1, 2, "v-1b", "c-run", "miniapp"),
    ]
    await ingest_events(graph_store, events, CONFIG)
    await _define(graph_store, "featured", TagKind.MANUAL, ValueType.BOOL, ObjectType.PRODUCT)
    await _define(graph_store, "theme", TagKind.MODEL, ValueType.STRING, ObjectType.CONTENT)
    results = await tag_service.set_tags(
        graph_store,
        [
            tag_service.Assignment("featured", ObjectType.PRODUCT, object_key="serum", value=True),
            tag_service.Assignment("theme", ObjectType.CONTENT, object_key="c-spring", value="spring"),
        ],
        actor="test",
        may_set_manual=True,
    )
    assert all(r.ok for r in results)
    people = await _people(graph_store, 3)

    async def ranked(dimension: Dimension, value: str) -> list[tuple[int, float]]:
        found = await scored_candidates(graph_store, dimension, value, as_of=TODAY.date(), half_life_days=30.0)
        return [(people.index(one_id), round(affinity.score, 3)) for one_id, affinity in found]

    def w(days: int) -> float:  # the weight of evidence this many days old, half-life 30 days
        return float(0.5 ** (days / 30))

    assert await ranked(Dimension.PRODUCT_CATEGORY, "skincare") == [(0, 1.0), (1, round(w(1) / (w(1) + w(3)), 3))]
    # equal shares go to the heavier evidence: consumer 1 bought Lumi twice, consumer 2 once
    assert await ranked(Dimension.PRODUCT_BRAND, "Lumi") == [(1, 1.0), (2, 1.0), (0, round(w(1) / (w(1) + w(2)), 3))]
    assert await ranked(Dimension.PRODUCT_BRAND, "Aqua") == [(0, round(w(2) / (w(1) + w(2)), 3))]
    assert sorted(await ranked(Dimension.PRODUCT_TAG, "featured")) == [(0, 1.0), (1, 1.0)]
    assert await ranked(Dimension.CONTENT_TOPIC, "sport") == [(1, round(w(2) / (w(1) + w(2)), 3))]
    assert sorted(await ranked(Dimension.CONTENT_TAG, "theme=spring")) == [(0, 1.0), (1, 1.0)]
    # consumer 0 ordered twice on tmall and viewed once in the mini-program; consumer 1 used tmall once
    # and the mini-program three times; consumer 2 never used tmall
    tmall = await ranked(Dimension.CHANNEL, "tmall")
    assert tmall == [
        (0, round((w(1) + w(2)) / (w(1) + w(2) + w(1)), 3)),
        (1, round(w(3) / (w(1) + w(1) + w(2) + w(3)), 3)),
    ]


async def test_rule_tags_on_content_and_channels_and_who_they_reached(graph_store: GraphStore) -> None:
    events = [*_catalog(), _view(0, 1, "v-0", "c-spring", "miniapp"), _view(1, 1, "v-1", "c-spring", "miniapp"),
              _order(2, 1, "o-2", "mask", "miniapp")]  # fmt: skip
    await ingest_events(graph_store, events, CONFIG)
    await _define(graph_store, "popular", TagKind.RULE, ValueType.BOOL, ObjectType.CONTENT, expression="people >= 2")
    await _define(graph_store, "reach", TagKind.RULE, ValueType.NUMBER, ObjectType.CHANNEL, expression="double(people)")
    await _define(graph_store, "owner", TagKind.MANUAL, ValueType.STRING, ObjectType.CHANNEL)
    reports = await tag_service.recompute(graph_store, CONTEXT, object_types=[ObjectType.CONTENT, ObjectType.CHANNEL])
    assert [(r.object_type, r.objects, r.set) for r in reports] == [
        (ObjectType.CONTENT, 2, 1),
        (ObjectType.CHANNEL, 2, 2),
    ]
    content = await tag_service.catalog_tags(graph_store, ObjectType.CONTENT, ["c-spring", "c-run"])
    assert [sorted(tags) for tags in content] == [["popular"], []]
    results = await tag_service.set_tags(
        graph_store,
        [tag_service.Assignment("owner", ObjectType.CHANNEL, object_key="miniapp", value="growth team")],
        actor="test",
        may_set_manual=True,
    )
    assert results[0].ok
    channels = await tag_service.catalog_tags(graph_store, ObjectType.CHANNEL, ["miniapp", "tmall"])
    assert {name: v.value for name, v in channels[0].items()} == {"reach": 3.0, "owner": "growth team"}
    assert {name: v.value for name, v in channels[1].items()} == {"reach": 0.0}  # 0 is a value; only null clears
    assert len(await reached(graph_store, ObjectType.CONTENT, "c-spring")) == 2
    assert len(await reached(graph_store, ObjectType.CHANNEL, "miniapp")) == 3


async def test_a_null_value_clears_and_a_deleted_tag_takes_its_values_along(graph_store: GraphStore) -> None:
    await ingest_events(graph_store, [_order(0, 1, "o-0", "serum", "tmall")], CONFIG)
    await _define(graph_store, "vip", TagKind.MANUAL, ValueType.BOOL, ObjectType.USER)
    one_id = (await _people(graph_store, 1))[0]
    set_vip = tag_service.Assignment("vip", ObjectType.USER, one_id=one_id, value=True)
    await tag_service.set_tags(graph_store, [set_vip], actor="test", may_set_manual=True)
    vip = Filter(conditions=(TagLeaf("vip"),))
    assert await select(graph_store, vip, context=CONTEXT, half_life_days=90) == [one_id]

    clear = tag_service.Assignment("vip", ObjectType.USER, one_id=one_id, value=None)
    assert (await tag_service.set_tags(graph_store, [clear], actor="test", may_set_manual=True))[0].ok
    assert (await tag_service.user_tags(graph_store, [one_id]))[0] == {}

    await tag_service.set_tags(graph_store, [set_vip], actor="test", may_set_manual=True)
    await tag_service.delete_tag(graph_store, ObjectType.USER, "vip", actor="test", reason="retired list")
    assert (await tag_service.user_tags(graph_store, [one_id]))[0] == {}
    with pytest.raises(InvalidInputError) as refused:
        await select(graph_store, Filter(conditions=(TagLeaf("vip"),)), context=CONTEXT, half_life_days=90)
    assert refused.value.code is ErrorCode.UNKNOWN_TAG
    with pytest.raises(InvalidInputError):
        await tag_service.delete_tag(graph_store, ObjectType.USER, "vip", actor="test", reason="again")
    audit = await admin.audit_log(graph_store, one_id=None, action="delete_tag", limit=5)
    assert [entry.reason for entry in audit] == ["retired list"]


async def test_audiences_follow_merges_and_stale_figures_are_computed_afresh(graph_store: GraphStore) -> None:
    await ingest_events(
        graph_store, [_order(0, 5, "o-0", "serum", "tmall"), _order(1, 5, "o-1", "mask", "tmall")], CONFIG
    )
    await _define(graph_store, "segment", TagKind.MODEL, ValueType.STRING, ObjectType.USER)
    first, second = await _people(graph_store, 2)
    await tag_service.set_tags(
        graph_store,
        [
            tag_service.Assignment("segment", ObjectType.USER, one_id=first, value="gold"),
            tag_service.Assignment("segment", ObjectType.USER, one_id=second, value="gold"),
        ],
        actor="test",
        may_set_manual=False,
    )
    await tag_service.recompute(graph_store, CONTEXT, object_types=[ObjectType.USER])  # stores figures: 10 each
    rich = Filter(conditions=(TagLeaf("segment", eq="gold"), ValueLeaf(clv_min=15.0)))
    assert await select(graph_store, rich, context=CONTEXT, half_life_days=90) == []

    change = await admin.merge_profiles(graph_store, CONFIG, first, second, actor="test", reason="same person")
    survivor = change.survivor
    assert survivor is not None
    # the retired OneID's value is the survivor's, and the survivor's stored 10 is stale: it has spent 20
    assert await select(graph_store, rich, context=CONTEXT, half_life_days=90) == [survivor]

    await ingest_events(graph_store, [_order(2, 1, "o-2", "lipstick", "tmall")], CONFIG)
    await tag_service.after_bulk_ingest(graph_store, CONTEXT)  # no user rules: every stored figure is stale
    rows = await tag_store.scores(graph_store)
    assert all(row[6] is None for row in rows)
    assert len(await select(graph_store, Filter(conditions=(ValueLeaf(clv_min=5.0),)), context=CONTEXT,
                            half_life_days=90)) == 2  # fmt: skip
