"""A user's mistakes get one clear line and a non-zero exit, never a traceback.

These fail before any graph server is needed, so no server runs here.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.cli import run_cli


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROFILEGRAPH_")}
    env["PROFILEGRAPH_DATA_DIR"] = str(tmp_path / "graph")
    return run_cli(env, *args)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["import", "{tmp}/missing.ndjson"], "does not exist"),
        (["import", "{tmp}"], "is a directory"),
        (["import", "{tmp}/events.ndjson", "--errors", "{tmp}/no/such/dir/bad.ndjson"], "bad.ndjson"),
        (["export-oneids", "{tmp}/no/such/dir/oneids.json"], "oneids.json"),
        (["clv", "import-cdnow", "{tmp}/missing.txt"], "missing.txt"),
        (["clv", "import-cdnow", "{tmp}/events.ndjson"], "is not a cdnow purchase"),
        (["explain", "phone:12", "member_id:M1"], "not a valid phone number"),
        (["split", "oid_x", "fax:1"], "unknown identifier type"),
        (["block", "no-colon-here", "--reason", "r"], "<type>:<value>"),
    ],
)
def test_a_bad_path_is_one_clear_line_and_a_non_zero_exit(tmp_path: Path, args: list[str], named: str) -> None:
    (tmp_path / "events.ndjson").write_text('{"event_id": "e1"}\n{"event_id": "e2"}\n')
    done = _cli(tmp_path, *(arg.format(tmp=tmp_path) for arg in args))

    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert named in done.stderr.lower() or named in done.stderr
    assert not (tmp_path / "graph" / "server.json").exists()  # it stopped before starting a server
