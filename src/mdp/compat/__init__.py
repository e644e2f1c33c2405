"""JSON Schema compatibility: diff, modes, policies and explanations (pure: no I/O).

The single place where mdp decides whether one JSON Schema may replace another (registry publish, drift
reports, the dashboard and the CLI all call it):

* ``diff(old, new) -> list[Change]``: every difference, each with a Confluent kind, a JSON pointer and a
  sentence;
* ``check(old, new, mode="BACKWARD", policy="STRICT") -> CompatibilityResult``: the verdict, the breaking
  changes and a runbook label (``breaking`` / ``safe`` / ``docs-only``);
* ``check_all(history, new, mode, policy)`` for the transitive modes; ``classify`` for just the label;
* ``RULES``: the rule table (kind -> allowed under STRICT / LENIENT), see ``docs/compat.md``.
"""

from mdp.compat.check import check, check_all, classify
from mdp.compat.diff import diff
from mdp.compat.errors import (
    CompatError,
    InvalidSchemaError,
    RemoteRefError,
    SchemaTooComplexError,
    UnknownModeError,
)
from mdp.compat.model import Change, CompatibilityResult, Label, Mode, Policy
from mdp.compat.rules import KINDS, RULES, Rule, is_allowed

__all__ = [
    "KINDS",
    "RULES",
    "Change",
    "CompatError",
    "CompatibilityResult",
    "InvalidSchemaError",
    "Label",
    "Mode",
    "Policy",
    "RemoteRefError",
    "Rule",
    "SchemaTooComplexError",
    "UnknownModeError",
    "check",
    "check_all",
    "classify",
    "diff",
    "is_allowed",
]
