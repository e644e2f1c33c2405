"""Keeps the client's cache in step with the registry: one conditional index request per track per poll.

::

    poller = RegistryPoller(client, on_change=[validators.swap])    # callback(track, name, old, new)
    await poller.poll_once()                                        # e.g. at start-up
    asyncio.create_task(poller.run(stop_event))                     # every REGISTRY_POLL_SECONDS
    poller.refresh_now()                                            # a schema.published event arrived

Each poll sends ``If-None-Match`` with the ETag of the index the cache was last synced from: an unchanged
registry answers 304 and nothing else is downloaded, whatever the number of schemas. On a new index only
the contents of new sha256 values are fetched (contents are immutable per sha256, so a content already in
the cache, under any name or track, is never fetched again). A failing registry never stops the loop: the
poll is counted as an error, the cache keeps serving, and the next tick tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Iterable, Sequence

from mdp.client._base import ChangeCallback
from mdp.client.client import RegistryClient
from mdp.client.errors import ClientError, InvalidArgument
from mdp.client.models import RegistryEvent, SyncResult
from mdp.client.protocol import check_track

log = logging.getLogger("mdp.client.poller")

REFRESH_EVENTS = frozenset({"schema.published", "schema.deprecated"})


class RegistryPoller:
    """Polls the index of ``tracks`` (default: the client's track) every ``interval`` seconds."""

    def __init__(
        self,
        client: RegistryClient,
        *,
        tracks: Sequence[str] | None = None,
        interval: float | None = None,
        on_change: Iterable[ChangeCallback] = (),
        jitter: float = 0.1,
    ) -> None:
        self.client = client
        self.tracks = tuple(check_track(track) for track in (tracks or (client.track,)))
        self.interval = interval if interval is not None else client.poll_seconds
        if self.interval <= 0:
            raise InvalidArgument("poll interval must be > 0")
        self.jitter = max(0.0, min(jitter, 0.5))
        client.metrics.bind_tracks(self.tracks)
        for callback in on_change:
            client.on_change(callback)
        self._wake = asyncio.Event()
        self._rng = random.Random()
        self.last_results: dict[str, SyncResult | ClientError] = {}

    def on_change(self, callback: ChangeCallback) -> ChangeCallback:
        """Register ``callback(track, name, old_sha256, new_sha256)`` (sync or async)."""
        return self.client.on_change(callback)

    async def poll_once(self) -> dict[str, SyncResult | ClientError]:
        """Sync every track once; a track that failed maps to its error instead of raising."""
        results: dict[str, SyncResult | ClientError] = {}
        if not self.client.enabled:
            return results
        for track in self.tracks:
            try:
                results[track] = await self.client.sync_track(track)
            except ClientError as exc:
                log.warning("registry poll failed", extra={"track": track, "error": str(exc)})
                results[track] = exc
        self.last_results = results
        return results

    def refresh_now(self) -> None:
        """Wake :meth:`run` for an immediate poll (safe to call from any callback on the loop's thread)."""
        self._wake.set()

    def handle_event(self, event: RegistryEvent) -> bool:
        """Trigger a refresh for a ``schema.published`` / ``schema.deprecated`` event of a polled track."""
        if event.type in REFRESH_EVENTS and event.track in self.tracks:
            self.refresh_now()
            return True
        return False

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set: immediately, then every ``interval`` (or sooner on refresh_now)."""
        if not self.client.enabled:
            log.info("registry disabled (REGISTRY_ENABLED=false): not polling")
            return
        while not stop.is_set():
            self._wake.clear()
            await self.poll_once()
            await self._sleep(stop)

    async def _sleep(self, stop: asyncio.Event) -> None:
        # A little jitter keeps a fleet of pods from polling in lockstep.
        delay = self.interval * (1 + self._rng.uniform(-self.jitter, self.jitter))
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter


__all__ = ["REFRESH_EVENTS", "RegistryPoller"]
