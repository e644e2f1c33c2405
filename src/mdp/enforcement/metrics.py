"""Prometheus metrics of enforcement, with the seed's names, on an injected registry.

* ``schema_validation_total{schema, track, mode, result}``: every validated message; result is valid,
  invalid, malformed or schema_unavailable.
* ``schema_validation_failures_total{schema, track, mode}``: validated messages that were not valid.
* ``schema_validation_would_reject_total{schema, track}``: warn mode only, what strict would have
  dead-lettered (the go/no-go numerator before switching to strict).
* ``schema_enforcement_actions_total{action, severity}``: every message's decision.
* ``processed_messages_total``: every message seen, validated or not.
* ``schema_dlq_depth{stream}``: DLQ length, set by whoever reads it.
* ``schema_enforcement_mode{mode}``: 1 for the mode in force (warn, strict, off, or disabled when
  REGISTRY_ENABLED=false).

The enforcer never calls ``.labels()`` per message: label children are bound once per (schema, track,
mode) and incremented once per batch. Schema names can come from message envelopes, so the number of
distinct (track, schema) label sets is capped; past the cap, counts go to schema ``(other)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Gauge

from mdp.enforcement.policy import ACTIONS, MODES, OUTCOMES, SEVERITIES, Action, Mode, Outcome, Severity

OVERFLOW_SCHEMA: Final = "(other)"
DEFAULT_MAX_LABEL_SETS: Final = 500
MODE_STATES: Final = (*MODES, "disabled")


@dataclass(frozen=True, slots=True)
class SchemaCounters:
    """Pre-bound counter children for one (schema, track, mode); ``schema`` is the label actually used."""

    track: str
    schema: str
    results: dict[Outcome, Any]  # outcome -> schema_validation_total child
    failures: Any
    would_reject: Any | None  # only bound in warn mode


class EnforcementMetrics:
    """The enforcement metric families on one registry, with label-child caches for the hot path."""

    def __init__(self, registry: CollectorRegistry, *, max_label_sets: int = DEFAULT_MAX_LABEL_SETS) -> None:
        self.validation_total = Counter(
            "schema_validation_total",
            "Messages validated, by schema, track, mode and result.",
            ["schema", "track", "mode", "result"],
            registry=registry,
        )
        self.validation_failures_total = Counter(
            "schema_validation_failures_total",
            "Validated messages that were not valid (invalid, malformed or schema unavailable).",
            ["schema", "track", "mode"],
            registry=registry,
        )
        self.would_reject_total = Counter(
            "schema_validation_would_reject_total",
            "Messages forwarded in warn mode that strict mode would have dead-lettered.",
            ["schema", "track"],
            registry=registry,
        )
        self.actions_total = Counter(
            "schema_enforcement_actions_total",
            "Enforcement decisions (forward, dead_letter, skip) by severity.",
            ["action", "severity"],
            registry=registry,
        )
        self.processed_total = Counter(
            "processed_messages_total",
            "Messages seen by the enforcer, validated or not.",
            registry=registry,
        )
        self.dlq_depth = Gauge(
            "schema_dlq_depth",
            "Messages waiting in a dead-letter stream.",
            ["stream"],
            registry=registry,
        )
        self.mode = Gauge(
            "schema_enforcement_mode",
            "1 for the enforcement mode in force (disabled = REGISTRY_ENABLED=false).",
            ["mode"],
            registry=registry,
        )
        self._max_label_sets = max_label_sets
        self._schemas: dict[tuple[str, str, Mode], SchemaCounters] = {}
        self._label_sets: set[tuple[str, str]] = set()
        self._actions = {
            (action, severity): self.actions_total.labels(action=action, severity=severity)
            for action in ACTIONS
            for severity in SEVERITIES
        }

    def schema_counters(self, track: str, schema: str, mode: Mode) -> SchemaCounters:
        """The bound children for (schema, track, mode); ``(other)`` once the label budget is spent."""
        key = (track, schema, mode)
        counters = self._schemas.get(key)
        if counters is not None:
            return counters
        if (track, schema) not in self._label_sets:
            if len(self._label_sets) >= self._max_label_sets:
                key = (track, OVERFLOW_SCHEMA, mode)
                return self._schemas.get(key) or self._bind(key)
            self._label_sets.add((track, schema))
        return self._bind(key)

    def _bind(self, key: tuple[str, str, Mode]) -> SchemaCounters:
        track, schema, mode = key
        counters = SchemaCounters(
            track=track,
            schema=schema,
            results={
                outcome: self.validation_total.labels(schema=schema, track=track, mode=mode, result=outcome)
                for outcome in OUTCOMES
            },
            failures=self.validation_failures_total.labels(schema=schema, track=track, mode=mode),
            would_reject=self.would_reject_total.labels(schema=schema, track=track)
            if mode == "warn"
            else None,
        )
        self._schemas[key] = counters
        return counters

    def action(self, action: Action, severity: Severity) -> Any:
        """The bound ``schema_enforcement_actions_total`` child."""
        return self._actions[(action, severity)]

    def set_dlq_depth(self, stream: str, depth: int) -> None:
        self.dlq_depth.labels(stream=stream).set(depth)

    def set_mode(self, mode: Mode, enabled: bool) -> None:
        current = mode if enabled else "disabled"
        for state in MODE_STATES:
            self.mode.labels(mode=state).set(1 if state == current else 0)


def enforcement_metrics(
    registry: CollectorRegistry, *, max_label_sets: int = DEFAULT_MAX_LABEL_SETS
) -> EnforcementMetrics:
    """Create the enforcement metrics on ``registry`` (never the global one)."""
    return EnforcementMetrics(registry, max_label_sets=max_label_sets)


__all__ = ["OVERFLOW_SCHEMA", "EnforcementMetrics", "SchemaCounters", "enforcement_metrics"]
