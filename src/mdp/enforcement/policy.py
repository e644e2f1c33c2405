"""The enforcement decision table: what happens to a message given the mode and its validation outcome (pure).

Inputs are the enforcement mode (``REGISTRY_ENFORCEMENT``: warn, strict, off), whether the registry is
enabled at all (``REGISTRY_ENABLED``) and the outcome of validating one message. The output is a
:class:`Decision`: forward it, dead-letter it, or skip validation and forward it untouched, with a
severity for ``schema_enforcement_actions_total`` and a reason for logs and the DLQ.

The table is data (:data:`RULES`), read top to bottom, first match wins; ``None`` in a rule matches
anything. It is total: every (mode, enabled, outcome) combination has exactly one first match, which a
test checks, and every row has its own test.

Rollback levels (seed 002) are configuration only:

* level 1: ``REGISTRY_ENFORCEMENT=warn``: rejections stop, validation keeps logging and counting;
* level 2: ``REGISTRY_ENABLED=false``: no validation at all, every message is forwarded;
* level 3: redeploy the previous version (nothing this module can express).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

Mode = Literal["warn", "strict", "off"]
Outcome = Literal["valid", "invalid", "malformed", "schema_unavailable"]
Action = Literal["forward", "dead_letter", "skip"]
Severity = Literal["info", "warning", "error"]

MODES: Final[tuple[Mode, ...]] = get_args(Mode)
OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)
ACTIONS: Final[tuple[Action, ...]] = get_args(Action)
SEVERITIES: Final[tuple[Severity, ...]] = get_args(Severity)


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one message and why.

    ``forward`` and ``skip`` both send the message on; ``skip`` says it was not validated.
    """

    action: Action
    severity: Severity
    reason: str

    @property
    def forwards(self) -> bool:
        """True when the message goes on to its destination (forward or skip)."""
        return self.action != "dead_letter"


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table; ``None`` matches any value."""

    mode: Mode | None
    enabled: bool | None
    outcome: Outcome | None
    decision: Decision

    def matches(self, mode: Mode, enabled: bool, outcome: Outcome) -> bool:
        return (
            (self.mode is None or self.mode == mode)
            and (self.enabled is None or self.enabled == enabled)
            and (self.outcome is None or self.outcome == outcome)
        )


def _d(action: Action, severity: Severity, reason: str) -> Decision:
    return Decision(action, severity, reason)


RULES: Final[tuple[Rule, ...]] = (
    # Rollback level 2: the registry is switched off, so nothing is validated whatever the mode says.
    Rule(None, False, None, _d("skip", "info", "registry disabled (REGISTRY_ENABLED=false)")),
    Rule("off", True, None, _d("skip", "info", "enforcement off (REGISTRY_ENFORCEMENT=off)")),
    # warn fails open: log and count, never reject (rollback level 1).
    Rule("warn", True, "valid", _d("forward", "info", "valid")),
    Rule("warn", True, "invalid", _d("forward", "warning", "schema validation failed (warn: forwarded)")),
    Rule("warn", True, "malformed", _d("forward", "warning", "malformed payload (warn: forwarded)")),
    Rule(
        "warn", True, "schema_unavailable", _d("forward", "warning", "schema unavailable (warn: forwarded)")
    ),
    # strict fails closed: anything not proven valid goes to the DLQ, nothing is dropped.
    Rule("strict", True, "valid", _d("forward", "info", "valid")),
    Rule("strict", True, "invalid", _d("dead_letter", "error", "schema validation failed")),
    Rule("strict", True, "malformed", _d("dead_letter", "error", "malformed payload")),
    Rule("strict", True, "schema_unavailable", _d("dead_letter", "error", "schema unavailable")),
)


def decide(mode: Mode, enabled: bool, outcome: Outcome) -> Decision:
    """The first rule of :data:`RULES` matching (mode, enabled, outcome)."""
    for rule in RULES:
        if rule.matches(mode, enabled, outcome):
            return rule.decision
    raise ValueError(f"no enforcement rule for mode={mode!r} enabled={enabled!r} outcome={outcome!r}")


def validation_active(mode: Mode, enabled: bool) -> bool:
    """Whether messages are validated at all: some outcome leads to something other than skip."""
    return any(decide(mode, enabled, outcome).action != "skip" for outcome in OUTCOMES)


def would_reject(outcome: Outcome) -> bool:
    """Whether strict mode (registry enabled) would dead-letter a message with this outcome.

    Warn mode counts these so the strict go/no-go can be read before strict is switched on.
    """
    return decide("strict", True, outcome).action == "dead_letter"


def rollback_level(mode: Mode, enabled: bool) -> int:
    """The seed's rollback level a configuration corresponds to: 0 strict, 1 warn, 2 no validation."""
    if not validation_active(mode, enabled):
        return 2
    return 0 if mode == "strict" else 1


def parse_mode(value: str) -> Mode:
    """``value`` as a :data:`Mode` (case-insensitive, surrounding blanks ignored), else ``ValueError``."""
    normalized = value.strip().lower()
    for mode in MODES:
        if mode == normalized:
            return mode
    raise ValueError(f"unknown enforcement mode {value!r}; expected one of {', '.join(MODES)}")


__all__ = [
    "ACTIONS",
    "MODES",
    "OUTCOMES",
    "RULES",
    "SEVERITIES",
    "Action",
    "Decision",
    "Mode",
    "Outcome",
    "Rule",
    "Severity",
    "decide",
    "parse_mode",
    "rollback_level",
    "validation_active",
    "would_reject",
]
