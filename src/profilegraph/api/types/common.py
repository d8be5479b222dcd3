"""What many types share: typed errors, pages, cursors, masking and JSON values."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.scalars import JSON

from profilegraph.api.context import Info
from profilegraph.domain.identifiers import mask, split_key
from profilegraph.errors import ErrorCode, InvalidInputError, ProfileGraphError

__all__ = [
    "JSON",
    "Connection",
    "Edge",
    "ErrorCodeEnum",
    "PageInfo",
    "UserError",
    "connection",
    "decode_cursor",
    "encode_cursor",
    "page_size",
    "shown_key",
    "shown_text",
    "user_error",
]

T = TypeVar("T")
S = TypeVar("S")


ErrorCodeEnum = strawberry.enum(ErrorCode, name="ErrorCode", description="Why a request or an event was refused.")


@strawberry.type(description="One thing wrong with a mutation's input or its effect.")
class UserError:
    code: ErrorCodeEnum  # type: ignore[valid-type]
    field: str | None = strawberry.field(description="Where in the input, such as `events[3].identifiers[0].value`.")
    message: str


def user_error(error: ProfileGraphError) -> UserError:
    return UserError(code=error.code, field=getattr(error, "field", None), message=error.message)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count_total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many there are in all, on every page.")
    async def total_count(self) -> int:
        return await self.count_total()


def connection(
    found: Sequence[S],
    size: int,
    cursor_of: Callable[[S], tuple[str, ...]],
    node_of: Callable[[S], T],
    count_total: Callable[[], Awaitable[int]],
) -> Connection[T]:
    """A page of ``size`` from ``found``, which was read with one row more: that row only tells
    whether another page follows."""
    edges = [Edge(cursor=encode_cursor(*cursor_of(item)), node=node_of(item)) for item in found[:size]]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(found) > size, end_cursor=edges[-1].cursor if edges else None),
        count_total=count_total,
    )


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode()


def decode_cursor(cursor: str | None, parts: int, field: str = "after") -> list[str] | None:
    if cursor is None:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        decoded = None
    if not isinstance(decoded, list) or len(decoded) != parts or not all(isinstance(p, str) for p in decoded):
        raise InvalidInputError("not a cursor this list gave out", field=field)
    return decoded


def page_size(info: Info, first: int) -> int:
    most = info.context.config.settings.max_page_size
    if first < 0:
        raise InvalidInputError("first must not be negative", field="first")
    if first > most:
        raise InvalidInputError(f"first is at most {most}", field="first", code=ErrorCode.PAGE_TOO_LARGE)
    return first


def shown_key(info: Info, key: str, one_id: str | None = None) -> str:
    """An identifier key as this caller may see it: masked unless they hold ``pii:read``."""
    identifier = split_key(key)
    config = info.context.config.identity
    if not info.context.principal.reads_pii:
        return f"{identifier.type}:{mask(identifier, config)}"
    kind = config.types.get(identifier.type)
    if kind is None or kind.pii:
        # Outside a profile (an explanation, the audit log) the read is recorded under no OneID.
        info.context.note_pii_read(one_id or "", "identifiers" if one_id else info.field_name)
    return key


_EMAIL = re.compile(r"[^@\s\"']+@[^@\s\"']+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\d-])\+?\d(?:[\s-]?\d){6,14}(?![\d-])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def shown_text(info: Info, value: Any, one_id: str, what: str) -> Any:
    """A free value (an attribute) with anything that looks like a phone or an e-mail masked.

    Attributes are whatever a source sent; a phone typed into a "contact" field is as
    personal as the phone identifier, so the same rule covers it.
    """
    if not isinstance(value, str):
        return value
    if info.context.principal.reads_pii:
        if _EMAIL.search(value) or any(not _DATE.fullmatch(m.group()) for m in _PHONE.finditer(value)):
            info.context.note_pii_read(one_id, what)
        return value
    masked = _EMAIL.sub(lambda m: f"{m.group()[:1]}***@{m.group().partition('@')[2]}", value)
    return _PHONE.sub(lambda m: _mask_digits(m.group()), masked)


def _mask_digits(text: str) -> str:
    if _DATE.fullmatch(text):
        return text
    digits = re.sub(r"\D", "", text)
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 8 else "*" * len(digits)
