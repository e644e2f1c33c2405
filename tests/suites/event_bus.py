"""The one behavioural suite of the ``EventBus`` port; every adapter subclasses :class:`EventBusSuite`.

A subclass provides two things: the ``make_bus`` fixture (an async factory ``make_bus(**options)`` that
returns a started bus with the given delivery options and closes it after the test) and
``inject_malformed(bus, stream, raw)`` (append bytes that are not a valid envelope, the way a foreign
producer would). Everything else (ordering, groups, pending, redelivery, dead letters, trimming, blocking,
subscriptions, close) must behave the same on every backend.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from mdp.pulse import (
    DEAD_LETTER_TYPE,
    BatchOutcome,
    BusClosed,
    DeadLetter,
    Delivery,
    Envelope,
    EnvelopeError,
    EventBus,
    GroupNotFound,
    InvalidEntryId,
    SchemaRef,
    dlq_stream,
)

MakeBus = Callable[..., Awaitable[EventBus]]
CLAIM_IDLE_MS = 200


def envelopes(count: int, *, kind: str = "md.bar", start: int = 0) -> list[Envelope]:
    return [Envelope.create(kind, {"seq": start + index}, source="suite") for index in range(count)]


def seqs(deliveries: list[Delivery]) -> list[int]:
    return [delivery.envelope.payload["seq"] for delivery in deliveries if delivery.envelope is not None]


async def wait_until(predicate: Callable[[], Any], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await _call(predicate):
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def _call(predicate: Callable[[], Any]) -> Any:
    result = predicate()
    return await result if asyncio.iscoroutine(result) else result


async def idle() -> None:
    """Wait until entries delivered now are reclaimable (claim_idle_ms plus the reclaim cadence)."""
    await asyncio.sleep(CLAIM_IDLE_MS * 1.6 / 1000)


class EventBusSuite:
    """Behaviour every :class:`~mdp.pulse.base.EventBus` adapter must have."""

    @pytest.fixture
    def make_bus(self) -> MakeBus:
        raise NotImplementedError("adapter suites provide make_bus")

    async def inject_malformed(self, bus: EventBus, stream: str, raw: bytes) -> str:
        raise NotImplementedError("adapter suites provide inject_malformed")

    @pytest.fixture
    async def bus(self, make_bus: MakeBus) -> EventBus:
        return await make_bus(claim_idle_ms=CLAIM_IDLE_MS, max_deliveries=3)

    # publishing and reading ------------------------------------------------------------------------------
    async def test_entries_are_read_in_publish_order(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "g")
        sent = envelopes(10)
        ids = [await bus.publish("s", envelope) for envelope in sent]
        got = await bus.read("s", "g", "c", count=100)
        assert [d.message_id for d in got] == ids
        assert [d.envelope for d in got] == sent
        assert all(d.delivery_count == 1 and d.group == "g" and d.stream == "s" and d.ok for d in got)
        keys = [tuple(int(part) for part in entry_id.split("-")) for entry_id in ids]
        assert keys == sorted(keys)
        assert len(set(keys)) == len(keys)

    async def test_publish_many_appends_in_order_and_returns_ids(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "g")
        ids = await bus.publish_many("s", envelopes(250))
        assert len(ids) == 250
        assert len(set(ids)) == 250
        assert await bus.stream_length("s") == 250
        got = await bus.read("s", "g", "c", count=1000)
        assert [d.message_id for d in got] == ids
        assert seqs(got) == list(range(250))
        assert await bus.publish_many("s", []) == []

    async def test_publish_many_with_an_unencodable_envelope_publishes_nothing(self, bus: EventBus) -> None:
        batch = [*envelopes(3), Envelope.create("md.bar", {"bad": {1, 2}}, source="suite")]
        with pytest.raises(EnvelopeError, match="cannot be encoded"):
            await bus.publish_many("s", batch)
        assert await bus.stream_length("s") == 0

    async def test_read_respects_count(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "g")
        await bus.publish_many("s", envelopes(7))
        assert seqs(await bus.read("s", "g", "c", count=3)) == [0, 1, 2]
        assert seqs(await bus.read("s", "g", "c", count=3)) == [3, 4, 5]
        assert seqs(await bus.read("s", "g", "c", count=3)) == [6]
        assert await bus.read("s", "g", "c", count=3) == []
        with pytest.raises(ValueError, match="count"):
            await bus.read("s", "g", "c", count=0)

    async def test_schema_reference_survives_the_trip(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "g")
        ref = SchemaRef("v1", "md.Bar", "a" * 64)
        await bus.publish("s", Envelope.create("md.bar", {"x": 1}, source="suite", schema=ref))
        (delivery,) = await bus.read("s", "g", "c")
        assert delivery.envelope is not None
        assert delivery.envelope.schema == ref

    # groups -----------------------------------------------------------------------------------------------
    async def test_every_group_sees_every_entry(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "store")
        await bus.ensure_group("s", "drift-watcher")
        await bus.publish_many("s", envelopes(20))
        assert seqs(await bus.read("s", "store", "c", count=100)) == list(range(20))
        assert seqs(await bus.read("s", "drift-watcher", "c", count=100)) == list(range(20))

    async def test_consumers_of_one_group_split_the_work(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "g")
        await bus.publish_many("s", envelopes(100))
        taken: dict[str, list[int]] = {"a": [], "b": []}
        while True:
            got_a = await bus.read("s", "g", "a", count=7)
            got_b = await bus.read("s", "g", "b", count=7)
            taken["a"] += seqs(got_a)
            taken["b"] += seqs(got_b)
            if not got_a and not got_b:
                break
        assert taken["a"]
        assert taken["b"]
        assert not set(taken["a"]) & set(taken["b"])
        assert sorted(taken["a"] + taken["b"]) == list(range(100))

    async def test_ensure_group_is_idempotent_and_dollar_skips_history(self, bus: EventBus) -> None:
        await bus.publish_many("s", envelopes(3))
        await bus.ensure_group("s", "all")
        await bus.ensure_group("s", "new", start="$")
        await bus.publish_many("s", envelopes(2, start=3))
        await bus.ensure_group("s", "all")  # no reset of the existing group
        assert seqs(await bus.read("s", "all", "c")) == [0, 1, 2, 3, 4]
        assert seqs(await bus.read("s", "new", "c")) == [3, 4]

    async def test_unknown_group_is_an_error_not_a_hang(self, bus: EventBus) -> None:
        await bus.publish("s", envelopes(1)[0])
        with pytest.raises(GroupNotFound):
            await bus.read("s", "nope", "c", block_ms=50)
        with pytest.raises(GroupNotFound):
            await bus.read("missing-stream", "nope", "c")
        with pytest.raises(GroupNotFound):
            await bus.pending_count("s", "nope")
        assert await bus.ack("s", "nope", ["1-0"]) == 0  # as XACK: nothing pending there
        assert await bus.stream_length("missing-stream") == 0

    # pending, ack, redelivery ----------------------------------------------------------------------------
    async def test_ack_removes_from_pending(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "g")
        await bus.publish_many("s", envelopes(5))
        got = await bus.read("s", "g", "c", count=10)
        assert await bus.pending_count("s", "g") == 5
        assert await bus.ack("s", "g", [d.message_id for d in got[:3]]) == 3
        assert await bus.pending_count("s", "g") == 2
        assert await bus.ack("s", "g", [got[0].message_id]) == 0  # already acked
        assert await bus.ack("s", "g", []) == 0
        with pytest.raises(InvalidEntryId):
            await bus.ack("s", "g", ["not-an-id"])

    async def test_unacked_entries_are_redelivered_to_another_consumer_after_idling(
        self, bus: EventBus
    ) -> None:
        await bus.ensure_group("s", "g")
        await bus.publish_many("s", envelopes(3))
        first = await bus.read("s", "g", "crashed", count=10)
        await bus.ack("s", "g", [first[0].message_id])
        assert await bus.read("s", "g", "survivor", count=10) == []  # not idle yet: nobody else gets them
        await idle()
        again = await bus.read("s", "g", "survivor", count=10)
        assert [d.message_id for d in again] == [d.message_id for d in first[1:]]
        assert [d.delivery_count for d in again] == [2, 2]
        assert [d.envelope for d in again] == [d.envelope for d in first[1:]]
        assert await bus.pending_count("s", "g") == 2
        await bus.ack("s", "g", [d.message_id for d in again])
        assert await bus.pending_count("s", "g") == 0

    async def test_blocking_read_returns_reclaimed_entries_when_they_idle(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "g")
        await bus.publish("s", envelopes(1)[0])
        await bus.read("s", "g", "crashed")
        started = time.monotonic()
        again = await bus.read("s", "g", "survivor", block_ms=3000)
        assert [d.delivery_count for d in again] == [2]
        assert time.monotonic() - started < 2.0

    async def test_fail_records_the_error_and_keeps_the_entry_pending(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "g")
        await bus.publish_many("s", envelopes(2))
        first, second = await bus.read("s", "g", "c", count=10)
        await bus.fail("s", "g", first, "ValueError: price is negative")
        await bus.ack("s", "g", [second.message_id])
        assert await bus.pending_count("s", "g") == 1
        await idle()
        (again,) = await bus.read("s", "g", "c", count=10)
        assert again.message_id == first.message_id
        assert again.delivery_count == 2
        assert again.last_error == "ValueError: price is negative"

    async def test_entries_go_to_the_dlq_after_max_deliveries(
        self, make_bus: MakeBus, metrics_registry: CollectorRegistry
    ) -> None:
        bus = await make_bus(claim_idle_ms=CLAIM_IDLE_MS, max_deliveries=2, metrics_registry=metrics_registry)
        await bus.ensure_group("s", "g")
        (entry_id,) = await bus.publish_many("s", envelopes(1))
        counts = []
        for _ in range(2):
            (delivery,) = await bus.read("s", "g", "c", block_ms=2000)
            counts.append(delivery.delivery_count)
            await bus.fail("s", "g", delivery, f"boom {delivery.delivery_count}")
        assert counts == [1, 2]
        await idle()
        assert await bus.read("s", "g", "c", count=10) == []  # a third delivery would exceed 2
        assert await bus.pending_count("s", "g") == 0  # acked on the source...
        assert await bus.stream_length("s") == 1  # ...but not deleted from it
        (entry,) = await bus.read_range(dlq_stream("s"))
        assert entry.envelope is not None
        assert entry.envelope.type == DEAD_LETTER_TYPE
        letter = DeadLetter.from_envelope(entry.envelope)
        assert (letter.stream, letter.entry_id, letter.group) == ("s", entry_id, "g")
        assert letter.delivery_count == 2
        assert letter.error == "boom 2"
        assert letter.original_envelope() == delivery.envelope
        assert letter.original_bytes() == delivery.raw
        assert abs(letter.dead_lettered_at - time.time()) < 60
        labels = {"stream": "s", "group": "g"}
        assert metrics_registry.get_sample_value("pulse_bus_dead_lettered_total", labels) == 1
        assert metrics_registry.get_sample_value("pulse_bus_redelivered_total", labels) == 1

    async def test_a_silent_consumer_also_dead_letters_without_an_error(self, make_bus: MakeBus) -> None:
        bus = await make_bus(claim_idle_ms=CLAIM_IDLE_MS, max_deliveries=1)
        await bus.ensure_group("s", "g")
        await bus.publish("s", envelopes(1)[0])
        await bus.read("s", "g", "c")
        await idle()
        assert await bus.read("s", "g", "c") == []
        (entry,) = await bus.read_range(dlq_stream("s"))
        assert entry.envelope is not None
        assert "max deliveries" in DeadLetter.from_envelope(entry.envelope).error

    async def test_dead_letter_moves_an_entry_now(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "g")
        await bus.publish_many("s", envelopes(2))
        first, _ = await bus.read("s", "g", "c", count=10)
        dlq_id = await bus.dead_letter("s", "g", first, "rejected by policy")
        assert await bus.pending_count("s", "g") == 1
        (entry,) = await bus.read_range(dlq_stream("s"))
        assert entry.message_id == dlq_id
        assert entry.envelope is not None
        letter = DeadLetter.from_envelope(entry.envelope)
        assert (letter.entry_id, letter.error, letter.delivery_count) == (
            first.message_id,
            "rejected by policy",
            1,
        )

    # malformed entries ------------------------------------------------------------------------------------
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            (b"{not json", "not valid JSON"),
            (b"\xff\xfe\x00garbage", "not valid JSON"),
            (b"[1, 2]", "must be a JSON object"),
            (b'{"id": "x", "type": "t", "ts": 1.0, "source": "s"}', "missing ['payload']"),
            (
                b'{"id": "x", "type": "t", "ts": 1.0, "source": "s", "payload": 1, "extra": 2}',
                "unknown ['extra']",
            ),
            (b'{"id": "x", "type": "t", "ts": "now", "source": "s", "payload": 1}', "'ts'"),
            (b"[" * 5000 + b"]" * 5000, "not valid JSON"),
        ],
    )
    async def test_malformed_entries_arrive_as_decode_errors(
        self, bus: EventBus, raw: bytes, expected: str
    ) -> None:
        await bus.ensure_group("s", "g")
        await bus.publish("s", envelopes(1)[0])
        bad_id = await self.inject_malformed(bus, "s", raw)
        await bus.publish("s", envelopes(1, start=1)[0])
        good1, bad, good2 = await bus.read("s", "g", "c", count=10)
        assert good1.ok
        assert good2.ok
        assert seqs([good1, good2]) == [0, 1]
        assert bad.message_id == bad_id
        assert bad.envelope is None
        assert not bad.ok
        assert bad.error is not None
        assert expected in bad.error
        assert bad.raw == raw
        (entry,) = await bus.read_range("s", bad_id, bad_id)
        assert entry.envelope is None
        assert entry.error == bad.error

    async def test_malformed_entries_can_be_dead_lettered_with_their_exact_bytes(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "g")
        raw = b"\xff not utf-8 {"
        await self.inject_malformed(bus, "s", raw)
        (bad,) = await bus.read("s", "g", "c")
        await bus.dead_letter("s", "g", bad, bad.error or "")
        (entry,) = await bus.read_range(dlq_stream("s"))
        assert entry.envelope is not None
        letter = DeadLetter.from_envelope(entry.envelope)
        assert letter.original_encoding == "base64"
        assert letter.original_bytes() == raw
        assert letter.original_envelope() is None

    # trimming, ranges, deletion ---------------------------------------------------------------------------
    async def test_streams_are_trimmed_to_about_maxlen(self, make_bus: MakeBus) -> None:
        bus = await make_bus(maxlen=50)
        ids: list[str] = []
        for start in range(0, 1000, 100):
            ids += await bus.publish_many("s", envelopes(100, start=start))
        length = await bus.stream_length("s")
        assert 50 <= length < 250  # approximate, like XADD MAXLEN ~
        remaining = await bus.read_range("s", count=1000)
        assert [entry.message_id for entry in remaining] == ids[-length:]  # the oldest went first

    async def test_maxlen_zero_keeps_everything(self, make_bus: MakeBus) -> None:
        bus = await make_bus(maxlen=0)
        for start in range(0, 600, 200):
            await bus.publish_many("s", envelopes(200, start=start))
        assert await bus.stream_length("s") == 600

    async def test_read_range_and_delete(self, bus: EventBus) -> None:
        ids = await bus.publish_many("s", envelopes(10))
        assert [e.message_id for e in await bus.read_range("s")] == ids
        assert [e.message_id for e in await bus.read_range("s", ids[2], ids[5])] == ids[2:6]
        assert [e.message_id for e in await bus.read_range("s", f"({ids[2]}", ids[5])] == ids[3:6]
        assert [e.message_id for e in await bus.read_range("s", count=3)] == ids[:3]
        assert await bus.read_range("missing") == []
        assert await bus.delete("s", [ids[0], ids[1], "1-1"]) == 2
        assert await bus.delete("s", []) == 0
        assert await bus.stream_length("s") == 8
        assert [e.message_id for e in await bus.read_range("s")] == ids[2:]
        with pytest.raises(InvalidEntryId):
            await bus.read_range("s", "yesterday")

    async def test_deleted_pending_entries_are_dropped_not_redelivered(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "g")
        ids = await bus.publish_many("s", envelopes(2))
        await bus.read("s", "g", "c", count=10)
        await bus.delete("s", [ids[0]])
        await idle()
        assert [d.message_id for d in await bus.read("s", "g", "c", count=10)] == [ids[1]]
        assert await bus.read_range(dlq_stream("s")) == []

    # blocking ---------------------------------------------------------------------------------------------
    async def test_blocking_read_wakes_on_publish(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "g")
        started = time.monotonic()
        reader = asyncio.create_task(bus.read("s", "g", "c", block_ms=5000))
        await asyncio.sleep(0.1)
        assert not reader.done()
        await bus.publish("s", envelopes(1)[0])
        got = await asyncio.wait_for(reader, 3)
        assert seqs(got) == [0]
        assert time.monotonic() - started < 2.5

    async def test_blocking_read_times_out_empty(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "g")
        started = time.monotonic()
        assert await bus.read("s", "g", "c", block_ms=300) == []
        assert 0.25 <= time.monotonic() - started < 2.0

    # subscriptions ----------------------------------------------------------------------------------------
    async def test_subscription_acks_when_the_handler_returns(self, bus: EventBus) -> None:
        seen: list[int] = []

        async def handler(batch: list[Delivery]) -> None:
            seen.extend(seqs(batch))

        subscription = await bus.subscribe("s", "g", "c", handler, batch_size=10, block_ms=100)
        await bus.publish_many("s", envelopes(35))
        await wait_until(lambda: subscription.processed == 35)
        assert seen == list(range(35))
        assert await bus.pending_count("s", "g") == 0
        await subscription.stop()
        assert subscription.done

    async def test_subscription_does_not_ack_when_the_handler_raises(self, bus: EventBus) -> None:
        calls: list[list[int]] = []

        async def handler(batch: list[Delivery]) -> None:
            calls.append(seqs(batch))
            if len(calls) == 1:
                raise RuntimeError("database is down")

        subscription = await bus.subscribe("s", "g", "c", handler, batch_size=10, block_ms=50)
        await bus.publish_many("s", envelopes(3))
        await wait_until(lambda: subscription.processed == 3)
        assert calls[0] == [0, 1, 2]
        assert calls[-1] == [0, 1, 2]
        assert subscription.failed == 3
        assert await bus.pending_count("s", "g") == 0
        await subscription.stop()

    async def test_handler_errors_are_recorded_and_end_in_the_dlq(self, make_bus: MakeBus) -> None:
        bus = await make_bus(claim_idle_ms=CLAIM_IDLE_MS, max_deliveries=2)
        counts: list[int] = []

        async def handler(batch: list[Delivery]) -> None:
            counts.extend(d.delivery_count for d in batch)
            raise ValueError(f"cannot store seq {seqs(batch)}")

        subscription = await bus.subscribe("s", "g", "c", handler, block_ms=50)
        await bus.publish("s", envelopes(1)[0])
        await wait_until(lambda: bus.stream_length(dlq_stream("s")))
        (entry,) = await bus.read_range(dlq_stream("s"))
        assert entry.envelope is not None
        letter = DeadLetter.from_envelope(entry.envelope)
        assert letter.error == "ValueError: cannot store seq [0]"
        assert counts == [1, 2]
        assert await bus.pending_count("s", "g") == 0
        await subscription.stop()

    async def test_batch_outcome_fails_individual_entries(self, bus: EventBus) -> None:
        attempts: dict[int, int] = {}

        async def handler(batch: list[Delivery]) -> BatchOutcome:
            failed = {}
            for delivery in batch:
                seq = seqs([delivery])[0]
                attempts[seq] = attempts.get(seq, 0) + 1
                if seq == 1 and attempts[seq] == 1:
                    failed[delivery.message_id] = "seq 1 is odd"
            return BatchOutcome(failed=failed)

        subscription = await bus.subscribe("s", "g", "c", handler, batch_size=10, block_ms=50)
        await bus.publish_many("s", envelopes(3))
        await wait_until(lambda: subscription.failed == 1 and subscription.processed == 2)
        assert await bus.pending_count("s", "g") == 1
        await wait_until(lambda: subscription.processed == 3)  # redelivered after idling, then acked
        assert attempts == {0: 1, 1: 2, 2: 1}
        await subscription.stop()

    async def test_subscription_dead_letters_malformed_entries_by_default(self, bus: EventBus) -> None:
        seen: list[Delivery] = []

        async def handler(batch: list[Delivery]) -> None:
            seen.extend(batch)

        await bus.ensure_group("s", "g")
        await bus.publish("s", envelopes(1)[0])
        bad_id = await self.inject_malformed(bus, "s", b"{oops")
        subscription = await bus.subscribe("s", "g", "c", handler, block_ms=50)
        await wait_until(lambda: subscription.processed == 1 and subscription.dead_lettered == 1)
        assert all(d.ok for d in seen)
        (entry,) = await bus.read_range(dlq_stream("s"))
        assert entry.envelope is not None
        assert DeadLetter.from_envelope(entry.envelope).entry_id == bad_id
        await subscription.stop()

    async def test_subscription_can_deliver_malformed_entries(self, bus: EventBus) -> None:
        seen: list[Delivery] = []

        async def handler(batch: list[Delivery]) -> None:
            seen.extend(batch)

        await bus.ensure_group("s", "g")
        await self.inject_malformed(bus, "s", b"{oops")
        subscription = await bus.subscribe("s", "g", "c", handler, block_ms=50, malformed="deliver")
        await wait_until(lambda: subscription.processed == 1)
        assert [d.ok for d in seen] == [False]
        await subscription.stop()

    async def test_stop_interrupts_a_blocking_read_promptly(self, bus: EventBus) -> None:
        async def handler(batch: list[Delivery]) -> None:
            return None

        subscription = await bus.subscribe("s", "g", "c", handler, block_ms=10_000)
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await subscription.stop()
        assert subscription.done
        assert time.monotonic() - started < 1.0

    async def test_stop_lets_the_running_batch_finish_and_ack(self, bus: EventBus) -> None:
        entered = asyncio.Event()

        async def handler(batch: list[Delivery]) -> None:
            entered.set()
            await asyncio.sleep(0.2)

        subscription = await bus.subscribe("s", "g", "c", handler, block_ms=50)
        await bus.publish_many("s", envelopes(3))
        await asyncio.wait_for(entered.wait(), 3)
        await subscription.stop()
        assert subscription.processed == 3
        assert await bus.pending_count("s", "g") == 0

    async def test_close_stops_subscriptions_and_rejects_calls(self, make_bus: MakeBus) -> None:
        bus = await make_bus()

        async def handler(batch: list[Delivery]) -> None:
            return None

        subscriptions = [await bus.subscribe("s", "g", f"c{i}", handler, block_ms=10_000) for i in range(2)]
        await asyncio.sleep(0.05)
        await asyncio.wait_for(bus.close(), 3)
        assert all(subscription.done for subscription in subscriptions)
        await bus.close()  # idempotent
        with pytest.raises(BusClosed):
            await bus.publish("s", envelopes(1)[0])
        with pytest.raises(BusClosed):
            await bus.read("s", "g", "c")

    async def test_counts_published_consumed_and_acked(
        self, make_bus: MakeBus, metrics_registry: CollectorRegistry
    ) -> None:
        bus = await make_bus(metrics_registry=metrics_registry)
        await bus.ensure_group("s", "g")
        await bus.publish_many("s", envelopes(4))
        got = await bus.read("s", "g", "c", count=10)
        await bus.ack("s", "g", [d.message_id for d in got[:3]])
        await bus.fail("s", "g", got[3], "x")
        sample = metrics_registry.get_sample_value
        assert sample("pulse_bus_published_total", {"stream": "s"}) == 4
        assert sample("pulse_bus_consumed_total", {"stream": "s", "group": "g"}) == 4
        assert sample("pulse_bus_acked_total", {"stream": "s", "group": "g"}) == 3
        assert sample("pulse_bus_failed_total", {"stream": "s", "group": "g"}) == 1

    async def test_a_handler_returning_garbage_fails_the_batch(self, bus: EventBus) -> None:
        async def handler(batch: list[Delivery]) -> Any:
            return ["not", "an", "outcome"]

        subscription = await bus.subscribe("s", "g", "c", handler, block_ms=50)
        await bus.publish_many("s", envelopes(2))
        await wait_until(lambda: subscription.failed >= 2)
        assert subscription.processed == 0
        assert await bus.pending_count("s", "g") == 2
        await subscription.stop()

    async def test_fail_and_dead_letter_tolerate_an_unknown_group(self, bus: EventBus) -> None:
        await bus.ensure_group("s", "g")
        await bus.publish("s", envelopes(1)[0])
        (delivery,) = await bus.read("s", "g", "c")
        await bus.fail("s", "other", delivery, "x")  # nothing pending there: harmless
        await bus.dead_letter("s", "other", delivery, "poison")
        (entry,) = await bus.read_range(dlq_stream("s"))
        assert entry.envelope is not None
        assert DeadLetter.from_envelope(entry.envelope).group == "other"
        assert await bus.pending_count("s", "g") == 1  # the real group is untouched

    # raw forwarding, data streams and safe trimming ------------------------------------------------------
    async def test_publish_raw_appends_the_bytes_unchanged(self, bus: EventBus) -> None:
        raws = [envelope.to_json() for envelope in envelopes(3)]
        ids = await bus.publish_raw("s", raws)
        assert len(ids) == 3
        assert await bus.publish_raw("s", []) == []
        entries = await bus.read_range("s")
        assert [entry.raw for entry in entries] == raws
        assert [entry.message_id for entry in entries] == ids
        assert [entry.envelope.payload["seq"] for entry in entries if entry.envelope] == [0, 1, 2]

    @pytest.mark.parametrize("stream", ["md.bars", "md.bars.raw", "telemetry.feedback.dlq"])
    async def test_data_streams_are_never_trimmed_on_publish(self, make_bus: MakeBus, stream: str) -> None:
        bus = await make_bus(maxlen=50)
        for start in range(0, 600, 200):
            await bus.publish_many(stream, envelopes(200, start=start))
        await bus.publish_raw(stream, [envelope.to_json() for envelope in envelopes(100)])
        assert await bus.stream_length(stream) == 700

    async def test_trim_consumed_keeps_everything_a_group_still_needs(self, bus: EventBus) -> None:
        ids = await bus.publish_many("md.x", envelopes(10))
        assert await bus.trim_consumed("md.x") == 0  # no group: nobody has consumed anything
        await bus.ensure_group("md.x", "fast")
        await bus.ensure_group("md.x", "slow")
        fast = await bus.read("md.x", "fast", "c", count=10)
        await bus.ack("md.x", "fast", [d.message_id for d in fast[:8]])  # 8 and 9 pending
        slow = await bus.read("md.x", "slow", "c", count=6)  # 6..9 not delivered yet
        await bus.ack("md.x", "slow", [d.message_id for d in slow[:2]] + [slow[3].message_id])
        # slow's oldest pending entry is ids[2]: everything before it goes, nothing after
        assert await bus.trim_consumed("md.x") == 2
        assert [e.message_id for e in await bus.read_range("md.x")] == ids[2:]
        await bus.ack("md.x", "slow", [slow[2].message_id, slow[4].message_id, slow[5].message_id])
        # nothing pending in slow: its next undelivered entry (ids[6]) is the floor; fast pins ids[8]
        assert await bus.trim_consumed("md.x") == 4
        assert [e.message_id for e in await bus.read_range("md.x")] == ids[6:]
        rest = await bus.read("md.x", "slow", "c", count=10)
        assert [d.message_id for d in rest] == ids[6:]  # the slow group still gets all it had not read
        await bus.ack("md.x", "slow", ids[6:])
        await bus.ack("md.x", "fast", ids[8:])
        assert await bus.trim_consumed("md.x") == 4
        assert await bus.stream_length("md.x") == 0
        later = await bus.publish_many("md.x", envelopes(2))
        assert [d.message_id for d in await bus.read("md.x", "fast", "c")] == later

    async def test_group_info_reports_pending_and_lag(self, bus: EventBus) -> None:
        assert await bus.group_info("missing") == []
        ids = await bus.publish_many("s", envelopes(5))
        await bus.ensure_group("s", "g")
        (info,) = await bus.group_info("s")
        assert (info.name, info.pending, info.oldest_pending_id, info.lag, info.backlog) == (
            "g",
            0,
            None,
            5,
            5,
        )
        delivered = await bus.read("s", "g", "c", count=3)
        await bus.ack("s", "g", [delivered[0].message_id])
        (info,) = await bus.group_info("s")
        assert info.last_delivered_id == ids[2]
        assert (info.pending, info.oldest_pending_id, info.lag, info.backlog) == (2, ids[1], 2, 4)

    # tail reads (no group) --------------------------------------------------------------------------------
    async def test_read_after_tails_a_stream_without_a_group(self, bus: EventBus) -> None:
        assert await bus.last_id("s") == "0-0"
        assert await bus.read_after("s", "0-0") == []
        first = await bus.publish_many("s", envelopes(3))
        assert await bus.last_id("s") == first[-1]
        assert [e.message_id for e in await bus.read_after("s", "0-0")] == first
        assert [e.message_id for e in await bus.read_after("s", first[0], count=1)] == first[1:2]
        cursor = await bus.last_id("s")
        waiting = asyncio.create_task(bus.read_after("s", cursor, block_ms=5000))
        await asyncio.sleep(0.05)
        (late,) = await bus.publish_many("s", envelopes(1, start=7))
        (entry,) = await asyncio.wait_for(waiting, 2)
        assert entry.message_id == late
        assert entry.envelope is not None
        assert entry.envelope.payload == {"seq": 7}
        started = time.monotonic()
        assert await bus.read_after("s", late, block_ms=100) == []
        assert time.monotonic() - started >= 0.09
        with pytest.raises(InvalidEntryId):
            await bus.read_after("s", "later")

    # sequenced publishing ----------------------------------------------------------------------------------
    async def test_publish_sequenced_publishes_each_sequence_once(self, bus: EventBus) -> None:
        assert await bus.get_sequence("relay") == 0
        first = await bus.publish_sequenced("a", envelopes(1)[0], sequence_key="relay", sequence=1)
        assert first is not None
        assert await bus.publish_sequenced("a", envelopes(1)[0], sequence_key="relay", sequence=1) is None
        assert await bus.publish_sequenced("b", envelopes(1)[0], sequence_key="relay", sequence=3) is not None
        assert await bus.publish_sequenced("a", envelopes(1)[0], sequence_key="relay", sequence=2) is None
        assert await bus.get_sequence("relay") == 3
        assert await bus.get_sequence("other") == 0
        assert await bus.stream_length("a") == 1
        assert await bus.stream_length("b") == 1

    async def test_concurrent_sequenced_publishers_publish_once(self, bus: EventBus) -> None:
        # two relays racing over the same sequence (on Redis each call uses its own pooled connection)
        one = two = bus

        async def relay(bus: EventBus) -> int:
            published = 0
            for sequence in range(1, 51):
                envelope = Envelope.create("e", {"n": sequence}, source="suite")
                if await bus.publish_sequenced("ev", envelope, sequence_key="k", sequence=sequence):
                    published += 1
            return published

        counts = await asyncio.gather(relay(one), relay(two))
        assert sum(counts) == 50
        entries = await one.read_range("ev", count=100)
        assert [e.envelope.payload["n"] for e in entries if e.envelope] == list(range(1, 51))
