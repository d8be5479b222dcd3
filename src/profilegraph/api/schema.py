"""Assembly of the GraphQL schema and its request limits."""

from __future__ import annotations

import logging
from collections.abc import Callable

import strawberry
from graphql import ASTValidationRule, GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, SchemaExtension, ValidationCache
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.types import ExecutionContext

from profilegraph.api.context import ServiceConfig
from profilegraph.api.mutations import build_mutation
from profilegraph.api.queries import build_query
from profilegraph.api.types.identity import identity_types
from profilegraph.errors import GraphError, ProfileGraphError

__all__ = ["build_schema"]

log = logging.getLogger(__name__)


def _limit_rules(config: ServiceConfig) -> list[type[ASTValidationRule]]:
    # Built once per schema: the validation cache is keyed by the rule classes, so
    # rules re-created for every request (as QueryDepthLimiter and MaxAliasesLimiter
    # do when used as per-request extensions) would make every lookup miss.
    settings = config.settings
    rules: list[type[ASTValidationRule]] = [
        max_depth_rule(settings.query_max_depth, should_ignore=None),
        max_aliases_rule(settings.query_max_aliases),
    ]
    if not settings.introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules


class _Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """A client's bad query (syntax, validation, a limit) or bad input is the client's news, logged
        at INFO. Errors of ours (the graph's, or unexpected ones) are logged once, by the HTTP layer
        (api/http.py), under the request id the client is given."""
        for error in errors:
            original = error.original_error
            if original is None or isinstance(original, GraphQLError):
                log.info("query refused: %s", error.message)
            elif isinstance(original, ProfileGraphError) and not isinstance(original, GraphError):
                log.info("request refused [%s]: %s", original.code, original.message)


def build_schema(config: ServiceConfig) -> strawberry.Schema:
    rules = _limit_rules(config)
    settings = config.settings
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(settings.query_max_tokens),
        lambda: ParserCache(maxsize=256),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=256),
    ]
    identity = identity_types(config.identity)
    return _Schema(
        query=build_query(config.identity, identity),
        mutation=build_mutation(config.identity, identity),
        extensions=extensions,
    )
