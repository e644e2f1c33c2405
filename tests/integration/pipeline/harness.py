"""Harness for pipeline process tests: a seeded registry, a producer of marked envelopes, a real
``mdp pipeline run`` subprocess on Redis, and the accounting of where every sent id ended up."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from mdp.pulse import DeadLetter, Envelope, SchemaRef
from mdp.pulse.redis import RedisBus
from tests.integration.registry_process import free_port, mdp_executable
from tests.unit.enforcement.conftest import bar_payload

RAW, OUT, DLQ, RAW_DLQ = "md.bars.raw", "md.bars", "md.bars.dlq", "md.bars.raw.dlq"
BAR = SchemaRef("v1", "md.Bar")
_MARK = re.compile(rb'"id":"([0-9a-z-]+)"')
# Kinds of bad input, cycled through the 1 %: the schema catches the first four as invalid; "high_below_low"
# is schema-valid (the JSON Schema cannot compare fields) and is forwarded; "mismatch" names another schema;
# "not_json" is not an envelope at all.
KINDS = ("missing", "wrong_type", "extra", "bad_enum", "high_below_low", "mismatch", "not_json")
DEAD_KINDS = {"missing", "wrong_type", "extra", "bad_enum", "mismatch", "not_json"}


def make_message(index: int, kind: str | None) -> tuple[str, bytes]:
    """(unique id, wire bytes) of message ``index`` of ``kind`` (``None``: valid)."""
    ident = f"m-{index:07d}"
    payload: Any = bar_payload(volume=float(index))
    schema = BAR
    if kind == "missing":
        del payload["close"]
    elif kind == "wrong_type":
        payload["open"] = "cheap"
    elif kind == "extra":
        payload["venue"] = "XNAS"
    elif kind == "bad_enum":
        payload["timeframe"] = "7m"
    elif kind == "high_below_low":
        payload["high"], payload["low"] = 1.0, 2.0
    elif kind == "mismatch":
        schema = SchemaRef("v1", "md.Quote")
    elif kind == "not_json":
        return ident, b'{"id":"' + ident.encode() + b'","type":"md.bar", truncated'
    envelope = Envelope.create("md.bar", payload, source="feed", schema=schema, id=ident)
    return ident, envelope.to_json()


@dataclass
class Sent:
    ids: list[str] = field(default_factory=list)
    entry_ids: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)

    def expected_dead(self) -> set[str]:
        return {ident for ident, kind in self.kinds.items() if kind in DEAD_KINDS}


async def produce(bus: RedisBus, count: int, *, invalid_every: int = 100, start: int = 0) -> Sent:
    """``count`` messages, one in ``invalid_every`` bad (kinds cycled), in pipelined chunks."""
    sent = Sent()
    chunk: list[tuple[str, bytes]] = []
    bad = 0
    for index in range(start, start + count):
        kind = None
        if index % invalid_every == invalid_every - 1:
            kind = KINDS[bad % len(KINDS)]
            bad += 1
            sent.kinds[f"m-{index:07d}"] = kind
        chunk.append(make_message(index, kind))
        if len(chunk) == 5000:
            await _flush(bus, chunk, sent)
    if chunk:
        await _flush(bus, chunk, sent)
    return sent


async def _flush(bus: RedisBus, chunk: list[tuple[str, bytes]], sent: Sent) -> None:
    sent.entry_ids += await bus.publish_raw(RAW, [raw for _, raw in chunk])
    sent.ids += [ident for ident, _ in chunk]
    chunk.clear()


def mark(raw: bytes) -> str:
    """The id of a message from its bytes (works for the broken JSON too)."""
    found = _MARK.search(raw)
    assert found is not None, raw[:200]
    return found.group(1).decode()


async def ids_of(bus: RedisBus, stream: str) -> list[str]:
    """Every message id in ``stream`` (DLQ entries: the id inside the original), duplicates kept."""
    out: list[str] = []
    start = "-"
    while True:
        page = await bus.read_range(stream, start, "+", 10_000)
        for entry in page:
            if stream.endswith(".dlq"):
                assert entry.envelope is not None
                out.append(mark(DeadLetter.from_envelope(entry.envelope).original_bytes()))
            else:
                out.append(mark(entry.raw))
        if len(page) < 10_000:
            return out
        start = "(" + page[-1].message_id


async def letters_of(bus: RedisBus, stream: str) -> list[DeadLetter]:
    entries = await bus.read_range(stream, "-", "+", 100_000)
    return [DeadLetter.from_envelope(entry.envelope) for entry in entries if entry.envelope is not None]


async def wait_drained(bus: RedisBus, process: PipelineProcess, limit_s: float = 240.0) -> None:
    """Until the pipeline group has read everything and acked it all."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        process.check_alive()
        infos = {info.name: info for info in await bus.group_info(RAW)}
        group = infos.get("pipeline")
        if group is not None and group.pending == 0 and group.lag == 0:
            return
        await asyncio.sleep(0.2)
    pytest.fail(f"the pipeline did not drain in {limit_s}s:\n{process.tail()}")


class PipelineProcess:
    """``mdp pipeline run`` as a child process on Redis under a key prefix."""

    def __init__(self, workdir: Path, *, redis_url: str, prefix: str, registry_url: str, **env: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.log = workdir / f"pipeline-{self.port}.log"
        self.env = {
            **os.environ,
            "EVENT_BUS_BACKEND": "redis",
            "MDP_REDIS_URL": redis_url,
            "MDP_PULSE_PREFIX": prefix,
            "REGISTRY_URL": registry_url,
            "MDP_DATA_DIR": str(workdir / "data"),
            "MDP_PULSE_CLAIM_IDLE_MS": "1000",
            "MDP_PIPELINE_HOUSEKEEPING_S": "0.5",
            "MDP_LOG_LEVEL": "WARNING",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, limit_s: float = 60.0) -> PipelineProcess:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [mdp_executable(), "pipeline", "run", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"pipeline did not become healthy:\n{self.tail()}")

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            pytest.fail(f"pipeline exited with {self.process.returncode}:\n{self.tail()}")

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=5.0).text

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def terminate(self, limit_s: float = 30.0) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=limit_s)
        self.process = None
        return code

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


def metric_sum(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def load(raw: bytes) -> Any:
    return orjson.loads(raw)
