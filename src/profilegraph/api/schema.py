"""Assembly of the GraphQL schema and its request limits."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql import ASTValidationRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, SchemaExtension, ValidationCache
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule

from profilegraph.api.health import Health, resolve_health
from profilegraph.settings import Settings

__all__ = ["Query", "build_schema"]


@strawberry.type
class Query:
    health: Health = strawberry.field(resolver=resolve_health, description="Service version and graph status.")


def _limit_rules(settings: Settings) -> list[type[ASTValidationRule]]:
    # Built once per schema: the validation cache is keyed by the rule classes, so
    # rules re-created for every request (as QueryDepthLimiter and MaxAliasesLimiter
    # do when used as per-request extensions) would make every lookup miss.
    return [
        max_depth_rule(settings.query_max_depth, should_ignore=None),
        max_aliases_rule(settings.query_max_aliases),
    ]


def build_schema(settings: Settings) -> strawberry.Schema:
    rules = _limit_rules(settings)
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(settings.query_max_tokens),
        lambda: ParserCache(maxsize=256),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=256),
    ]
    return strawberry.Schema(query=Query, extensions=extensions)
