"""`profilegraph clv snapshot` and `clv history`, and the series as GraphQL serves it."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

from starlette.testclient import TestClient

from profilegraph.app import create_app
from tests.api.client import bearer
from tests.conftest import TestGraph
from tests.e2e.test_cli_identity import _cli

SAMPLE = Path(__file__).parents[2] / "examples" / "sample-events.ndjson"
HISTORY = """query($from: Date!, $to: Date!) { valueMapHistory(from: $from, to: $to) {
  asOf takenBy customers buyers highValueShare predictedTotal stages { name count } tiers { name count }
  histogram { from to count } } }"""


async def test_snapshots_from_the_command_line_are_served_as_a_series(graph_server: TestGraph) -> None:
    await graph_server.clear()
    assert _cli(graph_server, "import", str(SAMPLE)).returncode == 0
    first = _cli(graph_server, "clv", "snapshot", "--as-of", "2026-10-01", "--json")
    assert first.returncode == 0, first.stderr
    taken = json.loads(first.stdout)
    assert taken["as_of"] == "2026-10-01"
    assert taken["taken_by"] == "cli"
    second = _cli(graph_server, "clv", "snapshot", "--as-of", "2026-11-01")
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("value map of 2026-11-01 kept:")

    listed = _cli(graph_server, "clv", "history", "--from", "2026-09-01", "--to", "2026-11-30", "--json")
    assert listed.returncode == 0, listed.stderr
    series = json.loads(listed.stdout)
    assert [s["as_of"] for s in series] == ["2026-10-01", "2026-11-01"]
    assert series[0] == taken
    backwards = _cli(graph_server, "clv", "history", "--from", "2026-11-30", "--to", "2026-09-01")
    assert backwards.returncode != 0
    assert "before" in backwards.stderr

    settings = graph_server.settings()
    with TestClient(create_app(settings)) as client:
        answer = client.post(
            "/graphql",
            json={"query": HISTORY, "variables": {"from": "2026-10-01", "to": "2026-10-31"}},
            headers=bearer(settings.data_dir, "service"),
        ).json()
        assert "errors" not in answer, answer
        [october] = answer["data"]["valueMapHistory"]
        assert october["asOf"] == "2026-10-01"
        assert october["customers"] == taken["customers"] == sum(s["count"] for s in october["stages"])
        assert october["highValueShare"] == taken["high_value_share"]
        refused = client.post(
            "/graphql",
            json={"query": HISTORY, "variables": {"from": "2026-10-01", "to": "2026-10-31"}},
            headers=bearer(settings.data_dir, "app"),
        ).json()
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_service_takes_snapshots_on_its_schedule(graph_server: TestGraph) -> None:
    await graph_server.clear()
    assert _cli(graph_server, "import", str(SAMPLE)).returncode == 0
    settings = graph_server.settings(value_map_snapshot_hours=24)
    today = date.today().isoformat()
    with TestClient(create_app(settings)) as client:
        series: list[dict[str, object]] = []
        deadline = time.monotonic() + 60
        while not series and time.monotonic() < deadline:
            time.sleep(0.5)
            answer = client.post(
                "/graphql",
                json={"query": HISTORY, "variables": {"from": today, "to": today}},
                headers=bearer(settings.data_dir, "service"),
            ).json()
            series = answer["data"]["valueMapHistory"]
    assert [(s["asOf"], s["takenBy"]) for s in series] == [(today, "schedule")]
