"""Assembly of the GraphQL schema and its request limits."""

from __future__ import annotations

import logging
from collections.abc import Callable

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, SchemaExtension, ValidationCache
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from profilegraph.api.health import Health, resolve_health
from profilegraph.settings import Settings

__all__ = ["Query", "build_schema"]

log = logging.getLogger(__name__)


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


class _Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """A client's bad query (syntax, validation, a limit) is the client's news, logged at
        INFO; an error raised while resolving is ours, logged at ERROR with its traceback."""
        for error in errors:
            if error.original_error is None:
                log.info("query refused: %s", error.message)
            else:
                StrawberryLogger.error(error, execution_context)


def build_schema(settings: Settings) -> strawberry.Schema:
    rules = _limit_rules(settings)
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(settings.query_max_tokens),
        lambda: ParserCache(maxsize=256),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=256),
    ]
    return _Schema(query=Query, extensions=extensions)
