"""The orchestrator's Pulse consumer, the same on every bus: subclasses provide ``make_bus``.

``make_bus(**options)`` returns a started bus; two calls in one test must reach the same streams (as two
processes would), and every bus is closed after the test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import CollectorRegistry

from mdp.orchestrator.aggregator import DriftKey
from mdp.orchestrator.consumer import TelemetryConsumer
from mdp.orchestrator.metrics import OrchestratorMetrics, orchestrator_metrics
from mdp.orchestrator.state import OrchestratorState
from mdp.pulse import DeadLetter, Envelope, EventBus, TelemetryPublisher, dlq_stream, streams
from tests.suites.event_bus import wait_until
from tests.unit.orchestrator.events import drift, feedback, resolved, stats

MakeBus = Callable[..., Awaitable[EventBus]]
DAY = 86_400.0
KEY = DriftKey("market-data-store", "v1", "telemetry.FeedbackEvent")


def new_state() -> OrchestratorState:
    return OrchestratorState(validation_retention_s=8 * DAY, resolved_retention_s=DAY)


def metrics_for(state: OrchestratorState, registry: CollectorRegistry) -> OrchestratorMetrics:
    def readiness(now: float) -> Any:
        return state.readiness(
            now=now, window_s=3600, min_messages=1, min_coverage=0, registry_enabled=True, registry_up=True
        )

    return orchestrator_metrics(registry, state, readiness)


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def wire(model: Any) -> dict[str, Any]:
    """The payload as the contract's JSON Schema spells it (``schema``, not ``schema_``)."""
    return model.model_dump(mode="json", by_alias=True)


async def publish(bus: EventBus, stream: str, model: Any) -> str:
    return await bus.publish(stream, Envelope.create(stream, wire(model), source="test"))


@asynccontextmanager
async def consuming(
    bus: EventBus, state: OrchestratorState, registry: CollectorRegistry, *, consumer: str = "orch-1"
) -> AsyncIterator[TelemetryConsumer]:
    worker = TelemetryConsumer(
        bus, state, metrics_for(state, registry), group="orchestrator", consumer=consumer, block_ms=50
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.wait_for(worker.live.wait(), 10)
        yield worker
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


class OrchestratorConsumerSuite:
    async def test_live_drift_then_resolution(self, make_bus: MakeBus) -> None:
        bus = await make_bus()
        state, registry = new_state(), CollectorRegistry()
        async with consuming(bus, state, registry) as worker:
            assert worker.phase == "live"
            # The drift reporter publishes through the fail-open TelemetryPublisher.
            publisher = TelemetryPublisher(bus, source="market-data-store")
            assert await publisher.publish(streams.SCHEMA_DRIFT, drift(1_000.0)) is not None
            await wait_until(lambda: state.drift.get(KEY) is not None)
            current = state.drift.get(KEY)
            assert current is not None
            assert current.active
            await publisher.publish(streams.SCHEMA_DRIFT_RESOLVED, resolved(1_600.0))
            await wait_until(lambda: not state.drift.active())
        labels = {"repo": KEY.repo, "track": "v1", "schema": KEY.schema}
        assert sample(registry, "schema_drift_resolved_total", **labels) == 1
        hist = {"track": "v1", "schema": KEY.schema}
        assert sample(registry, "schema_drift_duration_seconds_sum", **hist) == 600.0
        assert sample(registry, "schema_drift_active_total", **labels) == 0

    async def test_history_is_replayed_once_at_start(self, make_bus: MakeBus) -> None:
        bus = await make_bus()
        await publish(bus, streams.SCHEMA_DRIFT, drift(100.0))
        await publish(bus, streams.SCHEMA_DRIFT, drift(200.0))
        await publish(bus, streams.VALIDATION, stats(4_000_000_000.0, total=1000, would_reject=3))
        state, registry = new_state(), CollectorRegistry()
        async with consuming(bus, state, registry) as worker:
            assert worker.replayed[streams.SCHEMA_DRIFT] == 2
            current = state.drift.get(KEY)
            assert current is not None
            assert (current.count, current.active_since) == (2, 100.0)
            await publish(bus, streams.SCHEMA_DRIFT, drift(300.0))
            await wait_until(lambda: (s := state.drift.get(KEY)) is not None and s.count == 3)
            await asyncio.sleep(0.2)  # a second delivery of the history would show in the counter
        assert sample(registry, "orchestrator_events_consumed_total", stream=streams.SCHEMA_DRIFT) == 3

    async def test_restart_rebuilds_state_and_applies_the_backlog_once(self, make_bus: MakeBus) -> None:
        bus = await make_bus()
        first = new_state()
        async with consuming(bus, first, CollectorRegistry()):
            await publish(bus, streams.SCHEMA_DRIFT, drift(100.0))
            await wait_until(lambda: first.drift.get(KEY) is not None)
        # While the orchestrator is down: a heartbeat, a resolution and another service's drift.
        await publish(bus, streams.SCHEMA_DRIFT, drift(400.0))
        await publish(bus, streams.SCHEMA_DRIFT_RESOLVED, resolved(700.0))
        await publish(bus, streams.SCHEMA_DRIFT, drift(500.0, repo="pipeline"))
        second, registry = new_state(), CollectorRegistry()
        async with consuming(bus, second, registry):
            await asyncio.sleep(0.3)  # the group hands over its backlog; ids already replayed are skipped
            by_repo = {s.key.repo: s for s in second.drift.states()}
            assert set(by_repo) == {"market-data-store", "pipeline"}
            store = by_repo["market-data-store"]
            assert (store.active, store.count, store.last_duration_s) == (False, 2, 600.0)
            assert by_repo["pipeline"].active
        assert sample(registry, "orchestrator_events_consumed_total", stream=streams.SCHEMA_DRIFT) == 3
        assert (
            sample(registry, "schema_drift_resolved_total", repo=KEY.repo, track="v1", schema=KEY.schema) == 1
        )

    async def test_contract_violations_are_dead_lettered_with_the_reason(self, make_bus: MakeBus) -> None:
        bus = await make_bus()
        state, registry = new_state(), CollectorRegistry()
        async with consuming(bus, state, registry):
            bad = Envelope.create(streams.SCHEMA_DRIFT, {"repo": "x", "schema": "y"}, source="test")
            await bus.publish(streams.SCHEMA_DRIFT, bad)
            wrong = Envelope.create("md.bar", wire(drift(5.0)), source="test")
            await bus.publish(streams.SCHEMA_DRIFT, wrong)
            await publish(bus, streams.SCHEMA_DRIFT, drift(10.0))  # the stream keeps flowing
            dlq = dlq_stream(streams.SCHEMA_DRIFT)
            await wait_until(lambda: bus.stream_length(dlq), timeout_s=10)
            await wait_until(lambda: state.drift.get(KEY) is not None)
            await wait_until(lambda: _length_is(bus, dlq, 2), timeout_s=10)
            letters = [DeadLetter.from_envelope(entry.envelope) for entry in await bus.read_range(dlq)]
        errors = sorted(letter.error for letter in letters)
        assert errors[0].startswith("SchemaDrift contract violated")
        assert errors[1] == "unexpected event type 'md.bar' on stream 'telemetry.schema_drift'"
        assert sorted(letter.original_envelope().id for letter in letters) == sorted([bad.id, wrong.id])
        assert sample(registry, "orchestrator_events_invalid_total", stream=streams.SCHEMA_DRIFT) == 2

    async def test_validation_and_feedback_reach_the_state(self, make_bus: MakeBus) -> None:
        import time

        bus = await make_bus()
        state = new_state()
        now = time.time()
        async with consuming(bus, state, CollectorRegistry()):
            await publish(bus, streams.VALIDATION, stats(now - 30, total=1000, would_reject=2, dlq_depth=4))
            await publish(bus, streams.FEEDBACK, feedback(now, level="hard", queue=95))
            await wait_until(lambda: state.ledger.summaries(now=time.time(), window_s=3600) != [])
            await wait_until(lambda: state.feedback.statuses(now=time.time(), stale_after_s=60) != [])
        [summary] = state.ledger.summaries(now=time.time(), window_s=3600)
        assert (summary.measured, summary.rejected) == (1000, 2)
        [status] = state.feedback.statuses(now=time.time(), stale_after_s=60)
        assert (status.event.level, status.event.queue_size) == ("hard", 95)
        assert [i.dlq_depth for i in state.ledger.instances()] == [4]

    async def test_models_published_as_the_pipeline_publishes_them(self, make_bus: MakeBus) -> None:
        # mdp.pipeline hands ValidationStats models to TelemetryPublisher (the payload then says "schema_").
        import time

        bus = await make_bus()
        state = new_state()
        async with consuming(bus, state, CollectorRegistry()):
            publisher = TelemetryPublisher(bus, source="pipeline")
            assert await publisher.publish(
                streams.VALIDATION, stats(time.time() - 5, total=50, schema="md.Quote")
            )
            await wait_until(lambda: state.ledger.summaries(now=time.time(), window_s=3600) != [])
        [summary] = state.ledger.summaries(now=time.time(), window_s=3600)
        assert (summary.schema, summary.measured) == ("md.Quote", 50)


async def _length_is(bus: EventBus, stream: str, length: int) -> bool:
    return await bus.stream_length(stream) == length
