"""Rule and event tags: CEL expressions, type-checked when defined, evaluated per object.

CEL is evaluated by Google's C++ implementation (``cel-expr-python``): no Python is ever
run from an expression. Each object type has a fixed set of typed features (see
docs/tags.md), so a misspelt feature or a comparison of a number with a string is refused
when the tag is defined, with the position of the problem.

What a rule yields becomes the tag's value: ``true`` sets a bool tag and ``false`` clears
it; for other types the result is the value and ``null`` clears it. An expression that
fails on one object (a missing attribute, a division by zero) clears the tag on that
object and is counted, never stops the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from graphlib import CycleError, TopologicalSorter
from typing import Any

from cel_expr_python import cel

from profilegraph.domain.tags import MAX_LIST_ITEMS, ObjectType, TagDefinition, TagKind, ValueType
from profilegraph.errors import ErrorCode, InvalidInputError

__all__ = [
    "EVENT_FEATURES",
    "FEATURES",
    "WINDOWS",
    "CompiledRule",
    "EvaluationError",
    "bind",
    "compile_rule",
    "evaluation_order",
    "tag_references",
]

# The windows of the user features orders_30d, amount_30d, interactions_30d, ...
WINDOWS = (7, 30, 90, 180, 365)

_INT, _DOUBLE, _STRING = cel.Type.INT, cel.Type.DOUBLE, cel.Type.STRING
_STRINGS = cel.Type.List(cel.Type.STRING)
_MAP = cel.Type.Map(cel.Type.STRING, cel.Type.DYN)

_USER: dict[str, Any] = {
    "orders": _INT,
    "amount": _DOUBLE,
    **{f"orders_{days}d": _INT for days in WINDOWS},
    **{f"amount_{days}d": _DOUBLE for days in WINDOWS},
    "interactions": _INT,
    **{f"interactions_{days}d": _INT for days in WINDOWS},
    "days_since_order": _INT,
    "days_since_first_order": _INT,
    "days_since_interaction": _INT,
    "days_since_active": _INT,
    "days_since_seen": _INT,
    "touches": _INT,
    "campaigns": _INT,
    "campaigns_answered": _INT,
    "campaigns_unanswered": _INT,
    "featured_views_recent": _INT,
    "featured_views_previous": _INT,
    "channels": _STRINGS,
    "sources": _STRINGS,
    "identifier_types": _STRINGS,
    "attributes": _MAP,
    "clv_historic": _DOUBLE,
    "clv_predicted": _DOUBLE,
    "p_alive": _DOUBLE,
    "stage": _STRING,
    "tier": _STRING,
    "tags": _MAP,
}
_CATALOG: dict[str, Any] = {
    "key": _STRING,
    "properties": _MAP,
    "tags": _MAP,
    "orders": _INT,
    "interactions": _INT,
    "people": _INT,
}
FEATURES: dict[ObjectType, dict[str, Any]] = {
    ObjectType.USER: _USER,
    ObjectType.PRODUCT: _CATALOG,
    ObjectType.CONTENT: _CATALOG,
    ObjectType.CHANNEL: _CATALOG,
}
EVENT_FEATURES: dict[str, Any] = {
    "event_type": _STRING,  # identify, order, interaction (``type`` is CEL's own)
    "source": _STRING,
    "attributes": _MAP,
    "order": _MAP,  # order_id, amount, currency, channel, skus
    "interaction": _MAP,  # kind, content_id, channel
    "content": _MAP,  # the viewed content's catalog properties, and its tags as ``tags``
}

_ACCEPTED_RESULTS: dict[ValueType, frozenset[str]] = {
    ValueType.BOOL: frozenset({"BOOL", "DYN"}),
    ValueType.STRING: frozenset({"STRING", "DYN"}),
    ValueType.NUMBER: frozenset({"INT", "UINT", "DOUBLE", "DYN"}),
    ValueType.STRING_LIST: frozenset({"LIST<STRING>", "LIST<DYN>", "DYN"}),
}
_TAG_REFERENCE = re.compile(r"\btags\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")


class EvaluationError(Exception):
    """An expression failed on one object's features."""


@cache
def _environment(scope: str) -> Any:
    """The CEL environment of an object type's rules, or of event rules (``scope == "event"``)."""
    return cel.NewEnv(variables=EVENT_FEATURES if scope == "event" else FEATURES[ObjectType(scope)])


def _explained(message: str) -> str:
    # The library's message ends with the expression and a caret under the problem.
    text = message.removeprefix("INVALID_ARGUMENT: ").replace(" [INVALID_ARGUMENT]", "")
    text = text.replace("ERROR: <input>:", "at line:column ")
    if "no matching overload" in text and "int" in text and "double" in text:
        text += "\n(a whole number and a decimal do not compare directly: write 2.0, or convert with double(x))"
    if "undeclared reference" in text:
        text += "\n(the features of this object type are listed in docs/tags.md)"
    return text


@dataclass(frozen=True)
class CompiledRule:
    definition: TagDefinition
    program: Any  # cel.Expression
    variables: frozenset[str] = frozenset()  # the features the expression reads

    @property
    def scope(self) -> str:
        return "event" if self.definition.kind is TagKind.EVENT else str(self.definition.object_type)

    def evaluate(self, features: Mapping[str, Any] | Any) -> bool | str | float | list[str] | None:
        """The tag's value on one object (its features, or an activation from ``bind``), or None
        when the rule clears it."""
        try:
            result = self.program.eval(data=features) if isinstance(features, Mapping) else self.program.eval(features)
        except RuntimeError as exc:  # a map key that is not there, ...
            raise EvaluationError(str(exc)) from None
        kind = result.type()
        value = result.value()
        if str(kind) == "ERROR":
            raise EvaluationError(str(value))
        return _as_value(self.definition, value)


def _as_value(definition: TagDefinition, value: Any) -> bool | str | float | list[str] | None:
    if value is None:
        return None
    match definition.value_type:
        case ValueType.BOOL:
            if not isinstance(value, bool):
                raise EvaluationError(f"the rule of {definition.key} gave {type(value).__name__}, not a bool")
            return True if value else None
        case ValueType.NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise EvaluationError(f"the rule of {definition.key} gave {type(value).__name__}, not a number")
            return float(value)
        case ValueType.STRING:
            if not isinstance(value, str):
                raise EvaluationError(f"the rule of {definition.key} gave {type(value).__name__}, not a string")
            return value or None
        case ValueType.STRING_LIST:
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise EvaluationError(f"the rule of {definition.key} gave something other than a list of strings")
            return sorted(set(value))[:MAX_LIST_ITEMS] or None


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _variables(expression: str, declared: Mapping[str, Any]) -> frozenset[str]:
    """The declared features an expression names (a name inside a string literal does not count)."""
    return frozenset(_IDENTIFIER.findall(_STRING_LITERAL.sub("", expression))) & declared.keys()


def bind(rules: Sequence[CompiledRule], features: Mapping[str, Any]) -> Any:
    """One activation for several rules of one scope: only the features they read are converted
    to CEL values, once, rather than every feature for every rule."""
    names = frozenset().union(*(rule.variables for rule in rules))
    return _environment(rules[0].scope).Activation({name: features[name] for name in names})


def compile_rule(definition: TagDefinition) -> CompiledRule:
    """Type-check a rule or event tag's expression; INVALID_EXPRESSION points at the problem."""
    assert definition.expression is not None
    environment = _environment("event" if definition.kind is TagKind.EVENT else str(definition.object_type))
    try:
        program = environment.compile(definition.expression)
    except RuntimeError as exc:
        raise InvalidInputError(_explained(str(exc)), field="expression", code=ErrorCode.INVALID_EXPRESSION) from None
    result = str(program.return_type())
    if result not in _ACCEPTED_RESULTS[definition.value_type]:
        raise InvalidInputError(
            f"the expression gives {result.lower()}, but tag {definition.key} holds {definition.value_type} values",
            field="expression",
            code=ErrorCode.INVALID_EXPRESSION,
        )
    declared = EVENT_FEATURES if definition.kind is TagKind.EVENT else FEATURES[definition.object_type]
    return CompiledRule(definition, program, _variables(definition.expression, declared))


def tag_references(expression: str) -> set[str]:
    """The names of the other tags an expression reads (``tags.vip``, ``tags['vip']``)."""
    return {dotted or indexed for dotted, indexed in _TAG_REFERENCE.findall(expression)}


def evaluation_order(definitions: Iterable[TagDefinition]) -> list[TagDefinition]:
    """Rule tags of one object type, each after the rule tags it reads; a cycle is refused."""
    rules = {d.name: d for d in definitions if d.kind is TagKind.RULE}
    graph = {
        name: sorted(tag_references(d.expression or "") & rules.keys() - {name}) for name, d in sorted(rules.items())
    }
    for name, d in rules.items():
        if name in tag_references(d.expression or ""):
            raise InvalidInputError(
                f"rule tag {d.key} reads itself", field="expression", code=ErrorCode.INVALID_EXPRESSION
            )
    try:
        return [rules[name] for name in TopologicalSorter(graph).static_order()]
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise InvalidInputError(
            f"rule tags read each other in a cycle: {cycle}", field="expression", code=ErrorCode.INVALID_EXPRESSION
        ) from None
