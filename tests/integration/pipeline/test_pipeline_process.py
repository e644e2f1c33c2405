"""Conservation through a real ``mdp pipeline run`` on Redis: every message is forwarded or dead-lettered.

The registry is a real ``mdp registry serve`` seeded with the bundled contracts. Ids are counted after
deduplication (the store deduplicates by envelope id): forwarded + dead-lettered == sent, disjoint.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from mdp.pulse.redis import RedisBus
from mdp.registry.seed import seed_over_http
from tests.integration.pipeline.harness import (
    DLQ,
    OUT,
    RAW,
    RAW_DLQ,
    PipelineProcess,
    ids_of,
    letters_of,
    metric_sum,
    produce,
    wait_drained,
)
from tests.integration.registry_process import RegistryProcess

pytestmark = [pytest.mark.redis, pytest.mark.slow]
TOKEN = "pipeline-test-token"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryProcess]:
    process = RegistryProcess(tmp_path_factory.mktemp("registry"), TOKEN)
    process.start()
    try:
        seed_over_http(process.url, TOKEN)
        yield process
    finally:
        process.stop()


@pytest.fixture
async def bus(redis_url: str, redis_prefix: str) -> AsyncIterator[RedisBus]:
    async with RedisBus(redis_url, prefix=redis_prefix) as made:
        yield made


@pytest.fixture
def pipelines(
    tmp_path: Path, redis_url: str, redis_prefix: str, registry: RegistryProcess
) -> Iterator[list[PipelineProcess]]:
    made: list[PipelineProcess] = []
    yield made
    for process in made:
        process.kill()


def spawn(
    made: list[PipelineProcess], tmp_path: Path, redis_url: str, prefix: str, registry_url: str, **env: str
) -> PipelineProcess:
    process = PipelineProcess(tmp_path, redis_url=redis_url, prefix=prefix, registry_url=registry_url, **env)
    made.append(process)
    return process.start()


async def account(
    bus: RedisBus, sent_ids: list[str], *, redelivered_dead_allowed: int = 0
) -> tuple[set[str], set[str], int]:
    """Check conservation after deduplication by id; return (forwarded, dead, forwarded duplicates).

    At-least-once: after a crash, a batch whose outputs were written but whose input was not acked is
    processed again, so its rejections may be dead-lettered twice. Without a crash there are none.
    """
    forwarded = await ids_of(bus, OUT)
    dead = await ids_of(bus, DLQ) + await ids_of(bus, RAW_DLQ)
    forwarded_set, dead_set = set(forwarded), set(dead)
    assert forwarded_set | dead_set == set(sent_ids), "a message was lost"
    assert not forwarded_set & dead_set, "a message was both forwarded and dead-lettered"
    assert len(dead) - len(dead_set) <= redelivered_dead_allowed, "rejections duplicated beyond redelivery"
    return forwarded_set, dead_set, len(forwarded) - len(forwarded_set)


async def test_strict_conservation_of_100k_messages(
    bus: RedisBus, pipelines: list[PipelineProcess], tmp_path: Path, redis_url: str, redis_prefix: str,
    registry: RegistryProcess,
) -> None:  # fmt: skip
    sent = await produce(bus, 100_000)
    spawn(pipelines, tmp_path, redis_url, redis_prefix, registry.url, REGISTRY_ENFORCEMENT="strict")
    await wait_drained(bus, pipelines[0])
    forwarded, dead, duplicates = await account(bus, sent.ids)
    assert dead == sent.expected_dead()
    assert len(dead) == 857  # 1,000 bad messages; the 143 "high < low" ones pass the schema
    assert len(forwarded) == 100_000 - len(dead)
    assert duplicates == 0  # no crash: no redelivery
    reasons = {letter.reason for letter in await letters_of(bus, DLQ)}
    assert reasons == {"invalid", "schema mismatch", "malformed"}
    assert await bus.stream_length(RAW) < 100_000  # consumed input is trimmed (all groups done with it)


async def test_strict_conservation_survives_sigkill_mid_batch(
    bus: RedisBus, pipelines: list[PipelineProcess], tmp_path: Path, redis_url: str, redis_prefix: str,
    registry: RegistryProcess,
) -> None:  # fmt: skip
    sent = await produce(bus, 100_000)
    first = spawn(pipelines, tmp_path, redis_url, redis_prefix, registry.url, REGISTRY_ENFORCEMENT="strict")
    deadline = time.monotonic() + 120
    while await bus.stream_length(OUT) < 20_000:  # well into the stream, batches in flight
        assert time.monotonic() < deadline, first.tail()
        await asyncio.sleep(0.05)
    first.kill()  # SIGKILL: no drain, the batch in flight stays pending
    in_flight = (await bus.group_info(RAW))[0].pending
    second = spawn(pipelines, tmp_path, redis_url, redis_prefix, registry.url, REGISTRY_ENFORCEMENT="strict")
    await wait_drained(bus, second)  # the new consumer reclaims the dead one's pending entries (1 s idle)
    forwarded, dead, duplicates = await account(bus, sent.ids, redelivered_dead_allowed=in_flight)
    assert dead == sent.expected_dead()
    assert len(forwarded) == 100_000 - len(dead)
    assert duplicates <= in_flight + 10_000  # redelivered outputs only; the store deduplicates them


async def test_warn_mode_forwards_everything_and_counts_the_same_failures(
    bus: RedisBus, pipelines: list[PipelineProcess], tmp_path: Path, redis_url: str, redis_prefix: str,
    registry: RegistryProcess,
) -> None:  # fmt: skip
    sent = await produce(bus, 20_000)
    process = spawn(pipelines, tmp_path, redis_url, redis_prefix, registry.url, REGISTRY_ENFORCEMENT="warn")
    await wait_drained(bus, process)
    forwarded, dead, _ = await account(bus, sent.ids)
    not_envelopes = {ident for ident, kind in sent.kinds.items() if kind == "not_json"}
    assert dead == not_envelopes  # only what is not an envelope cannot be forwarded
    schema_failures = len(sent.expected_dead() - not_envelopes)
    text = process.metrics()
    assert metric_sum(text, "schema_validation_failures_total", mode="warn") == schema_failures
    assert metric_sum(text, "schema_validation_would_reject_total") == schema_failures
    assert metric_sum(text, "pipeline_forwarded_total") == len(forwarded)


async def test_sigterm_drains_the_batch_in_flight(
    bus: RedisBus, pipelines: list[PipelineProcess], tmp_path: Path, redis_url: str, redis_prefix: str,
    registry: RegistryProcess,
) -> None:  # fmt: skip
    sent = await produce(bus, 60_000)
    process = spawn(
        pipelines, tmp_path, redis_url, redis_prefix, registry.url,
        REGISTRY_ENFORCEMENT="strict", MDP_PIPELINE_HOUSEKEEPING_S="3600",  # keep the input for the audit
    )  # fmt: skip
    while await bus.stream_length(OUT) < 5_000:
        process.check_alive()
        await asyncio.sleep(0.02)
    assert process.terminate() == 0
    (group,) = await bus.group_info(RAW)
    delivered_upto = tuple(map(int, group.last_delivered_id.split("-")))
    acked = [
        ident
        for ident, entry_id in zip(sent.ids, sent.entry_ids, strict=True)
        if tuple(map(int, entry_id.split("-"))) <= delivered_upto
    ]
    assert group.pending == 0, f"{group.pending} entries left pending after a graceful stop"
    outputs = set(await ids_of(bus, OUT)) | set(await ids_of(bus, DLQ))
    assert set(acked) <= outputs, "an acked input has no output"
    assert len(acked) < 60_000  # it really stopped mid-stream


async def test_dlq_cli_replay_against_the_registry(
    bus: RedisBus,
    redis_url: str,
    redis_prefix: str,
    registry: RegistryProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``mdp dlq replay`` fetches the current md.Bar from the registry: dry run changes nothing, a real run
    moves what passes and rewrites what still fails."""
    from typer.testing import CliRunner

    from mdp.cli.main import app
    from mdp.enforcement import Enforcer
    from mdp.enforcement.bundled import BundledSchemaProvider
    from mdp.pipeline.dlq import rejection_letter
    from mdp.pulse import Delivery
    from tests.integration.pipeline.harness import make_message

    for name, value in {
        "EVENT_BUS_BACKEND": "redis", "MDP_REDIS_URL": redis_url, "MDP_PULSE_PREFIX": redis_prefix,
        "REGISTRY_URL": registry.url,
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    # What an older, stricter schema rejected but today's passes: a rejection of a valid bar (e.g. written
    # during an incident) next to one that is still invalid.
    enforcer = Enforcer(schemas=BundledSchemaProvider(), mode="strict", bindings={RAW: ("v1", "md.Bar")})
    letters = []
    for index, kind in ((1, None), (2, "missing")):
        _, raw = make_message(index, kind)
        from mdp.pulse import Envelope

        envelope = Envelope.from_json(raw)
        ruling = enforcer.enforce_columns([envelope.payload], envelope.schema, stream=RAW).rulings[0]
        ruling = ruling if kind else enforcer.enforce_columns([{}], None, stream=RAW).rulings[0]
        delivery = Delivery(RAW, f"{index}-0", envelope, raw, None, "pipeline")
        letters.append(rejection_letter(delivery, ruling, mode="strict", now=1.0).to_envelope(source="t"))
    ids = await bus.publish_many(DLQ, letters)
    runner = CliRunner()
    dry = await asyncio.to_thread(runner.invoke, app, ["dlq", "replay", "--all", "--dry-run", "--json"])
    assert dry.exit_code == 1, dry.output  # one still fails
    report = __import__("orjson").loads(dry.stdout)
    assert report["passed"] == [ids[0]]
    assert await bus.stream_length(DLQ) == 2
    real = await asyncio.to_thread(runner.invoke, app, ["dlq", "replay", *ids])
    assert real.exit_code == 1
    assert await ids_of(bus, OUT) == ["m-0000001"]
    (letter,) = await letters_of(bus, DLQ)
    assert letter.attempts == 1
    assert letter.first_seen == 1.0
    assert letter.errors[0]["message"] == '"close" is a required property'
