"""The ingestion contract (docs/events.md): one JSON event per line, validated into facts.

Every problem is reported as a ``InvalidInputError`` whose ``field`` is a path into
the event (``identifiers[1].value``, ``order.items[0].qty``) so a pipeline owner
can find and fix the line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from profilegraph.domain.identifiers import Identifier, IdentityConfig
from profilegraph.errors import ErrorCode, InvalidInputError

__all__ = [
    "CATALOG_TYPES",
    "EVENT_TYPES",
    "MAX_LINE_BYTES",
    "CatalogRecord",
    "Event",
    "InteractionFact",
    "OrderFact",
    "OrderItem",
    "Rejection",
    "normalise_timestamp",
    "parse_event",
    "parse_line",
    "parse_or_reject",
]

Scalar = str | int | float | bool
CATALOG_TYPES = {"product": "sku", "content": "content_id", "channel": "code"}
# One event is a few kilobytes; a line a thousand times that is a mistake or an attack,
# and the batch it would join must stay far below the graph server's message limit.
MAX_LINE_BYTES = 1 << 20
EVENT_TYPES = frozenset({"identify", "order", "interaction", *CATALOG_TYPES})
_MAX_ID_LENGTH = 200


@dataclass(frozen=True)
class OrderItem:
    sku: str
    qty: int
    price: float


@dataclass(frozen=True)
class OrderFact:
    order_id: str
    amount: float
    currency: str
    channel: str | None
    items: tuple[OrderItem, ...] = ()


@dataclass(frozen=True)
class InteractionFact:
    kind: str
    content_id: str | None
    channel: str | None


@dataclass(frozen=True)
class CatalogRecord:
    kind: str  # product | content | channel
    key: str
    properties: Mapping[str, Scalar]


@dataclass(frozen=True)
class Event:
    event_id: str
    type: str
    ts: str  # UTC, "YYYY-MM-DDTHH:MM:SSZ": sorts as it reads
    source: str
    identifiers: tuple[Identifier, ...] = ()
    attributes: Mapping[str, Scalar] = field(default_factory=dict)
    order: OrderFact | None = None
    interaction: InteractionFact | None = None
    catalog: CatalogRecord | None = None


@dataclass(frozen=True)
class Rejection:
    """One event that was not ingested, and why."""

    line: int
    event_id: str | None
    field: str
    code: ErrorCode
    message: str


def _fail(message: str, where: str, code: ErrorCode = ErrorCode.INVALID_EVENT) -> InvalidInputError:
    return InvalidInputError(message, field=where, code=code)


def _text(raw: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> str | None:
    value = raw.get(name)
    if value is None:
        if required:
            raise _fail(f"{where} is required", where, ErrorCode.MISSING_FIELD)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _fail(f"{where} must be a string", where)
    text = str(value).strip()
    if not text:
        raise _fail(f"{where} is empty", where, ErrorCode.MISSING_FIELD)
    if len(text) > _MAX_ID_LENGTH:
        raise _fail(f"{where} is longer than {_MAX_ID_LENGTH} characters", where)
    return text


def _number(raw: Mapping[str, Any], name: str, where: str, *, default: float | None = None) -> float:
    value = raw.get(name, default)
    if value is None:
        raise _fail(f"{where} is required", where, ErrorCode.MISSING_FIELD)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(f"{where} must be a finite number, got {value!r}", where)
    return float(value)


def normalise_timestamp(raw: object, where: str = "ts") -> str:
    if not isinstance(raw, str):
        raise _fail(
            f"{where} must be an ISO 8601 timestamp string",
            where,
            ErrorCode.MISSING_FIELD if raw is None else ErrorCode.INVALID_EVENT,
        )
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise _fail(f"{where} {raw!r} is not an ISO 8601 timestamp", where) from None
    if moment.tzinfo is None:  # no offset given: the contract's timestamps are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _scalars(raw: object, where: str) -> dict[str, Scalar]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _fail(f"{where} must be an object", where)
    values: dict[str, Scalar] = {}
    for name, value in raw.items():
        if value is None:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise _fail(f"{where}.{name} must be finite", f"{where}.{name}")
        # Nested values are kept, as JSON text, rather than dropped.
        values[str(name)] = (
            value if isinstance(value, str | int | float | bool) else json.dumps(value, ensure_ascii=False)
        )
    return values


def _identifiers(raw: object, config: IdentityConfig) -> tuple[Identifier, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail("identifiers must be a list of {type, value}", "identifiers")
    found: dict[str, Identifier] = {}
    for index, item in enumerate(raw):
        where = f"identifiers[{index}]"
        if not isinstance(item, Mapping):
            raise _fail(f"{where} must be an object with type and value", where)
        type_name = _text(item, "type", f"{where}.type")
        assert type_name is not None
        try:
            identifier = config.normalise(type_name, item.get("value"))
        except InvalidInputError as exc:
            raise InvalidInputError(exc.message, field=f"{where}.{exc.field}", code=exc.code) from None
        found.setdefault(identifier.key, identifier)  # the same value twice is one identifier
    return tuple(found.values())


def _order(raw: object) -> OrderFact:
    if not isinstance(raw, Mapping):
        raise _fail("order is required for an order event", "order", ErrorCode.MISSING_FIELD)
    items: list[OrderItem] = []
    raw_items = raw.get("items") or []
    if not isinstance(raw_items, list):
        raise _fail("order.items must be a list", "order.items")
    for index, item in enumerate(raw_items):
        where = f"order.items[{index}]"
        if not isinstance(item, Mapping):
            raise _fail(f"{where} must be an object", where)
        qty = _number(item, "qty", f"{where}.qty", default=1)
        if qty != int(qty) or qty <= 0:
            raise _fail(f"{where}.qty must be a positive whole number", f"{where}.qty")
        sku = _text(item, "sku", f"{where}.sku")
        assert sku is not None
        items.append(OrderItem(sku, int(qty), _number(item, "price", f"{where}.price", default=0.0)))
    order_id = _text(raw, "order_id", "order.order_id")
    assert order_id is not None
    return OrderFact(
        order_id=order_id,
        amount=_number(raw, "amount", "order.amount"),
        currency=(_text(raw, "currency", "order.currency", required=False) or "CNY").upper(),
        channel=_text(raw, "channel", "order.channel", required=False),
        items=tuple(items),
    )


def _interaction(raw: object) -> InteractionFact:
    if not isinstance(raw, Mapping):
        raise _fail("interaction is required for an interaction event", "interaction", ErrorCode.MISSING_FIELD)
    kind = _text(raw, "kind", "interaction.kind")
    assert kind is not None
    return InteractionFact(
        kind=kind,
        content_id=_text(raw, "content_id", "interaction.content_id", required=False),
        channel=_text(raw, "channel", "interaction.channel", required=False),
    )


def _catalog(kind: str, raw: Mapping[str, Any]) -> CatalogRecord:
    body = raw.get(kind)
    if not isinstance(body, Mapping):
        raise _fail(f"{kind} is required for a {kind} record", kind, ErrorCode.MISSING_FIELD)
    key_name = CATALOG_TYPES[kind]
    key = _text(body, key_name, f"{kind}.{key_name}")
    assert key is not None
    properties = _scalars({k: v for k, v in body.items() if k != key_name}, kind)
    return CatalogRecord(kind, key, properties)


def parse_event(raw: object, config: IdentityConfig) -> Event:
    """Validate one decoded event; raise InvalidInputError naming the first bad field."""
    if not isinstance(raw, Mapping):
        raise _fail("an event must be a JSON object", "$")
    event_id = _text(raw, "event_id", "event_id")
    event_type = _text(raw, "type", "type")
    assert event_id is not None
    assert event_type is not None
    if event_type not in EVENT_TYPES:
        raise _fail(f"unknown event type {event_type!r}; use one of {', '.join(sorted(EVENT_TYPES))}", "type")
    ts = normalise_timestamp(raw.get("ts"))
    source = _text(raw, "source", "source", required=False) or "unknown"
    if event_type in CATALOG_TYPES:
        return Event(event_id, event_type, ts, source, catalog=_catalog(event_type, raw))
    identifiers = _identifiers(raw.get("identifiers"), config)
    if not identifiers:
        raise _fail(f"a {event_type} event needs at least one identifier", "identifiers", ErrorCode.MISSING_FIELD)
    return Event(
        event_id,
        event_type,
        ts,
        source,
        identifiers=identifiers,
        attributes=_scalars(raw.get("attributes"), "attributes"),
        order=_order(raw.get("order")) if event_type == "order" else None,
        interaction=_interaction(raw.get("interaction")) if event_type == "interaction" else None,
    )


def parse_line(
    line: str | bytes, number: int, config: IdentityConfig, *, max_bytes: int = MAX_LINE_BYTES
) -> Event | Rejection:
    """One NDJSON line, as text or as the file's bytes: its event, or the reason it is rejected."""
    size = len(line) if isinstance(line, bytes) else len(line.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return Rejection(
            number, None, "$", ErrorCode.LINE_TOO_LONG, f"the line has {size:,} bytes; at most {max_bytes:,} are read"
        )
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Rejection(number, None, "$", ErrorCode.INVALID_ENCODING, f"not valid UTF-8 at byte {exc.start + 1}")
    if number == 1:
        line = line.removeprefix("\ufeff")  # a byte order mark some editors write
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        return Rejection(number, None, "$", ErrorCode.INVALID_JSON, f"not valid JSON: {exc.msg} at column {exc.colno}")
    return parse_or_reject(raw, number, config)


def parse_or_reject(raw: object, number: int, config: IdentityConfig) -> Event | Rejection:
    """The event at position ``number``, or the reason it is rejected."""
    try:
        return parse_event(raw, config)
    except InvalidInputError as exc:
        event_id = raw.get("event_id") if isinstance(raw, Mapping) else None
        return Rejection(
            number, str(event_id) if event_id is not None else None, exc.field or "$", exc.code, exc.message
        )
