"""The orchestrator over real HTTP: /drift, /readiness (windows, errors, verdicts), /health, /metrics."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from mdp.pulse import Envelope, streams
from tests.unit.orchestrator.events import drift, feedback, resolved, stats

from .serving import eventually, orchestrator, registry_server

FEEDBACK_SCHEMA = "telemetry.FeedbackEvent"


async def get(url: str, **params: object) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.get(url, params=params)  # type: ignore[arg-type]


async def test_drift_lists_active_and_resolved_with_filters() -> None:
    async with orchestrator() as orch:
        now = time.time()
        await orch.publish(streams.SCHEMA_DRIFT, drift(now - 600, repo="store"))
        await orch.publish(streams.SCHEMA_DRIFT, drift(now - 300, repo="pipeline", schema="md.Bar"))
        await orch.publish(
            streams.SCHEMA_DRIFT_RESOLVED, resolved(now - 60, repo="pipeline", schema="md.Bar")
        )

        async def both() -> dict[str, object] | None:
            body = (await get(f"{orch.url}/drift")).json()
            return body if body["active"] == 1 and body["resolved"] == 1 else None

        body = await eventually(both)
        active, done = body["drifts"]
        assert (active["repo"], active["schema"], active["active"]) == ("store", FEEDBACK_SCHEMA, True)
        assert active["classification"] == "breaking"
        assert active["changes"][0]["kind"] == "property-removed"
        assert active["active_since"] == pytest.approx(now - 600)
        assert active["duration_s"] == pytest.approx(600, abs=5)
        assert (done["repo"], done["active"], done["duration_s"]) == ("pipeline", False, pytest.approx(240))

        only_active = (await get(f"{orch.url}/drift", active="true")).json()
        assert [d["repo"] for d in only_active["drifts"]] == ["store"]
        only_resolved = (await get(f"{orch.url}/drift", active="false")).json()
        assert [d["repo"] for d in only_resolved["drifts"]] == ["pipeline"]
        by_schema = (await get(f"{orch.url}/drift", schema="md.Bar", track="v1")).json()
        assert [d["repo"] for d in by_schema["drifts"]] == ["pipeline"]
        assert (await get(f"{orch.url}/drift", repo="nobody")).json()["drifts"] == []


async def test_drift_refuses_bad_query_values() -> None:
    async with orchestrator() as orch:
        response = await get(f"{orch.url}/drift", active="maybe")
        assert response.status_code == 422
        assert response.json()["error_code"] == 42207
        too_long = await get(f"{orch.url}/drift", schema="x" * 500)
        assert too_long.status_code == 422


@pytest.mark.parametrize("window", ["5x", "0h", "-1h", "1.5h", "72", "", "h" * 65, "1h;DROP"])
async def test_readiness_refuses_bad_windows(window: str) -> None:
    async with orchestrator() as orch:
        response = await get(f"{orch.url}/readiness", window=window)
        assert response.status_code in (400, 422)
        body = response.json()
        assert set(body) == {"error_code", "message"}
        assert "window" in body["message"]


async def test_readiness_refuses_windows_beyond_the_retention() -> None:
    async with orchestrator(orchestrator_validation_retention_s=86_400) as orch:
        response = await get(f"{orch.url}/readiness", window="72h")
        assert response.status_code == 400
        assert response.json() == {
            "error_code": 40001,
            "message": "window: 72h is longer than the validation retention (1d, "
            "MDP_ORCHESTRATOR_VALIDATION_RETENTION_SECONDS)",
        }
        assert (await get(f"{orch.url}/readiness", window="24h")).status_code == 200


async def test_readiness_windows_with_a_real_registry(data_dir: Path) -> None:
    async with (
        registry_server(data_dir) as registry_url,
        orchestrator(
            registry_enabled=True, registry_url=registry_url, orchestrator_readiness_min_messages=500
        ) as orch,
    ):
        now = time.time()
        # An hour ago md.Bar was bad; in the last hour it is clean. md.Quote sits in the HOLD band.
        await orch.publish(streams.VALIDATION, stats(now - 2 * 3600, total=1000, would_reject=100))
        await orch.publish(streams.VALIDATION, stats(now - 600, total=1000, would_reject=1))
        await orch.publish(
            streams.VALIDATION, stats(now - 600, total=1000, would_reject=7, schema="md.Quote")
        )
        await eventually(lambda: orch.app.state.runtime.registry_up() is True)

        async def hour() -> dict[str, object] | None:
            body = (await get(f"{orch.url}/readiness", window="1h")).json()
            return body if len(body["schemas"]) == 2 else None

        body = await eventually(hour)
        assert body["window"] == "1h"
        verdicts = {s["schema"]: s["verdict"] for s in body["schemas"]}
        assert verdicts == {"md.Bar": "GO", "md.Quote": "HOLD"}
        assert body["verdict"] == "HOLD"

        three_days = (await get(f"{orch.url}/readiness", window="72h")).json()
        bar = next(s for s in three_days["schemas"] if s["schema"] == "md.Bar")
        assert bar["verdict"] == "NO-GO"  # 101 of 2000 over three days
        assert bar["reasons"] == ["reject rate 5.05% (101 of 2000) is above the 1% NO-GO threshold"]
        default = (await get(f"{orch.url}/readiness")).json()
        assert default["window_s"] == 72 * 3600

        enough = (await get(f"{orch.url}/readiness", window="1h", min_messages=5000)).json()
        assert {s["verdict"] for s in enough["schemas"]} == {"NO-DATA"}
        assert (await get(f"{orch.url}/readiness", min_messages=0)).status_code == 422


async def test_an_unreachable_registry_is_a_no_go() -> None:
    async with orchestrator(registry_enabled=True, registry_url="http://127.0.0.1:1") as orch:
        await orch.publish(streams.VALIDATION, stats(time.time() - 60, total=5000))
        await eventually(lambda: orch.app.state.runtime.registry_up() is False, timeout_s=20)
        body = (await get(f"{orch.url}/readiness", window="1h")).json()
        assert body["verdict"] == "NO-GO"
        assert body["reasons"][0].startswith("registry unreachable")
        health = await get(f"{orch.url}/health")
        assert health.status_code == 200  # the orchestrator itself works; the registry is degraded
        registry = next(c for c in health.json()["components"] if c["name"] == "registry")
        assert registry["state"] == "degraded"
        state = (await get(f"{orch.url}/api/state")).json()
        assert state["registry"]["up"] is False
        assert state["registry"]["tracks"][0]["error"]


async def test_unresolved_breaking_drift_blocks_readiness() -> None:
    async with orchestrator() as orch:
        now = time.time()
        await orch.publish(streams.VALIDATION, stats(now - 60, total=5000, schema=FEEDBACK_SCHEMA))
        await orch.publish(streams.SCHEMA_DRIFT, drift(now - 30))

        async def blocked() -> dict[str, object] | None:
            body = (await get(f"{orch.url}/readiness", window="1h")).json()
            return body if body["verdict"] == "NO-GO" else None

        body = await eventually(blocked)
        assert body["schemas"][0]["reasons"][-1] == "unresolved breaking drift in market-data-store"
        await orch.publish(streams.SCHEMA_DRIFT_RESOLVED, resolved(now))

        async def cleared() -> dict[str, object] | None:
            body = (await get(f"{orch.url}/readiness", window="1h")).json()
            return body if body["verdict"] != "NO-GO" else None

        # Still HOLD overall: the registry is disabled in this orchestrator.
        assert (await eventually(cleared))["verdict"] == "HOLD"


async def test_page_state_has_every_panel(data_dir: Path) -> None:
    async with (
        registry_server(data_dir) as registry_url,
        orchestrator(registry_enabled=True, registry_url=registry_url) as orch,
    ):
        now = time.time()
        await orch.publish(
            streams.VALIDATION, stats(now - 60, total=100, failures=3, would_reject=2, dlq_depth=9)
        )
        await orch.publish(streams.FEEDBACK, feedback(now, coordinator="store-a", level="soft", queue=70))
        for index in range(3):
            await orch.bus.publish(
                streams.BARS_DLQ, Envelope.create("pulse.dead_letter", {"n": index}, source="t")
            )

        async def complete() -> dict[str, object] | None:
            body = (await get(f"{orch.url}/api/state")).json()
            ready = body["backpressure"] and body["validation"]["schemas"] and body["registry"]["up"]
            return body if ready and body["dlq"]["streams"][0]["depth"] == 3 else None

        body = await eventually(complete)
    assert body["service"]["phase"] == "live"
    assert body["registry"]["enabled"] is True
    assert {t["track"] for t in body["registry"]["tracks"]} == {"v1", "v2"}
    assert all(t["last_sync"] and t["age_s"] < 60 for t in body["registry"]["tracks"])
    [schema] = body["validation"]["schemas"]
    assert (schema["failure_rate"], schema["would_reject_rate"]) == (0.03, 0.02)
    assert body["dlq"]["streams"] == [
        {"stream": "md.bars.dlq", "depth": 3, "at": pytest.approx(now, abs=30), "error": None}
    ]
    assert body["dlq"]["reported"][0]["depth"] == 9
    assert body["backpressure"][0]["level"] == "soft"
    assert body["readiness"]["verdict"] == "NO-DATA"  # 100 messages, 1000 needed by default


async def test_health_and_metrics() -> None:
    async with orchestrator() as orch:
        await orch.publish(streams.SCHEMA_DRIFT, drift(time.time() - 100))
        await orch.publish(streams.FEEDBACK, feedback(time.time(), level="hard"))
        health = await get(f"{orch.url}/health")
        assert health.status_code == 200
        body = health.json()
        assert body["service"] == "mdp-orchestrator"
        assert {c["name"]: c["state"] for c in body["components"]} == {
            "event-bus": "healthy",
            "registry": "healthy",
        }

        async def exported() -> str | None:
            text = (await get(f"{orch.url}/metrics")).text
            return (
                text
                if "orchestrator_backpressure_level{" in text and "schema_drift_active_total{" in text
                else None
            )

        text = await eventually(exported)
    assert (
        'schema_drift_active_total{repo="market-data-store",schema="telemetry.FeedbackEvent",track="v1"} 1.0'
        in text
    )
    assert 'orchestrator_backpressure_level{coordinator_id="store-1"} 2.0' in text
    assert 'orchestrator_readiness_overall{verdict="NO-GO"} 1.0' in text  # the breaking drift blocks
    assert "schema_registry_up" in text  # the orchestrator's own registry client
    assert 'orchestrator_events_consumed_total{stream="telemetry.schema_drift"} 1.0' in text


async def test_the_page_and_its_assets_come_from_this_origin_only() -> None:
    async with orchestrator() as orch:
        page = await get(f"{orch.url}/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "script-src 'self'" in csp
        assert 'data-refresh-ms="300"' in page.text
        assets = {"/static/app.js": "javascript", "/static/style.css": "css"}
        bodies = [page.text]
        for path, kind in assets.items():
            response = await get(f"{orch.url}{path}")
            assert response.status_code == 200
            assert kind in response.headers["content-type"]
            bodies.append(response.text)
        for body in bodies:
            assert "http://" not in body
            assert "https://" not in body
            assert "@import" not in body
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in bodies[1]
        assert (await get(f"{orch.url}/static/../app.py")).status_code == 404
