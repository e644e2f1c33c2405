"""Wiring of one pipeline process: bus, registry client and poller, enforcer, service, telemetry.

``PipelineRuntime.from_settings(settings)`` builds everything (nothing connects yet); ``run(stop)`` starts
the bus, warms the schema cache (one poll; the on-disk snapshot already answers during a registry outage),
runs the poller and the service, and closes everything once the service has drained its batch.
``mdp pipeline run`` serves :func:`mdp.pipeline.app.create_app` beside ``runtime.run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from prometheus_client import CollectorRegistry

from mdp.client import RegistryClient, RegistryPoller
from mdp.client.models import RegistryEvent
from mdp.enforcement import Enforcer, enforcement_metrics
from mdp.enforcement.registry import RegistrySchemaProvider
from mdp.pipeline.feedback import FlowController
from mdp.pipeline.metrics import pipeline_metrics
from mdp.pipeline.service import SOURCE, PipelineService
from mdp.pipeline.settings import PipelineSettings
from mdp.pulse.base import EventBus, StreamEntry
from mdp.pulse.factory import create_bus
from mdp.pulse.telemetry import TelemetryPublisher

log = logging.getLogger("mdp.pipeline")


class PipelineRuntime:
    """Everything one pipeline process runs; ``service`` and ``client`` are what /health inspects."""

    def __init__(
        self,
        settings: PipelineSettings,
        *,
        bus: EventBus | None = None,
        client: RegistryClient | None = None,
        metrics_registry: CollectorRegistry | None = None,
    ) -> None:
        self.settings = settings
        self.registry = metrics_registry if metrics_registry is not None else CollectorRegistry()
        self.owns_bus = bus is None
        self.bus = (
            bus if bus is not None else create_bus(settings, source=SOURCE, metrics_registry=self.registry)
        )
        self.owns_client = client is None
        self.client = (
            client
            if client is not None
            else RegistryClient.from_settings(settings, metrics_registry=self.registry)
        )
        self.binding = settings.binding
        provider = RegistrySchemaProvider(self.client)
        self.enforcer = Enforcer.from_settings(
            settings,
            schemas=provider,
            metrics=enforcement_metrics(self.registry),
            bindings={settings.pipeline_input_stream: self.binding},
            instance=settings.pipeline_consumer,
        )
        provider.attach(self.enforcer)
        tracks = sorted({self.binding[0], settings.registry_track})
        self.poller = RegistryPoller(self.client, tracks=tracks)
        self.telemetry = TelemetryPublisher(
            self.bus, enabled=settings.pulse_enabled, source=SOURCE, metrics_registry=self.registry
        )
        self.service = PipelineService(
            self.bus,
            self.enforcer,
            input_stream=settings.pipeline_input_stream,
            output_stream=settings.pipeline_output_stream,
            dlq_stream=settings.dlq_stream,
            consumer=settings.pipeline_consumer,
            metrics=pipeline_metrics(self.registry),
            flow=FlowController(
                ttl_s=settings.pipeline_feedback_ttl_s,
                soft_delay_s=settings.pipeline_soft_delay_ms / 1000,
                max_backlog=settings.pipeline_max_output_backlog,
            ),
            batch_size=settings.pipeline_batch_size,
            block_ms=settings.pipeline_block_ms,
            telemetry=self.telemetry,
            on_schema_event=self.on_schema_event,
            downstream_group=settings.pipeline_downstream_group,
            stats_interval_s=settings.pipeline_stats_interval_s,
            housekeeping_s=settings.pipeline_housekeeping_s,
        )

    @classmethod
    def from_settings(cls, settings: PipelineSettings, **options: Any) -> PipelineRuntime:
        return cls(settings, **options)

    def on_schema_event(self, entry: StreamEntry) -> None:
        """A ``schema.published`` / ``schema.deprecated`` event: refresh the schema cache now."""
        envelope = entry.envelope
        if envelope is None or not isinstance(envelope.payload, dict):
            return
        payload = envelope.payload
        try:
            event = RegistryEvent(
                id=payload["event_id"],
                type=envelope.type,
                track=payload["track"],
                name=payload["name"],
                payload=payload,
            )
        except (KeyError, ValueError) as exc:
            log.warning("ignoring a malformed registry event %s: %s", entry.message_id, exc)
            return
        if self.poller.handle_event(event):
            log.info("registry event: refreshing schemas", extra={"schema": f"{event.track}/{event.name}"})

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop``; then drain the batch in flight and close what this runtime owns."""
        poller_task: asyncio.Task[None] | None = None
        try:
            await self._start_bus(stop)
            if self.client.enabled:
                await self.poller.poll_once()  # warm start; failures are logged, the snapshot still serves
                poller_task = asyncio.create_task(self.poller.run(stop), name="pipeline:poller")
            await self.service.run(stop)
        finally:
            if poller_task is not None:
                stop.set()
                with contextlib.suppress(Exception):
                    await poller_task
            if self.owns_client:
                await self.client.aclose()
            if self.owns_bus:
                await self.bus.close()

    async def _start_bus(self, stop: asyncio.Event) -> None:
        # The bus may come up after the pipeline (docker compose, a Redis restart): keep trying.
        while not stop.is_set():
            try:
                await self.bus.start()
                return
            except Exception as exc:
                log.warning("event bus not available yet (%s); retrying", exc)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)


__all__ = ["PipelineRuntime"]
