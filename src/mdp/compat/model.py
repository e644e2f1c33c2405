"""The vocabulary of compatibility checking: modes, policies, changes and results (pure).

``mdp.compat`` is the single place where mdp decides whether one JSON Schema may replace another. Every
caller (registry publish, drift reports, the dashboard, the CLI) receives a :class:`CompatibilityResult`
that says *why*, never a bare boolean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from mdp.compat.errors import UnknownModeError


class Mode(StrEnum):
    """Which readers must keep working (Confluent's compatibility levels)."""

    NONE = "NONE"
    BACKWARD = "BACKWARD"
    FORWARD = "FORWARD"
    FULL = "FULL"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @classmethod
    def parse(cls, value: Mode | str) -> Mode:
        """A member from itself or its case-insensitive name; :class:`UnknownModeError` otherwise."""
        if isinstance(value, Mode):
            return value
        try:
            return cls(str(value).strip().upper())
        except ValueError:
            names = ", ".join(m.value for m in cls)
            raise UnknownModeError(f"unknown compatibility mode {value!r}; expected one of {names}") from None

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

    @classmethod
    def parse(cls, value: Policy | str) -> Policy:
        """A member from itself or its case-insensitive name; :class:`UnknownModeError` otherwise."""
        if isinstance(value, Policy):
            return value
        try:
            return cls(str(value).strip().upper())
        except ValueError:
            raise UnknownModeError(
                f"unknown compatibility policy {value!r}; expected STRICT or LENIENT"
            ) from None


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

    @property
    def key(self) -> tuple[str, str, str]:
        """A hashable identity (``old``/``new`` may be lists or objects, so a Change itself is unhashable)."""
        return (self.kind, self.path, self.message)

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

    def breaks(self, change: Change) -> bool:
        """Whether ``change`` (one of :attr:`changes`) is among the :attr:`breaking` ones."""
        return change.key in {b.key for b in self.breaking}

    def explain(self) -> str:
        """A human-readable explanation of the verdict, one line per change.

        Breaking changes that only exist in the reversed diff (FORWARD/FULL) are listed after the others.
        """
        verdict = "compatible" if self.compatible else "INCOMPATIBLE"
        count = f"{len(self.changes)} change(s), {len(self.breaking)} breaking"
        lines = [f"{verdict} under {self.mode.value} ({self.policy.value}); label: {self.label}; {count}"]
        broken = {b.key for b in self.breaking}
        listed = {change.key for change in self.changes}
        for change in self.changes:
            marker = "BREAKS" if change.key in broken else "ok    "
            lines.append(f"  {marker} {change.kind} at {change.path}: {change.message}")
        lines.extend(
            f"  BREAKS {change.kind} at {change.path} (read in reverse): {change.message}"
            for change in self.breaking
            if change.key not in listed
        )
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
            "details": list(self.details),
        }


__all__ = ["Change", "CompatibilityResult", "Label", "Mode", "Policy"]
