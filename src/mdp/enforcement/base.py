"""The enforcement port: where the enforcer gets a schema's current content.

:class:`SchemaProvider` is synchronous and cache-only on purpose: it is consulted on the message path
(only when a subject has no compiled validator yet), so it must never wait on the network. Adapters:

* :class:`mdp.enforcement.memory.MemorySchemaProvider`: a dict, for tests and for ``mdp validate FILE``;
* :class:`mdp.enforcement.bundled.BundledSchemaProvider`: the contracts bundled with the package;
* :class:`mdp.enforcement.registry.RegistrySchemaProvider`: the registry client's cache (``cached()``),
  which keeps serving the last known schemas while the registry is down (seed 002, drill 3).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from mdp.enforcement.validators import SchemaContent


@runtime_checkable
class SchemaProvider(Protocol):
    """Current content of a subject from a local cache; never does I/O that can block."""

    def lookup(self, track: str, name: str) -> tuple[str, SchemaContent] | None:
        """``(sha256, content)`` of the current version of ``track``/``name``, or ``None`` if unknown."""
        ...


__all__ = ["SchemaProvider"]
