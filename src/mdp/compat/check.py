"""Compatibility verdicts: modes, policies, transitive histories and the runbook label (pure).

* ``BACKWARD``: every change of ``diff(old, new)`` must be allowed (a reader on the new schema reads data
  written with the old one).
* ``FORWARD``: every change of ``diff(new, old)`` must be allowed (a reader still on the old schema reads
  data written with the new one). Its ``breaking`` changes come from that reversed diff: their ``old`` and
  ``new`` fields belong to the reversed diff and their messages name the schemas explicitly.
* ``FULL``: both. ``NONE``: always compatible, the changes are still listed.
* ``*_TRANSITIVE`` (:func:`check_all`): the base mode against every earlier version; the others only against
  the latest. A transitive mode given to :func:`check` (a single pair) is its base mode.

The result's ``changes`` are always ``diff(old, new)`` (for :func:`check_all`: relative to the latest
version).

Label (what the runbook and the registry's version bump use):

* ``"breaking"``: the pair is incompatible under the result's mode and policy (``NONE`` is judged as
  ``FULL``; a transitive mode as its base mode against the latest version);
* ``"docs-only"``: there is at least one change and every change is documentation only: title,
  description, examples, ``$comment``, ``deprecated`` and ``$id`` (mdp treats a new ``$id`` as a renamed
  document, not a new contract). ``default``, ``readOnly`` and ``writeOnly`` are *not* docs-only: they
  change what readers substitute or who sends a value;
* ``"safe"``: everything else, including identical schemas (zero changes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mdp.compat.diff import run
from mdp.compat.model import Change, CompatibilityResult, Label, Mode, Policy
from mdp.compat.rules import DOCS_ONLY_KINDS, RULES


def _disallowed(changes: Sequence[Change], policy: Policy) -> list[Change]:
    return [change for change in changes if not RULES[change.kind].allows(policy)]


class _Pair:
    """One (old, new) pair, diffed lazily in each direction at most once."""

    def __init__(self, old: Any, new: Any, policy: Policy) -> None:
        self.old, self.new, self.policy = old, new, policy
        self._backward: list[Change] | None = None
        self._forward: list[Change] | None = None

    @property
    def backward(self) -> list[Change]:
        if self._backward is None:
            self._backward = run(self.old, self.new, self.policy)
        return self._backward

    @property
    def forward(self) -> list[Change]:
        if self._forward is None:
            self._forward = run(self.new, self.old, self.policy, labels=("new", "old"))
        return self._forward

    def breaking(self, mode: Mode) -> list[Change]:
        """The disallowed changes of the base ``mode`` (``NONE`` has none)."""
        found: list[Change] = []
        if mode in (Mode.BACKWARD, Mode.FULL):
            found.extend(_disallowed(self.backward, self.policy))
        if mode in (Mode.FORWARD, Mode.FULL):
            found.extend(_disallowed(self.forward, self.policy))
        return found

    def label(self, mode: Mode) -> Label:
        judged = Mode.FULL if mode is Mode.NONE else mode
        if self.breaking(judged):
            return "breaking"
        if self.backward and all(change.kind in DOCS_ONLY_KINDS for change in self.backward):
            return "docs-only"
        return "safe"


def check(
    old: Any, new: Any, mode: Mode | str = "BACKWARD", policy: Policy | str = "STRICT"
) -> CompatibilityResult:
    """Whether ``new`` may replace ``old`` under ``mode`` and ``policy``, with every change explained.

    Raises :class:`RemoteRefError` for a non-local ``$ref`` (never fetched) and :class:`InvalidSchemaError`
    for anything that is not a JSON Schema.
    """
    mode, policy = Mode.parse(mode), Policy.parse(policy)
    base = mode.base
    pair = _Pair(old, new, policy)
    breaking = _dedupe(pair.breaking(base))
    return CompatibilityResult(
        mode=mode,
        policy=policy,
        compatible=not breaking,
        changes=tuple(pair.backward),
        breaking=tuple(breaking),
        label=pair.label(base),
    )


def check_all(
    history: Sequence[Any],
    new: Any,
    mode: Mode | str = "BACKWARD_TRANSITIVE",
    policy: Policy | str = "STRICT",
) -> CompatibilityResult:
    """Check ``new`` against a version history (oldest first).

    Transitive modes check every version, the others only the latest; an empty history is compatible.
    ``changes`` and ``label`` are relative to the latest version; ``breaking`` is the union over the checked
    versions (latest first, without duplicates) and ``details`` names each version index that broke.
    """
    mode, policy = Mode.parse(mode), Policy.parse(policy)
    if not history:
        return CompatibilityResult(
            mode=mode, policy=policy, compatible=True, changes=(), breaking=(), label="safe"
        )
    base = mode.base
    latest = _Pair(history[-1], new, policy)
    indices = range(len(history) - 1, -1, -1) if mode.transitive else [len(history) - 1]
    breaking: list[Change] = []
    details: list[str] = []
    for index in indices:
        pair = latest if index == len(history) - 1 else _Pair(history[index], new, policy)
        found = pair.breaking(base)
        if found:
            kinds = ", ".join(sorted({change.kind for change in found}))
            details.append(
                f"incompatible with version index {index} ({len(found)} breaking change(s): {kinds})"
            )
            breaking.extend(found)
    return CompatibilityResult(
        mode=mode,
        policy=policy,
        compatible=not breaking,
        changes=tuple(latest.backward),
        breaking=tuple(_dedupe(breaking)),
        label=latest.label(base),
        details=tuple(details),
    )


def classify(old: Any, new: Any, mode: Mode | str = "BACKWARD", policy: Policy | str = "STRICT") -> Label:
    """The runbook label of replacing ``old`` with ``new``: ``breaking``, ``safe`` or ``docs-only``."""
    mode, policy = Mode.parse(mode), Policy.parse(policy)
    return _Pair(old, new, policy).label(mode.base)


def _dedupe(changes: Sequence[Change]) -> list[Change]:
    unique: dict[tuple[str, str, str], Change] = {}
    for change in changes:
        unique.setdefault(change.key, change)
    return list(unique.values())


__all__ = ["check", "check_all", "classify"]
