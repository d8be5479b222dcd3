"""The identity rules of this deployment, from its settings."""

from __future__ import annotations

import json

from profilegraph.domain.identifiers import IdentityConfig
from profilegraph.errors import ConfigurationError, ValidationError
from profilegraph.settings import Settings

__all__ = ["identity_config"]


def identity_config(settings: Settings) -> IdentityConfig:
    raw: dict[str, object] = {"default_region": settings.default_region}
    path = settings.identity_config
    if path is not None:
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigurationError(f"PROFILEGRAPH_IDENTITY_CONFIG: cannot read {path}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigurationError(f"PROFILEGRAPH_IDENTITY_CONFIG: {path} must hold a JSON object")
        raw = {**raw, **loaded}
    try:
        return IdentityConfig.from_mapping(raw)
    except (ValidationError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"PROFILEGRAPH_IDENTITY_CONFIG: {exc}") from exc
