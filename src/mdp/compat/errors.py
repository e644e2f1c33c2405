"""Errors of the compatibility engine."""

from __future__ import annotations

from mdp.errors import MdpError


class CompatError(MdpError):
    """Root: the schemas could not be compared."""


class RemoteRefError(CompatError):
    """A ``$ref`` points outside the document; mdp never fetches a URL."""


class InvalidSchemaError(CompatError, ValueError):
    """The input is not a JSON Schema (not an object or boolean, or a malformed keyword)."""


__all__ = ["CompatError", "InvalidSchemaError", "RemoteRefError"]
