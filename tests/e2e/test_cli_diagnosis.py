"""Diagnosis end to end: shipped signals after an import, the churn model trained and evaluated
from the command line, segments, scoring, and what GraphQL serves of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from profilegraph.app import create_app
from tests.api.client import bearer
from tests.conftest import TestGraph
from tests.e2e.test_cli_identity import _cli

CUSTOMERS = 160
AS_OF = "2026-09-30"  # the end of the holdout: scores as they stood then
PROFILE = """query($phone: String!) { profileByIdentifier(type: PHONE, value: $phone) {
  churn { risk confidence signals } highValueType intent { level score } segment { id description } } }"""
AUDIENCE = """query($filter: ProfileFilter) { profiles(first: 1, filter: $filter) { totalCount } }"""
MODEL = "{ churnModel { until holdoutUntil metrics { rocAuc pAliveRocAuc customers } } segments { k customers } }"


def _phone(n: int) -> dict[str, str]:
    return {"type": "phone", "value": f"1391111{n:04d}"}


def _events() -> list[dict[str, Any]]:
    """Customers alike in what they bought until the end of June; the ones who answer campaigns
    (even n) mostly buy again in the holdout, the others mostly do not."""
    events: list[dict[str, Any]] = []
    for n in range(CUSTOMERS):
        for k, month in enumerate(range(1 + n % 3, 7, 2)):
            events.append({
                "event_id": f"o-{n}-{k}", "type": "order", "ts": f"2026-{month:02d}-{10 + n % 15}T10:00:00Z",
                "source": "pos", "identifiers": [_phone(n)],
                "order": {"order_id": f"order-{n}-{k}", "amount": 50.0 + (n * 37) % 400},
            })  # fmt: skip
        for c, month in enumerate((4, 5, 6)):
            actions = ["sent", "opened"] if n % 2 == 0 else ["sent"]
            events.extend(
                {"event_id": f"t-{n}-{c}-{a}", "type": "touch", "ts": f"2026-{month:02d}-02T09:00:00Z",
                 "source": "crm", "identifiers": [_phone(n)], "touch": {"campaign_id": f"c{c}", "action": a}}
                for a in actions
            )  # fmt: skip
        if (n % 2 == 0) != (n % 10 == 1):  # a few of each side behave like the other
            events.append({
                "event_id": f"h-{n}", "type": "order", "ts": "2026-08-15T10:00:00Z", "source": "pos",
                "identifiers": [_phone(n)], "order": {"order_id": f"holdout-{n}", "amount": 120.0},
            })  # fmt: skip
    events.append({
        "event_id": "lead-1", "type": "interaction", "ts": "2026-09-29T10:00:00Z", "source": "web",
        "identifiers": [{"type": "phone", "value": "13922220001"}], "interaction": {"kind": "lead_form"},
    })  # fmt: skip
    return events


def _write(path: Path) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in _events()), encoding="utf-8")
    return path


async def test_diagnosis_from_the_command_line_and_through_graphql(graph_server: TestGraph, tmp_path: Path) -> None:
    await graph_server.clear()
    imported = _cli(graph_server, "import", str(_write(tmp_path / "events.ndjson")), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["rejected"] == 0
    assert _cli(graph_server, "clv", "fit", "--until", "2026-09-30").returncode == 0

    trained = _cli(
        graph_server, "models", "train", "churn", "--until", "2026-06-30", "--holdout-until", "2026-09-30", "--json"
    )
    assert trained.returncode == 0, trained.stderr
    metrics = json.loads(trained.stdout)
    assert metrics["customers"] == CUSTOMERS
    assert metrics["roc_auc"] > 0.75  # answering campaigns predicts buying again
    assert 0.0 <= metrics["p_alive_roc_auc"] <= 1.0
    assert metrics["precision_at_10"] > 0.5
    assert metrics["scored"] == CUSTOMERS

    backwards = _cli(graph_server, "models", "train", "churn", "--until", "2026-09-30", "--holdout-until", "2026-06-30")
    assert backwards.returncode != 0
    assert "holdout must end after" in backwards.stderr

    discovered = _cli(graph_server, "segments", "discover", "--k", "2..4", "--seed", "3", "--as-of", AS_OF, "--json")
    assert discovered.returncode == 0, discovered.stderr
    segmentation = json.loads(discovered.stdout)
    assert 2 <= segmentation["k"] <= 4
    assert sum(s["size"] for s in segmentation["segments"]) == CUSTOMERS

    scored = _cli(graph_server, "models", "score", "--as-of", AS_OF, "--json")
    assert scored.returncode == 0, scored.stderr
    report = json.loads(scored.stdout)
    assert (report["churn_scored"], report["segmented"], report["intent_scored"]) == (CUSTOMERS, CUSTOMERS, 1)
    assert report["set"] == 0  # the discovery scored everyone as of the same day: nothing moved since

    settings = graph_server.settings()
    with TestClient(create_app(settings)) as client:

        def data(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
            answer = client.post(
                "/graphql",
                json={"query": query, "variables": variables or {}},
                headers=bearer(settings.data_dir, "service"),
            ).json()
            assert "errors" not in answer, answer
            return answer["data"]  # type: ignore[no-any-return]

        answering, silent_one = (data(PROFILE, {"phone": _phone(n)["value"]})["profileByIdentifier"] for n in (0, 3))
        assert answering["churn"]["risk"] < silent_one["churn"]["risk"]
        assert "UNRESPONSIVE" in silent_one["churn"]["signals"]
        assert "UNRESPONSIVE" not in answering["churn"]["signals"]
        assert "SILENT" in silent_one["churn"]["signals"]  # nothing since the end of June
        assert answering["segment"]["id"] in {s["id"] for s in segmentation["segments"]}
        assert answering["segment"]["description"]
        assert answering["intent"] is None
        lead = data(PROFILE, {"phone": "13922220001"})["profileByIdentifier"]
        assert lead["intent"]["level"] == "HIGH"
        assert lead["churn"]["risk"] is None

        def count(condition: dict[str, Any]) -> int:
            return int(data(AUDIENCE, {"filter": condition})["profiles"]["totalCount"])

        assert count({"churnSignals": ["UNRESPONSIVE"]}) == CUSTOMERS // 2
        assert count({"intent": ["HIGH"]}) == 1
        at_risk = count({"churnRisk": {"min": 0.5}})
        assert 0 < at_risk < CUSTOMERS
        assert at_risk + count({"churnRisk": {"max": 0.5}}) == CUSTOMERS
        assert sum(count({"segment": [s["id"]]}) for s in segmentation["segments"]) == CUSTOMERS
        typed = sum(count({"highValueType": [kind]}) for kind in ("ALL_ROUND", "HIGH_FREQUENCY_LOW_TICKET",
                                                                  "LOW_FREQUENCY_HIGH_TICKET"))  # fmt: skip
        assert typed == report["high_value_typed"]

        model = data(MODEL)
        assert model["churnModel"]["until"] == "2026-06-30"
        assert model["churnModel"]["metrics"]["rocAuc"] == metrics["roc_auc"]
        assert model["segments"]["customers"] == CUSTOMERS
