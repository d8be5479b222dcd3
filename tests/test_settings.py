from __future__ import annotations

import pytest

from profilegraph.errors import ConfigurationError
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
