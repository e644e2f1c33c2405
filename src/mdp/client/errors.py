"""Errors of the registry client SDK; httpx exceptions never leave :mod:`mdp.client`.

::

    ClientError                      root (derives from mdp.errors.MdpError)
    ├── InvalidArgument              a track / name / sha256 that the registry could never accept
    ├── RegistryDisabled             REGISTRY_ENABLED=false: no network call was made
    ├── RegistryUnavailable          no usable answer after retries, and nothing cached to serve
    │   └── InvalidResponse          the registry answered, but unusably (bad JSON, too large,
    │                                redirect to another origin, content that does not match its sha256)
    └── RegistryHTTPError            the registry refused the request (4xx); never retried
        ├── BadRequest               400
        ├── Unauthorized             401: no admin token was sent
        ├── Forbidden                403: the admin token is wrong
        ├── SchemaNotFound           404: unknown track, subject, version or sha256
        ├── IncompatibleSchema       409: carries ``breaking`` (the breaking changes), ``mode``, ``policy``
        ├── PayloadTooLarge          413
        ├── InvalidSchema            422 / 42201: not a valid JSON Schema, or a remote $ref
        ├── InvalidVersion           422 / 42202
        └── InvalidConfig            422 / 42203

``RegistryUnavailable.kind`` says what went wrong last (``timeout``, ``connect``, ``network``, ``http_5xx``,
``decode``, ``too_large``, ``redirect``, ``integrity``), the same value as the ``kind`` label of
``schema_registry_errors_total``.
"""

# The public names are the ones the seeds and the API contract use (SchemaNotFound, RegistryUnavailable...).
# ruff: noqa: N818

from __future__ import annotations

from typing import Any

from mdp.errors import MdpError


class ClientError(MdpError):
    """Root of the registry client's errors."""


class InvalidArgument(ClientError, ValueError):
    """A track, name, sha256 or body the client refuses to send (it would be a malformed request)."""


class RegistryDisabled(ClientError):
    """The client was built with ``enabled=False`` (REGISTRY_ENABLED=false); it makes no network calls."""


class RegistryUnavailable(ClientError):
    """The registry gave no usable answer (after retries) and the cache has nothing to serve instead."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class InvalidResponse(RegistryUnavailable):
    """The registry answered, but the answer cannot be trusted or used; it is not retried."""


class RegistryHTTPError(ClientError):
    """The registry refused the request with a 4xx error envelope."""

    def __init__(self, status: int, error_code: int, message: str, body: dict[str, Any]) -> None:
        super().__init__(f"{status} ({error_code}): {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.body = body


class BadRequest(RegistryHTTPError):
    """400: the request body was malformed."""


class Unauthorized(RegistryHTTPError):
    """401: an admin endpoint was called without a token."""


class Forbidden(RegistryHTTPError):
    """403: the admin token is wrong."""


class SchemaNotFound(RegistryHTTPError):
    """404: unknown track, subject, version, schema id or sha256 (``error_code`` says which)."""


class IncompatibleSchema(RegistryHTTPError):
    """409: the new schema breaks the track's compatibility mode; ``breaking`` lists why."""

    def __init__(self, status: int, error_code: int, message: str, body: dict[str, Any]) -> None:
        super().__init__(status, error_code, message, body)
        breaking = body.get("breaking")
        self.breaking: list[dict[str, Any]] = (
            [item for item in breaking if isinstance(item, dict)] if isinstance(breaking, list) else []
        )
        self.mode: str | None = body.get("mode") if isinstance(body.get("mode"), str) else None
        self.policy: str | None = body.get("policy") if isinstance(body.get("policy"), str) else None


class PayloadTooLarge(RegistryHTTPError):
    """413: the body is over the registry's size or nesting limit."""


class InvalidSchema(RegistryHTTPError):
    """422 / 42201: the content is not a valid JSON Schema (or has a remote ``$ref``)."""


class InvalidVersion(RegistryHTTPError):
    """422 / 42202: the requested or supplied version is malformed or too small."""


class InvalidConfig(RegistryHTTPError):
    """422 / 42203: unknown compatibility level or policy."""


__all__ = [
    "BadRequest",
    "ClientError",
    "Forbidden",
    "IncompatibleSchema",
    "InvalidArgument",
    "InvalidConfig",
    "InvalidResponse",
    "InvalidSchema",
    "InvalidVersion",
    "PayloadTooLarge",
    "RegistryDisabled",
    "RegistryHTTPError",
    "RegistryUnavailable",
    "SchemaNotFound",
    "Unauthorized",
]
