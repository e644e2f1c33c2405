"""Feeding recorded bars into the pipeline's input stream (``mdp pipeline replay FILE``).

* **CSV** with a header naming md.Bar fields (``symbol,timeframe,ts,open,high,low,close,volume`` and
  optionally ``vwap,trade_count,source``). Numbers are converted; an empty cell leaves the field out; a
  cell that is not a number stays a string, so the pipeline (not the replay tool) decides and a bad row
  ends up in the DLQ with its reason rather than vanishing.
* **JSONL**: one JSON object per line. A line that already is an envelope (exactly ``id``, ``type``,
  ``ts``, ``source``, ``payload`` and optionally ``schema``) is published byte for byte; any other object
  is the payload of a new ``md.bar`` envelope. Blank lines are skipped; lines that are not JSON objects
  are reported (with their line numbers) and not published.

Publishing is batched (``publish_raw``) and optionally paced to ``rate`` messages per second.
"""

from __future__ import annotations

import asyncio
import csv
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

from mdp.pulse.base import EventBus
from mdp.pulse.envelope import Envelope, SchemaRef, decode_envelope

BAR_TYPE: Final = "md.bar"
ENVELOPE_KEYS: Final = frozenset({"id", "type", "ts", "source", "payload"})
NUMBERS: Final = frozenset({"open", "high", "low", "close", "volume", "vwap", "trade_count"})
MAX_BATCH: Final = 500
MAX_REPORTED: Final = 100


@dataclass
class FileReport:
    """What was published, and the lines that could not be."""

    published: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)

    def skip(self, line: int, why: str) -> None:
        self.skipped += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(f"line {line}: {why}")


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text  # not a number: let validation say so


def _csv_payloads(path: Path, report: FileReport) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            return
        for row in reader:
            if None in row:  # more cells than header names
                report.skip(reader.line_num, "more cells than columns")
                continue
            payload = {
                key: (_number(value) if key in NUMBERS else value)
                for key, value in row.items()
                if key and value not in (None, "")
            }
            yield reader.line_num, payload


def records(path: Path, report: FileReport, *, source: str, schema: SchemaRef) -> Iterator[bytes]:
    """The envelopes (as bytes) a CSV or JSONL file describes; unusable lines go to ``report``."""
    if path.suffix.lower() == ".csv":
        for _, payload in _csv_payloads(path, report):
            yield Envelope.create(BAR_TYPE, payload, source=source, schema=schema).to_json()
        return
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                report.skip(number, f"not JSON ({exc})")
                continue
            if not isinstance(value, dict):
                report.skip(number, "not a JSON object")
                continue
            if value.keys() >= ENVELOPE_KEYS:
                envelope, error = decode_envelope(line)
                if envelope is None:
                    report.skip(number, error or "invalid envelope")
                    continue
                yield line
            else:
                yield Envelope.create(BAR_TYPE, value, source=source, schema=schema).to_json()


async def publish_file(
    bus: EventBus,
    path: Path,
    stream: str,
    *,
    schema: SchemaRef,
    rate: float | None = None,
    source: str = "mdp-replay",
    progress: Callable[[int], None] | None = None,
) -> FileReport:
    """Publish every record of ``path`` to ``stream``; ``progress(n)`` after each batch of ``n``."""
    report = FileReport()
    batch_size = MAX_BATCH if not rate else max(1, min(MAX_BATCH, int(rate / 10) or 1))
    started = time.monotonic()
    batch: list[bytes] = []

    async def flush() -> None:
        await bus.publish_raw(stream, batch)
        report.published += len(batch)
        if progress is not None:
            progress(len(batch))
        batch.clear()
        if rate:  # pace: the n-th message is not sent before n / rate seconds
            ahead = report.published / rate - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)

    for record in records(path, report, source=source, schema=schema):
        batch.append(record)
        if len(batch) >= batch_size:
            await flush()
    if batch:
        await flush()
    return report


def count_lines(path: Path) -> int:
    """Lines in the file (the progress bar's total; a CSV header counts one too many, harmlessly)."""
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


__all__ = ["BAR_TYPE", "FileReport", "count_lines", "publish_file", "records"]
