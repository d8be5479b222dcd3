"""Identifier types: normalisation, validation, strength, per-OneID limits and masking."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, NewType

import phonenumbers

from profilegraph.errors import ErrorCode, InvalidInputError

__all__ = [
    "DEFAULT_TYPES",
    "DeviceJoins",
    "Identifier",
    "IdentifierKey",
    "IdentifierType",
    "IdentityConfig",
    "OneId",
    "Strength",
    "mask",
    "split_key",
]

IdentifierKey = NewType("IdentifierKey", str)  # "<type>:<normalised value>"
OneId = NewType("OneId", str)  # a Person's stable id, "oid_..."
_MAX_LENGTH = 256
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Strength(StrEnum):
    STRONG = "strong"  # identifies one person: a phone, an account
    WEAK = "weak"  # may be used by several people: a device, a POS card


class DeviceJoins(StrEnum):
    """When a weak identifier may join groups of strong identifiers that nothing else joins."""

    # when the groups around it can be one person's (docs/identity.md, household devices)
    WEIGHED = "weighed"
    # never: every such device is taken for a household one (a shared one past
    # household_max_people), at the cost of a person's own accounts seen only on their
    # devices, never together, staying apart
    NEVER = "never"


@dataclass(frozen=True)
class IdentifierType:
    name: str
    strength: Strength = Strength.STRONG
    max_per_person: int | None = None
    normaliser: str = "text"  # phone | email | lower | text
    pii: bool = True
    # The issuer gives a value to someone else after it lay unused this many days (None: never).
    reissued_after_days: int | None = None


@dataclass(frozen=True)
class Identifier:
    type: str
    value: str

    @property
    def key(self) -> IdentifierKey:
        return IdentifierKey(f"{self.type}:{self.value}")


DEFAULT_TYPES: tuple[IdentifierType, ...] = (
    # Chinese carriers reissue a cancelled number after it has been frozen for 90 days.
    IdentifierType("phone", normaliser="phone", reissued_after_days=90),
    IdentifierType("email", normaliser="email"),
    IdentifierType("wechat_unionid", max_per_person=1),
    IdentifierType("wechat_openid"),
    IdentifierType("alipay_uid", max_per_person=1),
    IdentifierType("douyin_openid"),
    IdentifierType("taobao_id", max_per_person=1),
    IdentifierType("member_id", max_per_person=1),
    IdentifierType("pos_card", strength=Strength.WEAK, pii=False),
    IdentifierType("device_id", strength=Strength.WEAK, normaliser="lower", pii=False),
)

DEFAULT_BLOCKED_VALUES: tuple[str, ...] = (
    "phone:+8613800138000",
    "phone:+8613888888888",
    "email:test@test.com",
    "email:test@example.com",
    "email:noreply@example.com",
)

DEFAULT_BLOCKED_PATTERNS: tuple[str, ...] = (
    r"^device_id:[0-]+$",  # all-zero device ids, with or without UUID dashes
    r"^[a-z_]+:(unknown|null|none|undefined|n/a|-)$",
)


def _normalise_phone(raw: str, region: str) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number ({exc})") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalise_email(raw: str, region: str) -> str:
    value = raw.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError("not an e-mail address")
    return value


def _device_joins(raw: object) -> DeviceJoins:
    if isinstance(raw, str) and raw in {policy.value for policy in DeviceJoins}:
        return DeviceJoins(raw)
    raise InvalidInputError(
        f"device_joins must be one of {', '.join(repr(v.value) for v in DeviceJoins)}, not {raw!r}",
        field="device_joins",
    )


_NORMALISERS: Mapping[str, Callable[[str, str], str]] = {
    "phone": _normalise_phone,
    "email": _normalise_email,
    "lower": lambda raw, region: raw.strip().lower(),
    "text": lambda raw, region: raw.strip(),
}


@dataclass(frozen=True)
class IdentityConfig:
    """The identity rules a deployment resolves with (docs/architecture.md)."""

    types: Mapping[str, IdentifierType] = field(default_factory=lambda: {t.name: t for t in DEFAULT_TYPES})
    default_region: str = "CN"
    blocked_values: frozenset[str] = frozenset(DEFAULT_BLOCKED_VALUES)
    blocked_patterns: tuple[str, ...] = DEFAULT_BLOCKED_PATTERNS
    # A weak identifier seen with more strong identifiers than this is shared.
    shared_strong_threshold: int = 10
    # A household device serves at most this many people; one used by more is shared.
    household_max_people: int = 6
    # Whether a device may join groups of accounts that nothing else joins (rule 4).
    device_joins: DeviceJoins = DeviceJoins.WEIGHED

    def __post_init__(self) -> None:
        # a plain string from code or JSON, checked once here
        object.__setattr__(self, "device_joins", _device_joins(self.device_joins))
        for name, kind in self.types.items():
            if kind.normaliser not in _NORMALISERS:
                raise InvalidInputError(
                    f"identifier type {name!r}: unknown normaliser {kind.normaliser!r}; "
                    f"use one of {sorted(_NORMALISERS)}",
                    field=f"types.{name}.normaliser",
                )

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> IdentityConfig:
        """Build from a JSON-like mapping; extra types are added to the defaults."""
        types = {t.name: t for t in DEFAULT_TYPES}
        for name, spec in dict(raw.get("types", {}) or {}).items():
            options = dict(spec)
            options["strength"] = Strength(options.get("strength", "strong"))
            types[name] = IdentifierType(name=name, **options)
        return cls(
            types=types,
            default_region=str(raw.get("default_region", "CN")),
            blocked_values=frozenset(raw.get("blocked_values", DEFAULT_BLOCKED_VALUES)),
            blocked_patterns=tuple(raw.get("blocked_patterns", DEFAULT_BLOCKED_PATTERNS)),
            shared_strong_threshold=int(raw.get("shared_strong_threshold", 10)),
            household_max_people=int(raw.get("household_max_people", 6)),
            device_joins=raw.get("device_joins", DeviceJoins.WEIGHED),
        )

    def type_of(self, name: str) -> IdentifierType:
        try:
            return self.types[name]
        except KeyError:
            raise InvalidInputError(
                f"unknown identifier type {name!r}; known types: {', '.join(sorted(self.types))}",
                field="type",
                code=ErrorCode.UNKNOWN_IDENTIFIER_TYPE,
            ) from None

    def normalise(self, type_name: str, raw: object) -> Identifier:
        """The normalised identifier, or a InvalidInputError naming what is wrong."""
        kind = self.type_of(type_name)
        if not isinstance(raw, str | int) or isinstance(raw, bool):
            raise InvalidInputError(
                f"{type_name} value must be a string", field="value", code=ErrorCode.INVALID_IDENTIFIER
            )
        text = str(raw)
        if not text.strip():
            raise InvalidInputError(f"{type_name} value is empty", field="value", code=ErrorCode.INVALID_IDENTIFIER)
        if len(text) > _MAX_LENGTH:
            raise InvalidInputError(
                f"{type_name} value is longer than {_MAX_LENGTH} characters",
                field="value",
                code=ErrorCode.INVALID_IDENTIFIER,
            )
        try:
            value = _NORMALISERS[kind.normaliser](text, self.default_region)
        except ValueError as exc:
            raise InvalidInputError(
                f"{type_name} {text!r}: {exc}", field="value", code=ErrorCode.INVALID_IDENTIFIER
            ) from exc
        return Identifier(type_name, value)

    def normalise_key(self, text: str) -> IdentifierKey:
        """``"phone:+86 138 0013 8001"`` -> ``"phone:+8613800138001"``: a key typed by a person, made canonical."""
        written = split_key(text.strip())
        return self.normalise(written.type, written.value).key

    def is_blocked(self, key: str) -> bool:
        """Configured junk values that never link anything."""
        return key in self.blocked_values or any(p.search(key) for p in self._compiled_patterns)

    @cached_property
    def _compiled_patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.blocked_patterns)

    def strength(self, type_name: str) -> Strength:
        kind = self.types.get(type_name)
        return kind.strength if kind else Strength.STRONG

    def limit(self, type_name: str) -> int | None:
        kind = self.types.get(type_name)
        return kind.max_per_person if kind else None

    def reissued_after_days(self, type_name: str) -> int | None:
        kind = self.types.get(type_name)
        return kind.reissued_after_days if kind else None

    def one_per_person_types(self) -> frozenset[str]:
        return frozenset(name for name, kind in self.types.items() if kind.max_per_person == 1)


def split_key(key: str) -> Identifier:
    type_name, sep, value = key.partition(":")
    if not sep or not type_name or not value:
        raise InvalidInputError(
            f"{key!r} is not an identifier key; write it as <type>:<value>",
            field="key",
            code=ErrorCode.INVALID_IDENTIFIER,
        )
    return Identifier(type_name, value)


def _mask_middle(text: str, keep_start: int, keep_end: int) -> str:
    if len(text) <= keep_start + keep_end:
        return text[:1] + "*" * max(len(text) - 1, 1)
    return text[:keep_start] + "*" * 4 + text[len(text) - keep_end :]


def mask(identifier: Identifier, config: IdentityConfig | None = None) -> str:
    """The value as shown to someone without ``pii:read``: ``138****8001``, ``a***@example.com``."""
    kind = (config or IdentityConfig()).types.get(identifier.type)
    if kind is not None and not kind.pii:
        return identifier.value
    if identifier.type == "phone" or (kind and kind.normaliser == "phone"):
        try:
            national = str(phonenumbers.parse(identifier.value).national_number)
        except phonenumbers.NumberParseException:
            national = identifier.value
        return _mask_middle(national, 3, 4)
    if "@" in identifier.value:
        local, _, domain = identifier.value.partition("@")
        return f"{local[:1]}***@{domain}"
    return _mask_middle(identifier.value, 2, 2)
