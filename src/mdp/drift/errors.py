"""Errors of drift detection::

    DriftError                   root (derives from mdp.errors.MdpError)
    ├── LocalSchemaError         a local schema copy is unusable (unreadable, not JSON, too large, too deep)
    ├── UnsafeSchemaName         a schema name that would escape its directory (``..``, ``/``, NUL, absolute)
    └── FetchConflict            ``mdp schemas fetch`` would overwrite locally changed files (no ``--force``)

Registry failures are the client's :class:`~mdp.client.ClientError` tree; they are not re-wrapped, so a
caller can tell "the registry is down" (``RegistryUnavailable``) from "my files are broken".
"""

# The names say what happened, like the client's (SchemaNotFound, RegistryUnavailable).
# ruff: noqa: N818

from __future__ import annotations

from pathlib import Path

from mdp.errors import MdpError


class DriftError(MdpError):
    """Root of the drift package's errors."""


class LocalSchemaError(DriftError):
    """A local schema file (or the directory) cannot be used; ``path`` says which."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class UnsafeSchemaName(DriftError, ValueError):
    """A schema name that cannot be a file name inside the schema directory."""


class FetchConflict(DriftError):
    """Files changed locally since the last fetch would be overwritten; ``names`` lists them."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(
            "locally changed schema file(s) would be overwritten: " + ", ".join(names) + " (use --force)"
        )
        self.names = names


__all__ = ["DriftError", "FetchConflict", "LocalSchemaError", "UnsafeSchemaName"]
