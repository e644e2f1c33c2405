"""Prometheus metrics of the orchestrator, on an injected ``CollectorRegistry``.

Seed 001 names the drift aggregates; the rest serve the Schema Health dashboard and alerts:

* ``schema_drift_active_total{repo, track, schema}`` (gauge): 1 while the key drifts, 0 once resolved (the
  series goes away when the resolved key expires). ``sum by (schema, track)`` = repos drifting.
* ``schema_drift_active_since_timestamp{repo, track, schema}`` (gauge): start of the open episode, only for
  active keys. ``time() - ...`` is how long it has lasted; rebuilt from the streams on restart, so alerts
  on it do not restart their clock when the orchestrator does.
* ``schema_drift_resolved_total{repo, track, schema}`` (counter): episodes resolved.
* ``schema_drift_duration_seconds{track, schema}`` (histogram): how long resolved episodes lasted.
* ``orchestrator_events_consumed_total{stream}`` / ``orchestrator_events_invalid_total{stream}``: events
  handled (live and replayed) and events refused (dead-lettered: contract violated, wrong type).
* ``orchestrator_backpressure_level{coordinator_id}``: store backpressure, 0 ok, 1 soft, 2 hard.
* ``orchestrator_readiness{track, schema, verdict}`` and ``orchestrator_readiness_overall{verdict}``:
  1 for the current verdict at the default window (GO, HOLD, NO-GO, NO-DATA), 0 for the others.

Gauges derived from state are computed at scrape time by a custom collector, so they can never disagree
with ``/drift`` and no stale series lingers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from mdp.orchestrator.readiness import ReadinessReport, Verdict
from mdp.orchestrator.state import STREAMS, OrchestratorState, Outcome

DURATION_BUCKETS = (60, 300, 900, 1_800, 3_600, 7_200, 21_600, 43_200, 86_400, 172_800, 604_800)
VERDICTS = tuple(str(verdict) for verdict in Verdict)


class _StateCollector(Collector):
    def __init__(
        self,
        state: OrchestratorState,
        readiness: Callable[[float], ReadinessReport],
        clock: Callable[[], float],
    ) -> None:
        self._state = state
        self._readiness = readiness
        self._clock = clock

    def describe(self) -> list[Metric]:  # no collection at registration time
        return []

    def collect(self) -> Iterator[Metric]:
        now = self._clock()
        labels = ["repo", "track", "schema"]
        active = GaugeMetricFamily(
            "schema_drift_active_total", "1 while the key drifts, else 0.", labels=labels
        )
        since = GaugeMetricFamily(
            "schema_drift_active_since_timestamp", "Unix time the open drift episode began.", labels=labels
        )
        for state in self._state.drift.states():
            key = [state.key.repo, state.key.track, state.key.schema]
            active.add_metric(key, 1.0 if state.active else 0.0)
            if state.active and state.active_since is not None:
                since.add_metric(key, state.active_since)
        yield active
        yield since
        level = GaugeMetricFamily(
            "orchestrator_backpressure_level",
            "Latest store backpressure level per coordinator: 0 ok, 1 soft, 2 hard.",
            labels=["coordinator_id"],
        )
        for status in self._state.feedback.statuses(now=now, stale_after_s=float("inf")):
            level.add_metric([status.event.coordinator_id], float(status.level_value))
        yield level
        report = self._readiness(now)
        per_schema = GaugeMetricFamily(
            "orchestrator_readiness",
            "1 for the schema's current warn->strict verdict at the default window.",
            labels=["track", "schema", "verdict"],
        )
        for schema in report.schemas:
            for verdict in VERDICTS:
                value = 1.0 if verdict == schema.verdict else 0.0
                per_schema.add_metric([schema.summary.track, schema.summary.schema, verdict], value)
        yield per_schema
        overall = GaugeMetricFamily(
            "orchestrator_readiness_overall", "1 for the overall warn->strict verdict.", labels=["verdict"]
        )
        for verdict in VERDICTS:
            overall.add_metric([verdict], 1.0 if verdict == report.verdict else 0.0)
        yield overall


class OrchestratorMetrics:
    """Counters the consumer feeds, plus the scrape-time collector over the state."""

    def __init__(
        self,
        registry: CollectorRegistry,
        state: OrchestratorState,
        readiness: Callable[[float], ReadinessReport],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.resolved_total = Counter(
            "schema_drift_resolved_total",
            "Drift episodes resolved.",
            ["repo", "track", "schema"],
            registry=registry,
        )
        self.duration = Histogram(
            "schema_drift_duration_seconds",
            "How long resolved drift episodes lasted.",
            ["track", "schema"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.consumed = Counter(
            "orchestrator_events_consumed_total",
            "Telemetry events handled (live and replayed).",
            ["stream"],
            registry=registry,
        )
        self.invalid = Counter(
            "orchestrator_events_invalid_total",
            "Telemetry events refused (contract violated or unexpected type) and dead-lettered.",
            ["stream"],
            registry=registry,
        )
        self._consumed = {stream: self.consumed.labels(stream=stream) for stream in STREAMS}
        self._invalid = {stream: self.invalid.labels(stream=stream) for stream in STREAMS}
        registry.register(_StateCollector(state, readiness, clock))

    def record(self, stream: str, outcome: Outcome) -> None:
        """Count one handled event and any drift episodes it closed."""
        self._consumed[stream].inc()
        if outcome.error is not None:
            self._invalid[stream].inc()
        for episode in outcome.closed:
            key = episode.key
            self.resolved_total.labels(repo=key.repo, track=key.track, schema=key.schema).inc()
            self.duration.labels(track=key.track, schema=key.schema).observe(episode.duration_s)


def orchestrator_metrics(
    registry: CollectorRegistry,
    state: OrchestratorState,
    readiness: Callable[[float], ReadinessReport],
    *,
    clock: Callable[[], float] = time.time,
) -> OrchestratorMetrics:
    """Create the orchestrator's metrics on ``registry`` (never the global one)."""
    return OrchestratorMetrics(registry, state, readiness, clock=clock)


__all__ = ["DURATION_BUCKETS", "OrchestratorMetrics", "orchestrator_metrics"]
