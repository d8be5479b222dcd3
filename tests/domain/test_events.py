from __future__ import annotations

import json

import pytest

from profilegraph.domain.events import Event, Rejection, parse_line
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
        ({"identifiers": [{"type": "phone", "value": "+86 138"}]}, "identifiers[0].value", "INVALID_IDENTIFIER"),
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
