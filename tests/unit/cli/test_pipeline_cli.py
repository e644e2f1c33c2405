"""``mdp pipeline replay`` and ``mdp dlq`` through the real CLI app, on the in-memory bus and on Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from mdp.cli.main import app
from mdp.pipeline.dlq import rejection_letter
from mdp.pulse import Delivery, EventBus, InMemoryBus, shared_broker
from mdp.pulse.redis import RedisBus
from tests.integration.registry_process import free_port
from tests.unit.enforcement.conftest import bar_payload


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(params=["inmem", "redis"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Environment for the CLI and a factory of a bus on the same streams."""
    if request.param == "inmem":
        prefix = f"clitest-{uuid.uuid4().hex[:8]}:"
        monkeypatch.setenv("MDP_PULSE_PREFIX", prefix)
        yield {"make": lambda: InMemoryBus(broker=shared_broker(), prefix=prefix)}
        return
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    monkeypatch.setenv("EVENT_BUS_BACKEND", "redis")
    monkeypatch.setenv("MDP_REDIS_URL", url)
    monkeypatch.setenv("MDP_PULSE_PREFIX", prefix)
    yield {"make": lambda: RedisBus(url, prefix=prefix)}


def on_bus(backend: dict[str, Any], work: Any) -> Any:
    async def main() -> Any:
        bus: EventBus = backend["make"]()
        async with bus:
            return await work(bus)

    return asyncio.run(main())


def test_replay_publishes_csv_rows_as_md_bar_envelopes(
    runner: CliRunner, backend: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "bars.csv"
    path.write_text(
        "symbol,timeframe,ts,open,high,low,close,volume,vwap\n"
        "AAPL,1m,2025-10-18T14:30:00Z,189.1,189.5,188.9,189.3,12345,\n"
        "MSFT,1m,2025-10-18T14:30:00Z,abc,1,1,1,1,1.5\n"
    )
    result = runner.invoke(app, ["pipeline", "replay", str(path), "--rate", "1000"])
    assert result.exit_code == 0, result.output
    entries = on_bus(backend, lambda bus: bus.read_range("md.bars.raw"))
    payloads = [entry.envelope.payload for entry in entries]
    assert payloads[0] == {
        "symbol": "AAPL", "timeframe": "1m", "ts": "2025-10-18T14:30:00Z", "open": 189.1, "high": 189.5,
        "low": 188.9, "close": 189.3, "volume": 12345,
    }  # fmt: skip
    assert payloads[1]["open"] == "abc"  # not a number: left for the pipeline to reject, not dropped
    assert payloads[1]["vwap"] == 1.5
    assert {(e.envelope.type, e.envelope.schema.name) for e in entries} == {("md.bar", "md.Bar")}


def test_replay_jsonl_keeps_envelopes_and_reports_bad_lines(
    runner: CliRunner, backend: dict[str, Any], tmp_path: Path
) -> None:
    envelope = orjson.dumps(
        {"id": "e-1", "type": "md.bar", "ts": 1.0, "source": "feed", "schema": None, "payload": bar_payload()}
    )
    path = tmp_path / "bars.jsonl"
    path.write_bytes(orjson.dumps(bar_payload()) + b"\n\n" + envelope + b"\n{broken\n[1]\n")
    result = runner.invoke(app, ["pipeline", "replay", str(path), "--stream", "md.bars.raw"])
    assert result.exit_code == 1, result.output  # a finding: two lines could not be published
    assert "line 4" in result.output
    assert "line 5" in result.output
    entries = on_bus(backend, lambda bus: bus.read_range("md.bars.raw"))
    assert len(entries) == 2
    assert entries[1].raw == envelope  # byte for byte
    assert runner.invoke(app, ["pipeline", "replay", str(tmp_path / "nope.csv")]).exit_code == 2


def rejected(backend: dict[str, Any], count: int) -> list[str]:
    """Put ``count`` rejection letters (negative open) in md.bars.dlq; returns their DLQ ids."""
    from mdp.enforcement import BundledSchemaProvider, Enforcer
    from mdp.pulse import Envelope, SchemaRef

    enforcer = Enforcer(
        schemas=BundledSchemaProvider(), mode="strict", bindings={"md.bars.raw": ("v1", "md.Bar")}
    )

    async def work(bus: EventBus) -> list[str]:
        letters = []
        for index in range(count):
            envelope = Envelope.create(
                "md.bar", bar_payload(open=-1.0 - index), source="t", schema=SchemaRef("v1", "md.Bar")
            )
            ruling = enforcer.enforce_columns(
                [envelope.payload], envelope.schema, stream="md.bars.raw"
            ).rulings[0]
            delivery = Delivery(
                "md.bars.raw", f"{index + 1}-0", envelope, envelope.to_json(), None, "pipeline"
            )
            letters.append(
                rejection_letter(delivery, ruling, mode="strict", now=1_700_000_000.0).to_envelope(source="t")
            )
        return await bus.publish_many("md.bars.dlq", letters)

    return on_bus(backend, work)


def test_dlq_ls_show_and_purge(runner: CliRunner, backend: dict[str, Any]) -> None:
    ids = rejected(backend, 3)
    listed = runner.invoke(app, ["dlq", "ls", "--json"])
    assert listed.exit_code == 0, listed.output
    document = orjson.loads(listed.stdout)
    assert document["depth"] == 3
    assert [entry["id"] for entry in document["entries"]] == ids
    assert document["entries"][0]["letter"]["reason"] == "invalid"
    table = runner.invoke(app, ["dlq", "ls"], terminal_width=200)
    assert table.exit_code == 0
    assert "3 entries" in table.output
    assert "invalid" in table.output

    shown = runner.invoke(app, ["dlq", "show", ids[0]], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "/open" in shown.output
    assert "exclusiveMinimum" in shown.output
    assert "md.bars.raw entry 1-0" in shown.output
    assert runner.invoke(app, ["dlq", "show", "1-1"]).exit_code == 1

    assert runner.invoke(app, ["dlq", "purge"]).exit_code == 2  # ids or --all
    assert runner.invoke(app, ["dlq", "purge", ids[0]], input="n\n").exit_code == 1  # not confirmed
    purged = runner.invoke(app, ["dlq", "purge", ids[0], "--yes"])
    assert purged.exit_code == 0
    assert "deleted 1 entry" in purged.output
    assert runner.invoke(app, ["dlq", "purge", "--all", "-y"]).exit_code == 0
    assert on_bus(backend, lambda bus: bus.stream_length("md.bars.dlq")) == 0


def test_dlq_replay_needs_a_schema_source(
    runner: CliRunner, backend: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = rejected(backend, 1)
    assert runner.invoke(app, ["dlq", "replay"]).exit_code == 2  # ids or --all
    unreachable = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(app, ["dlq", "replay", "--all", "--registry-url", unreachable])
    assert result.exit_code == 2
    assert "v1/md.Bar was never cached" in result.output
    monkeypatch.setenv("REGISTRY_ENABLED", "false")
    assert runner.invoke(app, ["dlq", "replay", ids[0]]).exit_code == 2
    assert on_bus(backend, lambda bus: bus.stream_length("md.bars.dlq")) == 1  # untouched
