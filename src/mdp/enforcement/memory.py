"""In-memory :class:`~mdp.enforcement.base.SchemaProvider`: subjects put in by hand (tests, CLI files)."""

from __future__ import annotations

from mdp.contracts.errors import ContractError
from mdp.contracts.hashing import compute_sha256
from mdp.enforcement.errors import InvalidSchema
from mdp.enforcement.validators import SchemaContent


class MemorySchemaProvider:
    """A dict of (track, name) -> (sha256, content)."""

    def __init__(self) -> None:
        self._schemas: dict[tuple[str, str], tuple[str, SchemaContent]] = {}

    def put(self, track: str, name: str, content: SchemaContent) -> str:
        """Store ``content`` as the current version of ``track``/``name``; returns its sha256."""
        try:
            sha256 = compute_sha256(content)  # type: ignore[arg-type]  # booleans canonicalise too
        except ContractError as exc:
            raise InvalidSchema(f"schema cannot be canonicalised: {exc}") from exc
        self._schemas[(track, name)] = (sha256, content)
        return sha256

    def remove(self, track: str, name: str) -> None:
        self._schemas.pop((track, name), None)

    def lookup(self, track: str, name: str) -> tuple[str, SchemaContent] | None:
        return self._schemas.get((track, name))


__all__ = ["MemorySchemaProvider"]
