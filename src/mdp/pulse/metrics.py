"""Prometheus metrics of the event bus and the telemetry publisher, on an injected registry.

:func:`pulse_metrics` returns one :class:`PulseMetrics` per registry (later calls with the same registry
get the same object), so a bus and a telemetry publisher can both be handed the service's registry
without registering a metric twice.

Bus counters (every entry, data path and telemetry alike)::

    pulse_bus_published_total{stream}            entries appended
    pulse_bus_consumed_total{stream,group}       entries delivered (first deliveries and redeliveries)
    pulse_bus_acked_total{stream,group}          entries acked
    pulse_bus_failed_total{stream,group}         fail() calls (handler errors)
    pulse_bus_redelivered_total{stream,group}    entries reclaimed after claim_idle_ms
    pulse_bus_dead_lettered_total{stream,group}  entries moved to <stream>.dlq
    pulse_bus_malformed_total{stream}            entries that did not decode as envelopes
    pulse_bus_reconnects_total{backend}          connection retries after a dropped connection

Telemetry publisher counters (fail-open path)::

    pulse_published_total{stream}                telemetry events published
    pulse_publish_failures_total{stream}         telemetry events lost to a bus error (logged, not raised)
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter


@dataclass(frozen=True, slots=True)
class PulseMetrics:
    """The counters; see the module docstring for names and labels."""

    published: Counter
    consumed: Counter
    acked: Counter
    failed: Counter
    redelivered: Counter
    dead_lettered: Counter
    malformed: Counter
    reconnects: Counter
    telemetry_published: Counter
    telemetry_failures: Counter


_CACHE: weakref.WeakKeyDictionary[CollectorRegistry, PulseMetrics] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _build(registry: CollectorRegistry) -> PulseMetrics:
    stream_group = ["stream", "group"]
    return PulseMetrics(
        published=Counter(
            "pulse_bus_published", "Entries appended to a stream.", ["stream"], registry=registry
        ),
        consumed=Counter(
            "pulse_bus_consumed", "Entries delivered to a group.", stream_group, registry=registry
        ),
        acked=Counter("pulse_bus_acked", "Entries acknowledged.", stream_group, registry=registry),
        failed=Counter("pulse_bus_failed", "Entries failed by a consumer.", stream_group, registry=registry),
        redelivered=Counter(
            "pulse_bus_redelivered", "Entries reclaimed after idling.", stream_group, registry=registry
        ),
        dead_lettered=Counter(
            "pulse_bus_dead_lettered",
            "Entries moved to the dead-letter stream.",
            stream_group,
            registry=registry,
        ),
        malformed=Counter(
            "pulse_bus_malformed", "Entries that are not valid envelopes.", ["stream"], registry=registry
        ),
        reconnects=Counter(
            "pulse_bus_reconnects",
            "Retries after a dropped backend connection.",
            ["backend"],
            registry=registry,
        ),
        telemetry_published=Counter(
            "pulse_published", "Telemetry events published.", ["stream"], registry=registry
        ),
        telemetry_failures=Counter(
            "pulse_publish_failures", "Telemetry events lost to a bus error.", ["stream"], registry=registry
        ),
    )


def pulse_metrics(registry: CollectorRegistry) -> PulseMetrics:
    """The Pulse metrics registered on ``registry`` (created on first use)."""
    with _LOCK:
        metrics = _CACHE.get(registry)
        if metrics is None:
            metrics = _build(registry)
            _CACHE[registry] = metrics
        return metrics


__all__ = ["PulseMetrics", "pulse_metrics"]
