"""The production image builds from a lock that matches pyproject, without the development server."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _locked() -> dict[str, list[str]]:
    """Package name -> the versions the lock pins (one per Python-version marker)."""
    pins: dict[str, list[str]] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)
        if match:
            pins.setdefault(canonicalize_name(match[1]), []).append(match[2])
    return pins


def _runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(text) for text in project["dependencies"]]


def test_the_lock_pins_every_runtime_dependency_within_its_range() -> None:
    locked = _locked()
    for requirement in _runtime_requirements():
        versions = locked.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in requirements.lock"
        for version in versions:
            assert requirement.specifier.contains(version, prereleases=True), (requirement, version)


def test_every_locked_package_carries_hashes() -> None:
    text = (ROOT / "requirements.lock").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1] if text.startswith("#") else text)
    pinned = [entry for entry in entries if "==" in entry.split("\n", 1)[0]]
    assert pinned
    assert all("--hash=sha256:" in entry for entry in pinned)


def test_the_embedded_server_is_an_extra_the_image_leaves_out() -> None:
    assert "arcadedb-embedded" not in _locked()
    assert all(canonicalize_name(r.name) != "arcadedb-embedded" for r in _runtime_requirements())
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(r.startswith("arcadedb-embedded") for r in extras["embedded"])
    assert "profilegraph[embedded]" in extras["test"]


def test_the_image_installs_the_lock_runs_in_production_unprivileged_with_a_writable_data_dir() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir --require-hashes -r requirements.lock" in dockerfile
    assert "pip install --no-cache-dir --no-deps ." in dockerfile
    assert "PROFILEGRAPH_ENVIRONMENT=production" in dockerfile
    data_dir = re.search(r"PROFILEGRAPH_DATA_DIR=(\S+)", dockerfile)
    assert data_dir
    user = re.search(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert user
    assert user[1] not in {"root", "0"}
    assert f"chown {user[1]} {data_dir[1]}" in dockerfile


def test_the_build_context_leaves_out_environments_and_checkouts() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "node_modules", "var"} <= ignored
    copied = set(re.findall(r"^COPY (.+) \./", (ROOT / "Dockerfile").read_text(), re.MULTILINE))
    sources = {part for line in copied for part in line.split()}
    assert not sources & ignored


# The console's third-party scripts, as shipped in the package -> the npm file they are, unmodified.
CONSOLE_VENDOR = {
    "cytoscape.esm.min.js": "cytoscape/dist/cytoscape.esm.min.mjs",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
}


def test_the_console_ships_its_libraries_byte_for_byte_as_npm_publishes_them_with_licences() -> None:
    vendor = ROOT / "src" / "profilegraph" / "api" / "static" / "console" / "assets" / "vendor"
    modules = ROOT / "node_modules"
    if not modules.is_dir():
        pytest.skip("npm ci installs the packages the vendored files are compared with")
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["devDependencies"]
    licences = (vendor / "THIRD_PARTY_LICENSES.txt").read_text(encoding="utf-8")
    for shipped, published in CONSOLE_VENDOR.items():
        assert (vendor / shipped).read_bytes() == (modules / published).read_bytes(), shipped
        name = published.split("/")[0]
        assert f"{name} {package[name]}" in licences, f"{name}'s licence and version are not listed"
    assert sorted(p.name for p in vendor.iterdir()) == sorted([*CONSOLE_VENDOR, "THIRD_PARTY_LICENSES.txt"])
