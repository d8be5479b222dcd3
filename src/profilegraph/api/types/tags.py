"""Tags, tag definitions and affinities as the API serves them."""

from __future__ import annotations

from typing import Any

import strawberry

from profilegraph.api.types.common import JSON, UserError
from profilegraph.domain.affinity import Affinity as AffinityRecord
from profilegraph.domain.affinity import Dimension
from profilegraph.domain.tags import ObjectType, TagDefinition, TagKind, TagValue, ValueType

__all__ = [
    "Affinity",
    "AffinityDimension",
    "Tag",
    "TagDefinitionType",
    "TagKindEnum",
    "TagObjectType",
    "TagValueType",
    "affinity",
    "definition",
    "tag",
    "tags",
]

TagObjectType = strawberry.enum(ObjectType, name="TagObjectType", description="What a tag is set on.")
TagValueType = strawberry.enum(ValueType, name="TagValueType")
TagKindEnum = strawberry.enum(
    TagKind,
    name="TagKind",
    description="Who sets a tag's values: admins (MANUAL), its CEL rule (RULE), a job (MODEL), ingestion (EVENT).",
)
AffinityDimension = strawberry.enum(Dimension, name="AffinityDimension")


@strawberry.type(name="TagDefinition")
class TagDefinitionType:
    name: str
    object_type: TagObjectType  # type: ignore[valid-type]
    value_type: TagValueType  # type: ignore[valid-type]
    kind: TagKindEnum  # type: ignore[valid-type]
    description: str
    ttl_seconds: int | None = strawberry.field(description="A value expires this long after it was set.")
    expression: str | None = strawberry.field(description="The CEL expression of a rule or event tag.")
    created_at: str
    shipped: bool = strawberry.field(
        description="Written by profilegraph from its settings (a churn signal, a model tag); redefining it makes "
        "it yours."
    )


def definition(record: TagDefinition) -> TagDefinitionType:
    return TagDefinitionType(
        name=record.name,
        object_type=record.object_type,
        value_type=record.value_type,
        kind=record.kind,
        description=record.description,
        ttl_seconds=record.ttl_seconds,
        expression=record.expression,
        created_at=record.created_at,
        shipped=record.shipped,
    )


@strawberry.type(description="A tag's live value on an object; expired values are never served.")
class Tag:
    name: str
    value: Any = strawberry.field(graphql_type=JSON)
    kind: TagKindEnum  # type: ignore[valid-type]
    source: str
    confidence: float | None
    updated_at: str
    expires_at: str | None


def tag(value: TagValue) -> Tag:
    return Tag(
        name=value.name,
        value=value.value,
        kind=value.kind,
        source=value.source,
        confidence=value.confidence,
        updated_at=value.updated_at,
        expires_at=value.expires_at,
    )


def tags(values: dict[str, TagValue], names: list[str] | None) -> list[Tag]:
    wanted = set(names) if names is not None else None
    return [tag(values[name]) for name in sorted(values) if wanted is None or name in wanted]


@strawberry.type(description="How strongly a consumer leans to a value: its share of their recency-weighted evidence.")
class Affinity:
    dimension: AffinityDimension  # type: ignore[valid-type]
    value: str
    score: float = strawberry.field(description="0..1; the scores of one consumer along one dimension add up to 1.")
    weight: float = strawberry.field(description="The evidence, each piece weighted 0.5 per half-life of age.")
    evidence: int = strawberry.field(description="Orders or interactions behind it.")
    last_at: str


def affinity(record: AffinityRecord) -> Affinity:
    return Affinity(
        dimension=record.dimension,
        value=record.value,
        score=record.score,
        weight=record.weight,
        evidence=record.evidence,
        last_at=record.last_at,
    )


@strawberry.type
class DefineTagPayload:
    tag: TagDefinitionType | None
    errors: list[UserError]
