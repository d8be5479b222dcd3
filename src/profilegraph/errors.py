"""The error hierarchy of profilegraph.

Every error the service raises on purpose derives from ``ProfileGraphError`` and
carries a stable machine-readable ``code``; the message names the culprit and,
where there is one, what to do about it::

    ProfileGraphError
    ├── ConfigurationError        a setting is missing or invalid
    ├── GraphUnavailableError     the graph database does not answer
    ├── EmbeddedServerError       the local graph server could not be started
    │   └── DataDirectoryInUseError   another server owns the data directory
    ├── MigrationError            a schema migration failed
    ├── ValidationError           an input value is invalid (field + reason)
    └── NotFoundError             the OneID or identifier asked for does not exist
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "DataDirectoryInUseError",
    "EmbeddedServerError",
    "GraphUnavailableError",
    "MigrationError",
    "NotFoundError",
    "ProfileGraphError",
    "ValidationError",
]


class ProfileGraphError(Exception):
    """Base of every deliberate profilegraph error; ``code`` never changes meaning."""

    code: str = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(ProfileGraphError):
    code = "CONFIGURATION"


class GraphUnavailableError(ProfileGraphError):
    code = "GRAPH_UNAVAILABLE"


class EmbeddedServerError(ProfileGraphError):
    code = "EMBEDDED_SERVER"


class DataDirectoryInUseError(EmbeddedServerError):
    code = "DATA_DIRECTORY_IN_USE"


class MigrationError(ProfileGraphError):
    code = "MIGRATION"


class ValidationError(ProfileGraphError):
    """An input value is invalid; ``field`` names where it was found."""

    code = "INVALID"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        if code is not None:
            self.code = code


class NotFoundError(ProfileGraphError):
    code = "NOT_FOUND"
