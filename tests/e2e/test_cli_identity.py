"""The identity commands as a pipeline owner runs them, against the session's graph server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from profilegraph.store.bolt import GraphStore
from profilegraph.store.embedded import BoltEndpoint
from tests.conftest import CLEAR_DATA
from tests.identity_events import identify

PHONE = {"type": "phone", "value": "+86 139 0000 0001"}
MEMBER = {"type": "member_id", "value": "M1"}


def _cli(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROFILEGRAPH_")}
    env["PROFILEGRAPH_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "profilegraph", *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


async def test_import_reports_rejections_writes_them_out_and_export_maps_every_identifier(
    embedded_endpoint: BoltEndpoint, embedded_data_dir: Path, tmp_path: Path
) -> None:
    store = await GraphStore.connect(embedded_endpoint)
    await store.execute(CLEAR_DATA)
    await store.close()
    events = tmp_path / "events.ndjson"
    bad = '{"event_id": "x", "type": "identify", "ts": "2026-01-01T00:00:00Z", "identifiers": [{"type": "fax", "value": "1"}]}'
    latin1 = '{"event_id": "y", "note": "caf\xe9"}'.encode("latin-1")
    events.write_bytes(
        b"\n".join([identify("e1", 1, PHONE, MEMBER).encode(), bad.encode(), latin1, identify("e2", 2, MEMBER).encode()])
        + b"\n"
    )
    errors = tmp_path / "rejected.ndjson"

    imported = _cli(embedded_data_dir, "import", str(events), "--errors", str(errors), "--json")
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert (report["accepted"], report["rejected"]) == (2, 2)
    assert [(r["line"], r["code"]) for r in report["rejections"]] == [
        (2, "UNKNOWN_IDENTIFIER_TYPE"),
        (3, "INVALID_ENCODING"),
    ]
    assert errors.read_bytes() == bad.encode() + b"\n" + latin1 + b"\n"

    again = json.loads(_cli(embedded_data_dir, "import", str(events), "--json").stdout)
    assert (again["accepted"], again["duplicates"]) == (0, 2)

    out = tmp_path / "oneids.json"
    assert _cli(embedded_data_dir, "export-oneids", str(out)).returncode == 0
    mapping = json.loads(out.read_text())
    assert set(mapping) == {"phone:+8613900000001", "member_id:M1"}
    assert len(set(mapping.values())) == 1
