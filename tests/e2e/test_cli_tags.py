"""The tags commands as an admin runs them: define, import with rules in force, recompute, delete."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import TestGraph
from tests.e2e.test_cli_identity import _cli


def _events(path: Path) -> Path:
    day = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = []
    for n in range(5):
        phone = {"type": "phone", "value": f"1360000{n:04d}"}
        for k in range(n):
            lines.append({"event_id": f"o-{n}-{k}", "type": "order", "ts": day, "source": "pos",
                          "identifiers": [phone], "order": {"order_id": f"{n}-{k}", "amount": 50.0}})  # fmt: skip
        lines.append({"event_id": f"v-{n}", "type": "interaction", "ts": day, "source": "app", "identifiers": [phone],
                      "interaction": {"kind": "view" if n % 2 else "click"}})  # fmt: skip
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


async def test_rule_and_event_tags_through_the_command_line(graph_server: TestGraph, tmp_path: Path) -> None:
    await graph_server.clear()
    refused = _cli(graph_server, "tags", "define", "heavy", "--kind", "rule", "--expression", "amount > 100")
    assert refused.returncode == 1
    assert "INVALID_EXPRESSION" in refused.stderr
    assert "write 2.0" in refused.stderr

    defined = _cli(graph_server, "tags", "define", "heavy", "--kind", "rule", "--expression", "amount > 100.0")
    assert defined.returncode == 0, defined.stderr
    assert json.loads(defined.stdout)["expression"] == "amount > 100.0"
    viewer = _cli(
        graph_server, "tags", "define", "viewer", "--kind", "event", "--ttl-seconds", "604800",
        "--expression", "event_type == 'interaction' && interaction.kind == 'view'",
    )  # fmt: skip
    assert viewer.returncode == 0, viewer.stderr

    imported = _cli(graph_server, "import", str(_events(tmp_path / "events.ndjson")), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["accepted"] == 15

    recomputed = _cli(graph_server, "tags", "recompute", "--object", "user", "--json")
    assert recomputed.returncode == 0, recomputed.stderr
    report = json.loads(recomputed.stdout)[0]
    # the import already evaluated the rule for everyone: nothing changed since
    assert (report["objects"], report["set"], report["cleared"], report["failed"]) == (5, 0, 0, 0)

    shown = json.loads(_cli(graph_server, "tags", "list").stdout)
    assert [(d["name"], d["kind"]) for d in shown if not d["shipped"]] == [("heavy", "rule"), ("viewer", "event")]

    deleted = _cli(graph_server, "tags", "delete", "heavy", "--reason", "not needed")
    assert deleted.returncode == 0, deleted.stderr
    left = json.loads(_cli(graph_server, "tags", "list").stdout)
    assert [d["name"] for d in left if not d["shipped"]] == ["viewer"]
