"""Tags: defining them, setting values, reading them, and evaluating rule and event tags.

Values of rule tags are written only when they change, so ``updatedAt`` says when a rule
last changed its mind. Recomputing also stores each consumer's value figures (predicted
CLV, P(alive), stage, tier) on its Person for the audience filters (see services.audiences).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from typing import Any

from profilegraph.domain.diagnosis.shipped import ChurnSignalConfig
from profilegraph.domain.events import Event, normalise_timestamp
from profilegraph.domain.features import (
    CatalogFacts,
    InteractionRow,
    Scores,
    TouchRow,
    UserFacts,
    catalog_features,
    user_features,
)
from profilegraph.domain.lifecycle import LifecycleConfig
from profilegraph.domain.rules import CompiledRule, EvaluationError, bind, compile_rule, evaluation_order
from profilegraph.domain.survivorship import SurvivorshipRules, surviving
from profilegraph.domain.tags import (
    ObjectType,
    TagDefinition,
    TagKind,
    TagValue,
    ValueType,
    coerce_value,
    current_values,
    define,
    expires_at,
)
from profilegraph.errors import ErrorCode, InvalidInputError, NotFoundError, ProfileGraphError
from profilegraph.services.catalog import catalog_properties
from profilegraph.services.clv._common import today
from profilegraph.services.clv.audience import ProfileRow, score_activity
from profilegraph.services.collector import pauses_collector
from profilegraph.services.profiles import AttributeValue
from profilegraph.services.resolution import utc_now
from profilegraph.services.threads import read_ahead
from profilegraph.store import admin as admin_store
from profilegraph.store import catalog as catalog_store
from profilegraph.store import clv as clv_store
from profilegraph.store import tags as tag_store
from profilegraph.store.bolt import Record
from profilegraph.store.ports import GraphAccess, Transaction

__all__ = [
    "Assignment",
    "AssignmentResult",
    "IngestRules",
    "RecomputeReport",
    "TagContext",
    "after_bulk_ingest",
    "catalog_tags",
    "define_tag",
    "delete_tag",
    "ensure_shipped_tags",
    "event_tag_rows",
    "ingest_rules",
    "read_user_facts",
    "recompute",
    "refresh_touched",
    "rule_values",
    "rules_of",
    "scores_of",
    "set_tags",
    "tag_definitions",
    "user_facts_of",
    "user_tags",
    "value_key",
    "write_event_tags",
]

CHUNK = 1000  # objects per read and write while recomputing
SAMPLE_ERRORS = 20


@dataclass(frozen=True)
class TagContext:
    """What evaluating user rules needs besides the graph: the deployment's settings."""

    horizon_days: int
    lifecycle: LifecycleConfig
    survivorship: SurvivorshipRules
    signals: ChurnSignalConfig = field(default_factory=ChurnSignalConfig)


def value_key(tag_key: str, holder: str, object_id: str) -> str:
    return f"{tag_key}@{holder}:{object_id}"


def _definition(row: Record) -> TagDefinition:
    return TagDefinition(
        name=row["name"],
        object_type=ObjectType(row["object_type"]),
        value_type=ValueType(row["value_type"]),
        kind=TagKind(row["kind"]),
        description=row.get("description") or "",
        ttl_seconds=row.get("ttl_seconds"),
        expression=row.get("expression"),
        created_at=row.get("created_at") or "",
        shipped=bool(row.get("shipped")),
    )


async def tag_definitions(store: GraphAccess, object_type: ObjectType | None = None) -> list[TagDefinition]:
    found = [_definition(row) for row in await tag_store.definitions(store)]
    return [d for d in found if object_type is None or d.object_type is object_type]


@dataclass(frozen=True)
class IngestRules:
    """What ingestion evaluates: the event tags' rules, and the user rule tags in evaluation order."""

    events: list[CompiledRule]
    users: list[CompiledRule]


async def ingest_rules(store: GraphAccess) -> IngestRules:
    """Read with each call or import (one small query), so a definition is in force at once everywhere."""
    found = await tag_definitions(store)
    return IngestRules([compile_rule(d) for d in found if d.kind is TagKind.EVENT], rules_of(found, ObjectType.USER))


async def define_tag(
    store: GraphAccess,
    *,
    name: str,
    object_type: ObjectType,
    value_type: ValueType,
    kind: TagKind,
    description: str = "",
    ttl_seconds: int | None = None,
    expression: str | None = None,
    actor: str,
    shipped: bool = False,
) -> TagDefinition:
    """Create a tag, or change the description, TTL or expression of one; its type and kind stay.

    ``shipped`` marks a definition profilegraph wrote from its settings; any other
    definition of the same tag makes it the admin's (see ``ensure_shipped_tags``).
    """
    now = utc_now()
    candidate = define(
        name=name,
        object_type=object_type,
        value_type=value_type,
        kind=kind,
        description=description,
        ttl_seconds=ttl_seconds,
        expression=expression,
        created_at=now,
    )
    if candidate.expression is not None:
        compile_rule(candidate)
    others = [d for d in await tag_definitions(store, object_type) if d.name != name]
    evaluation_order([*others, candidate])  # refuses a rule that would read itself through others

    async def work(tx: Transaction) -> Record:
        held = await tag_store.definition_in(tx, candidate.key)
        if held is not None and (held["value_type"] != value_type or held["kind"] != kind):
            raise InvalidInputError(
                f"tag {candidate.key} exists as a {held['kind']} tag of {held['value_type']} values; "
                "its type and kind cannot change (define a tag of another name)",
                field="name",
                code=ErrorCode.TAG_EXISTS,
            )
        properties = {
            "name": name,
            "object_type": str(object_type),
            "value_type": str(value_type),
            "kind": str(kind),
            "description": description,
            "ttl_seconds": ttl_seconds,
            "expression": candidate.expression,
            "shipped": shipped,
        }
        saved = await tag_store.save_definition(tx, candidate.key, properties, now)
        detail = {"tag": candidate.key, **properties}
        await admin_store.record_audit(tx, actor=actor, action="define_tag", reason=description, at=now, detail=detail)
        return saved

    return _definition(await store.write(work, retry_conflicts=True))


def _definition_as_held(row: Record) -> TagDefinition:
    return replace(_definition(row), created_at="", shipped=False)


async def ensure_shipped_tags(store: GraphAccess, shipped: Sequence[TagDefinition]) -> list[TagDefinition]:
    """Define the shipped tags that are missing, and bring those still as shipped up to date with
    the settings; leave alone the ones an admin redefined. Returns what it (re)defined."""
    held = {row["key"]: row for row in await tag_store.definitions(store)}
    written = []
    for definition in shipped:
        row = held.get(definition.key)
        if row is not None and (not row.get("shipped") or _definition_as_held(row) == definition):
            continue
        written.append(
            await define_tag(
                store,
                name=definition.name,
                object_type=definition.object_type,
                value_type=definition.value_type,
                kind=definition.kind,
                description=definition.description,
                ttl_seconds=definition.ttl_seconds,
                expression=definition.expression,
                actor="profilegraph",
                shipped=True,
            )
        )
    return written


async def delete_tag(store: GraphAccess, object_type: ObjectType, name: str, *, actor: str, reason: str) -> None:
    """Delete a tag and every value of it; audited. A rule reading it then finds it absent."""
    key = f"{object_type}:{name}"

    async def work(tx: Transaction) -> None:
        if await tag_store.definition_in(tx, key) is None:
            raise InvalidInputError(f"no {object_type} tag is named {name!r}", field="name", code=ErrorCode.UNKNOWN_TAG)
        await tag_store.delete_definition(tx, key)
        await admin_store.record_audit(tx, actor=actor, action="delete_tag", reason=reason, at=utc_now(),
                                       detail={"tag": key})  # fmt: skip

    await store.write(work, retry_conflicts=True)


def _tag_value(row: Record) -> TagValue:
    return TagValue(
        name=row["name"],
        value=row["value"],
        kind=TagKind(row["kind"]),
        source=row["source"],
        confidence=row["confidence"],
        updated_at=row["updated_at"],
        expires_at=row["expires_at"],
    )


async def user_tags(
    store: GraphAccess, one_ids: Sequence[str], now: str | None = None, *, rules_only: bool = False
) -> list[dict[str, TagValue]]:
    """Each OneID's live tag values (its own, its merged-in OneIDs' and its identifiers'), newest per
    tag; ``rules_only``: only the rule values its Person holds."""
    moment = now or utc_now()
    grouped: dict[str, list[TagValue]] = defaultdict(list)
    read = tag_store.rule_values_of if rules_only else tag_store.tags_of_persons
    for row in await read(store, one_ids, moment):
        grouped[row["one_id"]].append(_tag_value(row))
    return [current_values(grouped.get(one_id, ()), moment) for one_id in one_ids]


async def catalog_tags(
    store: GraphAccess, kind: ObjectType, keys: Sequence[str], now: str | None = None
) -> list[dict[str, TagValue]]:
    moment = now or utc_now()
    grouped: dict[str, list[TagValue]] = defaultdict(list)
    for row in await tag_store.tags_of_catalog(store, str(kind), keys, moment):
        grouped[row["key"]].append(_tag_value(row))
    return [current_values(grouped.get(key, ()), moment) for key in keys]


@dataclass(frozen=True)
class Assignment:
    """One value to set (or, with ``value`` None, to clear) on one object."""

    tag: str
    object_type: ObjectType
    one_id: str | None = None
    identifier: str | None = None  # an identifier key, normalised
    object_key: str | None = None  # sku, content id or channel code
    value: Any = None
    confidence: float | None = None
    expires_at: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class AssignmentResult:
    position: int  # from 1
    error: ProfileGraphError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class _Planned:
    position: int
    holder: str
    object_id: str
    key: str
    row: dict[str, Any] | None  # None clears


def _plan(
    position: int,
    item: Assignment,
    definitions: dict[str, TagDefinition],
    *,
    may_set_manual: bool,
    source: str,
    now: str,
) -> _Planned:
    definition = definitions.get(f"{item.object_type}:{item.tag}")
    if definition is None:
        raise InvalidInputError(
            f"no {item.object_type} tag is named {item.tag!r}; define it first", field="tag", code=ErrorCode.UNKNOWN_TAG
        )
    if not definition.settable:
        raise InvalidInputError(
            f"{definition.key} is a {definition.kind} tag: its values come from its rule",
            field="tag",
            code=ErrorCode.TAG_NOT_SETTABLE,
        )
    if definition.kind is TagKind.MANUAL and not may_set_manual:
        raise InvalidInputError(
            f"{definition.key} is a manual tag: only admins set it", field="tag", code=ErrorCode.FORBIDDEN
        )
    if item.object_type is ObjectType.USER:
        if (item.one_id is None) == (item.identifier is None):
            raise InvalidInputError("name the consumer by oneId or by identifier (one of them)", field="oneId")
        holder, object_id = ("person", item.one_id) if item.one_id is not None else ("identifier", item.identifier)
    else:
        if item.object_key is None:
            raise InvalidInputError(f"name the {item.object_type} by its key", field="objectKey")
        holder, object_id = str(item.object_type), item.object_key
    assert object_id is not None
    key = value_key(definition.key, holder, object_id)
    if item.value is None:
        return _Planned(position, holder, object_id, key, None)
    value = coerce_value(definition, item.value)
    if item.confidence is not None and not 0 <= item.confidence <= 1:
        raise InvalidInputError("confidence lies between 0 and 1", field="confidence")
    until = normalise_timestamp(item.expires_at, "expiresAt") if item.expires_at is not None else None
    row = {
        "object": object_id,
        "key": key,
        "tag": definition.key,
        "name": definition.name,
        "value": value,
        "kind": str(definition.kind),
        "source": item.source or source,
        "confidence": item.confidence,
        "updated_at": now,
        "expires_at": expires_at(definition, now, until),
    }
    return _Planned(position, holder, object_id, key, row)


async def set_tags(
    store: GraphAccess,
    assignments: Sequence[Assignment],
    *,
    actor: str,
    may_set_manual: bool,
    reason: str = "",
) -> list[AssignmentResult]:
    """Set model and manual tag values in one transaction; each bad item fails alone.

    An item naming an object that does not exist is UNKNOWN_OBJECT and writes nothing.
    Manual values are audited (who, when, why, what).
    """
    now = utc_now()
    definitions = {d.key: d for d in await tag_definitions(store)}
    results: dict[int, AssignmentResult] = {}
    planned: list[_Planned] = []
    for position, item in enumerate(assignments, 1):
        try:
            planned.append(_plan(position, item, definitions, may_set_manual=may_set_manual, source=actor, now=now))
        except InvalidInputError as error:
            results[position] = AssignmentResult(position, error)

    async def work(tx: Transaction) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        by_holder: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for plan in planned:
            if plan.row is not None:
                by_holder[plan.holder].append(plan.row)
        for holder, rows in by_holder.items():
            found |= {(holder, object_id) for object_id in await tag_store.set_values(tx, holder, rows)}
        await tag_store.clear_values(tx, [plan.key for plan in planned if plan.row is None])
        manual = [
            plan
            for plan in planned
            if plan.row is not None and plan.row["kind"] == TagKind.MANUAL and (plan.holder, plan.object_id) in found
        ]
        if manual:
            await admin_store.record_audit(
                tx,
                actor=actor,
                action="set_tags",
                reason=reason,
                at=now,
                one_ids=[p.object_id for p in manual if p.holder == "person"],
                identifier_keys=[p.object_id for p in manual if p.holder == "identifier"],
                detail={"values": [{"tag": p.row["tag"], "object": p.object_id, "value": p.row["value"]}
                                   for p in manual[:100] if p.row is not None]},
            )  # fmt: skip
        return found

    found = await store.write(work, retry_conflicts=True) if planned else set()
    for plan in planned:
        if plan.row is not None and (plan.holder, plan.object_id) not in found:
            results[plan.position] = AssignmentResult(
                plan.position, NotFoundError(f"no {plan.holder} {plan.object_id!r} is in the graph")
            )
        else:
            results.setdefault(plan.position, AssignmentResult(plan.position))
    return [results[position] for position in sorted(results)]


@dataclass
class RecomputeReport:
    object_type: ObjectType
    objects: int = 0
    set: int = 0
    cleared: int = 0
    failed: int = 0  # evaluations that failed on an object (the tag is cleared there)
    errors: list[str] = field(default_factory=list)  # the first SAMPLE_ERRORS
    seconds: float = 0.0

    def note_failure(self, message: str) -> None:
        self.failed += 1
        if len(self.errors) < SAMPLE_ERRORS:
            self.errors.append(message)


# The features that come from a consumer's identifiers rather than their facts.
_IDENTIFIER_FEATURES = frozenset({"sources", "identifier_types", "days_since_seen"})


async def read_user_facts(
    store: GraphAccess, one_ids: Sequence[str], rules: Sequence[CompiledRule]
) -> tag_store.UserFactRows:
    """The facts of the OneIDs named (each known to have identifiers) that ``rules`` need:
    attributes and identifiers, the costly parts of a read, only when a rule reads them."""
    return await tag_store.user_facts(
        store,
        one_ids,
        attributes=any("attributes" in rule.variables for rule in rules),
        identifiers=any(rule.variables & _IDENTIFIER_FEATURES for rule in rules),
    )


def rules_of(definitions: Sequence[TagDefinition], object_type: ObjectType) -> list[CompiledRule]:
    """The rule tags of one object type, compiled, in evaluation order."""
    return [compile_rule(d) for d in evaluation_order(d for d in definitions if d.object_type is object_type)]


@dataclass(frozen=True)
class _Change:
    object_id: str
    rule: CompiledRule
    value: Any  # None clears


def _run_rules(
    rules: Sequence[CompiledRule],
    features: dict[str, Any],
    failed: Callable[[CompiledRule, EvaluationError], object] | None = None,
) -> Iterator[tuple[CompiledRule, Any]]:
    """Each rule in order with its value on one object (None clears; a failing rule yields None),
    kept in features["tags"] so the rules after it see it."""
    tags = features["tags"]
    bound = bind(rules, features) if rules else None
    tags_changed = False
    for rule in rules:
        if tags_changed and "tags" in rule.variables:  # it reads a value set by a rule before it
            bound, tags_changed = bind(rules, features), False
        try:
            value = rule.evaluate(bound)
        except EvaluationError as error:
            if failed is not None:
                failed(rule, error)
            value = None
        name = rule.definition.name
        if value is None:
            tags_changed |= tags.pop(name, None) is not None
        else:
            tags_changed |= tags.get(name) != value
            tags[name] = value
        yield rule, value


def _evaluate(
    rules: Sequence[CompiledRule],
    object_id: str,
    features: dict[str, Any],
    held: dict[str, TagValue],
    report: RecomputeReport,
) -> list[_Change]:
    """Run an object's rules in order (each sees the values of those before); the changes they make."""

    def failed(rule: CompiledRule, error: EvaluationError) -> None:
        report.note_failure(f"{rule.definition.key} on {object_id}: {error}")

    changes = []
    for rule, value in _run_rules(rules, features, failed):
        before = held.get(rule.definition.name)
        if value is None:
            if before is not None and before.kind is TagKind.RULE:
                changes.append(_Change(object_id, rule, None))
        elif before is None or before.kind is not TagKind.RULE or before.value != value:
            changes.append(_Change(object_id, rule, value))
    return changes


def rule_values(rules: Sequence[CompiledRule], features: dict[str, Any]) -> dict[str, Any]:
    """What the rules yield on one object's features (a failing rule yields nothing): as features["tags"]."""
    for _ in _run_rules(rules, features):
        pass
    tags: dict[str, Any] = features["tags"]
    return tags


async def _write_changes(
    tx: Transaction, holder: str, changes: Sequence[_Change], now: str, report: RecomputeReport
) -> None:
    rows = []
    cleared = []
    for change in changes:
        definition = change.rule.definition
        key = value_key(definition.key, holder, change.object_id)
        if change.value is None:
            cleared.append(key)
            continue
        rows.append({
            "object": change.object_id, "key": key, "tag": definition.key, "name": definition.name,
            "value": change.value, "kind": str(TagKind.RULE), "source": "rule", "confidence": None,
            "updated_at": now, "expires_at": expires_at(definition, now),
        })  # fmt: skip
    await tag_store.set_values(tx, holder, rows)
    await tag_store.clear_values(tx, cleared)
    report.set += len(rows)
    report.cleared += len(cleared)


def user_facts_of(
    rows: tag_store.UserFactRows,
    held_by: Mapping[str, dict[str, TagValue]],
    survivorship: SurvivorshipRules,
    featured_skus: frozenset[str],
) -> dict[str, UserFacts]:
    """Each consumer's facts as ``store.tags.user_facts`` read them, in the order read, with
    ``held_by`` their live tag values."""
    found = {one_id: UserFacts(featured_skus=featured_skus) for one_id in rows.one_ids}
    for one_id, type_name, sources, last_seen in rows.identifiers:
        facts = found[one_id]
        facts.identifier_types.add(type_name)
        facts.sources.update(sources or ())
        facts.last_seen = max(facts.last_seen or last_seen, last_seen)
    for one_id, _, ts, amount, channel in rows.orders:
        found[one_id].orders.append((ts, float(amount), channel))
    for one_id, _, ts, channel, kind, sku in rows.interactions:
        found[one_id].interactions.append(InteractionRow(ts, channel, kind, sku))
    for one_id, _, ts, campaign, action in rows.touches:
        found[one_id].touches.append(TouchRow(ts, campaign, action))
    attributes: dict[str, list[AttributeValue]] = defaultdict(list)
    for one_id, event_id, name, value, source, ts in rows.attributes:
        attributes[one_id].append(AttributeValue(name, value, source, ts, event_id))
    for one_id, values in attributes.items():
        found[one_id].attributes = {name: value.value for name, value in surviving(values, survivorship).items()}
    for one_id, held in held_by.items():
        if one_id in found:
            found[one_id].tags = {name: value.value for name, value in held.items() if value.kind is not TagKind.RULE}
    return found


def scores_of(row: ProfileRow | None) -> Scores:
    if row is None:
        return Scores()
    return Scores(row.historic, row.predicted, row.p_alive, str(row.stage), str(row.tier))


def _score_row(row: ProfileRow) -> dict[str, Any]:
    return {
        "one_id": row.one_id,
        "clv": row.predicted if row.predicted is not None else row.historic,
        "historic": row.historic,
        "p_alive": row.p_alive,
        "stage": str(row.stage),
        "tier": str(row.tier),
    }


@dataclass(frozen=True)
class _UserInputs:
    facts_rows: tag_store.UserFactRows
    held_by: dict[str, dict[str, TagValue]]  # live tag values
    scores: dict[str, ProfileRow]
    as_of: date
    featured_skus: frozenset[str]


def _evaluate_users(
    inputs: _UserInputs, rules: Sequence[CompiledRule], context: TagContext, report: RecomputeReport
) -> list[_Change]:
    changes: list[_Change] = []
    window = context.signals.fading_window_days
    all_facts = user_facts_of(inputs.facts_rows, inputs.held_by, context.survivorship, inputs.featured_skus)
    for one_id, facts in all_facts.items():
        held = inputs.held_by.get(one_id, {})
        features = user_features(facts, scores_of(inputs.scores.get(one_id)), inputs.as_of, window)
        changes.extend(_evaluate(rules, one_id, features, held, report))
    return changes


async def _write_users(
    tx: Transaction,
    *,
    changes: list[_Change],
    score_rows: list[dict[str, Any]],
    now: str,
    as_of: date,
    fit_id: str,
    report: RecomputeReport,
) -> None:
    await _write_changes(tx, "person", changes, now, report)
    await tag_store.write_scores(tx, score_rows, as_of.isoformat(), fit_id)


async def _recompute_users(
    store: GraphAccess,
    one_ids: Sequence[str] | None,
    rules: Sequence[CompiledRule],
    context: TagContext,
    as_of: date,
    on_progress: Callable[[int, int], object] | None,
) -> RecomputeReport:
    report = RecomputeReport(ObjectType.USER)
    started = time.perf_counter()
    # OneIDs with identifiers: the value figures cover exactly those, whatever else was named.
    first_seen = await clv_store.first_seen(store, one_ids)
    targets = sorted(first_seen)
    model = await clv_store.latest_fit(store)
    fit_id = model.fitted_at if model else ""
    now = utc_now()
    # Read only what the rules use: other tags are a costly part of a read.
    reads_tags = any("tags" in rule.variables for rule in rules)

    featured = await tag_store.tagged_products(store, context.signals.featured_tag, now)

    async def read(chunk: list[str]) -> _UserInputs:
        facts_rows = await read_user_facts(store, chunk, rules)
        held_by = dict(zip(chunk, await user_tags(store, chunk, now, rules_only=not reads_tags), strict=True))
        # The value figures come from the orders and interactions the rules read anyway;
        # each depends on its OneID's facts and the fit only, so a chunk is scored alone.
        activity = clv_store.activity_of_facts(
            {one_id: first_seen[one_id] for one_id in chunk}, facts_rows.orders, facts_rows.interactions
        )
        scored = score_activity(
            model, activity, horizon_days=context.horizon_days, as_of=as_of, lifecycle_config=context.lifecycle
        )
        return _UserInputs(facts_rows, held_by, {row.one_id: row for row in scored}, as_of, featured)

    chunks = [targets[begin : begin + CHUNK] for begin in range(0, len(targets), CHUNK)]
    # chunks hold different consumers, so reading the next while writing this one collides with nothing
    done = 0
    async for chunk, inputs in read_ahead(chunks, read):
        changes = await asyncio.to_thread(_evaluate_users, inputs, rules, context, report)
        score_rows = [_score_row(inputs.scores[one_id]) for one_id in chunk if one_id in inputs.scores]
        write = partial(_write_users, changes=changes, score_rows=score_rows, now=now, as_of=as_of,
                        fit_id=fit_id, report=report)  # fmt: skip
        await store.write(write, retry_conflicts=True)
        report.objects += len(inputs.facts_rows.one_ids)
        done += len(chunk)
        if on_progress:
            on_progress(done, len(targets))
    report.seconds = time.perf_counter() - started
    return report


async def _recompute_catalog(
    store: GraphAccess,
    kind: ObjectType,
    rules: Sequence[CompiledRule],
    on_progress: Callable[[int, int], object] | None,
) -> RecomputeReport:
    report = RecomputeReport(kind)
    started = time.perf_counter()
    keys = await catalog_store.all_keys(store, str(kind))
    now = utc_now()
    for begin in range(0, len(keys), CHUNK):
        chunk = keys[begin : begin + CHUNK]
        rows = await catalog_store.catalog_facts(store, str(kind), chunk)
        held_by = dict(zip(chunk, await catalog_tags(store, kind, chunk, now), strict=True))
        changes: list[_Change] = []
        for row in rows:
            held = held_by.get(row["key"], {})
            facts = CatalogFacts(
                key=row["key"],
                properties=catalog_properties(row["properties"]),
                orders=int(row["orders"]),
                interactions=int(row["interactions"]),
                people=len({p for p in row["people"] if p is not None}),
                tags={name: v.value for name, v in held.items() if v.kind is not TagKind.RULE},
            )
            changes.extend(_evaluate(rules, row["key"], catalog_features(facts), held, report))

        async def work(tx: Transaction, changes: list[_Change] = changes) -> None:
            await _write_changes(tx, str(kind), changes, now, report)

        await store.write(work, retry_conflicts=True)
        report.objects += len(rows)
        if on_progress:
            on_progress(min(begin + CHUNK, len(keys)), len(keys))
    report.seconds = time.perf_counter() - started
    return report


@pauses_collector
async def recompute(
    store: GraphAccess,
    context: TagContext,
    *,
    object_types: Sequence[ObjectType] = tuple(ObjectType),
    as_of: date | None = None,
    on_progress: Callable[[ObjectType, int, int], object] | None = None,
) -> list[RecomputeReport]:
    """Evaluate every rule tag on every object of the types named; store consumers' value figures."""
    definitions = await tag_definitions(store)
    reports = []
    for kind in object_types:
        rules = rules_of(definitions, kind)

        def progress(done: int, total: int, kind: ObjectType = kind) -> None:
            if on_progress:
                on_progress(kind, done, total)

        if kind is ObjectType.USER:
            reports.append(await _recompute_users(store, None, rules, context, as_of or today(), progress))
        elif rules:
            reports.append(await _recompute_catalog(store, kind, rules, progress))
    return reports


async def write_event_tags(
    store: GraphAccess, tx: Transaction, events: Sequence[Event], rules: Sequence[CompiledRule]
) -> list[str]:
    """Set the event tags the events match on their identifiers; return the evaluation failures."""
    if not rules or not events:
        return []
    content_ids = sorted({e.interaction.content_id for e in events if e.interaction and e.interaction.content_id})
    content = await tag_store.content_of_events(store, content_ids, utc_now()) if content_ids else {}
    rows, failures = event_tag_rows(events, rules, content)
    await tag_store.set_values(tx, "identifier", rows)
    return failures


async def refresh_touched(
    store: GraphAccess, identifier_keys: Sequence[str], context: TagContext | None, rules: Sequence[CompiledRule]
) -> None:
    """After an ingest: the user ``rules`` and value figures of the OneIDs its identifiers belong to.

    Without user rules (or a ``context``) their stored figures are only marked stale, and
    audiences compute them afresh: cheaper than scoring on every ingest.
    """
    if not identifier_keys:
        return
    one_ids = await tag_store.one_ids_of_keys(store, identifier_keys)
    if not one_ids:
        return
    if context is not None and rules:
        await _recompute_users(store, one_ids, rules, context, today(), None)
    else:
        await tag_store.invalidate_scores(store, one_ids)


async def after_bulk_ingest(
    store: GraphAccess, context: TagContext, on_progress: Callable[[int, int], object] | None = None
) -> RecomputeReport | None:
    """After a bulk import, which touched consumers it does not list: re-evaluate every user
    rule (and store every consumer's figures), or, without user rules, mark all figures stale."""
    rules = rules_of(await tag_definitions(store, ObjectType.USER), ObjectType.USER)
    if rules:
        return await _recompute_users(store, None, rules, context, today(), on_progress)
    await tag_store.invalidate_scores(store, None)
    return None


def event_tag_rows(
    events: Sequence[Event], rules: Sequence[CompiledRule], content: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The values event rules set on the identifiers of matching events, and the failures.

    A value is set as of the event's time and expires by the tag's TTL from then, so an
    old event replayed today sets a value that may already have expired.
    """
    rows: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    for event in events:
        if not event.identifiers:
            continue
        features = {
            "event_type": event.type,
            "source": event.source,
            "attributes": dict(event.attributes),
            "order": _order_features(event),
            "interaction": _interaction_features(event),
            "content": content.get(event.interaction.content_id or "", {}) if event.interaction else {},
        }
        bound = bind(rules, features)
        for rule in rules:
            try:
                value = rule.evaluate(bound)
            except EvaluationError as error:
                failures.append(f"{rule.definition.key} on event {event.event_id}: {error}")
                continue
            if value is None:
                continue
            for identifier in event.identifiers:
                key = value_key(rule.definition.key, "identifier", identifier.key)
                held = rows.get(key)
                if held is not None and held["updated_at"] > event.ts:
                    continue
                rows[key] = {
                    "object": identifier.key, "key": key, "tag": rule.definition.key, "name": rule.definition.name,
                    "value": value, "kind": str(TagKind.EVENT), "source": f"event:{event.event_id}",
                    "confidence": None, "updated_at": event.ts, "expires_at": expires_at(rule.definition, event.ts),
                }  # fmt: skip
    return list(rows.values()), failures


def _order_features(event: Event) -> dict[str, Any]:
    if event.order is None:
        return {}
    order = event.order
    return {
        "order_id": order.order_id,
        "amount": order.amount,
        "currency": order.currency,
        "channel": order.channel or "",
        "skus": [item.sku for item in order.items],
    }


def _interaction_features(event: Event) -> dict[str, Any]:
    if event.interaction is None:
        return {}
    interaction = event.interaction
    return {
        "kind": interaction.kind,
        "content_id": interaction.content_id or "",
        "channel": interaction.channel or "",
    }
