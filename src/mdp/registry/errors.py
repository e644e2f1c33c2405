"""Errors of the schema registry's use cases and storage.

The API layer maps each one to a stable :class:`mdp.web.errors.ErrorCode`; storage adapters translate
SQLAlchemy / psycopg exceptions into :class:`StorageError` (or :class:`ConcurrentModification`) at their
edge, so nothing third-party leaks out of ``mdp.registry``::

    RegistryError
    ├── TrackNotFound              40401  the track does not exist
    ├── SubjectNotFound            40401  no subject (track, name)
    ├── VersionNotFound            40402  the subject has no such version
    ├── SchemaNotFound             40403  no schema with that global id / sha256
    ├── InvalidInput               42207  a request field is out of range
    │   └── InvalidName            42207  a track or schema name outside the allowed grammar
    ├── InvalidSchema              42201  not a JSON Schema, invalid against its meta-schema, remote $ref
    ├── SchemaTooLarge             41301  over the size or nesting-depth limit
    ├── IncompatibleSchema         40901  breaks the track's compatibility mode (carries the result)
    ├── InvalidVersion             42202  malformed version, or a client version below the required bump
    ├── InvalidCompatibility       42203  unknown compatibility mode or policy
    ├── ConcurrentModification     40902  a concurrent write won; retried, then reported
    └── StorageError               50001  the database failed (unavailable, corrupt, ...)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mdp.errors import MdpError

# Names follow the API's vocabulary (SubjectNotFound, InvalidSchema, ...) rather than an Error suffix.

if TYPE_CHECKING:
    from mdp.compat.model import CompatibilityResult


class RegistryError(MdpError):
    """Root of every error the registry raises on purpose."""


class TrackNotFound(RegistryError):  # noqa: N818 - the names the API docs use
    """The track does not exist (tracks are created by ``PUT /config/{track}``)."""


class SubjectNotFound(RegistryError):  # noqa: N818 - the names the API docs use
    """No subject with this name in the track."""


class VersionNotFound(RegistryError):  # noqa: N818 - the names the API docs use
    """The subject exists but has no such version."""


class SchemaNotFound(RegistryError):  # noqa: N818 - the names the API docs use
    """No schema with this global id or sha256."""


class InvalidInput(RegistryError, ValueError):  # noqa: N818 - the names the API docs use
    """A request field is missing or out of range (e.g. an empty deprecation reason)."""


class InvalidName(InvalidInput):
    """A track or schema name does not match its grammar (rules out ``..``, ``/``, NUL, ...)."""


class InvalidSchema(RegistryError, ValueError):  # noqa: N818 - the names the API docs use
    """The document is not an acceptable JSON Schema; the message says why."""


class SchemaTooLarge(RegistryError, ValueError):  # noqa: N818 - the names the API docs use
    """The document exceeds the configured size or nesting-depth limit."""


class IncompatibleSchema(RegistryError):  # noqa: N818 - the names the API docs use
    """The new schema breaks the track's compatibility mode; ``result`` lists every breaking change."""

    def __init__(self, message: str, result: CompatibilityResult) -> None:
        super().__init__(message)
        self.result = result


class InvalidVersion(RegistryError, ValueError):  # noqa: N818 - the names the API docs use
    """A version string is malformed, or a client-supplied version is too small for the change."""


class InvalidCompatibility(RegistryError, ValueError):  # noqa: N818 - the names the API docs use
    """An unknown compatibility mode or policy."""


class ConcurrentModification(RegistryError):  # noqa: N818 - the names the API docs use
    """Another writer changed the subject between our read and our write."""


class StorageError(RegistryError):
    """The storage backend failed; the message names the operation, the cause is chained."""


__all__ = [
    "ConcurrentModification",
    "IncompatibleSchema",
    "InvalidCompatibility",
    "InvalidInput",
    "InvalidName",
    "InvalidSchema",
    "InvalidVersion",
    "RegistryError",
    "SchemaNotFound",
    "SchemaTooLarge",
    "StorageError",
    "SubjectNotFound",
    "TrackNotFound",
    "VersionNotFound",
]
