"""Running the ``profilegraph`` command as a user does: a child process, its output captured."""

from __future__ import annotations

import subprocess
import sys


def run_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "profilegraph", *args],
        check=False,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
