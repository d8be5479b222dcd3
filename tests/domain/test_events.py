from __future__ import annotations

import json

import pytest

from profilegraph.domain.events import Event, InputLimits, Rejection, parse_line
from profilegraph.domain.identifiers import IdentityConfig

CONFIG = IdentityConfig()
ORDER = {
    "event_id": "ev-2",
    "type": "order",
    "ts": "2026-01-02T11:04:05+08:00",
    "source": "tmall",
    "identifiers": [{"type": "phone", "value": "+86 138 0013 8001"}],
    "order": {
        "order_id": "o-9",
        "amount": 299.0,
        "currency": "cny",
        "items": [{"sku": "SKU1", "qty": 1, "price": 299.0}],
    },
}


def _parse(raw: object) -> Event | Rejection:
    return parse_line(json.dumps(raw), 7, CONFIG)


def test_an_order_event_becomes_facts_with_normalised_values() -> None:
    event = _parse(ORDER)
    assert isinstance(event, Event)
    assert event.ts == "2026-01-02T03:04:05Z"  # converted to UTC
    assert event.identifiers[0].key == "phone:+8613800138001"
    assert event.order is not None
    assert event.order.currency == "CNY"
    assert event.order.items[0].sku == "SKU1"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"event_id": None}, "event_id", "MISSING_FIELD"),
        ({"type": "purchase"}, "type", "INVALID_EVENT"),
        ({"ts": "yesterday"}, "ts", "INVALID_EVENT"),
        ({"identifiers": [{"type": "phone", "value": "+86 138"}]}, "identifiers[0].value", "NO_VALID_IDENTIFIER"),
        ({"identifiers": []}, "identifiers", "MISSING_FIELD"),
        ({"order": {"order_id": "o", "amount": "lots"}}, "order.amount", "INVALID_EVENT"),
        (
            {"order": {"order_id": "o", "amount": 1, "items": [{"sku": "S", "qty": 0.5}]}},
            "order.items[0].qty",
            "INVALID_EVENT",
        ),
    ],
)
def test_a_bad_event_is_rejected_naming_line_field_and_reason(change: dict[str, object], field: str, code: str) -> None:
    rejection = _parse({**ORDER, **change})
    assert isinstance(rejection, Rejection)
    assert (rejection.line, rejection.field, rejection.code) == (7, field, code)
    assert rejection.message


def test_a_line_that_is_not_json_is_rejected() -> None:
    rejection = parse_line("{not json", 3, CONFIG)
    assert isinstance(rejection, Rejection)
    assert rejection.code == "INVALID_JSON"
    assert rejection.line == 3


def test_a_line_that_is_not_utf8_is_rejected_and_a_byte_order_mark_is_ignored() -> None:
    rejection = parse_line(b'{"event_id": "\xff"}', 4, CONFIG)
    assert isinstance(rejection, Rejection)
    assert (rejection.code, rejection.line, rejection.message) == ("INVALID_ENCODING", 4, "not valid UTF-8 at byte 15")
    line = (
        '\ufeff{"event_id": "e1", "type": "identify", "ts": "2026-01-01T00:00:00Z", '
        '"identifiers": [{"type": "member_id", "value": "M1"}]}'
    )
    assert isinstance(parse_line(line.encode(), 1, CONFIG), Event)


def test_catalog_records_need_no_identifiers() -> None:
    event = _parse(
        {"event_id": "p1", "type": "product", "ts": "2026-01-01T00:00:00Z", "product": {"sku": "S1", "category": "tea"}}
    )
    assert isinstance(event, Event)
    assert event.catalog is not None
    assert (event.catalog.kind, event.catalog.key, dict(event.catalog.properties)) == (
        "product",
        "S1",
        {"category": "tea"},
    )


MEMBER = {"type": "member_id", "value": "M1"}
DEVICE = {"type": "device_id", "value": "tablet-1"}


def test_an_invalid_identifier_costs_only_itself() -> None:
    # 179: a prefix no Chinese operator was allocated, as a clerk might type it
    event = _parse({**ORDER, "identifiers": [{"type": "phone", "value": "17912345678"}, MEMBER, DEVICE]})
    assert isinstance(event, Event)
    assert [i.key for i in event.identifiers] == ["member_id:M1", "device_id:tablet-1"]
    assert event.order is not None  # the order goes in with the identifiers that are valid
    assert [(p.field, p.code) for p in event.dropped] == [("identifiers[0].value", "INVALID_IDENTIFIER")]
    assert "17912345678" in event.dropped[0].message


def test_strict_parsing_rejects_the_whole_event_on_an_invalid_identifier() -> None:
    line = json.dumps({**ORDER, "identifiers": [{"type": "phone", "value": "17912345678"}, MEMBER]})
    rejection = parse_line(line, 2, CONFIG, strict=True)
    assert isinstance(rejection, Rejection)
    assert (rejection.field, rejection.code) == ("identifiers[0].value", "INVALID_IDENTIFIER")


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("[" * 100_000, "TOO_DEEP"),
        (json.dumps({**ORDER, "attributes": {"x": [[[[[]]]]]}}).replace("[[[[[]]]]]", "[" * 5000 + "]" * 5000), None),
        (
            json.dumps({**ORDER, "order": {"order_id": "o", "amount": 1}}).replace(
                '"amount": 1', '"amount": 1' + "0" * 400
            ),
            "NUMBER_OUT_OF_RANGE",
        ),
        (
            json.dumps({**ORDER, "order": {"order_id": "o", "amount": 1}}).replace(
                '"amount": 1', '"amount": 1' + "0" * 5000
            ),
            "NUMBER_OUT_OF_RANGE",
        ),
        (
            json.dumps({**ORDER, "order": {"order_id": "o", "amount": 1e308}}).replace("1e+308", "1e999"),
            "NUMBER_OUT_OF_RANGE",
        ),
        (json.dumps({**ORDER, "attributes": {"points": 2**64}}), "INTEGER_OUT_OF_RANGE"),
        (json.dumps({**ORDER, "ts": "0001-01-01T00:00:00+14:00"}), "TIMESTAMP_OUT_OF_RANGE"),
        (json.dumps({**ORDER, "ts": "9999-12-31T23:59:59-12:00"}), "TIMESTAMP_OUT_OF_RANGE"),
        (json.dumps({**ORDER, "ts": "2602-01-01T00:00:00Z"}), "TIMESTAMP_OUT_OF_RANGE"),
    ],
)
def test_every_decoder_and_range_failure_is_a_rejection_with_a_code(line: str, code: str | None) -> None:
    result = parse_line(line, 5, CONFIG)
    assert isinstance(result, Rejection)
    assert result.line == 5
    if code is not None:
        assert result.code == code
    assert len(result.message) < 300  # a huge value is never copied into the report


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (
            {"identifiers": [{"type": "device_id", "value": f"d{n}"} for n in range(51)]},
            "identifiers",
            "TOO_MANY_IDENTIFIERS",
        ),
        ({"attributes": {f"a{n}": n for n in range(11)}}, "attributes", "TOO_MANY_ATTRIBUTES"),
        ({"attributes": {"note": "x" * 101}}, "attributes.note", "VALUE_TOO_LONG"),
        ({"order": {"order_id": "o", "amount": 1, "items": [{"sku": "S"}] * 11}}, "order.items", "TOO_MANY_ITEMS"),
    ],
)
def test_the_caps_reject_with_their_own_codes(change: dict[str, object], field: str, code: str) -> None:
    limits = InputLimits(identifiers=50, attributes=10, value_bytes=100, order_items=10)
    result = parse_line(json.dumps({**ORDER, **change}), 1, CONFIG, limits)
    assert isinstance(result, Rejection)
    assert (result.field, result.code) == (field, code)


def test_a_catalog_record_with_too_many_properties_is_rejected() -> None:
    record = {"event_id": "p", "type": "product", "ts": "2026-01-01T00:00:00Z", "product": {"sku": "S"}}
    record["product"] |= {f"p{n}": n for n in range(4)}  # type: ignore[operator]
    result = parse_line(json.dumps(record), 1, CONFIG, InputLimits(catalog_properties=3))
    assert isinstance(result, Rejection)
    assert result.code == "TOO_MANY_PROPERTIES"


def test_a_line_over_the_byte_limit_is_rejected_unread() -> None:
    result = parse_line(b"x" * 2001, 9, CONFIG, InputLimits(line_bytes=2000))
    assert isinstance(result, Rejection)
    assert (result.code, result.message) == ("LINE_TOO_LONG", "the line is over 2,000 bytes")
