"""Tags on the four kinds of object: what a definition says, and which values it accepts.

A tag is defined once per object type (``user:vip``, ``product:featured``) with a value
type and a kind that says who writes it: admins (manual), a CEL rule over the object's
features (rule), a job (model) or an ingestion rule (event). Values carry their source,
confidence, when they were set and when they expire; an expired value is never served.
Timestamps are UTC text, ``YYYY-MM-DDTHH:MM:SSZ``, which sorts as it reads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from profilegraph.errors import ErrorCode, InvalidInputError

__all__ = [
    "MAX_LIST_ITEMS",
    "MAX_TEXT_LENGTH",
    "ObjectType",
    "TagDefinition",
    "TagKind",
    "TagValue",
    "ValueType",
    "coerce_value",
    "current_values",
    "define",
    "expires_at",
    "is_live",
]

MAX_TEXT_LENGTH = 1000
MAX_LIST_ITEMS = 100
MAX_DESCRIPTION_LENGTH = 2000
# A name is a CEL identifier, so a rule reads another tag as ``tags.name``.
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class ObjectType(StrEnum):
    USER = "user"
    PRODUCT = "product"
    CONTENT = "content"
    CHANNEL = "channel"


class ValueType(StrEnum):
    BOOL = "bool"
    STRING = "string"
    NUMBER = "number"
    STRING_LIST = "string_list"


class TagKind(StrEnum):
    MANUAL = "manual"  # set by admins, audited
    RULE = "rule"  # a CEL expression over the object's features, re-evaluated
    MODEL = "model"  # written by a job, with a confidence
    EVENT = "event"  # set by ingestion when an event matches a CEL expression


@dataclass(frozen=True)
class TagDefinition:
    name: str
    object_type: ObjectType
    value_type: ValueType
    kind: TagKind
    description: str = ""
    ttl_seconds: int | None = None  # a value expires this long after it was set
    expression: str | None = None  # rule and event tags
    created_at: str = ""
    shipped: bool = False  # written by profilegraph from its settings, not by an admin

    @property
    def key(self) -> str:
        return f"{self.object_type}:{self.name}"

    @property
    def settable(self) -> bool:
        """Whether ``setTags`` may write it: rule and event tags are written by their rules alone."""
        return self.kind in (TagKind.MANUAL, TagKind.MODEL)


@dataclass(frozen=True)
class TagValue:
    name: str
    value: bool | str | float | list[str]
    kind: TagKind
    source: str
    confidence: float | None
    updated_at: str
    expires_at: str | None


def define(
    *,
    name: str,
    object_type: ObjectType,
    value_type: ValueType,
    kind: TagKind,
    description: str = "",
    ttl_seconds: int | None = None,
    expression: str | None = None,
    created_at: str,
) -> TagDefinition:
    """A definition checked for everything but its expression (see ``domain.rules``)."""
    if not _NAME.match(name):
        raise InvalidInputError(
            f"tag name {name[:80]!r} must be lower case letters, digits and _, starting with a letter (at most 64)",
            field="name",
        )
    if ttl_seconds is not None and ttl_seconds <= 0:
        raise InvalidInputError("ttlSeconds must be positive", field="ttlSeconds")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidInputError(f"description is over {MAX_DESCRIPTION_LENGTH} characters", field="description")
    if kind in (TagKind.RULE, TagKind.EVENT):
        if not expression or not expression.strip():
            raise InvalidInputError(f"a {kind} tag needs an expression", field="expression")
    elif expression:
        raise InvalidInputError(f"a {kind} tag has no expression: its values are set", field="expression")
    if kind is TagKind.EVENT and object_type is not ObjectType.USER:
        raise InvalidInputError("event tags are set on the consumers whose events match", field="objectType")
    return TagDefinition(
        name, object_type, value_type, kind, description, ttl_seconds, expression.strip() if expression else None,
        created_at,
    )  # fmt: skip


def coerce_value(definition: TagDefinition, value: object, field: str = "value") -> bool | str | float | list[str]:
    """``value`` as the definition's type, or TAG_WRONG_TYPE naming what arrived."""

    def wrong(expected: str) -> InvalidInputError:
        shown = type(value).__name__ if not isinstance(value, str) else f"the text {value[:40]!r}"
        return InvalidInputError(
            f"tag {definition.key} takes {expected}, got {shown}", field=field, code=ErrorCode.TAG_WRONG_TYPE
        )

    match definition.value_type:
        case ValueType.BOOL:
            if not isinstance(value, bool):
                raise wrong("true or false")
            return value
        case ValueType.NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise wrong("a number")
            try:
                number = float(value)
            except OverflowError:
                raise wrong("a finite number") from None
            if not math.isfinite(number):
                raise wrong("a finite number")
            return number
        case ValueType.STRING:
            if not isinstance(value, str):
                raise wrong("a string")
            if len(value) > MAX_TEXT_LENGTH:
                raise InvalidInputError(
                    f"tag {definition.key}: a value is at most {MAX_TEXT_LENGTH} characters",
                    field=field,
                    code=ErrorCode.TAG_WRONG_TYPE,
                )
            return value
        case ValueType.STRING_LIST:
            if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
                raise wrong("a list of strings")
            if len(value) > MAX_LIST_ITEMS or any(len(item) > MAX_TEXT_LENGTH for item in value):
                raise InvalidInputError(
                    f"tag {definition.key}: at most {MAX_LIST_ITEMS} items of {MAX_TEXT_LENGTH} characters",
                    field=field,
                    code=ErrorCode.TAG_WRONG_TYPE,
                )
            return sorted(set(value))


def _parse(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def expires_at(definition: TagDefinition, updated_at: str, explicit: str | None = None) -> str | None:
    """When a value set at ``updated_at`` expires: the explicit time, else the definition's TTL."""
    if explicit is not None:
        return explicit
    if definition.ttl_seconds is None:
        return None
    return (_parse(updated_at) + timedelta(seconds=definition.ttl_seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_live(value: TagValue, now: str) -> bool:
    return value.expires_at is None or value.expires_at > now


def current_values(values: Iterable[TagValue], now: str) -> dict[str, TagValue]:
    """Per tag name, the newest value that has not expired (a profile's values may come from
    its Person, the OneIDs merged into it and its identifiers)."""
    found: dict[str, TagValue] = {}
    for value in values:
        if not is_live(value, now):
            continue
        held = found.get(value.name)
        if held is None or (value.updated_at, str(value.value)) > (held.updated_at, str(held.value)):
            found[value.name] = value
    return found
