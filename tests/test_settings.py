from __future__ import annotations

from pathlib import Path

import pytest

from profilegraph.domain.identifiers import DeviceJoins
from profilegraph.errors import ConfigurationError
from profilegraph.services.config import identity_config
from profilegraph.settings import load_settings


def test_defaults_run_the_embedded_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROFILEGRAPH_NEO4J_URI", raising=False)
    settings = load_settings()
    assert settings.uses_embedded_server
    assert str(settings.data_dir) == "var/graph"


def test_a_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROFILEGRAPH_PORT", "eighty")
    with pytest.raises(ConfigurationError, match="PROFILEGRAPH_PORT"):
        load_settings()


def test_production_refuses_to_start_without_a_neo4j_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROFILEGRAPH_ENVIRONMENT", "production")
    monkeypatch.delenv("PROFILEGRAPH_NEO4J_URI", raising=False)
    with pytest.raises(ConfigurationError, match="PROFILEGRAPH_NEO4J_URI is required"):
        load_settings()


def test_the_identity_rules_come_from_the_configured_file_and_a_wrong_value_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rules = tmp_path / "identity.json"
    rules.write_text('{"device_joins": "never", "household_max_people": 4}', encoding="utf-8")
    monkeypatch.setenv("PROFILEGRAPH_IDENTITY_CONFIG", str(rules))
    config = identity_config(load_settings())
    assert (config.device_joins, config.household_max_people) == (DeviceJoins.NEVER, 4)

    rules.write_text('{"device_joins": "always"}', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="PROFILEGRAPH_IDENTITY_CONFIG: device_joins must be one of"):
        identity_config(load_settings())
