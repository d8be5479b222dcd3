"""The configured identifier types as GraphQL types: an enum and the input naming one identifier.

Built per schema, since the types are the deployment's (PROFILEGRAPH_IDENTITY_CONFIG).
Annotations stay unpostponed here: the input class refers to the enum built beside it.
"""

from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

import strawberry

from profilegraph.domain.identifiers import IdentityConfig

__all__ = ["IdentityTypes", "identity_types"]


@dataclass(frozen=True)
class IdentityTypes:
    enum: Any  # the IdentifierType enum
    input: Any  # IdentifierInput, whose ``key()`` is the normalised identifier key


def identity_types(config: IdentityConfig) -> IdentityTypes:
    members = {name.upper().replace("-", "_"): name for name in sorted(config.types)}
    dynamic = cast("type[Enum]", Enum("IdentifierType", members))
    identifier_type = strawberry.enum(
        dynamic,
        description="The identifier types this deployment knows; `WECHAT_UNIONID` is `wechat_unionid`.",
    )

    @strawberry.input(description="An identifier as a source would send it; normalised as ingestion normalises it.")
    class IdentifierInput:
        type: identifier_type  # type: ignore[valid-type]
        value: str

        def key(self) -> str:
            return config.normalise(self.type.value, self.value).key  # type: ignore[attr-defined]

    return IdentityTypes(identifier_type, IdentifierInput)
