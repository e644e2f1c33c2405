"""A :class:`~mdp.enforcement.base.SchemaProvider` over the registry client's cache.

``lookup`` is the client's synchronous ``cached(track, name)``: no I/O, so it is safe on the message path,
and it keeps answering from memory (and, after a restart, from the on-disk snapshot) while the registry is
down, which is seed 002's drill 3 (*falls back to cached schemas*). A subject the client has never seen is
``None``, which the enforcer turns into "schema unavailable".

Wire the client's change callbacks to the enforcer so new versions are compiled as soon as a poll or a
``schema.published`` event brings them in::

    provider = RegistrySchemaProvider(client)
    enforcer = Enforcer.from_settings(settings, schemas=provider, metrics=metrics)
    provider.attach(enforcer)        # client.on_change(enforcer.on_schema_change)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from mdp.client.models import SchemaRecord
from mdp.enforcement.validators import SchemaContent

if TYPE_CHECKING:
    from mdp.client import ChangeCallback
    from mdp.enforcement.enforcer import Enforcer


class CachingClient(Protocol):
    """What the provider needs from :class:`mdp.client.RegistryClient` (or the sync client)."""

    def cached(self, track: str, name: str) -> SchemaRecord | None: ...

    def on_change(self, callback: ChangeCallback) -> ChangeCallback: ...


class RegistrySchemaProvider:
    """Current schemas as the registry client has cached them."""

    def __init__(self, client: CachingClient) -> None:
        self._client = client

    def lookup(self, track: str, name: str) -> tuple[str, SchemaContent] | None:
        record = self._client.cached(track, name)
        if record is None:
            return None
        return record.sha256, record.content

    def attach(self, enforcer: Enforcer) -> None:
        """Have the client call ``enforcer.on_schema_change`` for every content change it sees."""
        self._client.on_change(enforcer.on_schema_change)


__all__ = ["CachingClient", "RegistrySchemaProvider"]
