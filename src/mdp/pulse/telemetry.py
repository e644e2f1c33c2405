"""The fail-open telemetry publisher: drift, feedback and validation events must never break business code.

``TelemetryPublisher.publish`` logs and counts every failure (``pulse_publish_failures_total{stream}``)
and returns ``None`` instead of raising; successes are counted in ``pulse_published_total{stream}``. With
``PULSE_ENABLED=false`` (``enabled=False``) or no bus it does nothing. This is the only fail-open path:
the data path (``EventBus.publish``/``read``/``ack`` used by the pipeline and the store) raises.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from mdp.contracts.catalog import DEFAULT_TRACK, EVENT_SCHEMAS
from mdp.pulse.base import Envelope, EventBus, SchemaRef
from mdp.pulse.config import PulseConfig
from mdp.pulse.metrics import PulseMetrics, pulse_metrics

logger = logging.getLogger("mdp.pulse.telemetry")


class TelemetryPublisher:
    """Publishes telemetry events to the stream of the same name; never raises from :meth:`publish`."""

    def __init__(
        self,
        bus: EventBus | None,
        *,
        enabled: bool = True,
        source: str,
        metrics_registry: CollectorRegistry | None = None,
        track: str = DEFAULT_TRACK,
        timeout_s: float = 2.0,
        owns_bus: bool = False,
    ) -> None:
        self._bus = bus
        self.enabled = enabled and bus is not None
        self._source = source
        self._metrics: PulseMetrics | None = pulse_metrics(metrics_registry) if metrics_registry else None
        self._track = track
        self._timeout_s = timeout_s
        self._owns_bus = owns_bus

    @classmethod
    def from_config(
        cls,
        config: PulseConfig,
        *,
        source: str,
        metrics_registry: CollectorRegistry | None = None,
        track: str = DEFAULT_TRACK,
    ) -> TelemetryPublisher:
        """A publisher owning a bus built from ``config`` (none at all when ``config.enabled`` is false)."""
        bus = config.create_bus(metrics_registry=metrics_registry) if config.enabled else None
        return cls(
            bus,
            enabled=config.enabled,
            source=source,
            metrics_registry=metrics_registry,
            track=track,
            owns_bus=True,
        )

    async def start(self) -> None:
        """Start an owned bus; a failure is logged, not raised (later publishes retry the connection)."""
        if self._owns_bus and self._bus is not None and self.enabled:
            try:
                await asyncio.wait_for(self._bus.start(), self._timeout_s)
            except Exception as exc:
                logger.warning("telemetry bus did not start (%s); events will be dropped until it does", exc)

    async def close(self) -> None:
        """Close an owned bus (idempotent, never raises)."""
        if self._owns_bus and self._bus is not None:
            try:
                await self._bus.close()
            except Exception as exc:  # pragma: no cover - close() of both adapters does not raise
                logger.warning("telemetry bus did not close cleanly: %s", exc)

    async def __aenter__(self) -> TelemetryPublisher:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def publish(
        self,
        stream_or_type: str,
        payload: Mapping[str, Any] | BaseModel,
        schema_ref: SchemaRef | None = None,
    ) -> str | None:
        """Publish one event of type ``stream_or_type`` to the stream of that name.

        ``schema_ref`` defaults to the bundled schema of the event type on this publisher's track.
        Returns the entry id, or ``None`` if disabled or the bus failed (logged and counted).
        """
        if not self.enabled or self._bus is None:
            return None
        try:
            body: Mapping[str, Any] = (
                payload.model_dump(mode="json", by_alias=True)  # wire names ("schema", not "schema_")
                if isinstance(payload, BaseModel)
                else payload
            )
            if schema_ref is None and stream_or_type in EVENT_SCHEMAS:
                schema_ref = SchemaRef(self._track, EVENT_SCHEMAS[stream_or_type])
            envelope = Envelope.create(stream_or_type, body, source=self._source, schema=schema_ref)
            entry_id = await asyncio.wait_for(self._bus.publish(stream_or_type, envelope), self._timeout_s)
        except Exception as exc:  # fail-open by contract: log, count, carry on
            logger.warning("telemetry event %s dropped: %s: %s", stream_or_type, type(exc).__name__, exc)
            if self._metrics:
                self._metrics.telemetry_failures.labels(stream_or_type).inc()
            return None
        if self._metrics:
            self._metrics.telemetry_published.labels(stream_or_type).inc()
        return entry_id


__all__ = ["PulseConfig", "TelemetryPublisher"]
