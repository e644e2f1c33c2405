"""The pipeline loop on both bus backends: routing per mode, DLQ records, ack-after-write, flow control."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
import pytest

from mdp.contracts.telemetry import FeedbackEvent
from mdp.enforcement import MemorySchemaProvider
from mdp.pipeline.feedback import FlowController
from mdp.pipeline.service import PipelineService
from mdp.pulse import DeadLetter, Envelope, EventBus, SchemaRef
from mdp.pulse.streams import FEEDBACK, GROUP_PIPELINE
from tests.unit.pipeline.conftest import DLQ, OUT, RAW, MakeService, bar, ids_in, inject, invalid_kinds


async def run_once(service: PipelineService, count: int = 1000) -> None:
    """Read one batch and process it, as the loop does."""
    await service.bus.ensure_group(RAW, GROUP_PIPELINE)
    deliveries = await service.bus.read(RAW, GROUP_PIPELINE, "c-1", count=count)
    await service.process(deliveries)


async def letters(bus: EventBus) -> list[DeadLetter]:
    out = []
    for entry in await bus.read_range(DLQ, count=1000):
        assert entry.envelope is not None
        out.append(DeadLetter.from_envelope(entry.envelope))
    return out


async def test_strict_forwards_valid_bytes_unchanged_and_dead_letters_the_rest(
    bus: EventBus, make_service: MakeService
) -> None:
    service = make_service(mode="strict")
    good = [bar(n) for n in range(20)]
    bad = invalid_kinds()
    mismatch = Envelope.create("md.bar", {"x": 1}, source="t", schema=SchemaRef("v1", "md.Quote"))
    await bus.publish_many(RAW, good[:10] + bad + [mismatch] + good[10:])
    await inject(bus, RAW, b"{not json")
    await run_once(service)

    forwarded = await bus.read_range(OUT, count=100)
    assert [entry.raw for entry in forwarded] == [envelope.to_json() for envelope in good]  # order kept
    dead = await letters(bus)
    reasons = [letter.reason for letter in dead]
    assert reasons.count("invalid") == 4
    assert reasons.count("malformed") == 2  # a payload that is not an object, a non-envelope entry
    assert reasons.count("schema mismatch") == 1
    by_id = {
        orjson.loads(letter.original_bytes())["id"]: letter for letter in dead if letter.original_envelope()
    }
    missing = by_id[bad[0].id]
    assert missing.original_bytes() == bad[0].to_json()  # exact bytes kept
    assert (missing.stream, missing.group, missing.mode, missing.attempts) == (
        RAW,
        GROUP_PIPELINE,
        "strict",
        0,
    )
    assert missing.schema is not None
    assert (missing.schema["track"], missing.schema["name"]) == ("v1", "md.Bar")
    assert len(missing.schema["sha256"]) == 64
    assert missing.errors[0]["message"] == '"close" is a required property'
    assert missing.first_seen is not None
    assert abs(missing.first_seen - time.time()) < 60
    malformed = next(letter for letter in dead if letter.original_envelope() is None)
    assert malformed.original_bytes() == b"{not json"
    assert "not valid JSON" in malformed.errors[0]["message"]
    assert await bus.pending_count(RAW, GROUP_PIPELINE) == 0
    assert service.state.forwarded + service.state.dead_lettered == 27


@pytest.mark.parametrize(("mode", "enabled"), [("warn", True), ("off", True), ("strict", False)])
async def test_warn_off_and_disabled_forward_every_envelope(
    bus: EventBus, make_service: MakeService, mode: str, enabled: bool
) -> None:
    service = make_service(mode=mode, enabled=enabled)
    envelopes = [bar(0), *invalid_kinds(), bar(1)]
    await bus.publish_many(RAW, envelopes)
    await inject(bus, RAW, b"\xff\xfe")
    await run_once(service)
    assert ids_in(await bus.read_range(OUT, count=100)) == [envelope.id for envelope in envelopes]
    (letter,) = await letters(bus)  # a non-envelope cannot be forwarded as one, in any mode
    assert letter.reason == "malformed"
    assert letter.original_encoding == "base64"
    assert letter.original_bytes() == b"\xff\xfe"
    failures = service.enforcer.drain_stats(time.time())
    if mode == "warn" and enabled:  # warn counts what strict would reject
        assert sum(stats.would_reject for stats in failures) == len(invalid_kinds())
    else:
        assert failures == [] or all(stats.total == 0 for stats in failures)


@pytest.mark.parametrize("mode", ["strict", "warn"])
async def test_schema_unavailable(bus: EventBus, make_service: MakeService, mode: str) -> None:
    service = make_service(mode=mode, schemas=MemorySchemaProvider())  # nothing cached, registry never seen
    envelopes = [bar(n) for n in range(3)]
    await bus.publish_many(RAW, envelopes)
    await run_once(service)
    if mode == "strict":
        assert await bus.stream_length(OUT) == 0
        dead = await letters(bus)
        assert [letter.reason for letter in dead] == ["schema unavailable"] * 3
        assert "never fetched" in dead[0].errors[0]["message"]
    else:
        assert ids_in(await bus.read_range(OUT)) == [envelope.id for envelope in envelopes]
        assert await bus.stream_length(DLQ) == 0


class FailingBus:
    """Delegates to a real bus but fails the first ``failures`` publish_raw calls."""

    def __init__(self, bus: EventBus, failures: int) -> None:
        self._bus = bus
        self.failures = failures

    async def publish_raw(self, stream: str, raws: Any) -> list[str]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("injected: output write failed")
        return await self._bus.publish_raw(stream, raws)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bus, name)


async def test_input_is_acked_only_after_outputs_are_written(
    bus: EventBus, make_service: MakeService
) -> None:
    failing = FailingBus(bus, failures=1)
    service = make_service(bus=failing)
    envelopes = [bar(n) for n in range(5)] + invalid_kinds()[:1]
    await bus.publish_many(RAW, envelopes)
    with pytest.raises(ConnectionError):
        await run_once(service)
    assert await bus.pending_count(RAW, GROUP_PIPELINE) == 6  # nothing acked
    assert await bus.stream_length(OUT) == 0
    assert service.state.write_failures == 1
    await asyncio.sleep(0.35)  # claim idle: the batch comes back
    await run_once(service)
    assert await bus.pending_count(RAW, GROUP_PIPELINE) == 0
    assert ids_in(await bus.read_range(OUT)) == [envelope.id for envelope in envelopes[:5]]
    assert [letter.reason for letter in await letters(bus)] == ["invalid"]


async def test_the_loop_processes_until_stopped_and_trims_consumed_input(
    bus: EventBus, make_service: MakeService
) -> None:
    service = make_service(batch_size=7)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await bus.publish_many(RAW, [bar(n) for n in range(50)])
    await wait_for(lambda: service.state.forwarded == 50)
    await wait_for(lambda: _length(bus, RAW, 0))
    stop.set()
    await asyncio.wait_for(task, 5)
    assert not service.state.running
    assert await bus.stream_length(OUT) == 50
    assert service.state.dlq_depth == 0


async def _length(bus: EventBus, stream: str, expected: int) -> bool:
    return await bus.stream_length(stream) == expected


async def wait_for(predicate: Any, limit_s: float = 5.0) -> None:
    deadline = time.monotonic() + limit_s
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


def feedback(level: str, coordinator: str = "store-1") -> FeedbackEvent:
    size = {"ok": 10, "soft": 80, "hard": 100}[level]
    return FeedbackEvent(
        coordinator_id=coordinator,
        queue_size=size,
        capacity=100,
        level=level,
        utilization=size / 100,
        source="mdp-store",
        ts=time.time(),
    )


async def publish_feedback(bus: EventBus, event: FeedbackEvent) -> None:
    await bus.publish(FEEDBACK, Envelope.create(FEEDBACK, event.model_dump(mode="json"), source="mdp-store"))


async def test_hard_feedback_pauses_intake_until_ok(bus: EventBus, make_service: MakeService) -> None:
    service = make_service(flow=FlowController(ttl_s=30, soft_delay_s=0.01))
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await asyncio.sleep(0.2)  # the feedback tail reader starts at the stream's end
    await publish_feedback(bus, feedback("hard"))
    await wait_for(lambda: service.flow.level(service.monotonic()) == "hard")
    await asyncio.sleep(0.1)  # a read that was already blocking when the event came in may take one entry
    await bus.publish_many(RAW, [bar(n) for n in range(10)])
    await asyncio.sleep(0.5)
    assert service.state.forwarded == 0  # paused
    assert await bus.stream_length(OUT) == 0
    await publish_feedback(bus, feedback("ok"))
    await wait_for(lambda: service.state.forwarded == 10)
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_soft_feedback_halves_batches_and_delays(bus: EventBus, make_service: MakeService) -> None:
    service = make_service(batch_size=10, flow=FlowController(ttl_s=30, soft_delay_s=0.2))
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await asyncio.sleep(0.2)
    await publish_feedback(bus, feedback("soft"))
    await wait_for(lambda: service.flow.level(service.monotonic()) == "soft")
    await asyncio.sleep(0.1)
    await bus.publish_many(RAW, [bar(n) for n in range(20)])
    started = time.monotonic()
    await wait_for(lambda: service.state.forwarded == 20)
    elapsed = time.monotonic() - started
    assert service.state.batches == 4  # batches of 5, not 10
    assert elapsed >= 0.55  # three delays of 0.2 s between the four batches
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_worst_coordinator_wins_and_levels_expire(bus: EventBus, make_service: MakeService) -> None:
    service = make_service(flow=FlowController(ttl_s=0.6, soft_delay_s=0.01))
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await asyncio.sleep(0.2)
    await publish_feedback(bus, feedback("ok", "store-a"))
    await publish_feedback(bus, feedback("hard", "store-b"))
    await wait_for(lambda: service.flow.level(service.monotonic()) == "hard")
    await asyncio.sleep(0.1)
    await bus.publish_many(RAW, [bar(n) for n in range(3)])
    await asyncio.sleep(0.2)
    assert service.state.forwarded == 0
    await wait_for(lambda: service.state.forwarded == 3, limit_s=3)  # store-b went silent: expired
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_output_backlog_guard_pauses_when_nobody_drains_the_output(
    bus: EventBus, make_service: MakeService
) -> None:
    service = make_service(batch_size=10, flow=FlowController(ttl_s=30, soft_delay_s=0.01, max_backlog=20))
    await bus.ensure_group(OUT, "store")
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await bus.publish_many(RAW, [bar(n) for n in range(60)])
    await wait_for(lambda: service.state.forwarded >= 20)
    await asyncio.sleep(0.4)
    assert service.state.forwarded < 60  # the store group owes 20+: paused (hard)
    assert service.flow.level(service.monotonic()) == "hard"
    while await bus.stream_length(OUT) and service.state.forwarded < 60:  # the "store" drains md.bars
        got = await bus.read(OUT, "store", "s", count=100, block_ms=100)
        await bus.ack(OUT, "store", [d.message_id for d in got])
        await asyncio.sleep(0.05)
    await wait_for(lambda: service.state.forwarded == 60)
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_invalid_feedback_events_are_ignored(bus: EventBus, make_service: MakeService) -> None:
    service = make_service()
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await asyncio.sleep(0.2)
    await bus.publish(FEEDBACK, Envelope.create(FEEDBACK, {"level": "hard"}, source="x"))
    await inject(bus, FEEDBACK, b"garbage")
    await bus.publish_many(RAW, [bar(1)])
    await wait_for(lambda: service.state.forwarded == 1)
    assert service.flow.level(service.monotonic()) == "ok"
    stop.set()
    await asyncio.wait_for(task, 5)
