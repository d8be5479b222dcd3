from __future__ import annotations

import asyncio
import json
import random
from typing import LiteralString

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profilegraph.domain.events import InputLimits, parse_line
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.resolution import resolve
from profilegraph.services.admin import merge_profiles, split_profile
from profilegraph.services.ingest import _next_batch, _write_batch, ingest_lines
from profilegraph.services.resolution import resolve_full, resolve_pending
from profilegraph.store.bolt import GraphStore
from profilegraph.store.oneids import load_all_evidence, one_id_map
from profilegraph.store.resolution import pending_keys
from tests.conftest import CLEAR_DATA
from tests.identity_events import event_lists, identify, partition

CONFIG = IdentityConfig()
PHONE = {"type": "phone", "value": "+86 138 0013 8001"}
OPENID = {"type": "wechat_openid", "value": "oX12"}
MEMBER_RAW = {"type": "member_id", "value": "M77"}
MEMBER_KEY = "member_id:M77"
TAOBAO = {"type": "taobao_id", "value": "tb-1"}
SAMPLE = [
    json.dumps(
        {
            "event_id": "ev-1",
            "type": "identify",
            "ts": "2026-01-02T03:04:05Z",
            "source": "wechat_miniapp",
            "identifiers": [OPENID, PHONE],
            "attributes": {"city": "上海", "gender": "f"},
        }
    ),
    json.dumps(
        {
            "event_id": "ev-2",
            "type": "order",
            "ts": "2026-01-03T00:00:00Z",
            "source": "tmall",
            "identifiers": [{"type": "phone", "value": "13800138001"}, TAOBAO],
            "order": {
                "order_id": "o-9",
                "amount": 299.0,
                "currency": "CNY",
                "channel": "tmall",
                "items": [{"sku": "SKU1", "qty": 1, "price": 299.0}],
            },
        }
    ),
    json.dumps(
        {
            "event_id": "ev-3",
            "type": "interaction",
            "ts": "2026-01-04T00:00:00Z",
            "source": "xiaohongshu",
            "identifiers": [TAOBAO],
            "interaction": {"kind": "view", "content_id": "c-7", "channel": "xiaohongshu"},
        }
    ),
    json.dumps(
        {
            "event_id": "ev-4",
            "type": "product",
            "ts": "2026-01-04T00:00:00Z",
            "product": {"sku": "SKU1", "name": "Oolong", "category": "tea"},
        }
    ),
    json.dumps(
        {
            "event_id": "ev-5",
            "type": "identify",
            "ts": "2026-01-05T00:00:00Z",
            "identifiers": [{"type": "phone", "value": "12"}],
        }
    ),
    "this is not json",
]

COUNTS: LiteralString = """
MATCH (n) WHERE NOT n:SchemaMigration
WITH count(n) AS nodes
MATCH ()-[r]->()
RETURN nodes, count(r) AS relationships
"""
LINK_COUNTS: LiteralString = "MATCH ()-[l:LINK]->() RETURN sum(l.count) AS total"
FACTS_OF_PHONE: LiteralString = """
MATCH (i:Identifier {key: $key})<-[:BY]-(fact)
RETURN labels(fact)[0] AS kind, count(*) AS n ORDER BY kind
"""
OPEN_CONFLICTS: LiteralString = "MATCH (c:Conflict {status: 'open'}) RETURN c.a AS a, c.b AS b, c.rule AS rule"
PERSONS: LiteralString = "MATCH (p:Person) RETURN p.one_id AS one_id, p.status AS status"
REDIRECT_TARGETS: LiteralString = """
MATCH (p:Person {status: 'retired'})
OPTIONAL MATCH (p)-[:MERGED_INTO]->(q:Person)
RETURN p.one_id AS retired, q.one_id AS survivor, p.retired_reason AS reason
"""


def _families(count: int) -> list[str]:
    """Identify events in which every three members share a phone: 3 events per OneID."""
    return [
        identify(
            f"ev-{i}",
            1 + i % 28,
            {"type": "phone", "value": f"+86 139 0000 {i // 3:04d}"},
            {"type": "member_id", "value": f"M{i}"},
        )
        for i in range(count)
    ]


async def _state(store: GraphStore) -> tuple[object, ...]:
    counts = (await store.query(COUNTS))[0]
    return (
        await partition(store),
        counts["nodes"],
        counts["relationships"],
        (await store.query(LINK_COUNTS))[0]["total"],
    )


async def test_events_become_one_oneid_with_their_facts_and_bad_lines_are_reported(graph_store: GraphStore) -> None:
    report = await ingest_lines(graph_store, SAMPLE, CONFIG)

    assert (report.accepted, report.duplicates, report.rejected) == (4, 0, 2)
    assert [(r.line, r.field, r.code) for r in report.rejections] == [
        (5, "identifiers[0].value", "NO_VALID_IDENTIFIER"),
        (6, "$", "INVALID_JSON"),
    ]
    assert await partition(graph_store) == {frozenset({"phone:+8613800138001", "wechat_openid:oX12", "taobao_id:tb-1"})}
    facts = {r["kind"]: r["n"] for r in await graph_store.query(FACTS_OF_PHONE, key="phone:+8613800138001")}
    assert facts == {"Attribute": 2, "Order": 1}


async def test_replaying_events_changes_nothing(graph_store: GraphStore) -> None:
    await ingest_lines(graph_store, SAMPLE, CONFIG)
    before = await _state(graph_store)

    report = await ingest_lines(graph_store, SAMPLE, CONFIG, batch_size=2)

    assert (report.accepted, report.duplicates) == (0, 4)
    assert await _state(graph_store) == before


async def test_an_import_killed_half_way_and_run_again_ends_as_one_clean_run(session_store: GraphStore) -> None:
    lines = _families(40)
    await session_store.execute(CLEAR_DATA)
    await ingest_lines(session_store, lines, CONFIG, batch_size=7)
    clean = await _state(session_store)

    await session_store.execute(CLEAR_DATA)
    await ingest_lines(session_store, lines[:17], CONFIG, batch_size=7)  # the run that was killed
    await ingest_lines(session_store, lines, CONFIG, batch_size=7)
    assert await _state(session_store) == clean


async def test_a_second_member_id_is_refused_and_kept_as_an_open_conflict(graph_store: GraphStore) -> None:
    await ingest_lines(
        graph_store,
        [
            identify("e1", 1, PHONE, {"type": "member_id", "value": "M1"}),
            identify("e2", 2, PHONE, OPENID),
            identify("e3", 3, OPENID, {"type": "member_id", "value": "M2"}),
        ],
        CONFIG,
    )
    assert await partition(graph_store) == {
        frozenset({"phone:+8613800138001", "member_id:M1", "wechat_openid:oX12"}),
        frozenset({"member_id:M2"}),
    }
    assert await graph_store.query(OPEN_CONFLICTS) == [
        {"a": "member_id:M2", "b": "wechat_openid:oX12", "rule": "type_limit"}
    ]


async def test_a_phone_seen_with_two_member_cards_joins_neither(graph_store: GraphStore) -> None:
    await ingest_lines(
        graph_store,
        [
            identify("e1", 1, PHONE, {"type": "member_id", "value": "M1"}),
            identify("e2", 2, PHONE, {"type": "member_id", "value": "M2"}),
        ],
        CONFIG,
    )
    assert await partition(graph_store) == {frozenset({"member_id:M1"}), frozenset({"member_id:M2"})}


async def test_joining_oneids_leaves_a_redirect_from_the_younger(graph_store: GraphStore) -> None:
    await ingest_lines(graph_store, [identify("e1", 1, PHONE), identify("e2", 2, OPENID)], CONFIG)
    await ingest_lines(graph_store, [identify("e3", 3, PHONE, OPENID)], CONFIG)
    persons = {r["one_id"]: r["status"] for r in await graph_store.query(PERSONS)}
    assert sorted(persons.values()) == ["active", "retired"]
    (redirect,) = await graph_store.query(REDIRECT_TARGETS)
    assert persons[redirect["survivor"]] == "active"
    assert set(await partition(graph_store)) == {frozenset({"phone:+8613800138001", "wechat_openid:oX12"})}


async def _clean_ingest(
    store: GraphStore, lines: list[str], batch_size: int, *, deferred: bool = False
) -> set[frozenset[str]]:
    await store.execute(CLEAR_DATA)
    await ingest_lines(store, lines, CONFIG, batch_size=batch_size, deferred=deferred)
    return await partition(store)


async def _reference(store: GraphStore) -> set[frozenset[str]]:
    """The rules applied by the domain to all the evidence the graph holds, at once."""

    async def work(tx):  # type: ignore[no-untyped-def]
        return await load_all_evidence(tx, "reference")

    evidence = await store.write(work)
    return set(resolve(evidence, CONFIG).clusters)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=event_lists, data=st.data())
async def test_incremental_ingestion_in_any_order_equals_the_full_recompute(
    session_store: GraphStore, lines: list[str], data: st.DataObject
) -> None:
    in_order = await _clean_ingest(session_store, lines, batch_size=len(lines))
    assert in_order == await _reference(session_store)

    shuffled = data.draw(st.permutations(lines), label="arrival order")
    one_by_one = await _clean_ingest(session_store, shuffled, batch_size=1)
    assert one_by_one == in_order

    bulk = await _clean_ingest(session_store, shuffled, batch_size=3, deferred=True)
    assert bulk == in_order

    await resolve_full(session_store, CONFIG, chunk=2)  # components cut across small chunks
    assert await partition(session_store) == in_order

    await _write_pending(session_store, shuffled)
    await resolve_pending(session_store, CONFIG, chunk=2)  # two small chunks in flight at once
    assert await partition(session_store) == in_order


async def _write_pending(store: GraphStore, lines: list[str]) -> None:
    """Write ``lines`` as a bulk import does, leaving every identifier pending (as if killed then)."""
    await store.execute(CLEAR_DATA)
    parsed = ((n, line, parse_line(line, n, CONFIG)) for n, line in enumerate(lines, 1))
    batch = _next_batch(parsed, len(lines), CONFIG)
    assert batch is not None
    await _write_batch(store, batch.events, batch.rows, CONFIG, deferred=True)


async def test_the_pending_pass_in_small_overlapping_chunks_ends_as_resolving_every_batch(
    session_store: GraphStore,
) -> None:
    # A family's phone is listed among the pending keys apart from its member ids, so the
    # next chunk's walk reaches components the chunk before it is still writing.
    lines = _families(30)
    clean = await _clean_ingest(session_store, lines, batch_size=7)
    clean_state = await _state(session_store)

    await _write_pending(session_store, lines)
    progress: list[tuple[int, int]] = []
    await resolve_pending(session_store, CONFIG, chunk=3, on_progress=lambda *p: progress.append(p))

    assert await _state(session_store) == clean_state  # no OneID made twice, none lost
    assert await partition(session_store) == clean
    assert progress[-1] == (40, 40)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)


async def test_a_bulk_import_killed_before_resolving_is_finished_by_the_next_run(session_store: GraphStore) -> None:
    lines = _families(30)
    clean = await _clean_ingest(session_store, lines, batch_size=7)
    clean_state = await _state(session_store)

    await session_store.execute(CLEAR_DATA)
    batch = _next_batch(((n, line, parse_line(line, n, CONFIG)) for n, line in enumerate(lines[:20], 1)), 20, CONFIG)
    assert batch is not None
    await _write_batch(session_store, batch.events, batch.rows, CONFIG, deferred=True)  # then killed
    assert await partition(session_store) == set()
    assert set(await session_store.read(pending_keys)) == set(batch.rows.touched_keys)
    report = await ingest_lines(session_store, lines, CONFIG, batch_size=7, deferred=True)
    assert (report.accepted, report.duplicates) == (10, 20)
    assert await partition(session_store) == clean
    assert await _state(session_store) == clean_state


async def test_the_full_recompute_resolves_what_a_killed_bulk_import_left_pending(session_store: GraphStore) -> None:
    lines = _families(12)
    clean = await _clean_ingest(session_store, lines, batch_size=5)

    await session_store.execute(CLEAR_DATA)
    batch = _next_batch(((n, line, parse_line(line, n, CONFIG)) for n, line in enumerate(lines, 1)), 12, CONFIG)
    assert batch is not None
    await _write_batch(session_store, batch.events, batch.rows, CONFIG, deferred=True)
    assert len(await session_store.read(pending_keys)) == 16

    await resolve_full(session_store, CONFIG)
    assert await partition(session_store) == clean
    assert await session_store.read(pending_keys) == []


admin_steps = st.lists(st.tuples(st.sampled_from(["merge", "split"]), st.integers(0, 10**6)), max_size=3)


async def _admin_step(store: GraphStore, kind: str, pick: int) -> None:
    """Merge two OneIDs, or split an identifier out of one, chosen by ``pick`` among those there are."""
    members: dict[str, list[str]] = {}
    for key, one_id in sorted((await one_id_map(store)).items()):
        members.setdefault(one_id, []).append(key)
    one_ids = sorted(members)
    if kind == "merge" and len(one_ids) >= 2:
        a = one_ids[pick % len(one_ids)]
        b = one_ids[(pick // len(one_ids)) % (len(one_ids) - 1)]
        b = b if b < a else one_ids[one_ids.index(b) + 1]
        await merge_profiles(store, CONFIG, a, b, actor="test", reason="the same customer")
    splittable = [one_id for one_id in one_ids if len(members[one_id]) >= 2]
    if kind == "split" and splittable:
        one_id = splittable[pick % len(splittable)]
        key = members[one_id][pick % len(members[one_id])]
        await split_profile(store, CONFIG, one_id, [key], actor="test", reason="two customers")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=event_lists, steps=admin_steps, data=st.data())
async def test_admin_merges_and_splits_among_live_events_end_as_the_full_recompute(
    session_store: GraphStore, lines: list[str], steps: list[tuple[str, int]], data: st.DataObject
) -> None:
    await session_store.execute(CLEAR_DATA)
    order = data.draw(st.permutations(lines), label="arrival order")
    at = sorted(data.draw(st.integers(1, len(order)), label="admin step after event") for _ in steps)
    for number, line in enumerate(order, 1):
        await ingest_lines(session_store, [line], CONFIG)
        for (kind, pick), when in zip(steps, at, strict=True):
            if when == number:
                await _admin_step(session_store, kind, pick)

    live = await partition(session_store)
    assert live == await _reference(session_store)  # the rules on all evidence and constraints at once
    await resolve_full(session_store, CONFIG, chunk=2)
    assert await partition(session_store) == live


@pytest.mark.slow
async def test_eight_concurrent_ingesters_end_as_one_sequential_run(session_store: GraphStore) -> None:
    rnd = random.Random(7)
    pool = [{"type": "phone", "value": f"+86 139 1111 {i:04d}"} for i in range(30)] + [
        {"type": "member_id", "value": f"M{i}"} for i in range(12)
    ]
    lines = [identify(f"c-{n}", rnd.randint(1, 28), *rnd.sample(pool, rnd.randint(1, 3))) for n in range(120)]
    sequential = await _clean_ingest(session_store, lines, batch_size=20)

    await session_store.execute(CLEAR_DATA)
    shares = [rnd.sample(lines, 60) for _ in range(8)]  # overlapping slices, each in its own order
    await asyncio.gather(*(ingest_lines(session_store, share, CONFIG, batch_size=10) for share in shares))
    await ingest_lines(session_store, lines, CONFIG, batch_size=20)  # whatever no ingester carried

    memberships = await session_store.query(
        "MATCH (i:Identifier)-[:MEMBER_OF]->(p:Person) RETURN i.key AS key, count(p) AS n"
    )
    assert all(row["n"] == 1 for row in memberships)
    assert await partition(session_store) == sequential
    # A OneID retires without a survivor only when it has nothing left to go to: every
    # identifier it had is now shared among people who are themselves only shared ones.
    redirects = await session_store.query(REDIRECT_TARGETS)
    assert all(row["survivor"] is not None or row["reason"] == "no identifiers left" for row in redirects)


CATALOG: LiteralString = """
MATCH (n) WHERE n:Product OR n:Content OR n:Channel
RETURN labels(n)[0] AS kind, coalesce(n.sku, n.content_id, n.code) AS key, n.name AS name, n.updated_at AS updated_at
ORDER BY kind, key
"""


def _catalog_record(event_id: str, record_type: str, key_name: str, key: str, day: int, **properties: str) -> str:
    return json.dumps(
        {
            "event_id": event_id,
            "type": record_type,
            "ts": f"2026-04-{day:02d}T00:00:00Z",
            record_type: {key_name: key, **properties},
        }
    )


async def test_catalog_records_upsert_products_content_and_channels(graph_store: GraphStore) -> None:
    lines = [
        _catalog_record("c1", "product", "sku", "SKU1", 1, name="Oolong", category="tea"),
        _catalog_record("c2", "content", "content_id", "c-7", 1, name="Brewing guide", topic="tea"),
        _catalog_record("c3", "channel", "code", "tmall", 1, name="Tmall", kind="marketplace"),
        _catalog_record("c4", "product", "sku", "SKU1", 2, name="Oolong tea"),  # a later record updates
    ]
    report = await ingest_lines(graph_store, lines, CONFIG)

    assert (report.accepted, report.rejected) == (4, 0)
    assert await graph_store.query(CATALOG) == [
        {"kind": "Channel", "key": "tmall", "name": "Tmall", "updated_at": "2026-04-01T00:00:00Z"},
        {"kind": "Content", "key": "c-7", "name": "Brewing guide", "updated_at": "2026-04-01T00:00:00Z"},
        {"kind": "Product", "key": "SKU1", "name": "Oolong tea", "updated_at": "2026-04-02T00:00:00Z"},
    ]


async def test_a_batch_of_large_events_goes_in_whole_in_several_transactions(graph_store: GraphStore) -> None:
    # 1,000 events of 20 KB are 20 MB: as one batch, a message the embedded server drops unanswered.
    note = "x" * 20_000
    lines = [
        json.dumps(
            {
                "event_id": f"big-{n}",
                "type": "identify",
                "ts": "2026-05-01T00:00:00Z",
                "identifiers": [{"type": "member_id", "value": f"M{n}"}],
                "attributes": {"note": note},
            }
        )
        for n in range(1000)
    ]
    report = await ingest_lines(graph_store, lines, CONFIG, batch_size=1000, limits=InputLimits(value_bytes=32_000))

    assert (report.accepted, report.rejected) == (1000, 0)
    assert len(await partition(graph_store)) == 1000


async def test_a_line_over_the_size_cap_is_rejected_alone(graph_store: GraphStore) -> None:
    huge = json.dumps(
        {
            "event_id": "huge",
            "type": "identify",
            "ts": "2026-05-01T00:00:00Z",
            "identifiers": [PHONE],
            "attributes": {"note": "x" * (2 << 20)},
        }
    )
    report = await ingest_lines(graph_store, [identify("e1", 1, PHONE), huge, identify("e2", 2, OPENID)], CONFIG)

    assert report.accepted == 2
    assert [(r.line, r.code) for r in report.rejections] == [(2, "LINE_TOO_LONG")]


async def test_the_final_resolution_reports_its_progress(graph_store: GraphStore) -> None:
    seen: list[tuple[int, int]] = []
    await ingest_lines(
        graph_store, _families(30), CONFIG, batch_size=7, deferred=True, on_resolve_progress=lambda *p: seen.append(p)
    )

    total = seen[0][1]
    assert total == 40  # 10 shared phones and 30 member ids, all pending
    assert seen[0] == (0, total)
    assert seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


async def test_an_invalid_phone_costs_only_itself_the_order_and_other_identifiers_go_in(
    graph_store: GraphStore,
) -> None:
    clerk_typed = {"type": "phone", "value": "17912345678"}  # an unallocated prefix
    order = json.dumps(
        {
            "event_id": "o-1",
            "type": "order",
            "ts": "2026-03-01T00:00:00Z",
            "identifiers": [clerk_typed, MEMBER_RAW],
            "order": {"order_id": "o-1", "amount": 88.0},
        }
    )
    report = await ingest_lines(graph_store, [order], CONFIG)
    assert (report.accepted, report.rejected, report.warned) == (1, 0, 1)
    assert [(w.line, w.event_id, w.field, w.code) for w in report.warnings] == [
        (1, "o-1", "identifiers[0].value", "INVALID_IDENTIFIER")
    ]
    assert await partition(graph_store) == {frozenset({MEMBER_KEY})}
    facts = {r["kind"]: r["n"] for r in await graph_store.query(FACTS_OF_PHONE, key=MEMBER_KEY)}
    assert facts == {"Order": 1}

    strict = await ingest_lines(graph_store, [order.replace("o-1", "o-2")], CONFIG, strict=True)
    assert (strict.accepted, strict.rejected) == (0, 1)
    assert strict.rejections[0].code == "INVALID_IDENTIFIER"


async def test_hostile_lines_are_rejected_alone_among_good_ones(graph_store: GraphStore) -> None:
    good = [identify(f"g{n}", 1 + n, {"type": "member_id", "value": f"G{n}"}) for n in range(4)]
    many_devices = [{"type": "device_id", "value": f"d{n}"} for n in range(5000)]
    lines = [
        good[0],
        "[" * 100_000,
        json.dumps({"event_id": "h1", "type": "identify", "ts": "2026-01-01T00:00:00Z", "identifiers": many_devices}),
        good[1],
        identify("h2", 2, MEMBER_RAW).replace('"identify"', '"identify", "attributes": {"points": ' + str(2**70) + "}"),
        identify("h3", 3, MEMBER_RAW).replace('"identify"', '"identify", "attributes": {"n": 1' + "0" * 400 + "}"),
        good[2],
        json.dumps(
            {"event_id": "h4", "type": "identify", "ts": "0001-01-01T00:00:00+01:00", "identifiers": [MEMBER_RAW]}
        ),
        good[3],
    ]
    report = await ingest_lines(graph_store, lines, CONFIG)

    assert report.accepted == 4
    assert [(r.line, r.code) for r in report.rejections] == [
        (2, "TOO_DEEP"),
        (3, "TOO_MANY_IDENTIFIERS"),
        (5, "INTEGER_OUT_OF_RANGE"),
        (6, "INTEGER_OUT_OF_RANGE"),
        (8, "TIMESTAMP_OUT_OF_RANGE"),
    ]
    assert len(await partition(graph_store)) == 4


async def test_an_event_the_graph_refuses_at_write_time_is_rejected_alone(graph_store: GraphStore) -> None:
    # Validation cannot foresee everything a server refuses. A uniqueness constraint on
    # order amounts, made for this test, lets the graph refuse exactly one order of seven.
    await graph_store.execute(REFUSE_EQUAL_AMOUNTS)
    try:
        orders = [
            json.dumps(
                {
                    "event_id": f"ow{n}",
                    "type": "order",
                    "ts": "2026-02-01T00:00:00Z",
                    "identifiers": [{"type": "member_id", "value": f"W{n}"}],
                    "order": {"order_id": f"ow{n}", "amount": 10.0 if n == 5 else 20.0 + n},
                }
            )
            for n in range(8)
        ]
        await ingest_lines(graph_store, orders[:1], CONFIG)  # ow0 takes the amount 20
        orders[0] = orders[0].replace('"ow0"', '"ow-first"').replace("20.0", "10.0")
        report = await ingest_lines(graph_store, orders, CONFIG, batch_size=100)
    finally:
        await graph_store.execute(DROP_REFUSE_EQUAL_AMOUNTS)
    assert report.accepted == 7
    assert [(r.line, r.event_id, r.code) for r in report.rejections] == [(6, "ow5", "WRITE_FAILED")]
    assert "the graph refused the event" in report.rejections[0].message


REFUSE_EQUAL_AMOUNTS: LiteralString = (
    "CREATE CONSTRAINT test_order_amount IF NOT EXISTS FOR (o:Order) REQUIRE o.amount IS UNIQUE"
)
DROP_REFUSE_EQUAL_AMOUNTS: LiteralString = "DROP CONSTRAINT test_order_amount IF EXISTS"


async def test_a_oneid_known_only_through_an_identifier_that_becomes_shared_redirects(graph_store: GraphStore) -> None:
    await ingest_lines(graph_store, [identify("e1", 1, PHONE)], CONFIG)
    (only,) = await graph_store.query(PERSONS)
    await ingest_lines(
        graph_store,
        [
            identify("e2", 2, PHONE, {"type": "member_id", "value": "M1"}),
            identify("e3", 3, PHONE, {"type": "member_id", "value": "M2"}),
        ],
        CONFIG,
    )
    assert await partition(graph_store) == {frozenset({"member_id:M1"}), frozenset({"member_id:M2"})}
    redirect = next(r for r in await graph_store.query(REDIRECT_TARGETS) if r["retired"] == only["one_id"])
    assert redirect["reason"] == "its identifiers are shared"
    assert redirect["survivor"] in set((await one_id_map(graph_store)).values())


def _on(event_id: str, ts: str, *identifiers: dict[str, str]) -> str:
    return json.dumps({"event_id": event_id, "type": "identify", "ts": ts, "source": "app", "identifiers": identifiers})


REASSIGNED_CONFLICTS: LiteralString = "MATCH (c:Conflict {rule: 'reassigned'}) RETURN c.a AS a, c.b AS b"
RECYCLED = {"type": "phone", "value": "139 0000 0001"}
WANG = {"type": "member_id", "value": "WANG"}
WANG_PAD = {"type": "device_id", "value": "w-pad"}
ZHAO = {"type": "alipay_uid", "value": "zhao"}
ZHAO_MAIL = {"type": "email", "value": "z@x.cn"}
# Wang used the number until mid-2020 and moved to a new one; the carrier gave it to Zhao in 2022.
WANG_THEN_ZHAO = [
    _on("w1", "2019-03-01T00:00:00Z", RECYCLED, WANG),
    _on("w2", "2019-03-02T00:00:00Z", WANG, WANG_PAD),
    _on("w3", "2020-06-30T00:00:00Z", RECYCLED, WANG),
    _on("w4", "2021-01-05T00:00:00Z", {"type": "phone", "value": "137 0000 0001"}, WANG_PAD),
    _on("z1", "2022-05-01T00:00:00Z", RECYCLED, ZHAO),
    _on("z2", "2022-05-02T00:00:00Z", ZHAO, ZHAO_MAIL),
    _on("z3", "2022-05-03T00:00:00Z", ZHAO_MAIL, {"type": "device_id", "value": "z-phone"}),
]


async def test_a_reissued_number_goes_with_its_new_holder_and_the_older_one_keeps_their_oneid(
    graph_store: GraphStore,
) -> None:
    await ingest_lines(graph_store, WANG_THEN_ZHAO[:4], CONFIG)
    wang = (await one_id_map(graph_store))["member_id:WANG"]
    for line in WANG_THEN_ZHAO[4:]:  # one live call per event, as the API ingests
        await ingest_lines(graph_store, [line], CONFIG)

    expected = {
        frozenset({"member_id:WANG", "device_id:w-pad", "phone:+8613700000001"}),
        frozenset({"phone:+8613900000001", "alipay_uid:zhao", "email:z@x.cn", "device_id:z-phone"}),
    }
    assert await partition(graph_store) == expected
    assert (await one_id_map(graph_store))["member_id:WANG"] == wang
    assert await partition(graph_store) == await _reference(graph_store)
    conflicts = await graph_store.query(REASSIGNED_CONFLICTS)
    assert [(row["a"], row["b"]) for row in conflicts] == [("member_id:WANG", "phone:+8613900000001")]

    shuffled = WANG_THEN_ZHAO[:]
    random.Random(3).shuffle(shuffled)
    assert await _clean_ingest(graph_store, shuffled, batch_size=2) == expected
    await resolve_full(graph_store, CONFIG, chunk=1)
    assert await partition(graph_store) == expected
