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
    "DEFAULT_LIMITS",
    "EVENT_TYPES",
    "MAX_LINE_BYTES",
    "CatalogRecord",
    "Event",
    "FieldProblem",
    "InputLimits",
    "InputWarning",
    "InteractionFact",
    "OrderFact",
    "OrderItem",
    "Rejection",
    "TouchFact",
    "normalise_timestamp",
    "parse_event",
    "parse_line",
    "parse_or_reject",
    "warnings_of",
]

Scalar = str | int | float | bool
CATALOG_TYPES = {"product": "sku", "content": "content_id", "channel": "code", "campaign": "campaign_id"}
# What a campaign touch records, from sending to buying: a funnel, in order.
TOUCH_ACTIONS = ("sent", "delivered", "opened", "clicked", "converted")
# One event is a few kilobytes; a line a thousand times that is a mistake or an attack,
# and the batch it would join must stay far below the graph server's message limit.
MAX_LINE_BYTES = 1 << 20
EVENT_TYPES = frozenset({"identify", "order", "interaction", "touch", *CATALOG_TYPES})
_MAX_ID_LENGTH = 200
# The graph stores integers in 64 bits.
_INT64 = (-(1 << 63), (1 << 63) - 1)
# Event times outside these years are typing or clock errors, not history.
_EARLIEST_YEAR, _LATEST_YEAR = 1900, 2199


@dataclass(frozen=True)
class InputLimits:
    """What one event may hold. Everything past a limit is rejected with its own code,
    so a hostile or broken line costs a bounded amount of memory and never a batch."""

    line_bytes: int = MAX_LINE_BYTES
    # Each identifier of an event links to every other one: the links grow with the square.
    identifiers: int = 50
    attributes: int = 200
    value_bytes: int = 8192
    order_items: int = 1000
    catalog_properties: int = 200


DEFAULT_LIMITS = InputLimits()


@dataclass(frozen=True)
class FieldProblem:
    """Something wrong with one field that cost only that field, not its event."""

    field: str
    code: ErrorCode
    message: str


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
    sku: str | None = None  # the product it was about (a product page view, an add to cart)


@dataclass(frozen=True)
class TouchFact:
    campaign_id: str
    action: str  # one of TOUCH_ACTIONS
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
    touch: TouchFact | None = None
    catalog: CatalogRecord | None = None
    dropped: tuple[FieldProblem, ...] = ()  # invalid identifiers left out of the event


@dataclass(frozen=True)
class Rejection:
    """One event that was not ingested, and why."""

    line: int
    event_id: str | None
    field: str
    code: ErrorCode
    message: str


@dataclass(frozen=True)
class InputWarning:
    """One field left out of an event that went in, and why."""

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
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(f"{where} must be a finite number, got {_shown(value)}", where)
    try:
        number = float(value)
    except OverflowError:
        raise _fail(f"{where} is too large for a number", where, ErrorCode.NUMBER_OUT_OF_RANGE) from None
    if not math.isfinite(number):
        raise _fail(f"{where} must be a finite number, got {value!r}", where, ErrorCode.NUMBER_OUT_OF_RANGE)
    return number


def _shown(value: object, limit: int = 60) -> str:
    """A value as an error message quotes it: never the whole of a huge one."""
    text = (
        repr(value) if not isinstance(value, int) or abs(value) < 10**limit else f"a {value.bit_length()}-bit integer"
    )
    return text if len(text) <= limit else text[:limit] + "…"


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
        raise _fail(f"{where} {_shown(raw)} is not an ISO 8601 timestamp", where) from None
    if moment.tzinfo is None:  # no offset given: the contract's timestamps are UTC
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        moment = moment.replace(year=_EARLIEST_YEAR - 1 if moment.year < _EARLIEST_YEAR else _LATEST_YEAR + 1)
    if not _EARLIEST_YEAR <= moment.year <= _LATEST_YEAR:
        raise _fail(
            f"{where} {raw!r} is outside the years {_EARLIEST_YEAR}-{_LATEST_YEAR}",
            where,
            ErrorCode.TIMESTAMP_OUT_OF_RANGE,
        )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _scalars(raw: object, where: str, limits: InputLimits, *, most: int, code: ErrorCode) -> dict[str, Scalar]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _fail(f"{where} must be an object", where)
    if len(raw) > most:
        raise _fail(f"{where} has {len(raw):,} entries; at most {most:,} are accepted", where, code)
    values: dict[str, Scalar] = {}
    for name, value in raw.items():
        if value is None:
            continue
        at = f"{where}.{name}"
        if isinstance(value, float) and not math.isfinite(value):
            raise _fail(f"{at} must be finite", at)
        if isinstance(value, int) and not isinstance(value, bool) and not _INT64[0] <= value <= _INT64[1]:
            raise _fail(f"{at} is {_shown(value)}, beyond the 64-bit range", at, ErrorCode.INTEGER_OUT_OF_RANGE)
        # Nested values are kept, as JSON text, rather than dropped.
        kept = value if isinstance(value, str | int | float | bool) else json.dumps(value, ensure_ascii=False)
        if isinstance(kept, str) and len(kept) > limits.value_bytes // 4 and len(kept.encode()) > limits.value_bytes:
            raise _fail(f"{at} is over {limits.value_bytes:,} bytes", at, ErrorCode.VALUE_TOO_LONG)
        values[str(name)] = kept
    return values


def _identifiers(
    raw: object, config: IdentityConfig, limits: InputLimits, *, strict: bool
) -> tuple[tuple[Identifier, ...], tuple[FieldProblem, ...]]:
    """The event's valid identifiers, and the invalid ones left out (strict: the first one fails the event)."""
    if raw is None:
        return (), ()
    if not isinstance(raw, list):
        raise _fail("identifiers must be a list of {type, value}", "identifiers")
    if len(raw) > limits.identifiers:
        raise _fail(
            f"the event carries {len(raw):,} identifiers; at most {limits.identifiers} are accepted",
            "identifiers",
            ErrorCode.TOO_MANY_IDENTIFIERS,
        )
    found: dict[str, Identifier] = {}
    dropped: list[FieldProblem] = []
    for index, item in enumerate(raw):
        where = f"identifiers[{index}]"
        try:
            if not isinstance(item, Mapping):
                raise _fail(f"{where} must be an object with type and value", where)
            type_name = _text(item, "type", f"{where}.type")
            assert type_name is not None
            try:
                identifier = config.normalise(type_name, item.get("value"))
            except InvalidInputError as exc:
                raise InvalidInputError(exc.message, field=f"{where}.{exc.field}", code=exc.code) from None
        except InvalidInputError as exc:
            if strict:
                raise
            dropped.append(FieldProblem(exc.field or where, exc.code, exc.message))
            continue
        found.setdefault(identifier.key, identifier)  # the same value twice is one identifier
    return tuple(found.values()), tuple(dropped)


def _order(raw: object, limits: InputLimits) -> OrderFact:
    if not isinstance(raw, Mapping):
        raise _fail("order is required for an order event", "order", ErrorCode.MISSING_FIELD)
    items: list[OrderItem] = []
    raw_items = raw.get("items") or []
    if not isinstance(raw_items, list):
        raise _fail("order.items must be a list", "order.items")
    if len(raw_items) > limits.order_items:
        raise _fail(
            f"order.items has {len(raw_items):,} items; at most {limits.order_items:,} are accepted",
            "order.items",
            ErrorCode.TOO_MANY_ITEMS,
        )
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
        sku=_text(raw, "sku", "interaction.sku", required=False),
    )


def _touch(raw: object) -> TouchFact:
    if not isinstance(raw, Mapping):
        raise _fail("touch is required for a touch event", "touch", ErrorCode.MISSING_FIELD)
    campaign_id = _text(raw, "campaign_id", "touch.campaign_id")
    action = _text(raw, "action", "touch.action")
    assert campaign_id is not None
    assert action is not None
    if action not in TOUCH_ACTIONS:
        raise _fail(f"touch.action {action!r} is not one of {', '.join(TOUCH_ACTIONS)}", "touch.action")
    return TouchFact(campaign_id, action, _text(raw, "channel", "touch.channel", required=False))


def _catalog(kind: str, raw: Mapping[str, Any], limits: InputLimits) -> CatalogRecord:
    body = raw.get(kind)
    if not isinstance(body, Mapping):
        raise _fail(f"{kind} is required for a {kind} record", kind, ErrorCode.MISSING_FIELD)
    key_name = CATALOG_TYPES[kind]
    key = _text(body, key_name, f"{kind}.{key_name}")
    assert key is not None
    properties = _scalars(
        {k: v for k, v in body.items() if k != key_name},
        kind,
        limits,
        most=limits.catalog_properties,
        code=ErrorCode.TOO_MANY_PROPERTIES,
    )
    return CatalogRecord(kind, key, properties)


def parse_event(
    raw: object, config: IdentityConfig, limits: InputLimits = DEFAULT_LIMITS, *, strict: bool = False
) -> Event:
    """Validate one decoded event; raise InvalidInputError naming the first bad field.

    An invalid identifier is left out of the event and listed in ``Event.dropped``; the
    event fails only when no valid identifier remains, or on the first invalid one when
    ``strict``.
    """
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
        return Event(event_id, event_type, ts, source, catalog=_catalog(event_type, raw, limits))
    identifiers, dropped = _identifiers(raw.get("identifiers"), config, limits, strict=strict)
    if not identifiers and dropped:
        first = dropped[0]
        raise _fail(
            f"no valid identifier remains: {first.message}"
            + (f" (and {len(dropped) - 1} more)" if len(dropped) > 1 else ""),
            first.field,
            ErrorCode.NO_VALID_IDENTIFIER,
        )
    if not identifiers:
        raise _fail(f"a {event_type} event needs at least one identifier", "identifiers", ErrorCode.MISSING_FIELD)
    return Event(
        event_id,
        event_type,
        ts,
        source,
        identifiers=identifiers,
        attributes=_scalars(
            raw.get("attributes"), "attributes", limits, most=limits.attributes, code=ErrorCode.TOO_MANY_ATTRIBUTES
        ),
        order=_order(raw.get("order"), limits) if event_type == "order" else None,
        interaction=_interaction(raw.get("interaction")) if event_type == "interaction" else None,
        touch=_touch(raw.get("touch")) if event_type == "touch" else None,
        dropped=dropped,
    )


def parse_line(
    line: str | bytes,
    number: int,
    config: IdentityConfig,
    limits: InputLimits = DEFAULT_LIMITS,
    *,
    strict: bool = False,
) -> Event | Rejection:
    """One NDJSON line, as text or as the file's bytes: its event, or the reason it is rejected.

    A line read up to a length limit arrives cut short: anything over ``limits.line_bytes``
    is rejected without being decoded.
    """
    size = len(line) if isinstance(line, bytes) else len(line.encode("utf-8", "surrogatepass"))
    if size > limits.line_bytes:
        return Rejection(number, None, "$", ErrorCode.LINE_TOO_LONG, f"the line is over {limits.line_bytes:,} bytes")
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
    except RecursionError:
        return Rejection(number, None, "$", ErrorCode.TOO_DEEP, "the JSON nests too deeply to read")
    except ValueError as exc:  # an integer literal with more digits than Python converts
        return Rejection(number, None, "$", ErrorCode.NUMBER_OUT_OF_RANGE, f"a number cannot be read: {exc}")
    return parse_or_reject(raw, number, config, limits, strict=strict)


def parse_or_reject(
    raw: object,
    number: int,
    config: IdentityConfig,
    limits: InputLimits = DEFAULT_LIMITS,
    *,
    strict: bool = False,
) -> Event | Rejection:
    """The event at position ``number``, or the reason it is rejected."""
    event_id = raw.get("event_id") if isinstance(raw, Mapping) else None
    # The id as a report can show it: a string, and never a huge one.
    shown_id = None if event_id is None else event_id[:200] if isinstance(event_id, str) else _shown(event_id, 200)
    try:
        return parse_event(raw, config, limits, strict=strict)
    except InvalidInputError as exc:
        return Rejection(number, shown_id, exc.field or "$", exc.code, exc.message)
    except RecursionError:  # a nested attribute value too deep to write back as JSON text
        return Rejection(number, shown_id, "$", ErrorCode.TOO_DEEP, "a value nests too deeply to keep")
    except (OverflowError, ValueError, TypeError) as exc:
        # Whatever else a decoded value can do: it costs its own line, never the import.
        return Rejection(number, shown_id, "$", ErrorCode.INVALID_EVENT, f"the event cannot be read: {exc}")


def warnings_of(event: Event, number: int) -> list[InputWarning]:
    """The fields left out of ``event`` (from line ``number``), as the import reports them."""
    return [InputWarning(number, event.event_id, p.field, p.code, p.message) for p in event.dropped]
