"""``profilegraph models`` and ``profilegraph segments``: the churn model, scoring, discovered segments."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Any

import click
from tqdm import tqdm

from profilegraph.cli._common import echo_json, parse_date, with_graph
from profilegraph.domain.diagnosis.churn import ChurnModel
from profilegraph.domain.diagnosis.segments import Segmentation
from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.services.config import diagnosis_context, tag_context
from profilegraph.services.diagnosis import models as diagnosis_models
from profilegraph.services.diagnosis.churn import train_churn_model
from profilegraph.services.diagnosis.scoring import ScoringReport, score_everyone
from profilegraph.services.diagnosis.segments import discover_segments
from profilegraph.services.runtime import GraphRuntime

__all__ = ["models", "segments"]


@click.group()
def models() -> None:
    """The churn model, and scoring every consumer (docs/diagnosis.md)."""


@models.group("train")
def train() -> None:
    """Train a model."""


def _required_date(value: str, name: str) -> Any:
    parsed = parse_date(value)
    if parsed is None:
        raise click.BadParameter("a date is required", param_hint=name)
    return parsed


@train.command("churn")
@click.option("--until", required=True, help="End of the calibration period (YYYY-MM-DD): features as of then.")
@click.option("--holdout-until", required=True, help="End of the holdout period: the label is any order before it.")
@click.option("--unit", type=click.Choice(["days", "weeks"]), default="weeks", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--no-score", is_flag=True, help="Only train; do not write churn_risk to every consumer.")
@click.option("--json", "as_json", is_flag=True)
def train_churn(until: str, holdout_until: str, unit: str, seed: int, no_score: bool, as_json: bool) -> None:
    """Train the churn model on a calibration period, evaluate it on the holdout after it, store it,
    and score every consumer with it (tag churn_risk)."""
    calibration_end = _required_date(until, "--until")
    holdout_end = _required_date(holdout_until, "--holdout-until")

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> tuple[ChurnModel, ScoringReport | None]:
        settings = runtime.settings
        model = await train_churn_model(
            runtime.store,
            tag_context(settings),
            until=calibration_end,
            holdout_until=holdout_end,
            unit=unit,
            annual_discount_rate=settings.clv_annual_discount_rate,
            seed=seed,
            on_step=lambda message: click.echo(f"{message}…", err=True),
        )
        scored = None if no_score else await score_everyone(runtime.store, diagnosis_context(settings))
        return model, scored

    model, scored = with_graph(action, on_interrupt="no model was stored; the previous one, if any, stays in use")
    metrics = model.metrics
    if as_json:
        echo_json({
            "roc_auc": metrics.roc_auc, "p_alive_roc_auc": metrics.p_alive_roc_auc,
            "precision_at_10": metrics.precision_at_10, "customers": metrics.customers, "churned": metrics.churned,
            "trained_at": model.trained_at, "scored": scored.churn_scored if scored else None,
        })  # fmt: skip
        return
    click.echo(
        f"churn model trained on {metrics.customers:,} customers ({metrics.churned:,} bought nothing between "
        f"{model.until} and {model.holdout_until}):\n"
        f"  ROC AUC {metrics.roc_auc:.3f} (P(alive) alone: {metrics.p_alive_roc_auc:.3f}); "
        f"of the 10 % most at risk, {metrics.precision_at_10:.1%} churned"
    )
    if scored:
        click.echo(f"  churn_risk written for {scored.churn_scored:,} customers")


@models.command("score")
@click.option("--as-of", help="Score as of this date (YYYY-MM-DD); today by default.")
@click.option("--json", "as_json", is_flag=True)
def score(as_of: str | None, as_json: bool) -> None:
    """Score every consumer: churn risk, high-value sub-type, intent and segment, as model tags.

    Run it daily, after `tags recompute`: the scores move with the date and the events.
    """
    as_of_date = parse_date(as_of)
    bar: list[tqdm[Any]] = []

    def on_progress(done: int, total: int) -> None:
        if not bar:
            bar.append(tqdm(total=total, unit=" profiles", desc="scoring", file=sys.stderr, disable=None))
        bar[0].update(done - bar[0].n)

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> ScoringReport:
        context = diagnosis_context(runtime.settings)
        return await score_everyone(runtime.store, context, as_of=as_of_date, on_progress=on_progress)

    try:
        report = with_graph(action, on_interrupt="run it again: every chunk written stays")
    finally:
        for each in bar:
            each.close()
    if as_json:
        echo_json(asdict(report))
        return
    rate = report.profiles / report.seconds if report.seconds else 0.0
    click.echo(
        f"scored {report.profiles:,} profiles in {report.seconds:.1f} s ({rate:,.0f}/s): "
        f"churn risk {report.churn_scored:,}"
        f"{'' if report.churn_model else ' (no churn model: run models train churn)'}, "
        f"high-value type {report.high_value_typed:,}, intent {report.intent_scored:,}, "
        f"segment {report.segmented:,}{'' if report.segmentation else ' (no segments: run segments discover)'}; "
        f"{report.set:,} values set, {report.cleared:,} cleared"
    )


@models.command("show")
def show() -> None:
    """The churn model in force, as JSON."""

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> ChurnModel | None:
        return await diagnosis_models.latest_churn_model(runtime.store)

    model = with_graph(action, migrate=False)
    if model is None:
        raise click.ClickException("no churn model yet: run `profilegraph models train churn`")
    echo_json(asdict(model))


@click.group()
def segments() -> None:
    """Segments discovered by k-means over RFM and behaviour (docs/diagnosis.md)."""


def _k_range(value: str) -> tuple[int, int]:
    low, _, high = value.partition("..")
    try:
        found = (int(low), int(high or low))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not K or LOW..HIGH", param_hint="--k") from None
    if not 2 <= found[0] <= found[1] <= 20:
        raise click.BadParameter(f"{value!r}: k runs within 2..20, low to high", param_hint="--k")
    return found


def _print_segmentation(segmentation: Segmentation) -> None:
    tried = ", ".join(f"k={k}: {s:.3f}" for k, s in sorted(segmentation.silhouettes.items()))
    click.echo(
        f"{segmentation.k} segments of {segmentation.customers:,} customers (silhouette {tried}; seed "
        f"{segmentation.seed})"
    )
    for segment in segmentation.segments:
        click.echo(
            f"  {segment.id}: {segment.size:>8,} customers, {segment.value_share:6.1%} of value — {segment.description}"
        )


@segments.command("discover")
@click.option("--k", "k", default="2..10", show_default=True, help="K, or a range LOW..HIGH to choose from.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--as-of", help="As of this date (YYYY-MM-DD); today by default.")
@click.option("--no-score", is_flag=True, help="Only discover; do not write the segment tag to every consumer.")
@click.option("--json", "as_json", is_flag=True)
def discover(k: str, seed: int, as_of: str | None, no_score: bool, as_json: bool) -> None:
    """Discover segments, store them and tag every customer with theirs (tag segment)."""
    k_range = _k_range(k)
    as_of_date = parse_date(as_of)

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> Segmentation:
        settings = runtime.settings
        found = await discover_segments(
            runtime.store, tag_context(settings), k_range=k_range, seed=seed, as_of=as_of_date
        )
        if not no_score:
            await score_everyone(runtime.store, diagnosis_context(settings), as_of=as_of_date)
        return found

    segmentation = with_graph(action, on_interrupt="no segments were stored; the previous ones, if any, stay")
    if as_json:
        echo_json(asdict(segmentation))
        return
    _print_segmentation(segmentation)


@segments.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_command(as_json: bool) -> None:
    """The segments in force."""

    async def action(runtime: GraphRuntime, config: IdentityConfig) -> Segmentation | None:
        return await diagnosis_models.latest_segmentation(runtime.store)

    segmentation = with_graph(action, migrate=False)
    if segmentation is None:
        raise click.ClickException("no segments yet: run `profilegraph segments discover`")
    if as_json:
        echo_json(asdict(segmentation))
        return
    _print_segmentation(segmentation)
