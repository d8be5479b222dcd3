"""Ctrl-C stops a command promptly, says what stays and how to go on, and leaves no server running."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.identity_events import identify

CDNOW_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "CDNOW_sample.txt"


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1][0] != "Z"


def test_an_interrupted_import_exits_130_says_how_to_resume_and_stops_its_server(tmp_path: Path) -> None:
    events = tmp_path / "events.ndjson"
    events.write_text(
        "\n".join(
            identify(
                f"i-{n}", 1 + n % 28, {"type": "member_id", "value": f"M{n}"}, {"type": "device_id", "value": f"d{n}"}
            )
            for n in range(60_000)
        )
        + "\n"
    )
    data_dir = tmp_path / "graph"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROFILEGRAPH_")}
    env["PROFILEGRAPH_DATA_DIR"] = str(data_dir)
    importer = subprocess.Popen(
        [sys.executable, "-m", "profilegraph", "import", str(events), "--batch-size", "500"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    address = data_dir / "server.json"
    deadline = time.monotonic() + 90
    while not address.exists() and time.monotonic() < deadline:  # its own graph server is up
        time.sleep(0.2)
    java_pid = json.loads(address.read_text())["java_pid"]
    time.sleep(3)  # some batches in

    importer.send_signal(signal.SIGINT)
    interrupted = time.monotonic()
    _, err = importer.communicate(timeout=60)

    assert importer.returncode == 130, err
    assert time.monotonic() - interrupted < 20
    assert "interrupted" in err
    assert "run the same import again" in err
    assert "Traceback" not in err
    deadline = time.monotonic() + 30
    while _alive(java_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(java_pid), "the graph server outlived the interrupted import"
    assert not address.exists()


def test_ctrl_c_during_a_model_fit_stops_it_at_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "graph"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROFILEGRAPH_")}
    env["PROFILEGRAPH_DATA_DIR"] = str(data_dir)
    command = [sys.executable, "-m", "profilegraph", "clv"]
    loaded = subprocess.run(
        [*command, "import-cdnow", str(CDNOW_SAMPLE)], check=False, env=env, capture_output=True, text=True
    )
    assert loaded.returncode == 0, loaded.stderr

    # Without --until the fit runs to today, years past the data: seconds of numeric work.
    fitting = subprocess.Popen([*command, "fit"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert fitting.stderr is not None
    announced = fitting.stderr.readline()
    assert "fitting the models" in announced
    time.sleep(0.5)
    fitting.send_signal(signal.SIGINT)
    interrupted = time.monotonic()
    _, err = fitting.communicate(timeout=60)

    assert fitting.returncode == 130, err
    assert time.monotonic() - interrupted < 5
    assert "no fit was stored" in err
    assert "Traceback" not in err
