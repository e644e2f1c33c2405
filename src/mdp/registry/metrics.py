"""Prometheus metrics of the registry, created on an injected ``CollectorRegistry`` (never the global one).

* ``registry_http_requests_total{route,method,status}``, ``registry_request_duration_seconds{route,method}``
  (``route`` is the route template, ``<unmatched>`` for unknown paths, so labels stay bounded);
* ``registry_schemas_published_total{track,classification}``;
* ``registry_publish_rejected_total{track,reason}`` with reason one of ``invalid``, ``incompatible``,
  ``too_large``, ``malformed``, ``version``, ``conflict``, ``not_found``;
* ``registry_subjects{track,state}``: a gauge read from storage at scrape time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from mdp.registry.errors import RegistryError
from mdp.registry.service import RegistryService

log = logging.getLogger("mdp.registry")

UNMATCHED = "<unmatched>"


@dataclass(frozen=True, slots=True)
class RegistryMetrics:
    requests: Counter
    duration: Histogram
    published: Counter
    rejected: Counter


class SubjectsCollector(Collector):
    """``registry_subjects{track,state}`` computed from the track indexes when Prometheus scrapes."""

    def __init__(self, service: RegistryService) -> None:
        self._service = service

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "registry_subjects", "Subjects per track and state.", labels=["track", "state"]
        )
        try:
            for config in self._service.tracks():
                _, views = self._service.index(config.track)
                counts = {"active": 0, "deprecated": 0}
                for view in views:
                    counts[view.subject.state] = counts.get(view.subject.state, 0) + 1
                for state, count in counts.items():
                    family.add_metric([config.track, state], count)
        except RegistryError as exc:  # a scrape must not fail because the database is down
            log.warning("registry_subjects not collected", extra={"error": str(exc)})
        yield family


def registry_metrics(registry: CollectorRegistry, service: RegistryService | None = None) -> RegistryMetrics:
    """Create the registry's metrics on ``registry`` (and the subjects gauge when a service is given)."""
    metrics = RegistryMetrics(
        requests=Counter(
            "registry_http_requests_total",
            "HTTP requests served by the registry.",
            ["route", "method", "status"],
            registry=registry,
        ),
        duration=Histogram(
            "registry_request_duration_seconds",
            "Time to serve a registry HTTP request.",
            ["route", "method"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=registry,
        ),
        published=Counter(
            "registry_schemas_published_total",
            "Schema versions published.",
            ["track", "classification"],
            registry=registry,
        ),
        rejected=Counter(
            "registry_publish_rejected_total",
            "Publishes refused, by reason.",
            ["track", "reason"],
            registry=registry,
        ),
    )
    if service is not None:
        registry.register(SubjectsCollector(service))
    return metrics


class HttpMetricsMiddleware:
    """Pure ASGI middleware counting requests by route template (cheaper than BaseHTTPMiddleware)."""

    def __init__(self, app: Any, metrics: RegistryMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope.get("method", "GET")
            self.metrics.requests.labels(route, method, str(status)).inc()
            self.metrics.duration.labels(route, method).observe(time.perf_counter() - started)


__all__ = ["UNMATCHED", "HttpMetricsMiddleware", "RegistryMetrics", "SubjectsCollector", "registry_metrics"]
