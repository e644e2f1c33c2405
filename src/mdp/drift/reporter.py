"""``DriftReporter``: turns drift comparisons into metrics and ``telemetry.schema_drift`` events (fail-open).

The seeds' API, with mdp's imports::

    config = PulseConfig(enabled=True, backend="inmem")
    reporter = DriftReporter(pulse_config=config, repo="mdp-store")
    await reporter.start()
    snap = SchemaSnapshot("telemetry.FeedbackEvent", "v1", local_sha, "1.0.0")
    drifted = await reporter.detect_and_emit_drift(snap, registry_sha, "1.1.0")
    await reporter.stop()

Each (track, schema) is a small state machine; the reporter remembers what it has said:

* **new drift** (first detection, or a different (local, registry) sha256 pair): ``schema_drift_total``
  +1, ``schema_drift_active`` = 1, and a ``telemetry.schema_drift`` event;
* **persisting drift**: ``schema_drift_last_detected_timestamp`` moves, no count; the event is
  re-published as a heartbeat at most every ``heartbeat_seconds`` (so an aggregator that started late, or
  lost its state, learns about it), when the classification changes (e.g. ``unknown`` -> ``breaking``
  once the registry's content could be fetched), and on the next detection after a failed publish;
* **back in sync**: ``schema_drift_active`` = 0 and one ``telemetry.schema_drift_resolved`` event (retried
  on the next check if it could not be sent).

Events are therefore *state*, not increments: a consumer keys them by (repo, track, schema) and treats a
repeat with the same sha256 pair as a refresh. Fail-open: any telemetry error is logged and counted in
``drift_telemetry_failures_total`` (and the publisher's ``pulse_publish_failures_total``), never raised.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from mdp.compat import Mode, Policy
from mdp.contracts.catalog import DEFAULT_TRACK
from mdp.contracts.hashing import compute_sha256
from mdp.contracts.telemetry import SchemaDrift, SchemaDriftResolved
from mdp.drift.compare import (
    DEFAULT_MODE,
    DEFAULT_POLICY,
    DriftStatus,
    SchemaComparison,
    classify_drift,
    fit_changes,
    unknown,
)
from mdp.drift.metrics import DriftMetrics, drift_metrics
from mdp.pulse.config import PulseConfig
from mdp.pulse.streams import SCHEMA_DRIFT, SCHEMA_DRIFT_RESOLVED
from mdp.pulse.telemetry import TelemetryPublisher
from mdp.settings import MdpSettings

log = logging.getLogger("mdp.drift")

DEFAULT_HEARTBEAT_SECONDS = 900.0


@dataclass(slots=True)
class SchemaSnapshot:
    """A local schema copy: ``SchemaSnapshot(name, track, sha256, version, timestamp)`` as in the seeds.

    ``content`` (keyword-only) is the schema itself when at hand; with the registry's content it lets the
    reporter classify a drift (breaking / safe / docs-only).
    """

    name: str
    track: str
    sha256: str
    version: str | None = None
    timestamp: float = field(default_factory=time.time)
    content: Any = field(default=None, kw_only=True)


@dataclass(slots=True)
class DriftState:
    """What the reporter knows about one drifted schema."""

    local_sha256: str | None
    registry_sha256: str | None
    since: float
    last_detected_at: float
    label: str
    last_emitted_at: float | None = None


class DriftReporter:
    """Records drift in metrics and publishes drift / resolution events; never raises for telemetry."""

    def __init__(
        self,
        pulse_config: PulseConfig | None = None,
        *,
        repo: str = "mdp",
        publisher: TelemetryPublisher | None = None,
        metrics_registry: CollectorRegistry | None = None,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
        clock: Callable[[], float] = time.time,
        event_track: str = DEFAULT_TRACK,
    ) -> None:
        """``publisher`` (a service's own, on its bus) wins over ``pulse_config``; with neither, nothing is
        published and only metrics are recorded. ``metrics_registry`` defaults to a private registry."""
        self.repo = repo
        self.metrics_registry = metrics_registry if metrics_registry is not None else CollectorRegistry()
        self.metrics: DriftMetrics = drift_metrics(self.metrics_registry)
        self._owns_publisher = publisher is None and pulse_config is not None
        if publisher is None and pulse_config is not None:
            publisher = TelemetryPublisher.from_config(
                pulse_config, source=repo, metrics_registry=self.metrics_registry, track=event_track
            )
        self._publisher = publisher
        self.heartbeat_seconds = heartbeat_seconds
        self._clock = clock
        self._states: dict[tuple[str, str], DriftState] = {}
        self._unsent_resolutions: dict[tuple[str, str], SchemaDriftResolved] = {}
        self._last_detected: dict[tuple[str, str], float] = {}
        self._lock = asyncio.Lock()
        self._started = False
        self._stopped = False

    @classmethod
    def from_settings(
        cls, settings: MdpSettings, *, repo: str, metrics_registry: CollectorRegistry | None = None, **kw: Any
    ) -> DriftReporter:
        """A reporter owning a bus described by the settings (PULSE_ENABLED, EVENT_BUS_BACKEND, ...)."""
        config = PulseConfig.from_settings(settings, source=repo)
        return cls(config, repo=repo, metrics_registry=metrics_registry, **kw)

    @property
    def publishing(self) -> bool:
        """Whether events are published at all (a publisher exists and PULSE_ENABLED is not false)."""
        return self._publisher is not None and self._publisher.enabled

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start an owned publisher's bus (idempotent; a bus that does not start is logged, not raised)."""
        if self._started:
            return
        self._started, self._stopped = True, False
        if self._owns_publisher and self._publisher is not None:
            await self._publisher.start()

    async def stop(self) -> None:
        """Close an owned publisher's bus (idempotent, never raises)."""
        if self._stopped:
            return
        self._stopped, self._started = True, False
        if self._owns_publisher and self._publisher is not None:
            await self._publisher.close()

    async def __aenter__(self) -> DriftReporter:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    # -- the seeds' API ------------------------------------------------------------------------------
    @staticmethod
    def compute_sha256(content: str | bytes | Mapping[str, Any]) -> str:
        """The canonical (RFC 8785) SHA-256 of a schema: the same identity the registry uses."""
        return compute_sha256(content)

    async def detect_and_emit_drift(
        self,
        local_snapshot: SchemaSnapshot,
        registry_sha: str | None,
        registry_version: str | None = None,
        *,
        registry_content: Any = None,
        mode: Mode | str = DEFAULT_MODE,
        policy: Policy | str = DEFAULT_POLICY,
    ) -> bool:
        """Compare one local snapshot with the registry's sha256; record and publish; True if drifted.

        ``registry_sha=None`` means the registry has no such schema (``missing_in_registry``). When the
        snapshot carries ``content`` and ``registry_content`` is given, the drift is classified under
        ``mode``/``policy`` (default FULL + LENIENT).
        """
        snap = local_snapshot
        if registry_sha is None:
            status, label = DriftStatus.MISSING_IN_REGISTRY, unknown("the registry has no such schema")
        elif registry_sha == snap.sha256:
            status, label = DriftStatus.SYNCED, None
        else:
            status = DriftStatus.DRIFT
            label = classify_drift(snap.content, registry_content, mode, policy)
        comparison = SchemaComparison(
            snap.name,
            status,
            local_sha256=snap.sha256,
            local_version=snap.version,
            registry_sha256=registry_sha,
            registry_version=registry_version,
            classification=label,
        )
        return await self.report(snap.track, comparison)

    def get_last_drift_time(self, schema_key: str) -> float | None:
        """Unix time of the last drift detection of ``"<track>:<schema>"`` or of ``<schema>`` in any track."""
        if ":" in schema_key:
            track, _, name = schema_key.partition(":")
            return self._last_detected.get((track, name))
        times = [at for (_, name), at in self._last_detected.items() if name == schema_key]
        return max(times) if times else None

    # -- what watchers and the CLI call ---------------------------------------------------------------
    def active_drifts(self) -> dict[tuple[str, str], DriftState]:
        """The drifts currently known, keyed by (track, schema) (a copy)."""
        return dict(self._states)

    async def report_all(self, track: str, comparisons: Iterable[SchemaComparison]) -> int:
        """:meth:`report` each comparison; returns how many are drifted."""
        return sum([await self.report(track, item) for item in comparisons])

    async def report(self, track: str, comparison: SchemaComparison) -> bool:
        """Record one comparison (any status) and publish what changed; True if the schema is drifted."""
        async with self._lock:
            key = (track, comparison.name)
            if not comparison.drifted:
                await self._settle(key, comparison)
                return False
            await self._drifted(key, comparison)
            return True

    async def announce_synced(self, track: str, comparison: SchemaComparison) -> bool:
        """Publish ``telemetry.schema_drift_resolved`` for a synced schema this reporter never saw drift.

        For one-shot reporters (``mdp drift check --emit-telemetry`` in CI): they keep no state between
        runs, so "in sync now" is the only way an aggregator learns that a drift the previous run reported
        is gone. ``drift_started_at`` is then unknown (``None``). Returns whether the event was sent.
        """
        if comparison.status is not DriftStatus.SYNCED or comparison.local_sha256 is None:
            return False
        try:
            event = SchemaDriftResolved(
                repo=self.repo,
                schema_=comparison.name,
                track=track,
                sha256=comparison.local_sha256,
                version=comparison.registry_version,
                drift_started_at=None,
                resolved_at=self._clock(),
            )
        except ValueError as exc:
            self._telemetry_failed(SCHEMA_DRIFT_RESOLVED, exc)
            return False
        return await self._publish(SCHEMA_DRIFT_RESOLVED, event)

    def check_succeeded(self, track: str) -> None:
        """A complete check of ``track`` (the registry answered): feeds the DriftDetectionStale alert."""
        self.metrics.check_last_success.labels(self.repo, track).set(self._clock())

    def check_failed(self, track: str, reason: str) -> None:
        """A check of ``track`` could not complete; ``reason`` is a short label (``connect``, ``local``)."""
        self.metrics.check_failures.labels(self.repo, track, reason).inc()

    # -- internals -------------------------------------------------------------------------------------
    async def _drifted(self, key: tuple[str, str], item: SchemaComparison) -> None:
        now = self._clock()
        track, name = key
        label = str(item.label)
        self._unsent_resolutions.pop(key, None)  # a new drift supersedes a resolution never delivered
        self._last_detected[key] = now
        state = self._states.get(key)
        pair = (item.local_sha256, item.registry_sha256)
        is_new = state is None or (state.local_sha256, state.registry_sha256) != pair
        if state is None:
            state = DriftState(*pair, since=now, last_detected_at=now, label=label)
            self._states[key] = state
        elif is_new:
            state.local_sha256, state.registry_sha256, state.last_emitted_at = *pair, None
        relabelled = state.label != label
        state.label, state.last_detected_at = label, now
        labels = (self.repo, track, name)
        if is_new:
            self.metrics.drift_total.labels(*labels).inc()
            log.warning(
                "schema drift detected",
                extra={
                    "repo": self.repo,
                    "track": track,
                    "schema": name,
                    "status": str(item.status),
                    "classification": label,
                    "local_sha256": item.local_sha256,
                    "registry_sha256": item.registry_sha256,
                },
            )
        self.metrics.last_detected.labels(*labels).set(now)
        self.metrics.active.labels(*labels).set(1)
        heartbeat_due = state.last_emitted_at is None or (
            self.heartbeat_seconds > 0 and now - state.last_emitted_at >= self.heartbeat_seconds
        )
        if is_new or relabelled or heartbeat_due:
            event = self._drift_event(track, item, now)
            if event is not None and await self._publish(SCHEMA_DRIFT, event):
                state.last_emitted_at = now

    async def _settle(self, key: tuple[str, str], item: SchemaComparison) -> None:
        """A schema that is not drifted: resolve a known drift, or retry an unsent resolution."""
        state = self._states.pop(key, None)
        if state is not None:
            track, name = key
            self.metrics.active.labels(self.repo, track, name).set(0)
            log.info("schema drift resolved", extra={"repo": self.repo, "track": track, "schema": name})
            try:
                event = SchemaDriftResolved(
                    repo=self.repo,
                    schema_=name,
                    track=track,
                    sha256=item.registry_sha256 or item.local_sha256 or "unknown",
                    version=item.registry_version,
                    drift_started_at=state.since,
                    resolved_at=self._clock(),
                )
            except ValueError as exc:
                self._telemetry_failed(SCHEMA_DRIFT_RESOLVED, exc)
                return
            self._unsent_resolutions[key] = event
        pending = self._unsent_resolutions.get(key)
        if pending is not None and await self._publish(SCHEMA_DRIFT_RESOLVED, pending):
            del self._unsent_resolutions[key]

    def _drift_event(self, track: str, item: SchemaComparison, now: float) -> SchemaDrift | None:
        changes = item.classification.changes if item.classification else ()
        kept, dropped = fit_changes(changes)
        if dropped:
            log.info("drift event carries %d of %d changes", len(kept), len(changes))
        try:
            return SchemaDrift(
                repo=self.repo,
                schema_=item.name,
                track=track,
                local_sha256=item.local_sha256 or "unknown",
                local_version=item.local_version,
                registry_sha256=item.registry_sha256,
                registry_version=item.registry_version,
                detected_at=now,
                status=str(item.status),
                classification=str(item.label),
                changes=kept,
            )
        except ValueError as exc:  # pydantic's ValidationError: e.g. a repo name over 200 characters
            self._telemetry_failed(SCHEMA_DRIFT, exc)
            return None

    async def _publish(self, stream: str, event: BaseModel) -> bool:
        """Publish ``event``; True when delivered or when publishing is off (nothing left to retry)."""
        if not self.publishing:
            return True
        assert self._publisher is not None
        try:
            if not self._started and not self._stopped:
                await self.start()
            entry = await self._publisher.publish(stream, event.model_dump(mode="json", by_alias=True))
        except Exception as exc:  # fail-open by contract; the publisher itself should never raise
            self._telemetry_failed(stream, exc)
            return False
        if entry is None:
            self.metrics.telemetry_failures.labels(self.repo, stream).inc()
            return False
        return True

    def _telemetry_failed(self, stream: str, exc: BaseException) -> None:
        log.warning("drift telemetry %s not sent: %s: %s", stream, type(exc).__name__, exc)
        self.metrics.telemetry_failures.labels(self.repo, stream).inc()


__all__ = ["DEFAULT_HEARTBEAT_SECONDS", "DriftReporter", "DriftState", "SchemaSnapshot"]
