"""Multi-track comparison (``mdp drift tracks v1 v2``): what migrating from one track to another changes
and breaks, schema by schema (pure: no I/O).

Every schema name of either track is ``identical`` (same sha256), ``changed`` (classified old -> new with
:func:`mdp.drift.compare.classify_drift`, default FULL + LENIENT: a migration must keep old and new readers
working), ``only_in_old`` or ``only_in_new``. This is the seeds' "multi-track comparison: predict breaking
changes before migration".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mdp.compat import Mode, Policy
from mdp.contracts.telemetry import DriftClassification
from mdp.drift.compare import DEFAULT_MODE, DEFAULT_POLICY, Classification, RegistrySchema, classify_drift

TrackStatus = Literal["identical", "changed", "only_in_old", "only_in_new"]


@dataclass(frozen=True, slots=True)
class TrackComparison:
    """One schema name across two tracks (``old`` the track migrated from, ``new`` the one migrated to)."""

    name: str
    status: TrackStatus
    old: RegistrySchema | None
    new: RegistrySchema | None
    classification: Classification | None = None

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "schema": self.name,
            "status": self.status,
            "old_sha": self.old.sha256 if self.old else None,
            "old_version": self.old.version if self.old else None,
            "new_sha": self.new.sha256 if self.new else None,
            "new_version": self.new.version if self.new else None,
        }
        if self.classification is not None:
            entry.update(self.classification.to_dict())
            if entry["error"] is None:
                del entry["error"]
        return entry


def track_contents_needed(old: Mapping[str, RegistrySchema], new: Mapping[str, RegistrySchema]) -> list[str]:
    """The sha256 values to fetch for :func:`compare_tracks`: both sides of every differing pair."""
    needed: dict[str, None] = {}
    for name in sorted(set(old) & set(new)):
        if old[name].sha256 != new[name].sha256:
            needed.setdefault(old[name].sha256)
            needed.setdefault(new[name].sha256)
    return list(needed)


def compare_tracks(
    old: Mapping[str, RegistrySchema],
    new: Mapping[str, RegistrySchema],
    contents: Mapping[str, Any],
    mode: Mode | str = DEFAULT_MODE,
    policy: Policy | str = DEFAULT_POLICY,
) -> list[TrackComparison]:
    """For every schema name of either track: identical, changed (classified old -> new), or one-sided."""
    out: list[TrackComparison] = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before is None:
            out.append(TrackComparison(name, "only_in_new", None, after))
        elif after is None:
            out.append(TrackComparison(name, "only_in_old", before, None))
        elif before.sha256 == after.sha256:
            same = Classification(
                DriftClassification.SAFE,
                compatible=True,
                mode=Mode.parse(mode).value,
                policy=Policy.parse(policy).value,
            )
            out.append(TrackComparison(name, "identical", before, after, same))
        else:
            label = classify_drift(contents.get(before.sha256), contents.get(after.sha256), mode, policy)
            out.append(TrackComparison(name, "changed", before, after, label))
    return out


__all__ = ["TrackComparison", "TrackStatus", "compare_tracks", "track_contents_needed"]
