"""The CLV commands as an analyst runs them: load CDNOW, fit, read one profile, the value map."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest

from tests.conftest import TestGraph
from tests.e2e.test_cli_identity import _cli

CDNOW_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "CDNOW_sample.txt"


async def test_cdnow_load_fit_show_and_map(graph_server: TestGraph) -> None:
    await graph_server.clear()

    loaded = _cli(graph_server, "clv", "import-cdnow", str(CDNOW_SAMPLE))
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith("6919 orders loaded")

    fitted = _cli(graph_server, "clv", "fit", "--until", "1997-09-30", "--unit", "weeks", "--json")
    assert fitted.returncode == 0, fitted.stderr
    fit = json.loads(fitted.stdout)
    assert set(fit) == {"bgnbd", "pareto_nbd", "gamma_gamma", "customers"}
    assert set(fit["bgnbd"]) == {"r", "alpha", "a", "b", "log_likelihood"}
    assert set(fit["pareto_nbd"]) == {"r", "alpha", "s", "beta", "log_likelihood"}
    assert set(fit["gamma_gamma"]) == {"p", "q", "v"}
    assert fit["customers"] == 2357
    assert fit["bgnbd"]["r"] == pytest.approx(0.243, rel=0.005)

    shown = _cli(
        graph_server, "clv", "show", "member_id:00004", "--horizon-days", "273", "--as-of", "1997-09-30", "--json"
    )
    assert shown.returncode == 0, shown.stderr
    value = json.loads(shown.stdout)
    assert value["clv"]["expected_purchases"] == pytest.approx(1.226, abs=0.002)
    assert value["clv"]["historic"] == pytest.approx(74.02)
    assert value["lifecycle"]["stage"] == "dormant"

    mapped = json.loads(_cli(graph_server, "clv", "map", "--as-of", "1997-09-30", "--json").stdout)
    assert mapped["customers"] == 2357
    assert sum(b["count"] for b in mapped["histogram"]) == 2357

    person = _cli(graph_server, "clv", "show", "member_id:00004", "--horizon-days", "273", "--as-of", "1997-09-30")
    assert "historic value      74.02" in person.stdout
    assert "over the next 273 days" in person.stdout
    assert "None" not in person.stdout

    table = _cli(graph_server, "clv", "map", "--as-of", "1997-09-30").stdout
    assert table.startswith("2,357 customers")
    assert "below 0" in table
    assert "1,000 and above" in table
    assert "None" not in table
    assert "{" not in table

    missing = _cli(graph_server, "clv", "show", "oid_missing", "--json")
    assert missing.returncode == 1
    assert "NOT_FOUND" in missing.stderr
    assert "oid_missing" in missing.stderr


async def test_a_fit_with_the_default_calibration_end_finishes(graph_server: TestGraph) -> None:
    # Today is years past CDNOW's last order: the long silence that once kept Pareto/NBD from ending.
    await graph_server.clear()
    assert _cli(graph_server, "clv", "import-cdnow", str(CDNOW_SAMPLE)).returncode == 0

    started = time.monotonic()
    fitted = _cli(graph_server, "clv", "fit", "--json")
    assert fitted.returncode == 0, fitted.stderr
    assert time.monotonic() - started < 120
    fit = json.loads(fitted.stdout)
    assert fit["customers"] == 2357
    assert "fitting the models on 2,357 customers" in fitted.stderr
    for model in ("bgnbd", "pareto_nbd"):
        assert math.isfinite(fit[model]["log_likelihood"])
