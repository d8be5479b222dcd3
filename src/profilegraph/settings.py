"""Service configuration, read from ``PROFILEGRAPH_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from profilegraph.errors import ConfigurationError

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    """Everything the service reads from its environment.

    With no ``neo4j_uri`` the service runs the embedded local graph server on
    ``data_dir``; with one, it talks to that Neo4j (or any Bolt server).
    """

    model_config = SettingsConfigDict(env_prefix="PROFILEGRAPH_", extra="ignore", frozen=True)

    environment: Literal["development", "production"] = "development"

    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str | None = None

    data_dir: Path = Path("var/graph")
    embedded_heap: str = Field(default="1g", pattern=r"^\d+[mMgG]$")
    embedded_start_timeout: float = Field(default=60.0, gt=0)
    embedded_database: str = "profilegraph"
    # Seconds a graph transaction may take before it is reported as unanswered.
    graph_timeout: float = Field(default=600.0, gt=0)
    # What one ingested event may hold (docs/events.md); past a cap, the event is rejected.
    max_line_bytes: int = Field(default=1 << 20, ge=1024)
    max_identifiers_per_event: int = Field(default=50, ge=1)
    max_attributes_per_event: int = Field(default=200, ge=1)
    max_value_bytes: int = Field(default=8192, ge=64)
    max_order_items: int = Field(default=1000, ge=1)
    max_catalog_properties: int = Field(default=200, ge=1)

    identity_config: Path | None = None  # JSON: extra identifier types, blocked values, shared threshold
    default_region: str = Field(default="CN", pattern=r"^[A-Z]{2}$")

    clv_annual_discount_rate: float = Field(default=0.10, ge=0, lt=1)
    clv_horizon_days: int = Field(default=365, ge=1)
    # The service appends a value-map snapshot when the newest is this many hours old; 0 takes none.
    value_map_snapshot_hours: float = Field(default=0.0, ge=0)
    lifecycle_new_days: int = Field(default=30, ge=1)
    lifecycle_dormant_days: int = Field(default=45, ge=1)
    lifecycle_churn_p_alive: float = Field(default=0.1, ge=0, le=1)
    lifecycle_high_value_top_percent: float = Field(default=20.0, gt=0, lt=100)
    lifecycle_growable_p_alive: float = Field(default=0.5, ge=0, le=1)

    # Churn signals, shipped as rule tags (docs/diagnosis.md).
    churn_silent_days: int = Field(default=45, ge=1)
    churn_unresponsive_campaigns: int = Field(default=3, ge=1)
    churn_fading_drop_percent: float = Field(default=50.0, gt=0, le=100)
    churn_fading_window_days: int = Field(default=30, ge=1)
    churn_featured_tag: str = Field(default="featured", pattern=r"^[a-z][a-z0-9_]{0,63}$")
    # High-value sub-types: quantiles of orders and average order value among high-value customers.
    high_value_frequency_quantile: float = Field(default=0.5, gt=0, lt=1)
    high_value_ticket_quantile: float = Field(default=0.5, gt=0, lt=1)
    # Intent of potential customers: interaction kind -> weight (JSON; merged over the defaults),
    # channel -> weight, the half-life of a signal, and the cuts of the high and medium levels.
    intent_kind_weights: dict[str, float] = Field(default_factory=dict)
    intent_channel_weights: dict[str, float] = Field(default_factory=dict)
    intent_half_life_days: float = Field(default=14.0, gt=0)
    intent_high: float = Field(default=0.7, gt=0, lt=1)
    intent_medium: float = Field(default=0.3, gt=0, lt=1)

    # Affinity evidence loses half its weight every this many days.
    affinity_half_life_days: float = Field(default=90.0, gt=0)
    # Attribute -> its sources, best first (JSON: {"gender": ["crm", "pos"]}); others: most recent wins.
    attribute_source_priority: dict[str, list[str]] = Field(default_factory=dict)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)

    query_max_depth: int = Field(default=12, ge=1)
    query_max_aliases: int = Field(default=30, ge=1)
    query_max_tokens: int = Field(default=5000, ge=1)
    # Largest page a connection serves; the API's documented ceiling is 100.
    max_page_size: int = Field(default=100, ge=1, le=100)
    max_request_bytes: int = Field(default=8 << 20, ge=1024)
    max_events_per_call: int = Field(default=1000, ge=1)
    # None: on in development, off in production.
    introspection: bool | None = None

    # Credentials (DESIGN §7). With none of the three keys set, development signs with a
    # random secret kept in the data directory; production refuses to start.
    jwt_secret: SecretStr | None = None  # HS256
    jwt_public_keys: Path | None = None  # RS256: a PEM file of one or more public keys
    jwt_jwks_file: Path | None = None  # RS256: a JWKS document, keys chosen by ``kid``
    jwt_audience: str = "profilegraph"
    jwt_issuer: str | None = None
    # How long a verified API key is trusted before it is looked up again (a revocation's delay).
    api_key_cache_seconds: float = Field(default=10.0, ge=0)

    @model_validator(mode="after")
    def _production_needs_a_real_graph(self) -> Settings:
        if self.environment == "production" and not self.neo4j_uri:
            raise ValueError(
                "PROFILEGRAPH_NEO4J_URI is required when PROFILEGRAPH_ENVIRONMENT=production; "
                "the embedded graph server is for development only"
            )
        if self.environment == "production" and not self.has_token_keys:
            raise ValueError(
                "production needs real token keys: set PROFILEGRAPH_JWT_SECRET (HS256), "
                "PROFILEGRAPH_JWT_PUBLIC_KEYS or PROFILEGRAPH_JWT_JWKS_FILE (RS256); the generated "
                "development secret is for development only"
            )
        return self

    @model_validator(mode="after")
    def _intent_levels_in_order(self) -> Settings:
        if self.intent_medium >= self.intent_high:
            raise ValueError("PROFILEGRAPH_INTENT_MEDIUM must be below PROFILEGRAPH_INTENT_HIGH")
        if any(w < 0 for w in (*self.intent_kind_weights.values(), *self.intent_channel_weights.values())):
            raise ValueError("intent weights must not be negative")
        return self

    @property
    def has_token_keys(self) -> bool:
        return any((self.jwt_secret, self.jwt_public_keys, self.jwt_jwks_file))

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else self.environment == "development"

    @property
    def uses_embedded_server(self) -> bool:
        return self.neo4j_uri is None


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one message naming each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            name = f"PROFILEGRAPH_{where.upper()}" if where else "configuration"
            problems.append(f"{name}: {error['msg']}")
        raise ConfigurationError("Invalid configuration: " + "; ".join(problems)) from exc
