"""The pipeline's own Prometheus metrics (the seed's validation metrics come from mdp.enforcement).

Created by :func:`pipeline_metrics` on the service's :class:`CollectorRegistry`, never the global one.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

DLQ_REASONS = ("invalid", "schema unavailable", "malformed", "schema mismatch")
LEVELS = ("ok", "soft", "hard")


@dataclass(frozen=True)
class PipelineMetrics:
    batches: Counter
    forwarded: Counter
    dead_lettered: Counter
    batch_seconds: Histogram
    publish_errors: Counter
    flow_level: Gauge
    paused_seconds: Counter
    feedback_events: Counter
    output_backlog: Gauge
    trimmed: Counter

    def set_level(self, level: str) -> None:
        for name in LEVELS:
            self.flow_level.labels(name).set(1 if name == level else 0)


def pipeline_metrics(registry: CollectorRegistry) -> PipelineMetrics:
    """The pipeline's metrics on ``registry``."""
    metrics = PipelineMetrics(
        batches=Counter(
            "pipeline_batches_total",
            "Input batches fully processed (outputs written, acked).",
            registry=registry,
        ),
        forwarded=Counter(
            "pipeline_forwarded_total", "Messages forwarded to the output stream.", registry=registry
        ),
        dead_lettered=Counter(
            "pipeline_dead_lettered_total",
            "Messages written to the DLQ stream, by reason.",
            ["reason"],
            registry=registry,
        ),
        batch_seconds=Histogram(
            "pipeline_batch_seconds",
            "Time from a batch read to its ack.",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=registry,
        ),
        publish_errors=Counter(
            "pipeline_publish_errors_total",
            "Batches whose outputs could not be written (input left pending, redelivered).",
            registry=registry,
        ),
        flow_level=Gauge(
            "pipeline_flow_level",
            "1 for the intake level in force (ok, soft, hard).",
            ["level"],
            registry=registry,
        ),
        paused_seconds=Counter(
            "pipeline_paused_seconds_total", "Time intake was paused by hard backpressure.", registry=registry
        ),
        feedback_events=Counter(
            "pipeline_feedback_events_total", "FeedbackEvents read, by level.", ["level"], registry=registry
        ),
        output_backlog=Gauge(
            "pipeline_output_backlog",
            "Output entries the downstream group has not finished (-1 unknown).",
            registry=registry,
        ),
        trimmed=Counter(
            "pipeline_input_trimmed_total",
            "Consumed input entries trimmed from the input stream.",
            registry=registry,
        ),
    )
    for reason in DLQ_REASONS:
        metrics.dead_lettered.labels(reason)
    metrics.set_level("ok")
    metrics.output_backlog.set(-1)
    return metrics


__all__ = ["DLQ_REASONS", "LEVELS", "PipelineMetrics", "pipeline_metrics"]
