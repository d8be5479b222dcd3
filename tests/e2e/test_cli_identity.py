"""The identity commands as a pipeline owner runs them, against the session's graph server."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from profilegraph.store.bolt import GraphStore
from tests.cli import run_cli
from tests.conftest import CLEAR_DATA, TestGraph
from tests.identity_events import identify, partition

PHONE = {"type": "phone", "value": "+86 139 0000 0001"}
MEMBER = {"type": "member_id", "value": "M1"}


def _cli(graph: TestGraph, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(graph.cli_env(), *args, stdin=stdin)


async def test_import_reports_rejections_writes_them_out_and_export_maps_every_identifier(
    graph_server: TestGraph, tmp_path: Path
) -> None:
    await graph_server.clear()
    events = tmp_path / "events.ndjson"
    bad = json.dumps(
        {
            "event_id": "x",
            "type": "identify",
            "ts": "2026-01-01T00:00:00Z",
            "identifiers": [{"type": "fax", "value": "1"}],
        }
    )
    latin1 = '{"event_id": "y", "note": "caf\xe9"}'.encode("latin-1")
    events.write_bytes(
        b"\n".join(
            [identify("e1", 1, PHONE, MEMBER).encode(), bad.encode(), latin1, identify("e2", 2, MEMBER).encode()]
        )
        + b"\n"
    )
    errors = tmp_path / "rejected.ndjson"

    imported = _cli(graph_server, "import", str(events), "--errors", str(errors), "--json")
    assert imported.returncode == 3, imported.stderr  # some lines were rejected, the rest went in
    report = json.loads(imported.stdout)
    assert (report["accepted"], report["rejected"]) == (2, 2)
    assert [(r["line"], r["code"]) for r in report["rejections"]] == [
        (2, "NO_VALID_IDENTIFIER"),
        (3, "INVALID_ENCODING"),
    ]
    recorded = [json.loads(line) for line in errors.read_text().splitlines()]
    assert [(r["severity"], r["line"], r["code"]) for r in recorded] == [
        ("rejected", 2, "NO_VALID_IDENTIFIER"),
        ("rejected", 3, "INVALID_ENCODING"),
    ]
    assert recorded[0]["raw"] == bad  # the line as it came, to fix and import again
    assert recorded[1]["raw"] == latin1.decode("utf-8", "replace")

    again = json.loads(_cli(graph_server, "import", str(events), "--json").stdout)
    assert (again["accepted"], again["duplicates"]) == (0, 2)

    out = tmp_path / "oneids.json"
    assert _cli(graph_server, "export-oneids", str(out)).returncode == 0
    mapping = json.loads(out.read_text())
    assert set(mapping) == {"phone:+8613900000001", "member_id:M1"}
    assert len(set(mapping.values())) == 1


def _households(count: int) -> list[str]:
    """Identify events in which people share phones, member ids and devices across lines."""
    lines = []
    for n in range(count):
        person = n // 3
        lines.append(
            identify(
                f"k-{n}",
                1 + n % 28,
                {"type": "phone", "value": f"+86 139 {person // 10000:04d} {person % 10000:04d}"},
                {"type": "member_id", "value": f"M{person}"},
                {"type": "device_id", "value": f"dev-{person}-{n % 2}"},
            )
        )
    return lines


async def _graph_state(store: GraphStore) -> tuple[object, ...]:
    counts = await store.query(
        "MATCH (n) WHERE NOT n:SchemaMigration AND NOT n:ProfileGraphTestMarker "
        "RETURN count(n) AS nodes, sum(size([(n)-->() | 1])) AS relationships"
    )
    return (await partition(store), counts[0]["nodes"], counts[0]["relationships"])


async def test_an_importer_killed_with_sigkill_and_run_again_ends_as_one_clean_run(
    graph_server: TestGraph, tmp_path: Path
) -> None:
    events = tmp_path / "events.ndjson"
    events.write_text("\n".join(_households(6000)) + "\n")
    store = await GraphStore.connect(graph_server.endpoint)
    try:
        await store.execute(CLEAR_DATA)
        assert _cli(graph_server, "import", str(events), "--batch-size", "200").returncode == 0
        clean = await _graph_state(store)

        await store.execute(CLEAR_DATA)
        importer = subprocess.Popen(
            [sys.executable, "-m", "profilegraph", "import", str(events), "--batch-size", "200"],
            env=graph_server.cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # kill it once some batches, not all, are in
                written = (await store.query("MATCH (e:ProcessedEvent) RETURN count(e) AS n"))[0]["n"]
                if written >= 1000:
                    break
                await asyncio.sleep(0.05)
            importer.send_signal(signal.SIGKILL)
        finally:
            importer.wait(30)
        written = (await store.query("MATCH (e:ProcessedEvent) RETURN count(e) AS n"))[0]["n"]
        assert 1000 <= written < 6000, f"the importer was killed after {written} of 6000 events"

        rerun = _cli(graph_server, "import", str(events), "--batch-size", "200", "--json")
        assert rerun.returncode == 0, rerun.stderr
        assert json.loads(rerun.stdout)["duplicates"] == written
        assert await _graph_state(store) == clean
    finally:
        await store.close()
