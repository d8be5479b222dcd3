"""The tags profilegraph ships: churn signals as rule tags, and the model tags its jobs write.

The signals are ordinary rule tags over the consumer features of docs/tags.md, built from
the deployment's thresholds, so an admin can read them, filter audiences by them and
redefine them. A redefined signal is the admin's from then on: the service no longer
rewrites it from the settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from profilegraph.domain.tags import ObjectType, TagDefinition, TagKind, ValueType, define

__all__ = [
    "CHURN_RISK",
    "HIGH_VALUE_TYPE",
    "INTENT",
    "INTENT_SCORE",
    "SEGMENT",
    "SIGNALS",
    "ChurnSignalConfig",
    "shipped_definitions",
]

SILENT, UNRESPONSIVE, FADING_INTEREST = "churn_silent", "churn_unresponsive", "churn_fading_interest"
SIGNALS = (SILENT, UNRESPONSIVE, FADING_INTEREST)
CHURN_RISK = "churn_risk"
HIGH_VALUE_TYPE = "high_value_type"
INTENT = "intent"
INTENT_SCORE = "intent_score"
SEGMENT = "segment"


@dataclass(frozen=True)
class ChurnSignalConfig:
    silent_days: int = 45
    unresponsive_campaigns: int = 3
    fading_drop_percent: float = 50.0
    fading_window_days: int = 30
    featured_tag: str = "featured"


def _signal_definitions(config: ChurnSignalConfig) -> list[tuple[str, str, str]]:
    keep = 1 - config.fading_drop_percent / 100  # CEL compares doubles with doubles: keep the literal a double
    return [
        (
            SILENT,
            f"days_since_active >= {config.silent_days}",
            f"no order or interaction for {config.silent_days} days",
        ),
        (
            UNRESPONSIVE,
            f"campaigns_unanswered >= {config.unresponsive_campaigns}",
            f"no open, click or conversion for the last {config.unresponsive_campaigns} campaigns sent",
        ),
        (
            FADING_INTEREST,
            "featured_views_previous > 0 && "
            f"double(featured_views_recent) <= double(featured_views_previous) * {keep!r}",
            f"views of products tagged {config.featured_tag} fell by at least {config.fading_drop_percent:g} % "
            f"between the last two windows of {config.fading_window_days} days",
        ),
    ]


_MODEL_TAGS = [
    (CHURN_RISK, ValueType.NUMBER, "probability of no order over the churn model's horizon (models train churn)"),
    (HIGH_VALUE_TYPE, ValueType.STRING, "high-value sub-type: high_frequency_low_ticket, low_frequency_high_ticket "
     "or all_round (models score)"),
    (INTENT, ValueType.STRING, "intent of a potential customer: high, medium or low (models score)"),
    (INTENT_SCORE, ValueType.NUMBER, "intent score of a potential customer, 0..1 (models score)"),
    (SEGMENT, ValueType.STRING, "discovered segment (segments discover)"),
]  # fmt: skip


def shipped_definitions(config: ChurnSignalConfig, created_at: str) -> list[TagDefinition]:
    """Every shipped user tag, with the deployment's thresholds in the signals' expressions."""
    signals = [
        define(
            name=name,
            object_type=ObjectType.USER,
            value_type=ValueType.BOOL,
            kind=TagKind.RULE,
            description=f"churn signal: {description}",
            expression=expression,
            created_at=created_at,
        )
        for name, expression, description in _signal_definitions(config)
    ]
    models = [
        define(
            name=name,
            object_type=ObjectType.USER,
            value_type=value_type,
            kind=TagKind.MODEL,
            description=description,
            created_at=created_at,
        )
        for name, value_type, description in _MODEL_TAGS
    ]
    return signals + models
