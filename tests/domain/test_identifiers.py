from __future__ import annotations

import pytest

from profilegraph.domain.identifiers import DeviceJoins, Identifier, IdentityConfig, mask, split_key
from profilegraph.errors import InvalidInputError

CONFIG = IdentityConfig()


@pytest.mark.parametrize(
    "raw", ["+86 138 0013 8001", "13800138001", "138-0013-8001", "+8613800138001", " 0086 13800138001 "]
)
def test_phone_variants_normalise_to_one_e164_key(raw: str) -> None:
    assert CONFIG.normalise("phone", raw).key == "phone:+8613800138001"


def test_phone_default_region_is_configurable() -> None:
    assert IdentityConfig(default_region="US").normalise("phone", "(650) 253-0000").value == "+16502530000"


def test_email_is_trimmed_and_lower_cased() -> None:
    assert CONFIG.normalise("email", "  Alice@Example.COM ").key == "email:alice@example.com"


@pytest.mark.parametrize(
    ("type_name", "raw", "message"),
    [
        ("phone", "12", "not a valid phone number"),
        ("phone", "call me", "not a phone number"),
        ("email", "alice at example", "not an e-mail address"),
        ("member_id", "   ", "empty"),
        ("member_id", {"id": 1}, "must be a string"),
        ("fax", "123", "unknown identifier type 'fax'"),
    ],
)
def test_invalid_values_are_rejected_with_a_reason(type_name: str, raw: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        CONFIG.normalise(type_name, raw)


@pytest.mark.parametrize(
    "key",
    [
        "phone:+8613800138000",
        "email:test@test.com",
        "device_id:00000000-0000-0000-0000-000000000000",
        "device_id:0000",
        "member_id:unknown",
    ],
)
def test_junk_values_are_blocked_by_default(key: str) -> None:
    assert CONFIG.is_blocked(key)


def test_real_values_are_not_blocked() -> None:
    assert not CONFIG.is_blocked("phone:+8613800138001")
    assert not CONFIG.is_blocked("device_id:0a00")


def test_defaults_fit_a_chinese_consumer_brand() -> None:
    assert CONFIG.limit("wechat_unionid") == 1
    assert CONFIG.limit("member_id") == 1
    assert CONFIG.limit("phone") is None
    assert CONFIG.strength("device_id") == "weak"
    assert CONFIG.strength("phone") == "strong"


def test_configuration_adds_types_and_overrides_rules() -> None:
    config = IdentityConfig.from_mapping(
        {"types": {"jd_pin": {"max_per_person": 1}}, "blocked_values": ["jd_pin:guest"], "shared_strong_threshold": 5}
    )
    assert config.normalise("jd_pin", " abc ").key == "jd_pin:abc"
    assert config.limit("jd_pin") == 1
    assert config.is_blocked("jd_pin:guest")
    assert config.shared_strong_threshold == 5
    assert config.device_joins is DeviceJoins.WEIGHED
    assert IdentityConfig.from_mapping({"device_joins": "never"}).device_joins is DeviceJoins.NEVER


def test_an_unknown_device_joins_policy_names_the_ones_there_are() -> None:
    with pytest.raises(InvalidInputError, match="device_joins must be one of 'weighed', 'never', not 'sometimes'"):
        IdentityConfig.from_mapping({"device_joins": "sometimes"})


@pytest.mark.parametrize(
    ("identifier", "shown"),
    [
        (Identifier("phone", "+8613800138001"), "138****8001"),
        (Identifier("email", "alice@example.com"), "a***@example.com"),
        (Identifier("wechat_openid", "oX12abcdef"), "oX****ef"),
        (Identifier("device_id", "d-123"), "d-123"),  # not PII
    ],
)
def test_masking_hides_the_middle(identifier: Identifier, shown: str) -> None:
    assert mask(identifier) == shown


def test_identifier_keys_split_back() -> None:
    assert split_key("phone:+8613800138001") == Identifier("phone", "+8613800138001")
    with pytest.raises(InvalidInputError, match="<type>:<value>"):
        split_key("13800138001")
