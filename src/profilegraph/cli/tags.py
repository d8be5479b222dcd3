"""``profilegraph tags``: define tags, list them, and recompute rule tags in bulk."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Any

import click
from tqdm import tqdm

from profilegraph.cli._common import echo_json, parse_date, with_graph
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.tags import ObjectType, TagDefinition, TagKind, ValueType
from profilegraph.services import tags as tag_service
from profilegraph.services.config import tag_context
from profilegraph.services.runtime import GraphRuntime

__all__ = ["tags"]


@click.group()
def tags() -> None:
    """Tags on users, products, content and channels (docs/tags.md)."""


@tags.command("define")
@click.argument("name")
@click.option("--object", "object_type", type=click.Choice([o.value for o in ObjectType]), default="user")
@click.option("--type", "value_type", type=click.Choice([v.value for v in ValueType]), default="bool")
@click.option("--kind", type=click.Choice([k.value for k in TagKind]), required=True)
@click.option("--expression", help="The CEL expression of a rule or event tag.")
@click.option("--ttl-seconds", type=click.IntRange(min=1))
@click.option("--description", default="")
def define_command(
    name: str,
    object_type: str,
    value_type: str,
    kind: str,
    expression: str | None,
    ttl_seconds: int | None,
    description: str,
) -> None:
    """Define tag NAME, or change its description, TTL or expression.

    \b
    Example, a rule tag over the consumer's features:
      profilegraph tags define big_spender --kind rule \\
        --expression "amount_365d >= 1000.0 && orders_365d >= 3"
    """

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> TagDefinition:
        return await tag_service.define_tag(
            runtime.store,
            name=name,
            object_type=ObjectType(object_type),
            value_type=ValueType(value_type),
            kind=TagKind(kind),
            description=description,
            ttl_seconds=ttl_seconds,
            expression=expression,
            actor="cli",
        )

    echo_json(asdict(with_graph(action)))


@tags.command("delete")
@click.argument("name")
@click.option("--object", "object_type", type=click.Choice([o.value for o in ObjectType]), default="user")
@click.option("--reason", required=True, help="Kept in the audit trail.")
def delete_command(name: str, object_type: str, reason: str) -> None:
    """Delete tag NAME and every value of it."""

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> None:
        await tag_service.delete_tag(runtime.store, ObjectType(object_type), name, actor="cli", reason=reason)

    with_graph(action)
    click.echo(f"deleted {object_type} tag {name} and its values")


@tags.command("list")
@click.option("--object", "object_type", type=click.Choice([o.value for o in ObjectType]))
def list_command(object_type: str | None) -> None:
    """The tag definitions, as JSON."""

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> list[TagDefinition]:
        return await tag_service.tag_definitions(runtime.store, ObjectType(object_type) if object_type else None)

    echo_json([asdict(d) for d in with_graph(action)])


@tags.command("recompute")
@click.option(
    "--object",
    "object_types",
    type=click.Choice([o.value for o in ObjectType]),
    multiple=True,
    help="Only these object types (repeatable); all by default.",
)
@click.option("--as-of", help="Evaluate as of this date (YYYY-MM-DD); today by default.")
@click.option("--json", "as_json", is_flag=True)
def recompute_command(object_types: tuple[str, ...], as_of: str | None, as_json: bool) -> None:
    """Evaluate every rule tag on every object, and store consumers' value figures for audiences.

    Run it daily (figures such as P(alive) and days since the last order move with the
    date) and after `clv fit`. Ingestion keeps the consumers it touches current in between.
    """
    as_of_date = parse_date(as_of)
    bars: dict[ObjectType, tqdm[Any]] = {}

    def on_progress(kind: ObjectType, done: int, total: int) -> None:
        if kind not in bars:
            bars[kind] = tqdm(total=total, unit=f" {kind}s", desc=str(kind), file=sys.stderr, disable=None)
        bars[kind].update(done - bars[kind].n)

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> list[tag_service.RecomputeReport]:
        return await tag_service.recompute(
            runtime.store,
            tag_context(runtime.settings),
            object_types=[ObjectType(o) for o in object_types] or tuple(ObjectType),
            as_of=as_of_date,
            on_progress=on_progress,
        )

    try:
        reports = with_graph(action, on_interrupt="run it again: every chunk written stays, and it starts over")
    finally:
        for bar in bars.values():
            bar.close()
    if as_json:
        echo_json([asdict(r) for r in reports])
        return
    for report in reports:
        rate = report.objects / report.seconds if report.seconds else 0.0
        click.echo(
            f"{report.object_type}: {report.objects:,} objects in {report.seconds:.1f} s ({rate:,.0f}/s): "
            f"{report.set:,} values set, {report.cleared:,} cleared, {report.failed:,} evaluations failed"
        )
        for error in report.errors[:5]:
            click.echo(f"  {error}")
