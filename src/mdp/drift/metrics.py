"""Prometheus metrics of drift detection, on an injected registry (never the global one).

:func:`drift_metrics` returns one :class:`DriftMetrics` per registry, so every reporter and watcher of a
process can be handed the service's registry without registering a metric twice::

    schema_drift_total{repo,track,schema}                       counter: new drift states (see below)
    schema_drift_last_detected_timestamp{repo,track,schema}     gauge: Unix time of the last detection
    schema_drift_active{repo,track,schema}                      gauge: 1 while drifted, 0 once resolved
    schema_drift_check_last_success_timestamp{repo,track}       gauge: last complete check (registry answered)
    schema_drift_check_failures_total{repo,track,reason}        counter: checks that could not complete
    drift_telemetry_failures_total{repo,stream}                 counter: drift events that could not be sent

``schema_drift_total`` counts each *new* drift state of a schema: the first detection, or a detection whose
(local sha256, registry sha256) pair differs from the drift already known. A drift that simply persists
across checks is not counted again, so ``rate(schema_drift_total[15m])`` measures how fast schemas start
drifting (seed alert HighDriftRate), not how often they are checked. ``schema_drift_last_detected_timestamp``
moves on every detection, so ``time() - schema_drift_last_detected_timestamp`` stays small while a drift
persists.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass(frozen=True, slots=True)
class DriftMetrics:
    """The drift metrics; see the module docstring for names and meanings."""

    drift_total: Counter
    last_detected: Gauge
    active: Gauge
    check_last_success: Gauge
    check_failures: Counter
    telemetry_failures: Counter


_CACHE: weakref.WeakKeyDictionary[CollectorRegistry, DriftMetrics] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _build(registry: CollectorRegistry) -> DriftMetrics:
    schema_labels = ["repo", "track", "schema"]
    return DriftMetrics(
        drift_total=Counter(
            "schema_drift",
            "Total number of schema drift events detected (new drift states).",
            schema_labels,
            registry=registry,
        ),
        last_detected=Gauge(
            "schema_drift_last_detected_timestamp",
            "Unix timestamp of the last drift detection.",
            schema_labels,
            registry=registry,
        ),
        active=Gauge(
            "schema_drift_active",
            "1 while the schema's local copy differs from the registry, 0 once back in sync.",
            schema_labels,
            registry=registry,
        ),
        check_last_success=Gauge(
            "schema_drift_check_last_success_timestamp",
            "Unix timestamp of the last drift check the registry answered completely.",
            ["repo", "track"],
            registry=registry,
        ),
        check_failures=Counter(
            "schema_drift_check_failures",
            "Drift checks that could not complete (registry unreachable, local copies unreadable...).",
            ["repo", "track", "reason"],
            registry=registry,
        ),
        telemetry_failures=Counter(
            "drift_telemetry_failures",
            "Drift events that could not be published (logged, never raised).",
            ["repo", "stream"],
            registry=registry,
        ),
    )


def drift_metrics(registry: CollectorRegistry) -> DriftMetrics:
    """The drift metrics registered on ``registry`` (created on first use)."""
    with _LOCK:
        metrics = _CACHE.get(registry)
        if metrics is None:
            metrics = _build(registry)
            _CACHE[registry] = metrics
        return metrics


__all__ = ["DriftMetrics", "drift_metrics"]
