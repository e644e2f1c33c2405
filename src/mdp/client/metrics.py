"""Prometheus metrics of the registry client, created on an injected ``CollectorRegistry``.

Names come from the pipeline go-live plan (seed 002): ``schema_cache_hits_total``,
``schema_cache_misses_total`` and ``schema_registry_errors_total``; mdp adds the sync and health gauges
its alerts need (``RegistryUnreachable``, ``RegistrySyncStale``):

* ``schema_cache_hits_total{track}`` / ``schema_cache_misses_total{track}``: cache look-ups
  (``cached()``, ``resolve()`` and the outage fallback), so hits / (hits + misses) is the hit rate.
* ``schema_registry_errors_total{kind}``: every failed attempt (``timeout``, ``connect``, ``network``,
  ``http_5xx``, ``http_4xx``, ``decode``, ``too_large``, ``redirect``, ``integrity``).
* ``schema_registry_up``: 1 after a usable answer, 0 after a call failed for good; starts at 0.
* ``schema_registry_last_sync_timestamp{track}``: Unix time of the last complete index sync. Starts at 0
  for the tracks the client is told about and never moves on a failure, so an unreachable registry
  always looks stale, never synced.
* ``schema_registry_polls_total{track, result}``: index syncs by result (``changed``, ``unchanged``,
  ``not_modified``, ``incomplete``: some contents could not be fetched, ``error``).

The hot path never calls ``labels()``: label children are bound once per track and kept in dicts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

ERROR_KINDS = (
    "timeout",
    "connect",
    "network",
    "http_5xx",
    "http_4xx",
    "decode",
    "too_large",
    "redirect",
    "integrity",
)
POLL_RESULTS = ("changed", "unchanged", "not_modified", "incomplete", "error")


class _Children(dict[str, Any]):
    """Label children of one metric keyed by track, bound on first use and then a plain dict hit."""

    def __init__(self, metric: Counter | Gauge) -> None:
        super().__init__()
        self._metric = metric

    def __missing__(self, track: str) -> Any:
        child = self._metric.labels(track=track)
        self[track] = child
        return child


class ClientMetrics:
    """The client's metrics; build one per ``CollectorRegistry`` and share it between clients if needed."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.cache_hits = Counter(
            "schema_cache_hits_total",
            "Schema look-ups answered from the client cache.",
            ["track"],
            registry=registry,
        )
        self.cache_misses = Counter(
            "schema_cache_misses_total",
            "Schema look-ups the client cache could not answer.",
            ["track"],
            registry=registry,
        )
        self.errors = Counter(
            "schema_registry_errors_total",
            "Failed registry requests (every attempt), by kind.",
            ["kind"],
            registry=registry,
        )
        self.up = Gauge(
            "schema_registry_up",
            "1 when the last registry call got a usable answer, else 0.",
            registry=registry,
        )
        self.last_sync = Gauge(
            "schema_registry_last_sync_timestamp",
            "Unix time of the last complete index sync of the track (0: never synced).",
            ["track"],
            registry=registry,
        )
        self.polls = Counter(
            "schema_registry_polls_total", "Index syncs by result.", ["track", "result"], registry=registry
        )
        self.hits = _Children(self.cache_hits)
        self.misses = _Children(self.cache_misses)
        self.synced = _Children(self.last_sync)
        self.error_kinds = {kind: self.errors.labels(kind=kind) for kind in ERROR_KINDS}
        self.up.set(0)

    def bind_tracks(self, tracks: Iterable[str]) -> None:
        """Create every per-track series now, so dashboards show 0 (never synced) rather than nothing."""
        for track in tracks:
            _ = self.hits[track], self.misses[track], self.synced[track]
            for result in POLL_RESULTS:
                self.polls.labels(track=track, result=result)

    def error(self, kind: str) -> None:
        child = self.error_kinds.get(kind)
        if child is None:
            child = self.error_kinds[kind] = self.errors.labels(kind=kind)
        child.inc()

    def poll(self, track: str, result: str) -> None:
        self.polls.labels(track=track, result=result).inc()


def client_metrics(registry: CollectorRegistry) -> ClientMetrics:
    """Factory used by :class:`~mdp.client.RegistryClient` (one call per registry)."""
    return ClientMetrics(registry)


__all__ = ["ERROR_KINDS", "POLL_RESULTS", "ClientMetrics", "client_metrics"]
