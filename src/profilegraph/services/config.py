"""The identity rules of this deployment, from its settings."""

from __future__ import annotations

import json

from profilegraph.domain.diagnosis.intent import DEFAULT_KIND_WEIGHTS, IntentConfig
from profilegraph.domain.diagnosis.shipped import ChurnSignalConfig
from profilegraph.domain.diagnosis.subtypes import SubtypeConfig
from profilegraph.domain.events import InputLimits
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.lifecycle import LifecycleConfig
from profilegraph.domain.survivorship import SurvivorshipRules
from profilegraph.errors import ConfigurationError, InvalidInputError
from profilegraph.services.diagnosis.scoring import DiagnosisContext
from profilegraph.services.tags import TagContext
from profilegraph.settings import Settings

__all__ = [
    "churn_signal_config",
    "diagnosis_context",
    "identity_config",
    "input_limits",
    "intent_config",
    "lifecycle_config",
    "subtype_config",
    "survivorship_rules",
    "tag_context",
]


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


def churn_signal_config(settings: Settings) -> ChurnSignalConfig:
    return ChurnSignalConfig(
        silent_days=settings.churn_silent_days,
        unresponsive_campaigns=settings.churn_unresponsive_campaigns,
        fading_drop_percent=settings.churn_fading_drop_percent,
        fading_window_days=settings.churn_fading_window_days,
        featured_tag=settings.churn_featured_tag,
    )


def subtype_config(settings: Settings) -> SubtypeConfig:
    return SubtypeConfig(settings.high_value_frequency_quantile, settings.high_value_ticket_quantile)


def intent_config(settings: Settings) -> IntentConfig:
    return IntentConfig(
        half_life_days=settings.intent_half_life_days,
        kind_weights={**DEFAULT_KIND_WEIGHTS, **{k.lower(): w for k, w in settings.intent_kind_weights.items()}},
        channel_weights=dict(settings.intent_channel_weights),
        high=settings.intent_high,
        medium=settings.intent_medium,
    )


def tag_context(settings: Settings) -> TagContext:
    return TagContext(
        horizon_days=settings.clv_horizon_days,
        lifecycle=lifecycle_config(settings),
        survivorship=survivorship_rules(settings),
        signals=churn_signal_config(settings),
    )


def diagnosis_context(settings: Settings) -> DiagnosisContext:
    return DiagnosisContext(tag_context(settings), subtype_config(settings), intent_config(settings))
