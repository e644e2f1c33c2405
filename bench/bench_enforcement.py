"""Enforcement hot path vs a bare orjson + jsonschema-rs loop and vs python ``jsonschema``, in one run.

What is measured (all on the bundled md.Bar v1 schema, the same messages for every contender):

* ``enforcer``: ``Enforcer.enforce_batch`` in strict mode with metrics on (bytes in, ``list[Verdict]``
  out, invalid messages get their errors extracted, metrics and stats counted once per batch), and the
  consumer reading each verdict's action;
* ``columns``: the same through ``Enforcer.enforce_columns`` (payloads, rulings and failure indices as
  columns: what a router needs, without a ``Verdict`` object per message);
* ``bare``: ``orjson.loads`` + ``validator.is_valid`` per message, catching parse errors (baseline a);
* ``jsonschema``: ``orjson.loads`` + python ``jsonschema`` ``Draft202012Validator.is_valid`` (baseline b).

1 % of the messages are invalid, of varied kinds (schema violations, malformed JSON, non-UTF-8, non-object).
Each contender runs ``--repeat`` times, interleaved, and the best run counts. Rates are messages per
second of *CPU time* (``time.process_time``): the machine is shared, and CPU time is what other processes
stealing the cores do not inflate.

    uv run python bench/bench_enforcement.py [--messages 200000] [--batch 1000] [--repeat 7]

Targets: enforcer >= 75 % of bare, and >= 25x jsonschema.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import time
from collections.abc import Callable

import jsonschema
import jsonschema_rs
import orjson
from prometheus_client import CollectorRegistry

from mdp.contracts.bundled import bundled_schema
from mdp.enforcement import BundledSchemaProvider, Enforcer, SchemaRef, enforcement_metrics

SYMBOLS = ["AAPL", "MSFT", "BRK.B", "EUR/USD", "ESZ5", "NVDA", "TSLA", "SPY"]
TIMEFRAMES = ["1s", "5s", "1m", "5m", "15m", "1h", "1d"]


def valid_bar(rng: random.Random, index: int) -> dict[str, object]:
    low = round(rng.uniform(10, 500), 2)
    high = round(low + rng.uniform(0, 5), 2)
    open_, close = round(rng.uniform(low, high), 2), round(rng.uniform(low, high), 2)
    bar: dict[str, object] = {
        "symbol": rng.choice(SYMBOLS),
        "timeframe": rng.choice(TIMEFRAMES),
        "ts": f"2025-10-{1 + index % 28:02d}T{index % 24:02d}:{index % 60:02d}:00Z",
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": float(rng.randint(0, 1_000_000)),
    }
    if index % 2:
        bar.update(vwap=round((low + high) / 2, 2), trade_count=rng.randint(1, 5000), source="iex")
    return bar


def invalid_message(rng: random.Random, index: int, kind: int) -> bytes:
    bar = valid_bar(rng, index)
    if kind == 0:
        bar["open"] = -1.0  # exclusiveMinimum
    elif kind == 1:
        del bar["volume"]  # required
    elif kind == 2:
        bar["timeframe"] = "2m"  # enum
    elif kind == 3:
        bar["venue"] = "XNAS"  # additionalProperties (a v2 bar sent to a v1 consumer)
    elif kind == 4:
        bar["ts"] = "yesterday"  # format: date-time
    elif kind == 5:
        return orjson.dumps(bar)[:-7]  # truncated JSON
    elif kind == 6:
        return (
            orjson.dumps(bar).replace(b'"iex"', b'"\xff\xfe"').replace(b'"AAPL"', b'"\xffAPL"')
        )  # non-UTF-8
    else:
        return orjson.dumps([bar])  # not an object
    return orjson.dumps(bar)


def make_messages(count: int, invalid_ratio: float, seed: int = 7) -> tuple[list[bytes], int]:
    rng = random.Random(seed)
    every = round(1 / invalid_ratio)
    messages: list[bytes] = []
    invalid = 0
    for index in range(count):
        if index % every == every - 1:
            messages.append(invalid_message(rng, index, invalid % 8))
            invalid += 1
        else:
            messages.append(orjson.dumps(valid_bar(rng, index)))
    return messages, invalid


def best_rate(run: Callable[[], int], count: int, results: list[float]) -> None:
    start = time.process_time()
    run()
    results.append(count / (time.process_time() - start))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--python-messages", type=int, default=20_000, help="messages for python jsonschema")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--invalid", type=float, default=0.01)
    args = parser.parse_args()

    # Failures are logged (throttled) as in production, to a sink that costs the same but shows nothing.
    logging.basicConfig(stream=open(os.devnull, "w"), level=logging.INFO)  # noqa: SIM115

    schema = bundled_schema("v1", "md.Bar")
    messages, invalid = make_messages(args.messages, args.invalid)
    batches = [messages[i : i + args.batch] for i in range(0, len(messages), args.batch)]
    python_messages = messages[: args.python_messages]

    registry = CollectorRegistry()
    enforcer = Enforcer(schemas=BundledSchemaProvider(), mode="strict", metrics=enforcement_metrics(registry))
    ref = SchemaRef("v1", "md.Bar")
    validator = jsonschema_rs.validator_for(schema, validate_formats=True, offline=True)
    python_validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())

    def run_enforcer() -> int:
        rejected = 0
        for batch in batches:
            for verdict in enforcer.enforce_batch(batch, ref):
                if verdict.action == "dead_letter":
                    rejected += 1
        return rejected

    def run_columns() -> int:
        rejected = 0
        for batch in batches:
            for ruling in enforcer.enforce_columns(batch, ref).rulings:
                if ruling.action == "dead_letter":
                    rejected += 1
        return rejected

    def run_bare() -> int:
        loads, is_valid, decode_error = orjson.loads, validator.is_valid, orjson.JSONDecodeError
        rejected = 0
        for raw in messages:
            try:
                payload = loads(raw)
            except decode_error:
                rejected += 1
                continue
            if not is_valid(payload):
                rejected += 1
        return rejected

    def run_python() -> int:
        loads, is_valid, decode_error = orjson.loads, python_validator.is_valid, orjson.JSONDecodeError
        rejected = 0
        for raw in python_messages:
            try:
                payload = loads(raw)
            except decode_error:
                rejected += 1
                continue
            if not is_valid(payload):
                rejected += 1
        return rejected

    # Sanity: every contender must see the same invalid messages (python jsonschema has no date-time
    # checker installed, so it misses the format violations; that only makes its baseline faster).
    assert run_enforcer() == invalid, "enforcer must reject exactly the invalid messages"
    assert run_columns() == invalid, "columns must reject exactly the invalid messages"
    assert run_bare() == invalid, "bare loop must reject exactly the invalid messages"

    rates: dict[str, list[float]] = {"enforcer": [], "columns": [], "bare": [], "jsonschema": []}
    for _ in range(args.repeat):
        best_rate(run_bare, len(messages), rates["bare"])
        best_rate(run_enforcer, len(messages), rates["enforcer"])
        best_rate(run_columns, len(messages), rates["columns"])
        best_rate(run_python, len(python_messages), rates["jsonschema"])
    best = {name: max(values) for name, values in rates.items()}

    print(
        f"messages: {len(messages)} ({invalid} invalid, {args.invalid:.1%}), batch {args.batch}, "
        f"best of {args.repeat}; python jsonschema on the first "
        f"{len(python_messages)}"
    )
    for name, rate in best.items():
        print(f"  {name:<10} {rate:>12,.0f} msgs/s (CPU time)")
    for name in ("enforcer", "columns"):
        print(f"{name:>8} / bare       = {best[name] / best['bare']:6.1%}   (target >= 75%)")
        print(f"{name:>8} / jsonschema = {best[name] / best['jsonschema']:6.1f}x  (target >= 25x)")
    processed = registry.get_sample_value("processed_messages_total")
    print(f"processed_messages_total = {processed:.0f} (metrics were on)")


if __name__ == "__main__":
    main()
