"""The real drift reporter feeding a real orchestrator through Pulse: drift, heartbeat, resolution."""

from __future__ import annotations

import copy
import time

import httpx

from mdp.contracts.bundled import bundled_schema
from mdp.contracts.hashing import compute_sha256
from mdp.drift.reporter import DriftReporter, SchemaSnapshot
from mdp.pulse import TelemetryPublisher

from .serving import eventually, orchestrator

SCHEMA = "telemetry.FeedbackEvent"


async def drift_view(url: str) -> dict[str, object] | None:
    async with httpx.AsyncClient(timeout=10) as http:
        drifts = (await http.get(f"{url}/drift", params={"schema": SCHEMA})).json()["drifts"]
    return drifts[0] if drifts else None


async def test_reporter_drift_heartbeat_and_resolution_reach_the_orchestrator() -> None:
    local = bundled_schema("v1", SCHEMA)
    registry = copy.deepcopy(local)
    registry["required"] = [*registry.get("required", []), "reason"]  # the registry made a field required
    local_sha, registry_sha = compute_sha256(local), compute_sha256(registry)
    clock = [time.time() - 3_600]
    async with orchestrator() as orch:
        reporter = DriftReporter(
            repo="market-data-store",
            publisher=TelemetryPublisher(orch.bus, source="market-data-store"),
            heartbeat_seconds=300,
            clock=lambda: clock[0],
        )
        snapshot = SchemaSnapshot(SCHEMA, "v1", local_sha, "1.0.0", content=local)
        started = clock[0]
        assert await reporter.detect_and_emit_drift(
            snapshot, registry_sha, "1.1.0", registry_content=registry
        )
        first = await eventually(lambda: drift_view(orch.url))
        assert first["active"] is True
        label = reporter.active_drifts()[("v1", SCHEMA)].label
        assert label != "unknown"  # the reporter could compare both contents
        assert first["classification"] == label
        assert first["changes"], "the changes are spelled out"
        assert first["active_since"] == started

        clock[0] += 600  # past the heartbeat interval: the reporter re-publishes the persisting drift
        await reporter.detect_and_emit_drift(snapshot, registry_sha, "1.1.0", registry_content=registry)

        async def heartbeat() -> dict[str, object] | None:
            view = await drift_view(orch.url)
            return view if view and view["count"] == 2 else None

        second = await eventually(heartbeat)
        assert second["active_since"] == started  # a heartbeat never resets it
        assert second["last_detected"] == clock[0]

        clock[0] += 900
        synced = SchemaSnapshot(SCHEMA, "v1", registry_sha, "1.1.0", content=registry)
        assert not await reporter.detect_and_emit_drift(
            synced, registry_sha, "1.1.0", registry_content=registry
        )

        async def resolved() -> dict[str, object] | None:
            view = await drift_view(orch.url)
            return view if view and view["active"] is False else None

        done = await eventually(resolved)
        assert done["duration_s"] == 1_500.0
        assert done["resolved_sha256"] == registry_sha
