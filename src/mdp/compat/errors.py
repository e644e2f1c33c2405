"""Errors of the compatibility engine::

CompatError                      the schemas could not be compared
├── RemoteRefError               a $ref points outside the document (never fetched)
├── InvalidSchemaError           not a JSON Schema (also a ValueError)
│   └── SchemaTooComplexError    nesting or work beyond the engine's bounds
└── UnknownModeError             a mode or policy name that does not exist (also a ValueError)
"""

from __future__ import annotations

from mdp.errors import MdpError


class CompatError(MdpError):
    """Root: the schemas could not be compared."""


class RemoteRefError(CompatError):
    """A ``$ref`` points outside the document; mdp never fetches a URL."""


class InvalidSchemaError(CompatError, ValueError):
    """The input is not a JSON Schema (not an object or boolean, or a malformed keyword)."""


class SchemaTooComplexError(InvalidSchemaError):
    """The schemas nest deeper, or need more comparison work, than the engine's bounds allow."""


class UnknownModeError(CompatError, ValueError):
    """A compatibility mode or policy name that does not exist."""


__all__ = ["CompatError", "InvalidSchemaError", "RemoteRefError", "SchemaTooComplexError", "UnknownModeError"]
