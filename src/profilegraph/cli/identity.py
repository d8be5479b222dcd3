"""``profilegraph`` commands for identity: import, resolve, export, and the admin operations."""

from __future__ import annotations

import getpass
import json
import sys
from dataclasses import asdict
from typing import Any

import click
from tqdm import tqdm

from profilegraph.cli._common import echo_json, identifier_key, open_output, with_graph
from profilegraph.domain.events import InputWarning, Rejection
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.services import admin
from profilegraph.services.config import input_limits, tag_context
from profilegraph.services.households import households_of_person
from profilegraph.services.ingest import bounded_lines, ingest_lines, problem_record
from profilegraph.services.lookup import all_one_ids
from profilegraph.services.resolution import resolve_full
from profilegraph.services.runtime import GraphRuntime
from profilegraph.services.tags import after_bulk_ingest

__all__ = [
    "block_command",
    "conflicts_command",
    "explain_command",
    "export_command",
    "history_command",
    "import_command",
    "merge_command",
    "resolve_command",
    "split_command",
    "unblock_command",
]

EXIT_LINES_REJECTED = 3

_actor_option = click.option("--actor", default=getpass.getuser, help="Who does this (for the audit).")
_reason_option = click.option("--reason", required=True, help="Why (kept in the audit trail).")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@click.option(
    "--errors",
    "errors",
    type=click.Path(dir_okay=False),
    help="Write every rejection and warning to this file, one JSON object per line, with the line it came from.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--strict",
    is_flag=True,
    help="Reject a whole event when one of its identifiers is invalid, instead of leaving that identifier out.",
)
@click.option(
    "--resolve-each-batch",
    "each_batch",
    is_flag=True,
    help="Resolve OneIDs in every batch's transaction instead of once at the end (slower; OneIDs appear as it goes).",
)
def import_command(
    file: str, batch_size: int, errors: str | None, as_json: bool, strict: bool, each_batch: bool
) -> None:
    """Ingest NDJSON events from FILE (or - for standard input); replays change nothing.

    \b
    One JSON event per line, for example:
      {"event_id": "ev-1", "type": "identify", "ts": "2026-01-02T03:04:05Z",
       "source": "app", "identifiers": [{"type": "phone", "value": "13800138001"},
       {"type": "member_id", "value": "M1"}], "attributes": {"city": "上海"}}
    Types: identify, order (with "order"), interaction (with "interaction"), and
    catalog records product, content, channel. The whole contract, with every
    field and rejection code, is docs/events.md in the repository.

    An invalid identifier is left out of its event with a warning, and the rest of
    the event goes in (--strict rejects the event instead). OneIDs are resolved once
    at the end of the import; an interrupted import is finished by running it again.
    Exits 0 when every line went in, 3 when some lines were rejected (the others went
    in), 1 on an error that stopped the import.
    """
    # Bytes, decoded line by line: a line that is not UTF-8 is rejected like any bad line.
    error_sink = open_output(errors) if errors else None
    source = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115 - closed below
    progress = tqdm(unit=" events", unit_scale=True, desc="import", file=sys.stderr, disable=None)
    resolving: list[tqdm[Any]] = []

    def on_resolve_progress(resolved: int, total: int) -> None:
        # The batches are in; a second bar follows the OneID resolution that ends the import.
        if not resolving:
            progress.close()
            resolving.append(
                tqdm(
                    total=total,
                    unit=" identifiers",
                    unit_scale=True,
                    desc="resolving OneIDs",
                    file=sys.stderr,
                    disable=None,
                )
            )
        bar = resolving[0]
        bar.update(resolved - bar.n)

    tagging: list[tqdm[Any]] = []

    def on_tags_progress(done: int, total: int) -> None:
        # With user rule tags, the import ends by re-evaluating them for every consumer.
        if not tagging:
            for bar in (progress, *resolving):
                bar.close()
            tagging.append(tqdm(total=total, unit=" profiles", desc="rule tags", file=sys.stderr, disable=None))
        tagging[0].update(done - tagging[0].n)

    def on_problem(problem: Rejection | InputWarning, raw: str | bytes | None) -> None:
        if error_sink is not None:
            error_sink.write(problem_record(problem, raw))

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> dict[str, object]:
        limits = input_limits(runtime.settings)
        report = await ingest_lines(
            runtime.store,
            bounded_lines(source, limits.line_bytes),
            config,
            batch_size=batch_size,
            limits=limits,
            strict=strict,
            on_progress=progress.update,
            on_problem=on_problem,
            deferred=not each_batch,
            on_resolve_progress=on_resolve_progress,
        )
        await after_bulk_ingest(runtime.store, tag_context(runtime.settings), on_tags_progress)
        return report.as_dict()

    try:
        result = with_graph(
            action,
            on_interrupt="run the same import again to finish it: the events already in are skipped",
        )
    finally:
        progress.close()
        for bar in (*resolving, *tagging):
            bar.close()
        if source is not sys.stdin.buffer:
            source.close()
        if error_sink is not None:
            error_sink.close()
    if as_json:
        echo_json(result)
    else:
        click.echo(
            f"{result['lines']} lines: {result['accepted']} accepted, {result['duplicates']} duplicates, "
            f"{result['rejected']} rejected, {result['warnings']} with invalid identifiers left out"
        )
        for title, problems in (("rejected", result["rejections"]), ("warnings", result["warning_details"])):
            if problems:
                click.echo(f"{title}:")
            for problem in problems:  # type: ignore[attr-defined]
                click.echo(f"  line {problem['line']}: {problem['field']}: {problem['code']}: {problem['message']}")
    if result["rejected"]:
        sys.exit(EXIT_LINES_REJECTED)


@click.command("resolve")
@click.option("--full", is_flag=True, required=True, help="Recompute every OneID from all evidence.")
def resolve_command(full: bool) -> None:
    """Recompute the OneID partition from all evidence, a chunk of evidence components per transaction.

    Apply it after changing the identity configuration. It can be interrupted and run again.
    """
    progress = tqdm(unit=" identifiers", unit_scale=True, desc="resolving OneIDs", file=sys.stderr, disable=None)

    def on_progress(done: int, total: int) -> None:
        progress.total = total
        progress.update(done - progress.n)

    try:
        summary = with_graph(
            lambda rt, config: resolve_full(rt.store, config, on_progress=on_progress),
            on_interrupt="the chunks already resolved stay; run resolve --full again to finish",
        )
    finally:
        progress.close()
    echo_json(
        {
            "identifiers": summary.identifiers,
            "one_ids": summary.one_ids,
            "created": len(summary.created),
            "merged": len(summary.merged),
            "conflicts": summary.conflicts,
        }
    )


@click.command("export-oneids")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def export_command(file: str) -> None:
    """Write {identifier key: OneID} for every identifier that belongs to a OneID."""
    sink = None if file == "-" else open_output(file)
    try:
        mapping = with_graph(lambda rt, config: all_one_ids(rt.store))
        text = json.dumps(dict(sorted(mapping.items())), ensure_ascii=False)
        if sink is None:
            click.echo(text)
            return
        sink.write(text.encode())
    finally:
        if sink is not None:
            sink.close()
    click.echo(f"{len(mapping)} identifiers in {len(set(mapping.values()))} OneIDs written to {file}", err=True)


@click.command("merge")
@click.argument("one_id_a")
@click.argument("one_id_b")
@_actor_option
@_reason_option
def merge_command(one_id_a: str, one_id_b: str, actor: str, reason: str) -> None:
    """Merge two OneIDs for good."""
    change = with_graph(
        lambda rt, config: admin.merge_profiles(rt.store, config, one_id_a, one_id_b, actor=actor, reason=reason)
    )
    echo_json(asdict(change))


@click.command("split")
@click.argument("one_id")
@click.argument("identifiers", nargs=-1, required=True, callback=identifier_key)
@_actor_option
@_reason_option
def split_command(one_id: str, identifiers: tuple[str, ...], actor: str, reason: str) -> None:
    """Split IDENTIFIERS (type:value) out of ONE_ID for good."""
    change = with_graph(
        lambda rt, config: admin.split_profile(rt.store, config, one_id, identifiers, actor=actor, reason=reason)
    )
    echo_json(asdict(change))


def _set_block(identifier: str, actor: str, reason: str, *, blocked: bool) -> None:
    change = with_graph(
        lambda rt, config: admin.block_identifier(
            rt.store, config, identifier, blocked=blocked, actor=actor, reason=reason
        )
    )
    echo_json(asdict(change))


@click.command("block")
@click.argument("identifier", callback=identifier_key)
@_actor_option
@_reason_option
def block_command(identifier: str, actor: str, reason: str) -> None:
    """Block an identifier value (type:value): it never links anything again."""
    _set_block(identifier, actor, reason, blocked=True)


@click.command("unblock")
@click.argument("identifier", callback=identifier_key)
@_actor_option
@_reason_option
def unblock_command(identifier: str, actor: str, reason: str) -> None:
    """Lift an admin block on an identifier value (type:value)."""
    _set_block(identifier, actor, reason, blocked=False)


@click.command("explain")
@click.argument("a", callback=identifier_key)
@click.argument("b", callback=identifier_key)
def explain_command(a: str, b: str) -> None:
    """Why identifiers A and B (type:value) share a OneID, or why not."""
    explanation = with_graph(lambda rt, config: admin.explain_link(rt.store, config, a, b))
    echo_json(asdict(explanation))


@click.command("history")
@click.argument("one_id")
def history_command(one_id: str) -> None:
    """Merges into and out of ONE_ID, and its audit trail."""
    history = with_graph(lambda rt, config: admin.merge_history(rt.store, one_id))
    echo_json(asdict(history))


@click.command("household")
@click.argument("one_id_or_identifier")
def household_command(one_id_or_identifier: str) -> None:
    """The households of a OneID (or of an identifier's OneID): the family members' OneIDs and their shared devices."""
    found = with_graph(lambda rt, config: households_of_person(rt.store, config, one_id_or_identifier))
    echo_json(asdict(found))


@click.command("conflicts")
@click.option("--status", default="open", type=click.Choice(["open", "resolved"]), show_default=True)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
def conflicts_command(status: str, limit: int) -> None:
    """Links refused by a type limit or an admin split."""
    echo_json(
        [asdict(c) for c in with_graph(lambda rt, config: admin.list_conflicts(rt.store, status=status, limit=limit))]
    )
