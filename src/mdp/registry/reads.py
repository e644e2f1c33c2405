"""The read cache: encoded response bodies keyed by track revision, so hot GETs skip the database.

Every change to a track (publish, deprecate) bumps the track's *revision* (its newest outbox id) in the
same transaction. The cache remembers the revisions of all tracks and re-reads them (one tiny query) at
most every ``ttl`` seconds; a body cached under revision R is served while the track is still at R. So:

* on the replica that wrote, a write invalidates the revisions at once (read-your-writes);
* a replica sharing the database sees another replica's write within ``ttl`` (``MDP_REGISTRY_CACHE_TTL_MS``,
  default 500 ms) plus one query;
* a body is always read *after* the revision it is stored under, so it can only be newer than its key,
  never older: a stale key merely causes one extra rebuild.

Refreshes and rebuilds run in the threadpool (the storage is synchronous); cache hits never leave the
event loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from mdp.registry.service import RegistryService

UNKNOWN = -1


@dataclass(frozen=True, slots=True)
class Encoded:
    """A ready-to-send JSON body, its ETag, and (for the index) the revision it was read at."""

    body: bytes
    etag: str | None = None
    revision: int | None = None


class ReadCache:
    """Encoded bodies per key, valid while their track's revision is unchanged."""

    def __init__(
        self,
        service: RegistryService,
        *,
        ttl_seconds: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._service = service
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._revisions: dict[str, int] = {}
        self._checked_at = float("-inf")
        self._bodies: dict[Hashable, tuple[int, Encoded]] = {}

    def _stale(self) -> bool:
        return self._clock() - self._checked_at >= self._ttl

    def _refresh(self) -> dict[str, int]:
        with self._lock:  # one query per refresh, however many requests found the revisions stale
            if self._stale():
                started = self._clock()
                self._revisions = self._service.revisions()
                self._checked_at = started
            return self._revisions

    async def revisions(self) -> dict[str, int]:
        """``{track: revision}``, re-read from the database when older than the TTL."""
        if self._stale():
            return await run_in_threadpool(self._refresh)
        return self._revisions

    def invalidate(self) -> None:
        """Forget the revisions (after a local write) so the next read re-checks them."""
        self._checked_at = float("-inf")

    def clear(self) -> None:
        self.invalidate()
        self._bodies.clear()

    async def get(self, key: Hashable, track: str | None, build: Callable[[], Encoded]) -> Encoded:
        """The cached body for ``key`` if still valid for ``track``'s revision, else ``build()`` it.

        ``track=None`` marks immutable content (a schema by id / sha), cached regardless of revisions.
        """
        revision = 0 if track is None else (await self.revisions()).get(track, UNKNOWN)
        entry = self._bodies.get(key)
        if entry is not None and revision != UNKNOWN and entry[0] >= revision:
            return entry[1]
        encoded = await run_in_threadpool(build)
        if revision != UNKNOWN:
            if len(self._bodies) >= self._max_entries:
                self._bodies.clear()
            self._bodies[key] = (max(revision, encoded.revision or 0), encoded)
        return encoded


def etag_matches(if_none_match: str | None, etag: str | None) -> bool:
    """Whether an ``If-None-Match`` header matches ``etag`` (``*``, lists and weak tags understood)."""
    if not if_none_match or etag is None:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


__all__ = ["Encoded", "ReadCache", "etag_matches"]
