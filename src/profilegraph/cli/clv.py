"""``profilegraph clv ...``: fit, show, audiences, value map, and the CDNOW loader."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from typing import IO

import click

from profilegraph.cli._common import echo_json, parse_date, with_graph
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.domain.lifecycle import Stage, Tier
from profilegraph.domain.valuation import ClvModel
from profilegraph.errors import InvalidInputError
from profilegraph.services import clv as clv_service
from profilegraph.services.cdnow import cdnow_events
from profilegraph.services.clv import snapshots
from profilegraph.services.clv._common import today
from profilegraph.services.config import lifecycle_config
from profilegraph.services.ingest import IngestReport, ingest_events
from profilegraph.services.runtime import GraphRuntime

__all__ = ["clv"]


@click.group()
def clv() -> None:
    """Customer lifetime value, RFM and lifecycle."""


@clv.command("import-cdnow")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def import_cdnow(file: IO[str]) -> None:
    """Load a CDNOW file (master or sample format) as orders of member_id identifiers."""
    try:  # read it all first: a file in another format is refused before a server starts
        events = list(cdnow_events(file))
    except InvalidInputError as exc:
        raise click.ClickException(f"{file.name}: {exc.message}") from None
    if not events:
        raise click.ClickException(f"{file.name}: no CDNOW purchases in it")

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> IngestReport:
        return await ingest_events(runtime.store, events, config, batch_size=2000)

    report = with_graph(action)
    click.echo(f"{report.accepted} orders loaded, {report.duplicates} already present, {report.rejected} rejected")


@clv.command("fit")
@click.option("--until", help="End of the calibration period (YYYY-MM-DD) [default: today].")
@click.option("--unit", type=click.Choice(["days", "weeks"]), default="weeks", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def fit(until: str | None, unit: str, as_json: bool) -> None:
    """Fit the population models from every OneID's orders, and store them."""
    calibration_end = parse_date(until)

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> ClvModel:
        settings = runtime.settings
        return await clv_service.fit_population(
            runtime.store,
            until=calibration_end,
            unit=unit,
            annual_discount_rate=settings.clv_annual_discount_rate,
            reference_horizon_days=settings.clv_horizon_days,
            lifecycle_config=lifecycle_config(settings),
            on_fitting=lambda customers, day: click.echo(
                f"fitting the models on {customers:,} customers with orders up to {day}…", err=True
            ),
        )

    model = with_graph(action, on_interrupt="no fit was stored; the previous one, if any, stays in use")
    if as_json:
        echo_json(
            {
                "bgnbd": {
                    "r": model.bgnbd.r,
                    "alpha": model.bgnbd.alpha,
                    "a": model.bgnbd.a,
                    "b": model.bgnbd.b,
                    "log_likelihood": model.bgnbd.log_likelihood,
                },
                "pareto_nbd": {
                    "r": model.pareto_nbd.r,
                    "alpha": model.pareto_nbd.alpha,
                    "s": model.pareto_nbd.s,
                    "beta": model.pareto_nbd.beta,
                    "log_likelihood": model.pareto_nbd.log_likelihood,
                },
                "gamma_gamma": {"p": model.gamma_gamma.p, "q": model.gamma_gamma.q, "v": model.gamma_gamma.v},
                "customers": model.customers,
            }
        )
        return
    b = model.bgnbd
    click.echo(
        f"fitted on {model.customers} customers up to {model.until} ({model.unit}); "
        f"BG/NBD r={b.r:.3f} alpha={b.alpha:.3f} a={b.a:.3f} b={b.b:.3f} LL={b.log_likelihood:.1f}"
    )


@clv.command("show")
@click.argument("wanted", metavar="ONEID_OR_IDENTIFIER_KEY")
@click.option("--horizon-days", type=click.IntRange(1, 3650), default=None)
@click.option("--as-of", help="Compute as of this date (YYYY-MM-DD) [default: today].")
@click.option("--json", "as_json", is_flag=True)
def show(wanted: str, horizon_days: int | None, as_of: str | None, as_json: bool) -> None:
    """One profile's CLV, RFM and lifecycle."""
    as_of_date = parse_date(as_of)

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> clv_service.ProfileValue:
        settings = runtime.settings
        return await clv_service.profile_value(
            runtime.store,
            config,
            wanted,
            horizon_days=horizon_days or settings.clv_horizon_days,
            as_of=as_of_date,
            lifecycle_config=lifecycle_config(settings),
        )

    value = with_graph(action)
    if as_json:
        echo_json(asdict(value))
        return
    figures, stage = value.clv, value.lifecycle
    redirected = f" (asked for {value.requested}, which was merged into it)" if value.redirected else ""
    click.echo(f"OneID {value.one_id}{redirected}")
    click.echo(f"  historic value      {figures.historic:,.2f}")
    if figures.predicted is None:
        click.echo("  predicted value     n/a: no model fitted yet (run `profilegraph clv fit`)")
    else:
        click.echo(f"  predicted value     {figures.predicted:,.2f} over the next {figures.horizon_days} days")
        click.echo(f"  expected purchases  {figures.expected_purchases or 0:.2f}")
        if figures.p_alive is not None:
            click.echo(f"  P(alive)            {figures.p_alive:.0%}")
    if figures.rfm is not None:
        rfm = figures.rfm
        click.echo(f"  RFM                 R{rfm.r} F{rfm.f} M{rfm.m} ({rfm.segment})")
    click.echo(f"  lifecycle           {stage.stage} since {stage.since}, tier {stage.tier}")


@clv.command("list")
@click.option("--stage", type=click.Choice([s.value for s in Stage]))
@click.option("--tier", type=click.Choice([t.value for t in Tier]))
@click.option("--clv-min", type=float)
@click.option("--clv-max", type=float)
@click.option("--horizon-days", type=click.IntRange(1, 3650), default=None)
@click.option("--as-of")
def list_command(
    stage: str | None,
    tier: str | None,
    clv_min: float | None,
    clv_max: float | None,
    horizon_days: int | None,
    as_of: str | None,
) -> None:
    """OneIDs by lifecycle stage, value tier and predicted CLV range, one JSON object a line."""
    as_of_date = parse_date(as_of)

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> list[clv_service.ProfileRow]:
        settings = runtime.settings
        return await clv_service.list_profiles(
            runtime.store,
            stage=Stage(stage) if stage else None,
            tier=Tier(tier) if tier else None,
            clv_min=clv_min,
            clv_max=clv_max,
            horizon_days=horizon_days or settings.clv_horizon_days,
            as_of=as_of_date,
            lifecycle_config=lifecycle_config(settings),
        )

    for row in with_graph(action):
        click.echo(json.dumps(asdict(row), default=str))


@clv.command("map")
@click.option("--buckets", default="0,50,100,200,500,1000", show_default=True, help="CLV bucket edges.")
@click.option("--horizon-days", type=click.IntRange(1, 3650), default=None)
@click.option("--as-of")
@click.option("--json", "as_json", is_flag=True)
def map_command(buckets: str, horizon_days: int | None, as_of: str | None, as_json: bool) -> None:
    """The customer value map: CLV histogram, stages, tiers and totals."""
    try:
        edges = [float(edge) for edge in buckets.split(",") if edge.strip()]
    except ValueError:
        raise click.BadParameter(f"{buckets!r}: bucket edges are numbers separated by commas") from None
    as_of_date = parse_date(as_of)

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> clv_service.ValueMap:
        settings = runtime.settings
        return await clv_service.value_map(
            runtime.store,
            buckets=edges,
            horizon_days=horizon_days or settings.clv_horizon_days,
            as_of=as_of_date,
            lifecycle_config=lifecycle_config(settings),
        )

    result = asdict(with_graph(action))
    if as_json:
        echo_json(result)
        return
    click.echo(
        f"{result['customers']:,} customers, {result['buyers']:,} buyers, historic {result['historic_total']:,.2f}"
    )
    if result["predicted_total"] is not None:
        click.echo(f"predicted {result['predicted_total']:,.2f} over {result['horizon_days']} days")
    click.echo("CLV")
    for bucket in result["histogram"]:
        click.echo(f"  {_bucket_label(bucket['from'], bucket['to']):<20} {bucket['count']:>8,}")
    for title, counts in (("stage", result["stages"]), ("tier", result["tiers"])):
        click.echo(title)
        for name, count in counts.items():
            click.echo(f"  {name:<20} {count:>8,}")


@clv.command("snapshot")
@click.option("--as-of", help="The date the value map describes (YYYY-MM-DD) [default: today].")
@click.option("--json", "as_json", is_flag=True)
def snapshot_command(as_of: str | None, as_json: bool) -> None:
    """Compute the value map and append it, with its date, to the series valueMapHistory serves."""
    as_of_date = parse_date(as_of)

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> snapshots.ValueMapSnapshot:
        settings = runtime.settings
        return await snapshots.take_snapshot(
            runtime.store,
            horizon_days=settings.clv_horizon_days,
            lifecycle_config=lifecycle_config(settings),
            taken_by="cli",
            as_of=as_of_date,
        )

    taken = with_graph(action)
    if as_json:
        echo_json(asdict(taken))
        return
    click.echo(
        f"value map of {taken.as_of} kept: {taken.customers:,} customers, "
        f"{taken.high_value_share:.1%} high-value, predicted {taken.predicted_total or 0:,.2f}"
    )


@clv.command("history")
@click.option("--from", "first", help="First date (YYYY-MM-DD) [default: 90 days ago].")
@click.option("--to", "last", help="Last date (YYYY-MM-DD) [default: today].")
@click.option("--json", "as_json", is_flag=True)
def history_command(first: str | None, last: str | None, as_json: bool) -> None:
    """The value map's snapshots between two dates, oldest first."""
    last_date = parse_date(last) or today()
    first_date = parse_date(first) or last_date - timedelta(days=90)

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> list[snapshots.ValueMapSnapshot]:
        return await snapshots.snapshot_history(runtime.store, first_date, last_date)

    try:
        found = with_graph(action)
    except InvalidInputError as exc:
        raise click.BadParameter(exc.message) from exc
    if as_json:
        echo_json([asdict(s) for s in found])
        return
    for s in found:
        stages = ", ".join(f"{name} {count:,}" for name, count in s.stages.items())
        click.echo(
            f"{s.as_of}  {s.customers:>9,} customers  {s.high_value_share:6.1%} high-value  "
            f"predicted {s.predicted_total or 0:>14,.2f}  {stages}"
        )


def _bucket_label(low: float | None, high: float | None) -> str:
    if low is None:
        return f"below {high:,.0f}"
    if high is None:
        return f"{low:,.0f} and above"
    return f"{low:,.0f} to {high:,.0f}"
