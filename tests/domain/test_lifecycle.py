from __future__ import annotations

from datetime import date, timedelta

from profilegraph.domain.lifecycle import LifecycleConfig, LifecycleFacts, Stage, Tier, lifecycle
from profilegraph.domain.rfm import RfmCuts, score_rfm, segment

CONFIG = LifecycleConfig()
TODAY = date(2026, 6, 30)


def days_ago(*ago: int) -> list[date]:
    return sorted(TODAY - timedelta(days=n) for n in ago)


def test_identified_without_orders_is_potential() -> None:
    stage = lifecycle(
        LifecycleFacts(first_seen=date(2026, 5, 1), order_days=[], interaction_days=days_ago(3)), TODAY, CONFIG
    )
    assert (stage.stage, stage.since, stage.tier) == (Stage.POTENTIAL, date(2026, 5, 1), Tier.GROWABLE)


def test_a_first_order_within_the_window_is_new() -> None:
    stage = lifecycle(LifecycleFacts(date(2026, 6, 1), days_ago(10), []), TODAY, CONFIG)
    assert (stage.stage, stage.since) == (Stage.NEW, TODAY - timedelta(days=10))


def test_silence_beyond_the_threshold_is_dormant_from_when_it_crossed() -> None:
    stage = lifecycle(LifecycleFacts(date(2025, 1, 1), days_ago(200, 100), days_ago(60)), TODAY, CONFIG)
    assert (stage.stage, stage.since) == (Stage.DORMANT, TODAY - timedelta(days=60) + timedelta(days=45))
    assert (
        lifecycle(
            LifecycleFacts(date(2025, 1, 1), days_ago(200, 100), days_ago(60)), TODAY, LifecycleConfig(dormant_days=90)
        ).stage
        == Stage.ACTIVE
    )


def test_low_p_alive_is_churned() -> None:
    facts = LifecycleFacts(date(2025, 1, 1), days_ago(300, 200), [], p_alive=0.05, churned_since=date(2026, 2, 1))
    assert (lifecycle(facts, TODAY, CONFIG).stage, lifecycle(facts, TODAY, CONFIG).since) == (
        Stage.CHURNED,
        date(2026, 2, 1),
    )


def test_top_predicted_value_is_high_value() -> None:
    facts = LifecycleFacts(
        date(2025, 1, 1),
        days_ago(300, 100, 5),
        [],
        p_alive=0.9,
        predicted=900.0,
        high_value_cutoff=500.0,
        fitted_at=date(2026, 6, 1),
    )
    stage = lifecycle(facts, TODAY, CONFIG)
    assert (stage.stage, stage.tier, stage.since) == (Stage.HIGH_VALUE, Tier.HIGH_VALUE, date(2026, 6, 1))


def test_active_since_the_return_after_the_last_long_gap() -> None:
    facts = LifecycleFacts(
        date(2025, 1, 1), days_ago(300, 200, 20), days_ago(10), p_alive=0.8, predicted=10.0, high_value_cutoff=500.0
    )
    stage = lifecycle(facts, TODAY, CONFIG)
    assert (stage.stage, stage.since, stage.tier) == (Stage.ACTIVE, TODAY - timedelta(days=20), Tier.GROWABLE)


def test_rfm_scores_against_the_population_and_names_the_segment() -> None:
    cuts = RfmCuts(recency_days=(10, 30, 60, 120), frequency=(1, 2, 3, 5), monetary=(20, 40, 60, 100))
    score = score_rfm(recency_days=5, frequency=8, monetary=150.0, cuts=cuts)
    assert (score.r, score.f, score.m, score.segment) == (5, 5, 5, "champions")
    assert score_rfm(200, 1, 10.0, cuts).segment == "hibernating"
    assert segment(5, 1) == "new_customers"
    assert segment(1, 5) == "cant_lose_them"
