"""Orchestrator costs against the least work any implementation must do, in the same run.

* drift events: ``OrchestratorState.handle`` on decoded ``telemetry.schema_drift`` payloads (contract check +
  aggregator), in time order (heartbeats) and shuffled (late arrivals refold a timeline), vs
  ``SchemaDrift.model_validate`` of the same payloads alone;
* validation events: ``handle`` on ``telemetry.validation`` payloads vs ``ValidationStats.model_validate``;
* readiness: one ``/readiness`` evaluation (every ``/metrics`` scrape computes one too) over a ledger
  holding ``--schemas`` schemas x 8 days of one-minute windows from ``--instances`` pipelines, vs a bare
  ``sum`` of the counters inside the window; plus the ledger's memory (tracemalloc).

    uv run python bench/bench_orchestrator.py [--events 50000] [--schemas 20] [--instances 3]
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from mdp.contracts.telemetry import SchemaDrift, ValidationStats
from mdp.orchestrator.state import OrchestratorState
from mdp.pulse import streams

DAY = 86_400.0
NOW = 1_800_000_000.0


def drift_payloads(count: int, keys: int) -> list[dict[str, Any]]:
    out = []
    for index in range(count):
        out.append(
            {
                "repo": f"service-{index % keys}",
                "schema": "telemetry.FeedbackEvent",
                "track": "v1",
                "local_sha256": "a" * 64,
                "registry_sha256": "b" * 64,
                "local_version": "1.0.0",
                "registry_version": "1.1.0",
                "detected_at": NOW - count + index,
                "classification": "breaking",
                "changes": [
                    {"kind": "property-removed", "path": "#/properties/reason", "message": "reason removed",
                     "breaking": True},
                    {"kind": "type-changed", "path": "#/properties/ts", "message": "number -> string",
                     "breaking": True, "old": "number", "new": "string"},
                ],
            }
        )  # fmt: skip
    return out


def validation_payloads(count: int, schemas: int, instances: int) -> list[dict[str, Any]]:
    out = []
    for index in range(count):
        end = NOW - (count - index) * 60 / (schemas * instances)
        out.append(
            {
                "service": "pipeline",
                "instance": f"p-{index % instances}",
                "schema": f"md.Schema{index % schemas}",
                "track": "v1",
                "mode": "warn",
                "window_start": end - 60,
                "window_end": end,
                "total": 1000,
                "failures": 3,
                "would_reject": 2,
                "dlq_depth": 0,
            }
        )
    return out


def rate(count: int, work: Callable[[], None], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return count / best


def new_state() -> OrchestratorState:
    return OrchestratorState(validation_retention_s=8 * DAY, resolved_retention_s=7 * DAY)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--schemas", type=int, default=20)
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    drifts = drift_payloads(args.events, args.keys)
    shuffled = list(drifts)
    random.Random(7).shuffle(shuffled)

    def validate_drifts() -> None:
        for payload in drifts:
            SchemaDrift.model_validate(payload)

    def handle(payloads: list[dict[str, Any]], stream: str) -> Callable[[], None]:
        def run() -> None:
            state = new_state()
            for payload in payloads:
                state.handle(stream, stream, payload, now=NOW)

        return run

    base = rate(args.events, validate_drifts, args.repeat)
    in_order = rate(args.events, handle(drifts, streams.SCHEMA_DRIFT), args.repeat)
    any_order = rate(args.events, handle(shuffled, streams.SCHEMA_DRIFT), args.repeat)
    print(f"drift events ({args.events} over {args.keys} keys):")
    print(f"  SchemaDrift.model_validate only     {base:12,.0f} /s   1.00x")
    print(f"  handle, in time order (heartbeats)  {in_order:12,.0f} /s   {in_order / base:.2f}x")
    print(f"  handle, shuffled (late arrivals)    {any_order:12,.0f} /s   {any_order / base:.2f}x")

    records = validation_payloads(args.events, args.schemas, args.instances)

    def validate_records() -> None:
        for payload in records:
            ValidationStats.model_validate(payload)

    base = rate(args.events, validate_records, args.repeat)
    handled = rate(args.events, handle(records, streams.VALIDATION), args.repeat)
    print(f"validation events ({args.events}):")
    print(f"  ValidationStats.model_validate only {base:12,.0f} /s   1.00x")
    print(f"  handle (ledger)                     {handled:12,.0f} /s   {handled / base:.2f}x")

    # Eight days of one-minute windows per (schema, instance): what a long-running orchestrator holds.
    minutes = int(8 * DAY // 60)
    state = new_state()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for minute in range(minutes):
        end = NOW - (minutes - minute) * 60 + 30
        for schema in range(args.schemas):
            for instance in range(args.instances):
                state.ledger.add(
                    ValidationStats(
                        service="pipeline", instance=f"p-{instance}", schema=f"md.Schema{schema}", track="v1",
                        mode="warn", window_start=end - 60, window_end=end, total=1000, failures=3,
                        would_reject=2,
                    ),
                    now=NOW,
                )  # fmt: skip
    state.ledger.prune(now=NOW)  # drops dedupe identities past the 6 h horizon, as the app does every minute
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    held = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    window = 72 * 3600

    def evaluate() -> None:
        state.readiness(
            now=NOW,
            window_s=window,
            min_messages=1000,
            min_coverage=0.95,
            registry_enabled=True,
            registry_up=True,
        )

    counters = [1000, 3, 2] * (args.schemas * int(window // 60))

    def bare_sum() -> None:
        sum(counters)

    evaluations = rate(1, evaluate, args.repeat)
    sums = rate(1, bare_sum, args.repeat)
    records_held = minutes * args.schemas * args.instances
    shape = f"{args.schemas} schemas x {args.instances} instances x 8 days = {records_held:,} records"
    print(f"readiness over 72h ({shape}):")
    print(f"  bare sum of the window's counters   {1000 / sums:10.2f} ms   1.00x the time")
    ratio = sums / evaluations
    print(f"  evaluate (also each /metrics scrape) {1000 / evaluations:9.2f} ms   {ratio:.2f}x the time")
    per_record = held / records_held
    print(f"  ledger memory after prune           {held / 1e6:10.1f} MB ({per_record:.0f} B per record)")


if __name__ == "__main__":
    main()
