"""The error hierarchy of profilegraph.

Every error the service raises on purpose derives from ``ProfileGraphError`` and
carries a stable machine-readable ``code`` from ``ErrorCode``; the message names the
culprit and, where there is one, what to do about it. ``retryable`` says whether the
same request may succeed if simply sent again::

    ProfileGraphError
    ├── ConfigurationError        a setting is missing or invalid
    ├── EmbeddedServerError       a local graph server could not be started
    │   └── DataDirectoryInUseError   another server owns the data directory
    ├── MigrationError            a schema migration failed
    ├── InvalidInputError         an input value is invalid (field + reason)
    ├── NotFoundError             the OneID or identifier asked for does not exist
    ├── AuthenticationError       no credential, or one that does not verify (HTTP 401)
    └── GraphError                the graph database failed a request
        ├── GraphUnavailableError     it does not answer (retryable)
        ├── GraphConflictError        concurrent writers kept colliding (retryable)
        ├── GraphConstraintError      a uniqueness constraint refused a write
        └── GraphQueryError           it refused a query: a defect of ours

The store maps every driver exception to a ``GraphError``, so no raw driver
exception reaches a user.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "DataDirectoryInUseError",
    "EmbeddedServerError",
    "ErrorCode",
    "GraphConflictError",
    "GraphConstraintError",
    "GraphError",
    "GraphQueryError",
    "GraphUnavailableError",
    "InvalidInputError",
    "MigrationError",
    "ModelFitError",
    "NotFoundError",
    "ProfileGraphError",
]


class ErrorCode(StrEnum):
    """Every code an error or a rejected event can carry; a code never changes meaning."""

    INTERNAL = "INTERNAL"
    CONFIGURATION = "CONFIGURATION"
    EMBEDDED_SERVER = "EMBEDDED_SERVER"
    DATA_DIRECTORY_IN_USE = "DATA_DIRECTORY_IN_USE"
    MIGRATION = "MIGRATION"
    NOT_FOUND = "NOT_FOUND"
    GRAPH_UNAVAILABLE = "GRAPH_UNAVAILABLE"
    GRAPH_CONFLICT = "GRAPH_CONFLICT"
    GRAPH_CONSTRAINT = "GRAPH_CONSTRAINT"
    GRAPH_QUERY = "GRAPH_QUERY"
    MODEL_FIT = "MODEL_FIT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    TOO_MANY_EVENTS = "TOO_MANY_EVENTS"
    PAGE_TOO_LARGE = "PAGE_TOO_LARGE"
    # input
    INVALID = "INVALID"
    INVALID_JSON = "INVALID_JSON"
    LINE_TOO_LONG = "LINE_TOO_LONG"
    TOO_DEEP = "TOO_DEEP"
    NUMBER_OUT_OF_RANGE = "NUMBER_OUT_OF_RANGE"
    INTEGER_OUT_OF_RANGE = "INTEGER_OUT_OF_RANGE"
    TIMESTAMP_OUT_OF_RANGE = "TIMESTAMP_OUT_OF_RANGE"
    TOO_MANY_IDENTIFIERS = "TOO_MANY_IDENTIFIERS"
    TOO_MANY_ATTRIBUTES = "TOO_MANY_ATTRIBUTES"
    TOO_MANY_ITEMS = "TOO_MANY_ITEMS"
    TOO_MANY_PROPERTIES = "TOO_MANY_PROPERTIES"
    VALUE_TOO_LONG = "VALUE_TOO_LONG"
    NO_VALID_IDENTIFIER = "NO_VALID_IDENTIFIER"
    WRITE_FAILED = "WRITE_FAILED"
    INVALID_ENCODING = "INVALID_ENCODING"
    INVALID_EVENT = "INVALID_EVENT"
    MISSING_FIELD = "MISSING_FIELD"
    INVALID_IDENTIFIER = "INVALID_IDENTIFIER"
    UNKNOWN_IDENTIFIER_TYPE = "UNKNOWN_IDENTIFIER_TYPE"
    # tags and audiences
    UNKNOWN_TAG = "UNKNOWN_TAG"
    TAG_WRONG_TYPE = "TAG_WRONG_TYPE"
    TAG_EXISTS = "TAG_EXISTS"
    TAG_NOT_SETTABLE = "TAG_NOT_SETTABLE"
    INVALID_EXPRESSION = "INVALID_EXPRESSION"
    UNKNOWN_OBJECT = "UNKNOWN_OBJECT"
    INVALID_FILTER = "INVALID_FILTER"


class ProfileGraphError(Exception):
    """Base of every deliberate profilegraph error; ``code`` never changes meaning."""

    code: ErrorCode = ErrorCode.INTERNAL
    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(ProfileGraphError):
    code = ErrorCode.CONFIGURATION


class EmbeddedServerError(ProfileGraphError):
    code = ErrorCode.EMBEDDED_SERVER


class DataDirectoryInUseError(EmbeddedServerError):
    code = ErrorCode.DATA_DIRECTORY_IN_USE


class MigrationError(ProfileGraphError):
    code = ErrorCode.MIGRATION


class InvalidInputError(ProfileGraphError):
    """An input value is invalid; ``field`` names where it was found."""

    code = ErrorCode.INVALID

    def __init__(self, message: str, *, field: str | None = None, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.field = field
        if code is not None:
            self.code = code


class ModelFitError(ProfileGraphError):
    """A model's optimiser did not converge: the fit is reported, never stored."""

    code = ErrorCode.MODEL_FIT


class NotFoundError(ProfileGraphError):
    code = ErrorCode.NOT_FOUND


class AuthenticationError(ProfileGraphError):
    """No credential, or one that does not verify; the message says which, never the secret."""

    code = ErrorCode.UNAUTHENTICATED


class GraphError(ProfileGraphError):
    """The graph database failed a request."""

    code = ErrorCode.GRAPH_QUERY


class GraphUnavailableError(GraphError):
    code = ErrorCode.GRAPH_UNAVAILABLE
    retryable = True


class GraphConflictError(GraphError):
    code = ErrorCode.GRAPH_CONFLICT
    retryable = True


class GraphConstraintError(GraphError):
    code = ErrorCode.GRAPH_CONSTRAINT


class GraphQueryError(GraphError):
    code = ErrorCode.GRAPH_QUERY
