"""The vocabulary of compatibility checking: modes, policies, changes and results (pure).

``mdp.compat`` is the single place where mdp decides whether one JSON Schema may replace another. Every
caller (registry publish, drift reports, the dashboard, the CLI) receives a :class:`CompatibilityResult`
that says *why*, never a bare boolean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal


class Mode(StrEnum):
    """Which readers must keep working (Confluent's compatibility levels)."""

    NONE = "NONE"
    BACKWARD = "BACKWARD"
    FORWARD = "FORWARD"
    FULL = "FULL"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @property
    def transitive(self) -> bool:
        return self.value.endswith("_TRANSITIVE")

    @property
    def base(self) -> Mode:
        """The non-transitive mode checked against each earlier version."""
        return Mode(self.value.removesuffix("_TRANSITIVE"))


class Policy(StrEnum):
    """How strictly open content models are treated (see the rule table)."""

    STRICT = "STRICT"
    LENIENT = "LENIENT"


Label = Literal["breaking", "safe", "docs-only"]


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two schemas.

    ``path`` is a JSON pointer into the schema in Confluent's style (``#/properties/bar``); ``old`` and
    ``new`` are the values that differ (``None`` when absent); ``message`` is one sentence for a person.
    """

    kind: str
    path: str
    old: Any = None
    new: Any = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "old": self.old,
            "new": self.new,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class CompatibilityResult:
    """The verdict of :func:`mdp.compat.check`, with every change and the ones that break the mode."""

    mode: Mode
    policy: Policy
    compatible: bool
    changes: tuple[Change, ...] = ()
    breaking: tuple[Change, ...] = ()
    label: Label = "safe"
    details: tuple[str, ...] = field(default=())

    def explain(self) -> str:
        """A human-readable explanation of the verdict, one line per change."""
        verdict = "compatible" if self.compatible else "INCOMPATIBLE"
        lines = [f"{verdict} under {self.mode.value} ({self.policy.value}); label: {self.label}"]
        broken = set(self.breaking)
        for change in self.changes:
            marker = "BREAKS" if change in broken else "ok    "
            lines.append(f"  {marker} {change.kind} at {change.path}: {change.message}")
        lines.extend(f"  note: {detail}" for detail in self.details)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "policy": self.policy.value,
            "compatible": self.compatible,
            "label": self.label,
            "changes": [change.to_dict() for change in self.changes],
            "breaking": [change.to_dict() for change in self.breaking],
        }


__all__ = ["Change", "CompatibilityResult", "Label", "Mode", "Policy"]
