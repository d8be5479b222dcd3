"""Diagnosis, the pure parts: churn signals at their thresholds, the churn model, sub-types,
intent and k-means segments."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, roc_auc_score

from profilegraph.domain.diagnosis import churn
from profilegraph.domain.diagnosis.intent import IntentConfig, IntentLevel, intent_level, intent_score
from profilegraph.domain.diagnosis.segments import FEATURES, assign, describe, discover
from profilegraph.domain.diagnosis.shipped import (
    FADING_INTEREST,
    SIGNALS,
    SILENT,
    UNRESPONSIVE,
    ChurnSignalConfig,
    shipped_definitions,
)
from profilegraph.domain.diagnosis.subtypes import HighValueType, SubtypeConfig, high_value_type, subtype_cuts
from profilegraph.domain.features import (
    InteractionRow,
    Scores,
    TouchRow,
    UserFacts,
    unanswered_campaigns,
    user_features,
)
from profilegraph.domain.rules import compile_rule
from profilegraph.domain.tags import TagKind
from profilegraph.errors import InvalidInputError

AS_OF = date(2026, 6, 1)


def _ts(days_ago: int) -> str:
    return f"{AS_OF - timedelta(days=days_ago)}T10:00:00Z"


DEFAULTS = ChurnSignalConfig()


def _signals(facts: UserFacts, config: ChurnSignalConfig = DEFAULTS) -> set[str]:
    """The shipped signal rules, compiled and evaluated as the recompute does."""
    features = user_features(facts, Scores(), AS_OF, config.fading_window_days)
    found = set()
    for definition in shipped_definitions(config, ""):
        if definition.kind is TagKind.RULE and compile_rule(definition).evaluate(features):
            found.add(definition.name)
    return found


def test_shipped_definitions_are_three_rule_signals_and_the_model_tags() -> None:
    definitions = shipped_definitions(ChurnSignalConfig(), "")
    assert [d.name for d in definitions if d.kind is TagKind.RULE] == list(SIGNALS)
    assert {d.name for d in definitions if d.kind is TagKind.MODEL} == {
        "churn_risk", "high_value_type", "intent", "intent_score", "segment",
    }  # fmt: skip
    for definition in definitions:
        if definition.expression:
            compile_rule(definition)  # type-checks against the user features


@pytest.mark.parametrize(("days", "silent"), [(44, False), (45, True)])
def test_silent_holds_from_n_days_without_an_order_or_interaction(days: int, silent: bool) -> None:
    facts = UserFacts(orders=[(_ts(200), 10.0, None)], interactions=[InteractionRow(_ts(days), "app")])
    assert (SILENT in _signals(facts)) is silent
    # an order more recent than the interaction counts as activity too
    facts.orders.append((_ts(3), 5.0, None))
    assert SILENT not in _signals(facts)


def test_silent_follows_its_setting_and_never_holds_for_someone_with_no_activity() -> None:
    facts = UserFacts(orders=[(_ts(10), 10.0, None)])
    assert SILENT in _signals(facts, ChurnSignalConfig(silent_days=10))
    assert SILENT not in _signals(facts, ChurnSignalConfig(silent_days=11))
    assert SILENT not in _signals(UserFacts())


def _campaign(name: str, sent_days_ago: int, *answers: str) -> list[TouchRow]:
    return [TouchRow(_ts(sent_days_ago), name, "sent")] + [
        TouchRow(_ts(sent_days_ago - 1), name, action) for action in answers
    ]


def test_unresponsive_counts_the_newest_campaigns_in_a_row_without_an_answer() -> None:
    touches = (
        _campaign("c1", 90, "opened")
        + _campaign("c2", 60, "delivered")
        + _campaign("c3", 30)
        + _campaign("c4", 10, "delivered")
    )
    assert unanswered_campaigns(touches) == 3
    assert UNRESPONSIVE in _signals(UserFacts(touches=touches))
    # an answer to the newest campaign ends the run, whatever came before
    answered = [*touches, TouchRow(_ts(5), "c4", "clicked")]
    assert unanswered_campaigns(answered) == 0
    assert UNRESPONSIVE not in _signals(UserFacts(touches=answered))
    # two unanswered are below the default of three, and at a setting of two
    two = _campaign("c1", 90, "converted") + _campaign("c2", 60) + _campaign("c3", 30)
    assert UNRESPONSIVE not in _signals(UserFacts(touches=two))
    assert UNRESPONSIVE in _signals(UserFacts(touches=two), ChurnSignalConfig(unresponsive_campaigns=2))
    # a touch after the day looked at is not counted
    later = _campaign("c1", 90, "opened") + _campaign("c2", 60) + _campaign("c3", 30) + _campaign("c4", -5)
    assert unanswered_campaigns([t for t in later if t.ts <= _ts(0)]) == 2
    assert UNRESPONSIVE not in _signals(UserFacts(touches=later))


def _views(sku: str, *days_ago: int) -> list[InteractionRow]:
    return [InteractionRow(_ts(d), "tmall", "view", sku) for d in days_ago]


@pytest.mark.parametrize(
    ("recent", "previous", "fading"),
    [
        (2, 4, True),  # fell by 50 %: at the threshold
        (3, 4, False),  # fell by 25 %
        (0, 1, True),
        (0, 0, False),  # no interest to fade
        (5, 0, False),
    ],
)
def test_fading_interest_compares_the_last_two_windows_of_featured_views(
    recent: int, previous: int, fading: bool
) -> None:
    views = _views("F1", *range(1, 1 + recent)) + _views("F1", *range(30, 30 + previous))
    views += _views("PLAIN", *range(1, 10))  # views of products that are not featured never count
    facts = UserFacts(interactions=views, featured_skus=frozenset({"F1"}))
    features = user_features(facts, Scores(), AS_OF, 30)
    assert (features["featured_views_recent"], features["featured_views_previous"]) == (recent, previous)
    assert (FADING_INTEREST in _signals(facts)) is fading


def test_fading_interest_follows_its_window_and_drop() -> None:
    views = _views("F1", 1, 8, 9, 10)  # 1 in the last 7 days, 3 in the 7 before
    facts = UserFacts(interactions=views, featured_skus=frozenset({"F1"}))
    assert FADING_INTEREST not in _signals(facts)  # with 30-day windows all four are recent
    assert FADING_INTEREST in _signals(facts, ChurnSignalConfig(fading_window_days=7))
    assert FADING_INTEREST not in _signals(facts, ChurnSignalConfig(fading_window_days=7, fading_drop_percent=70))


def test_high_value_types_split_by_quantiles_of_the_high_value_group() -> None:
    frequencies = [2, 3, 4, 5, 6, 7, 8, 9]
    tickets = [500, 400, 300, 200, 800, 90, 60, 700]
    cuts = subtype_cuts(frequencies, tickets, SubtypeConfig())
    assert cuts is not None
    assert (cuts.frequency, cuts.ticket, cuts.customers) == (5.5, 350.0, 8)
    assert high_value_type(9, 700, cuts) is HighValueType.ALL_ROUND
    assert high_value_type(8, 60, cuts) is HighValueType.HIGH_FREQUENCY_LOW_TICKET
    assert high_value_type(2, 500, cuts) is HighValueType.LOW_FREQUENCY_HIGH_TICKET
    assert high_value_type(5, 200, cuts) is None
    stricter = subtype_cuts(frequencies, tickets, SubtypeConfig(frequency_quantile=0.9))
    assert stricter is not None
    assert high_value_type(8, 60, stricter) is None
    assert subtype_cuts([], [], SubtypeConfig()) is None


def test_intent_rises_with_strong_recent_signals_and_decays_with_age() -> None:
    config = IntentConfig()
    lead_yesterday = [InteractionRow(_ts(1), "web", "lead_form")]
    one_old_view = [InteractionRow(_ts(60), "web", "view")]
    three_views = [InteractionRow(_ts(d), "web", "view") for d in (1, 2, 3)]
    scores = [intent_score(rows, AS_OF, config) for rows in (lead_yesterday, three_views, one_old_view, [])]
    assert scores == sorted(scores, reverse=True)
    assert [intent_level(s, config) for s in scores] == [
        IntentLevel.HIGH, IntentLevel.MEDIUM, IntentLevel.LOW, IntentLevel.LOW,
    ]  # fmt: skip
    assert scores[-1] == 0.0
    # a week later the same lead form is worth less; an interaction after the day does not count
    assert intent_score(lead_yesterday, AS_OF + timedelta(days=7), config) < scores[0]
    assert intent_score([InteractionRow(_ts(-3), "web", "lead_form")], AS_OF, config) == 0.0
    # channels and kinds are weighed as configured
    weighted = IntentConfig(channel_weights={"web": 0.0})
    assert intent_score(lead_yesterday, AS_OF, weighted) == 0.0
    custom = IntentConfig(kind_weights={"view": 5.0})
    assert intent_level(intent_score(one_old_view[:0] + three_views[:1], AS_OF, custom), custom) is IntentLevel.HIGH


def _labelled(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Customers whose chance to buy again rises with the first feature; the others are noise."""
    generator = np.random.default_rng(seed)
    rows = generator.normal(size=(n, 4))
    bought = generator.random(n) < 1 / (1 + np.exp(-2.5 * rows[:, 0]))
    return rows, bought


def test_the_churn_model_finds_a_known_signal_out_of_sample_and_nothing_in_shuffled_labels() -> None:
    rows, bought = _labelled(3000, seed=1)
    noisy_baseline = rows[:, 1]
    model = churn.train(
        rows.tolist(), bought.tolist(), noisy_baseline.tolist(), tags=[], until="2026-01-01",
        holdout_until="2026-04-01", horizon_days=90,
    )  # fmt: skip
    assert model.metrics.roc_auc > 0.75
    assert abs(model.metrics.p_alive_roc_auc - 0.5) < 0.05
    assert model.metrics.customers == 3000
    assert model.metrics.churned == int((~bought).sum())
    # the stored numbers alone score as the fitted model does
    fresh, fresh_bought = _labelled(2000, seed=2)
    risk = churn.churn_risk(model, fresh.tolist())
    assert roc_auc_score(~fresh_bought, risk) > 0.75
    assert model.metrics.precision_at_10 > (~bought).mean()

    shuffled = np.random.default_rng(3).permutation(bought)
    chance = churn.train(
        rows.tolist(), shuffled.tolist(), noisy_baseline.tolist(), tags=[], until="2026-01-01",
        holdout_until="2026-04-01", horizon_days=90,
    )  # fmt: skip
    assert abs(chance.metrics.roc_auc - 0.5) < 0.06


def test_the_churn_model_is_the_same_whatever_order_the_customers_come_in() -> None:
    rows, bought = _labelled(300, seed=5)
    rows[:40] = rows[40:80]  # customers alike in every feature, as real ones often are
    baseline = rows[:, 1]

    def trained(order: np.ndarray) -> churn.ChurnModel:
        return churn.train(
            rows[order].tolist(), bought[order].tolist(), baseline[order].tolist(), tags=[], until="2026-01-01",
            holdout_until="2026-04-01", horizon_days=90,
        )  # fmt: skip

    first = trained(np.arange(300))
    for seed in (6, 7, 8):
        again = trained(np.random.default_rng(seed).permutation(300))
        assert again.metrics == first.metrics
        assert again.coefficients == pytest.approx(first.coefficients)


def test_the_churn_model_refuses_a_holdout_where_everyone_did_the_same() -> None:
    rows, _ = _labelled(50, seed=4)
    with pytest.raises(InvalidInputError, match="at least two of each"):
        churn.train(rows.tolist(), [True] * 50, [0.5] * 50, tags=[], until="a", holdout_until="b", horizon_days=1)


def test_feature_rows_read_the_rule_features_the_clv_figures_and_the_tags() -> None:
    facts = UserFacts(
        orders=[(_ts(10), 100.0, "tmall"), (_ts(100), 300.0, "pos")],
        touches=_campaign("c1", 20, "opened") + _campaign("c2", 5),
    )
    features = user_features(facts, Scores(), AS_OF)
    features["tags"] = {"vip": True, "score": 2.5, "label": "gold"}
    row = churn.feature_row(features, p_alive=0.8, expected_purchases=1.5, tags=["label", "score", "vip"])
    named = dict(zip([*churn.BASE_FEATURES, "tag_label", "tag_score", "tag_vip"], row, strict=True))
    assert named["orders"] == pytest.approx(np.log1p(2))
    assert named["average_ticket"] == pytest.approx(np.log1p(200))
    assert named["days_since_first_order"] == pytest.approx(np.log1p(100))
    assert named["channels"] == pytest.approx(np.log1p(2))
    assert named["answer_rate"] == 0.5
    assert (named["p_alive"], named["has_interaction"]) == (0.8, 0.0)
    assert (named["tag_label"], named["tag_score"], named["tag_vip"]) == (0.0, 2.5, 1.0)


def _blobs(seed: int) -> tuple[list[list[float]], list[int]]:
    """Three groups of customers, apart on recency, orders and ticket, in the features' own units."""
    generator = np.random.default_rng(seed)
    centres = [(5, 20, 100, 30, 3), (200, 2, 600, 1, 1), (60, 6, 150, 8, 2)]
    rows, truth = [], []
    for label, centre in enumerate(centres):
        for _ in range(150):
            rows.append([max(0.0, c * float(generator.lognormal(0, 0.15))) for c in centre])
            truth.append(label)
    return rows, truth


def test_k_means_recovers_blobs_chooses_their_number_and_is_reproducible() -> None:
    rows, truth = _blobs(seed=5)
    values = [r[1] * r[2] for r in rows]
    found = discover(rows, values, (2, 6), seed=11)
    assert found.k == 3
    assert set(found.silhouettes) == {2, 3, 4, 5, 6}
    labels = assign(found, rows)
    assert adjusted_rand_score(truth, labels) > 0.95
    assert sum(s.size for s in found.segments) == len(rows)
    assert sum(s.value_share for s in found.segments) == pytest.approx(1.0)
    # numbered by value per customer: s1 is the frequent, recent group
    top = found.segments[0]
    assert top.id == "s1"
    assert top.description.startswith("recent, frequent")
    assert found == discover(rows, values, (2, 6), seed=11)
    assert set(FEATURES) == set(top.centroid)


def test_segments_refuse_a_range_they_cannot_fill() -> None:
    rows, _ = _blobs(seed=6)
    with pytest.raises(InvalidInputError, match="too few"):
        discover(rows[:5], [1.0] * 5, (2, 6), seed=0)
    with pytest.raises(InvalidInputError, match="at least 2"):
        discover(rows, [1.0] * len(rows), (1, 3), seed=0)


def test_centroids_are_described_in_plain_words() -> None:
    assert describe([-1.0, 1.0, -0.6, 0.3, 0.0]) == "recent, frequent, low spend, somewhat engaged"
    assert describe([0.1, 0.0, -0.1, 0.0, 0.19]) == "average on every feature"
