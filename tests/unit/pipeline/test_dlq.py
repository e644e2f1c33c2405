"""DLQ tools: replay re-validates with the current schema, nothing leaves the DLQ before it is republished."""

from __future__ import annotations

import copy
import time

import pytest
from prometheus_client import CollectorRegistry

from mdp.contracts.bundled import bundled_schema
from mdp.enforcement import Enforcer, MemorySchemaProvider, enforcement_metrics
from mdp.pipeline import dlq
from mdp.pulse import EventBus
from tests.unit.pipeline.conftest import DLQ, OUT, RAW, MakeService, bar, ids_in, inject
from tests.unit.pipeline.test_service import letters, run_once


def strict(schemas: MemorySchemaProvider) -> Enforcer:
    return Enforcer(
        schemas=schemas,
        mode="strict",
        metrics=enforcement_metrics(CollectorRegistry()),
        bindings={RAW: ("v1", "md.Bar")},
        log_failures=False,
    )


async def test_replay_moves_what_passes_now_and_rewrites_what_still_fails(
    bus: EventBus, make_service: MakeService, schemas: MemorySchemaProvider
) -> None:
    venue, cheap = bar(1, venue="XNAS"), bar(2, open="cheap")
    await bus.publish_many(RAW, [bar(0), venue, cheap])
    await inject(bus, RAW, b"not an envelope")
    await run_once(make_service())
    before = {letter.original_bytes(): letter for letter in await letters(bus)}
    assert len(before) == 3

    # The schema gains an optional "venue" (drill 1's benign change): one entry now passes.
    widened = copy.deepcopy(bundled_schema("v1", "md.Bar"))
    widened["properties"]["venue"] = {"type": "string"}
    schemas.put("v1", "md.Bar", widened)
    entries = await dlq.list_entries(bus, DLQ)
    dry = await dlq.replay(
        bus, DLQ, strict(schemas), output=OUT, bound_stream=RAW, dry_run=True, now=time.time()
    )
    assert len(dry.passed) == 1
    assert len(dry.still_failing) == 2
    assert [e.entry_id for e in await dlq.list_entries(bus, DLQ)] == [
        e.entry_id for e in entries
    ]  # untouched
    assert await bus.stream_length(OUT) == 1

    later = time.time() + 5
    report = await dlq.replay(bus, DLQ, strict(schemas), output=OUT, bound_stream=RAW, now=later)
    assert len(report.passed) == 1
    assert ids_in(await bus.read_range(OUT)) == [ids_in(await bus.read_range(OUT))[0], venue.id]
    after = await letters(bus)
    assert len(after) == 2  # the passing one left, the failing ones were rewritten (not duplicated)
    for letter in after:
        old = before[letter.original_bytes()]
        assert letter.attempts == 1
        assert letter.first_seen == old.first_seen  # preserved across replays
        assert letter.dead_lettered_at == later
    assert {letter.reason for letter in after} == {"invalid", "malformed"}
    assert not {e.entry_id for e in await dlq.list_entries(bus, DLQ)} & {e.entry_id for e in entries}


async def test_replay_of_named_ids_reports_missing_ones_and_needs_a_strict_enforcer(
    bus: EventBus, make_service: MakeService, schemas: MemorySchemaProvider
) -> None:
    await bus.publish_many(RAW, [bar(1, open=-1.0)])
    await run_once(make_service())
    (entry,) = await dlq.list_entries(bus, DLQ)
    report = await dlq.replay(
        bus, DLQ, strict(schemas), output=OUT, bound_stream=RAW, ids=[entry.entry_id, "1-1"], now=time.time()
    )
    assert report.missing == ["1-1"]
    assert list(report.still_failing) == [entry.entry_id]
    warn = Enforcer(schemas=schemas, mode="warn", metrics=enforcement_metrics(CollectorRegistry()))
    with pytest.raises(ValueError, match="strict"):
        await dlq.replay(bus, DLQ, warn, output=OUT, bound_stream=RAW, now=time.time())


async def test_bus_dead_letters_are_listed_and_replayed_too(
    bus: EventBus, schemas: MemorySchemaProvider
) -> None:
    await bus.ensure_group(RAW, "pipeline")
    await bus.publish_many(RAW, [bar(7)])
    (delivery,) = await bus.read(RAW, "pipeline", "c")
    await bus.dead_letter(RAW, "pipeline", delivery, "crashed 5 times")  # -> md.bars.raw.dlq
    (entry,) = await dlq.list_entries(bus, RAW + ".dlq")
    assert entry.letter is not None
    assert not entry.letter.is_rejection
    report = await dlq.replay(
        bus, RAW + ".dlq", strict(schemas), output=OUT, bound_stream=RAW, now=time.time()
    )
    assert report.passed == [entry.entry_id]
    assert await bus.stream_length(RAW + ".dlq") == 0
    assert [e.raw for e in await bus.read_range(OUT)] == [delivery.raw]


async def test_unreadable_entries_stay_and_purge_deletes(
    bus: EventBus, schemas: MemorySchemaProvider
) -> None:
    await inject(bus, DLQ, b"junk")
    await bus.publish_many(DLQ, [bar(1)])  # an envelope, but not a dead letter
    entries = await dlq.list_entries(bus, DLQ)
    assert [entry.letter for entry in entries] == [None, None]
    assert "pulse.dead_letter" in (entries[1].problem or "")
    report = await dlq.replay(bus, DLQ, strict(schemas), output=OUT, bound_stream=RAW, now=time.time())
    assert sorted(report.unreadable) == sorted(entry.entry_id for entry in entries)
    assert await bus.stream_length(DLQ) == 2
    assert await dlq.get_entry(bus, DLQ, entries[0].entry_id) == entries[0]
    assert await dlq.get_entry(bus, DLQ, "1-1") is None
    assert await dlq.purge(bus, DLQ, [entries[0].entry_id]) == 1
    assert await dlq.purge(bus, DLQ) == 1
    assert await bus.stream_length(DLQ) == 0


def test_rejection_reason_names() -> None:
    from mdp.enforcement.model import Ruling, ValidationIssue

    def ruling(outcome: str, message: str = "x") -> Ruling:
        return Ruling(outcome, "dead_letter", "error", "r", None, (ValidationIssue("", message),))  # type: ignore[arg-type]

    assert dlq.rejection_reason(ruling("invalid")) == "invalid"
    assert dlq.rejection_reason(ruling("invalid", "schema mismatch: a vs b")) == "schema mismatch"
    assert dlq.rejection_reason(ruling("schema_unavailable")) == "schema unavailable"
    assert dlq.rejection_reason(ruling("malformed")) == "malformed"
