"""The identity rules of this deployment, from its settings."""

from __future__ import annotations

import json

from profilegraph.domain.events import InputLimits
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.lifecycle import LifecycleConfig
from profilegraph.domain.survivorship import SurvivorshipRules
from profilegraph.errors import ConfigurationError, InvalidInputError
from profilegraph.services.tags import TagContext
from profilegraph.settings import Settings

__all__ = ["identity_config", "input_limits", "lifecycle_config", "survivorship_rules", "tag_context"]


def identity_config(settings: Settings) -> IdentityConfig:
    raw: dict[str, object] = {"default_region": settings.default_region}
    path = settings.identity_config
    if path is not None:
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigurationError(f"PROFILEGRAPH_IDENTITY_CONFIG: cannot read {path}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigurationError(f"PROFILEGRAPH_IDENTITY_CONFIG: {path} must hold a JSON object")
        raw = {**raw, **loaded}
    try:
        return IdentityConfig.from_mapping(raw)
    except (InvalidInputError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"PROFILEGRAPH_IDENTITY_CONFIG: {exc}") from exc


def lifecycle_config(settings: Settings) -> LifecycleConfig:
    return LifecycleConfig(
        new_days=settings.lifecycle_new_days,
        dormant_days=settings.lifecycle_dormant_days,
        churn_p_alive=settings.lifecycle_churn_p_alive,
        high_value_top_percent=settings.lifecycle_high_value_top_percent,
        growable_p_alive=settings.lifecycle_growable_p_alive,
    )


def input_limits(settings: Settings) -> InputLimits:
    return InputLimits(
        line_bytes=settings.max_line_bytes,
        identifiers=settings.max_identifiers_per_event,
        attributes=settings.max_attributes_per_event,
        value_bytes=settings.max_value_bytes,
        order_items=settings.max_order_items,
        catalog_properties=settings.max_catalog_properties,
    )


def survivorship_rules(settings: Settings) -> SurvivorshipRules:
    return SurvivorshipRules(settings.attribute_source_priority)


def tag_context(settings: Settings) -> TagContext:
    return TagContext(settings.clv_horizon_days, lifecycle_config(settings), survivorship_rules(settings))
