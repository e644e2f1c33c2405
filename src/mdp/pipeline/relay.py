"""The registry outbox relay: each outbox event becomes one ``schema.published`` / ``schema.deprecated``
envelope on Pulse, exactly once, across restarts and concurrent registry replicas.

How exactly-once holds. The outbox id is strictly increasing and, on PostgreSQL, visible in commit order
(every registry write takes the same advisory lock). The relay publishes with
:meth:`~mdp.pulse.base.EventBus.publish_sequenced`: compare the outbox id with the last one published
(stored on the bus under ``registry-outbox``), append, store the id, in one atomic step (a Lua script on
Redis). So:

* a relay that dies after the append resumes from the stored id (nothing twice);
* a relay that dies before it resumes from the previous id (nothing lost: the event is still in the
  outbox, which is the source of truth);
* several replicas may all run the relay: for each event exactly one append succeeds, the others get
  ``None``; each relay walks the outbox in id order, so no event is ever skipped.

The cursor lives next to the streams it guards: if Redis loses its data (a restart without persistence),
the streams and the cursor go together and the relay republishes the outbox from the beginning; consumers
deduplicate by ``event_id`` (the SDK poller just refreshes). Payload = the outbox payload
(:class:`~mdp.contracts.events.SchemaPublished` / ``SchemaDeprecated``, with ``event_id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Final, Protocol

from mdp.contracts.catalog import DEFAULT_TRACK, EVENT_SCHEMAS
from mdp.pulse.base import EventBus
from mdp.pulse.envelope import Envelope, SchemaRef
from mdp.pulse.factory import create_bus
from mdp.pulse.settings import PulseSettings
from mdp.pulse.streams import RELAY_SEQUENCE_KEY, SCHEMA_DEPRECATED, SCHEMA_PUBLISHED
from mdp.registry.storage.base import OutboxEvent
from mdp.settings import load_settings
from mdp.web.server import Worker

log = logging.getLogger("mdp.relay")
SOURCE: Final = "mdp-registry"
STREAMS: Final = {"schema.published": SCHEMA_PUBLISHED, "schema.deprecated": SCHEMA_DEPRECATED}


class OutboxSource(Protocol):
    """What the relay reads: :meth:`mdp.registry.storage.SchemaStorage.events`."""

    def events(self, after: int, limit: int) -> Sequence[OutboxEvent]: ...


class OutboxRelay:
    """Publishes outbox events to Pulse; ``run(stop)`` polls every ``interval_s`` until stopped."""

    def __init__(
        self,
        outbox: OutboxSource,
        bus: EventBus,
        *,
        interval_s: float = 0.5,
        batch: int = 100,
        track: str = DEFAULT_TRACK,
        sequence_key: str = RELAY_SEQUENCE_KEY,
        on_published: Callable[[OutboxEvent], None] | None = None,
    ) -> None:
        self.outbox = outbox
        self.bus = bus
        self.interval_s = interval_s
        self.batch = batch
        self.track = track
        self.sequence_key = sequence_key
        self.on_published = on_published
        self.published = 0
        self.skipped = 0

    def envelope(self, event: OutboxEvent) -> Envelope:
        schema = SchemaRef(self.track, EVENT_SCHEMAS[event.type])
        ts = float(event.created_at.timestamp())
        return Envelope.create(event.type, event.payload, source=SOURCE, schema=schema, ts=ts)

    async def relay_once(self) -> int:
        """Publish the outbox beyond the stored cursor (one page); returns how many were published."""
        cursor = await self.bus.get_sequence(self.sequence_key)
        events = await asyncio.to_thread(self.outbox.events, cursor, self.batch)
        published = 0
        for event in events:
            stream = STREAMS.get(event.type)
            if stream is None:
                log.error("outbox event %d has unknown type %r; not relayed", event.id, event.type)
                continue
            entry_id = await self.bus.publish_sequenced(
                stream, self.envelope(event), sequence_key=self.sequence_key, sequence=event.id
            )
            if entry_id is None:  # another replica got there first
                self.skipped += 1
                continue
            published += 1
            self.published += 1
            if self.on_published is not None:
                self.on_published(event)
        if published:
            log.info("relayed %d registry event(s)", published, extra={"last_event_id": events[-1].id})
        return published

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; a bus or database error is logged and retried."""
        while not stop.is_set():
            try:
                caught_up = await self.relay_once() < self.batch
            except Exception as exc:  # the outbox keeps everything: retry later, lose nothing
                log.warning("outbox relay failed: %s: %s", type(exc).__name__, exc)
                caught_up = True
            if caught_up:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval_s)


def relay_worker(outbox: OutboxSource) -> Worker | None:
    """A :mod:`mdp.web.server` worker running the relay on the bus the environment names.

    ``None`` when ``PULSE_ENABLED=false`` (nothing to relay to). The bus may come up after the registry:
    the worker keeps trying to start it.
    """
    settings = load_settings(PulseSettings)
    if not settings.pulse_enabled:
        log.info("PULSE_ENABLED=false: the outbox relay is off (GET /events still serves the feed)")
        return None

    async def worker(stop: asyncio.Event) -> None:
        bus = create_bus(settings, source=SOURCE)
        try:
            while not stop.is_set():
                try:
                    await bus.start()
                    break
                except Exception as exc:
                    log.warning("outbox relay: event bus unavailable (%s); retrying", exc)
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(stop.wait(), 1.0)
            await OutboxRelay(outbox, bus).run(stop)
        finally:
            await bus.close()

    return worker


__all__ = ["SOURCE", "STREAMS", "OutboxRelay", "OutboxSource", "relay_worker"]
