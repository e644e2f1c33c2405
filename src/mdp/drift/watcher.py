"""The runtime drift watcher: a service checks its local schema copies against the registry while it runs.

Every ``DRIFT_CHECK_SECONDS`` (default 300, +-10 % jitter so a fleet does not check in lockstep), and
about a second after a ``schema.published`` event of its track arrives on Pulse, :meth:`DriftWatcher.
check_once`:

1. reads the local copies (a schema directory is re-read each time, so ``mdp schemas fetch`` into it
   resolves a drift without a restart);
2. reads the track index with ``client.sync_track``: one conditional request (a 304 when nothing
   changed) that *raises* when the registry does not answer, instead of serving the cached index;
3. compares and classifies (:mod:`mdp.drift.check`) and hands every schema to the
   :class:`~mdp.drift.reporter.DriftReporter` (metrics, drift and resolved events);
4. sets ``schema_drift_check_last_success_timestamp``. A check that fails (registry unreachable, unknown
   track, unreadable local copies) only counts ``schema_drift_check_failures_total{reason}``: nothing is
   claimed synced, no drift state changes, and the last-success gauge does not move (DriftDetectionStale).

``schema.published`` arrives through the consumer group ``drift-watcher.<repo>.<track>``: one group per
service and track, because consumers of one group split the entries between them and the pipeline and
the store must both hear every publish. Replicas of one service share the group (one of them checks at
once, the others at their next interval). The delay before a triggered check lets registry replicas
catch up (``MDP_REGISTRY_CACHE_TTL_MS``, 500 ms by default).

Services add the watcher with one line: ``workers.append(drift_worker(settings, bus, client, registry,
"mdp-store"))`` (see :func:`drift_worker`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from prometheus_client import CollectorRegistry

from mdp.client import ClientError, RegistryClient, RegistryDisabled, RegistryHTTPError, RegistryUnavailable
from mdp.contracts.errors import ContractError
from mdp.drift.check import CheckMemo, DriftCheck, complete_check
from mdp.drift.compare import LocalSchema
from mdp.drift.errors import DriftError
from mdp.drift.local import bundled_schemas, load_schema_dir
from mdp.drift.reporter import DriftReporter
from mdp.drift.settings import DriftSettings
from mdp.errors import ConfigurationError
from mdp.pulse.base import BatchOutcome, Delivery, EventBus, Subscription
from mdp.pulse.streams import GROUP_DRIFT_WATCHER, SCHEMA_PUBLISHED
from mdp.pulse.telemetry import TelemetryPublisher
from mdp.settings import MdpSettings, load_settings

log = logging.getLogger("mdp.drift")

LocalSource = Mapping[str, LocalSchema] | Callable[[], Mapping[str, LocalSchema]]
"""The local copies, or a function that reads them afresh for each check."""


def watcher_group(repo: str, track: str) -> str:
    """The consumer group through which one service hears ``schema.published`` of one track."""
    return f"{GROUP_DRIFT_WATCHER}.{repo}.{track}"


class DriftWatcher:
    """Checks ``local_schemas`` against ``track`` of the registry periodically and on schema.published."""

    def __init__(
        self,
        client: RegistryClient,
        reporter: DriftReporter,
        track: str,
        local_schemas: LocalSource,
        interval: float = 300.0,
        bus: EventBus | None = None,
        *,
        consumer: str | None = None,
        trigger_delay: float = 1.0,
        jitter: float = 0.1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.reporter = reporter
        self.track = track
        self.interval = interval
        self.bus = bus
        self.group = watcher_group(reporter.repo, track)
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.trigger_delay = trigger_delay
        self.jitter = jitter
        self._local = local_schemas
        self._clock = clock
        self._wake = asyncio.Event()
        self._subscription: Subscription | None = None
        self._memo = CheckMemo()
        self.last_check: DriftCheck | None = None
        self.checks = 0
        self.failures = 0
        self.triggers = 0

    # -- one check -----------------------------------------------------------------------------------
    async def check_once(self) -> DriftCheck | None:
        """Run one check; returns it, or ``None`` if it failed (counted and logged, never raised)."""
        try:
            local = self._local() if callable(self._local) else self._local
        except (DriftError, ContractError, OSError) as exc:
            self._failed("local", f"local schema copies unreadable: {exc}")
            return None
        try:
            await self.client.sync_track(self.track)
            index = self.client.cache.index(self.track)
            if index is None:  # pragma: no cover - a successful sync always leaves the index cached
                self._failed("internal", "the registry index is not cached after a sync")
                return None
            result = await complete_check(self.client, index, local, now=self._clock(), memo=self._memo)
        except RegistryDisabled:
            self._failed("disabled", "the registry client is disabled (REGISTRY_ENABLED=false)")
            return None
        except RegistryUnavailable as exc:
            self._failed(exc.kind, f"registry unavailable: {exc}")
            return None
        except RegistryHTTPError as exc:
            self._failed(f"http_{exc.status}", f"registry refused the check: {exc}")
            return None
        except ClientError as exc:
            self._failed("client", f"registry check failed: {exc}")
            return None
        await self.reporter.report_all(self.track, result.comparisons)
        self.reporter.check_succeeded(self.track)
        self.checks += 1
        self.last_check = result
        counts = result.counts
        log.info(
            "drift check done",
            extra={"track": self.track, "repo": self.reporter.repo, **counts, "notes": list(result.notes)},
        )
        return result

    def _failed(self, reason: str, message: str) -> None:
        self.failures += 1
        self.reporter.check_failed(self.track, reason)
        log.warning("drift check failed: %s", message, extra={"track": self.track, "reason": reason})

    # -- the loop -------------------------------------------------------------------------------------
    def wake(self) -> None:
        """Check as soon as possible (what a ``schema.published`` event of the track does)."""
        self.triggers += 1
        self._wake.set()

    async def run(self, stop_event: asyncio.Event) -> None:
        """Check now, then every ``interval`` and on every wake-up, until ``stop_event`` is set."""
        try:
            while not stop_event.is_set():
                await self._ensure_subscribed()
                self._wake.clear()
                try:
                    await self.check_once()
                except Exception:  # a bug must not end the service's worker (serve() would stop)
                    log.exception("drift check crashed")
                    self.reporter.check_failed(self.track, "internal")
                await self._pause(stop_event)
        finally:
            if self._subscription is not None:
                await self._subscription.stop()
                self._subscription = None

    async def _pause(self, stop_event: asyncio.Event) -> None:
        spread = self.interval * self.jitter
        timeout = max(0.0, self.interval + random.uniform(-spread, spread))
        stop_wait = asyncio.ensure_future(stop_event.wait())
        wake_wait = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({stop_wait, wake_wait}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop_wait.cancel()
            wake_wait.cancel()
        if self._wake.is_set() and not stop_event.is_set() and self.trigger_delay > 0:
            # Let registry replicas see the publish before reading the index (their read-cache TTL).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_event.wait(), self.trigger_delay)

    async def _ensure_subscribed(self) -> None:
        if self.bus is None or (self._subscription is not None and not self._subscription.done):
            return
        try:
            self._subscription = await self.bus.subscribe(
                SCHEMA_PUBLISHED, self.group, self.consumer, self._on_published, start="$", block_ms=1000
            )
        except Exception as exc:  # the bus may be down at start; the interval still checks, retry later
            log.warning("drift watcher cannot subscribe to %s yet: %s", SCHEMA_PUBLISHED, exc)
            self._subscription = None

    async def _on_published(self, batch: list[Delivery]) -> BatchOutcome | None:
        for delivery in batch:
            payload = delivery.envelope.payload if delivery.envelope is not None else None
            track = payload.get("track") if isinstance(payload, dict) else None
            if track is None or track == self.track:
                self.wake()
        return None


# -- one-call integration for services --------------------------------------------------------------


def local_source(schema_dir: Path | None, track: str) -> LocalSource:
    """The local copies a watcher compares: ``schema_dir`` re-read per check, else the bundled contracts.

    Raises :class:`ConfigurationError` (naming the variable) for a missing directory or a track without
    bundled contracts, so a service fails at start instead of reporting a broken watcher forever.
    """
    if schema_dir is not None:
        if not schema_dir.is_dir():
            raise ConfigurationError(f"MDP_DRIFT_SCHEMA_DIR: {schema_dir} is not a directory")
        return lambda: load_schema_dir(schema_dir, track).schemas
    try:
        return bundled_schemas(track)
    except ContractError as exc:
        raise ConfigurationError(
            f"REGISTRY_TRACK: no bundled contracts for track {track!r} to watch; set MDP_DRIFT_SCHEMA_DIR"
        ) from exc


class DriftWorker:
    """A :data:`mdp.web.server.Worker` running a :class:`DriftWatcher` (``.watcher``, ``.reporter``)."""

    def __init__(self, watcher: DriftWatcher, *, enabled: bool = True, reason: str = "") -> None:
        self.watcher = watcher
        self.reporter = watcher.reporter
        self.enabled = enabled
        self.reason = reason

    async def __call__(self, stop: asyncio.Event) -> None:
        if not self.enabled:
            log.info("drift watcher off: %s", self.reason)
            await stop.wait()  # a worker that returns would stop the whole service (mdp.web.server.serve)
            return
        async with self.reporter:
            await self.watcher.run(stop)


def drift_worker(
    settings: MdpSettings,
    bus: EventBus | None,
    client: RegistryClient,
    metrics_registry: CollectorRegistry,
    service_name: str,
    *,
    track: str | None = None,
) -> DriftWorker:
    """The drift watcher of a service, as a worker for :func:`mdp.web.server.serve` / ``Component``.

    Reads ``DriftSettings`` from ``settings`` when it is one, else from the environment. Drift metrics go to
    ``metrics_registry``; events go to ``bus`` (none: metrics only) unless PULSE_ENABLED=false. Off when
    REGISTRY_ENABLED=false or MDP_DRIFT_ENABLED=false (the worker then just waits for the stop).
    """
    drift = settings if isinstance(settings, DriftSettings) else load_settings(DriftSettings)
    track = track or settings.registry_track
    repo = drift.drift_repo or service_name
    publisher = (
        TelemetryPublisher(
            bus, enabled=settings.pulse_enabled, source=repo, metrics_registry=metrics_registry
        )
        if bus is not None
        else None
    )
    reporter = DriftReporter(
        repo=repo,
        publisher=publisher,
        metrics_registry=metrics_registry,
        heartbeat_seconds=drift.drift_heartbeat_seconds,
    )
    enabled = drift.drift_enabled and client.enabled
    local: LocalSource = local_source(drift.drift_schema_dir, track) if enabled else {}
    watcher = DriftWatcher(client, reporter, track, local, drift.drift_check_seconds, bus)
    reason = "MDP_DRIFT_ENABLED=false" if not drift.drift_enabled else "REGISTRY_ENABLED=false"
    return DriftWorker(watcher, enabled=enabled, reason=reason)


__all__ = ["DriftWatcher", "DriftWorker", "LocalSource", "drift_worker", "local_source", "watcher_group"]
