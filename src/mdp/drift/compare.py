"""Drift comparison: local schema copies against the registry's track index (pure: no I/O, no clock).

Given what a service holds locally (``name -> sha256, version, content?``) and what the registry's index
says (``name -> sha256, version``), :func:`compare_schemas` gives every schema one status:

* ``synced``: same canonical sha256;
* ``drift``: both sides have the schema, with different contents;
* ``missing_in_registry``: the service holds a schema the registry does not know;
* ``missing_locally``: the registry has a schema the service does not hold.

:func:`classify_drift` then says what a drift means, with :func:`mdp.compat.check`:

* **direction**: ``old`` = the local copy (what the service was built against), ``new`` = the registry's
  current schema. The question is the one a deployment asks: "can my service keep working now that the
  registry moved on?", so ``changes`` read "local -> registry".
* **mode**: the track's configured compatibility (``GET /config/{track}``); when it is unknown,
  ``FULL`` + ``LENIENT`` (the default): old and new readers must both keep working, and closed content
  models may gain optional fields. A ``NONE`` track is judged as ``FULL`` (compat's label rule) and a
  ``*_TRANSITIVE`` mode as its base mode (there is one pair).
* **label**: compat's ``breaking`` / ``safe`` / ``docs-only`` become the same
  :class:`~mdp.contracts.DriftClassification`; a pair that cannot be compared (content not at hand, a
  local file that is not a JSON Schema) is ``unknown``.

The multi-track comparison (``mdp drift tracks v1 v2``) is in :mod:`mdp.drift.tracks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal, get_args

import orjson

from mdp.compat import CompatError, CompatibilityResult, Mode, Policy, check
from mdp.contracts.telemetry import DriftChange, DriftClassification

DEFAULT_MODE = Mode.FULL
DEFAULT_POLICY = Policy.LENIENT

FailOn = Literal["any", "breaking", "never"]
FAIL_ON: tuple[str, ...] = get_args(FailOn)

# Wire limits of DriftChange (mdp.contracts.telemetry) and what one value may weigh in a report or event.
_MAX_KIND, _MAX_PATH, _MAX_MESSAGE = 100, 2000, 2000
MAX_VALUE_BYTES = 2048
MAX_EVENT_CHANGES = 500


class DriftStatus(StrEnum):
    """Where a schema stands between the local copies and the registry."""

    SYNCED = "synced"
    DRIFT = "drift"
    MISSING_IN_REGISTRY = "missing_in_registry"
    MISSING_LOCALLY = "missing_locally"


@dataclass(frozen=True, slots=True)
class LocalSchema:
    """A local copy: its canonical sha256, its version if known, and its content if at hand.

    ``content`` ``None`` means "not at hand" (``null`` is never a JSON Schema; ``false`` is one).
    """

    name: str
    sha256: str
    version: str | None = None
    content: Any = None


@dataclass(frozen=True, slots=True)
class RegistrySchema:
    """One entry of a registry track index."""

    name: str
    sha256: str
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Classification:
    """What a drift means: the label, the verdict under ``mode``/``policy``, and every change."""

    label: DriftClassification
    compatible: bool | None = None
    mode: str | None = None
    policy: str | None = None
    changes: tuple[DriftChange, ...] = ()
    error: str | None = None

    @property
    def breaking_count(self) -> int:
        return sum(1 for change in self.changes if change.breaking)

    def to_dict(self) -> dict[str, Any]:
        return {
            "classification": str(self.label),
            "compatible": self.compatible,
            "mode": self.mode,
            "policy": self.policy,
            "changes": [change.model_dump(mode="json") for change in self.changes],
            "error": self.error,
        }


def unknown(reason: str) -> Classification:
    """The classification of a pair that could not be compared, saying why."""
    return Classification(DriftClassification.UNKNOWN, error=reason)


@dataclass(frozen=True, slots=True)
class SchemaComparison:
    """One schema's status, both identities, and (for a drift) its classification."""

    name: str
    status: DriftStatus
    local_sha256: str | None = None
    local_version: str | None = None
    registry_sha256: str | None = None
    registry_version: str | None = None
    classification: Classification | None = None

    @property
    def drifted(self) -> bool:
        """Whether the service disagrees with the registry (``drift`` or ``missing_in_registry``)."""
        return self.status in (DriftStatus.DRIFT, DriftStatus.MISSING_IN_REGISTRY)

    @property
    def label(self) -> DriftClassification | None:
        """The classification of a drifted schema (``unknown`` if not classified); ``None`` otherwise."""
        if not self.drifted:
            return None
        return self.classification.label if self.classification else DriftClassification.UNKNOWN

    def to_dict(self) -> dict[str, Any]:
        """The report entry (the seeds' keys ``schema``, ``status``, ``local_sha``... plus mdp's)."""
        entry: dict[str, Any] = {
            "schema": self.name,
            "status": str(self.status),
            "local_sha": self.local_sha256,
            "local_version": self.local_version,
            "registry_sha": self.registry_sha256,
            "registry_version": self.registry_version,
            "classification": str(self.label) if self.label is not None else None,
            "compatible": None,
            "changes": [],
        }
        if self.classification is not None:
            entry["compatible"] = self.classification.compatible
            entry["changes"] = [change.model_dump(mode="json") for change in self.classification.changes]
            if self.classification.error:
                entry["error"] = self.classification.error
        return entry


def compare_schemas(
    local: Mapping[str, LocalSchema], registry: Mapping[str, RegistrySchema]
) -> list[SchemaComparison]:
    """Every schema of either side with its status, sorted by name (no classification yet)."""
    out: list[SchemaComparison] = []
    for name in sorted(set(local) | set(registry)):
        mine, theirs = local.get(name), registry.get(name)
        if mine is None:
            assert theirs is not None
            out.append(
                SchemaComparison(
                    name,
                    DriftStatus.MISSING_LOCALLY,
                    registry_sha256=theirs.sha256,
                    registry_version=theirs.version,
                )
            )
        elif theirs is None:
            out.append(
                SchemaComparison(
                    name,
                    DriftStatus.MISSING_IN_REGISTRY,
                    local_sha256=mine.sha256,
                    local_version=mine.version,
                    classification=unknown("the registry has no schema of this name in the track"),
                )
            )
        else:
            synced = mine.sha256 == theirs.sha256
            out.append(
                SchemaComparison(
                    name,
                    DriftStatus.SYNCED if synced else DriftStatus.DRIFT,
                    local_sha256=mine.sha256,
                    # Same canonical content: the registry's version number describes the local copy too.
                    local_version=mine.version or (theirs.version if synced else None),
                    registry_sha256=theirs.sha256,
                    registry_version=theirs.version,
                )
            )
    return out


def contents_needed(comparisons: Iterable[SchemaComparison]) -> list[str]:
    """Registry sha256 values whose content a classification needs (drifted schemas only), deduplicated."""
    needed: dict[str, None] = {}
    for item in comparisons:
        if item.status is DriftStatus.DRIFT and item.registry_sha256:
            needed.setdefault(item.registry_sha256)
    return list(needed)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fit_value(value: Any) -> Any:
    """``value`` itself when it encodes to at most MAX_VALUE_BYTES of JSON, else a short placeholder."""
    if value is None or isinstance(value, bool | int | float):
        return value
    try:
        size = len(orjson.dumps(value))
    except (TypeError, orjson.JSONEncodeError):  # an integer beyond 64 bits deep inside: say what it is
        text = repr(value)
        return text if len(text) <= MAX_VALUE_BYTES else f"<{len(text)} characters omitted>"
    return value if size <= MAX_VALUE_BYTES else f"<{size} bytes of JSON omitted>"


def drift_changes(result: CompatibilityResult) -> tuple[DriftChange, ...]:
    """Every change of ``result`` as wire :class:`DriftChange` entries, breaking ones flagged.

    Breaking changes found only by the reversed diff (FORWARD / FULL) are appended, as ``explain`` does.
    """
    broken = {change.key for change in result.breaking}
    listed = {change.key for change in result.changes}
    pairs = [(change, change.key in broken) for change in result.changes]
    pairs.extend((change, True) for change in result.breaking if change.key not in listed)
    return tuple(
        DriftChange(
            kind=_clip(change.kind, _MAX_KIND),
            path=_clip(change.path, _MAX_PATH),
            message=_clip(change.message, _MAX_MESSAGE),
            breaking=is_breaking,
            old=_fit_value(change.old),
            new=_fit_value(change.new),
        )
        for change, is_breaking in pairs
    )


def classify_drift(
    local_content: Any,
    registry_content: Any,
    mode: Mode | str = DEFAULT_MODE,
    policy: Policy | str = DEFAULT_POLICY,
) -> Classification:
    """Classify replacing the local copy (old) with the registry's schema (new); never raises."""
    if local_content is None or registry_content is None:
        side = "local" if local_content is None else "registry"
        return unknown(f"the {side} content is not at hand")
    try:
        result = check(local_content, registry_content, mode, policy)
    except CompatError as exc:
        return unknown(f"cannot compare: {exc}")
    return Classification(
        label=DriftClassification(result.label),
        compatible=result.compatible,
        mode=result.mode.value,
        policy=result.policy.value,
        changes=drift_changes(result),
    )


def classify_all(
    comparisons: Sequence[SchemaComparison],
    local: Mapping[str, LocalSchema],
    registry_contents: Mapping[str, Any],
    mode: Mode | str = DEFAULT_MODE,
    policy: Policy | str = DEFAULT_POLICY,
) -> list[SchemaComparison]:
    """``comparisons`` with every ``drift`` classified (contents looked up by sha256; ``None`` = absent)."""
    out: list[SchemaComparison] = []
    for item in comparisons:
        if item.status is DriftStatus.DRIFT:
            mine = local.get(item.name)
            theirs = registry_contents.get(item.registry_sha256 or "")
            label = classify_drift(mine.content if mine else None, theirs, mode, policy)
            item = replace(item, classification=label)
        out.append(item)
    return out


def with_local_versions(
    comparisons: Sequence[SchemaComparison], versions: Mapping[str, str]
) -> list[SchemaComparison]:
    """Fill ``local_version`` of drifted schemas from ``versions`` (name -> version) where it is unknown."""
    return [
        replace(item, local_version=versions[item.name])
        if item.local_version is None and item.name in versions
        else item
        for item in comparisons
    ]


def version_of_sha(history: Iterable[tuple[str, str]], sha256: str) -> str | None:
    """The newest version (of ``(version, sha256)`` pairs, oldest first) whose content is ``sha256``."""
    found = None
    for version, sha in history:
        if sha == sha256:
            found = version
    return found


def summarize(comparisons: Iterable[SchemaComparison]) -> dict[str, int]:
    """Counts for the report: total, per status (``drifted`` = ``drift``), and breaking drifts."""
    counts = {
        "total_schemas": 0,
        "synced": 0,
        "drifted": 0,
        "missing_in_registry": 0,
        "missing_locally": 0,
        "breaking": 0,
    }
    key = {
        DriftStatus.SYNCED: "synced",
        DriftStatus.DRIFT: "drifted",
        DriftStatus.MISSING_IN_REGISTRY: "missing_in_registry",
        DriftStatus.MISSING_LOCALLY: "missing_locally",
    }
    for item in comparisons:
        counts["total_schemas"] += 1
        counts[key[item.status]] += 1
        if item.label is DriftClassification.BREAKING:
            counts["breaking"] += 1
    return counts


def overall_status(comparisons: Iterable[SchemaComparison]) -> Literal["synced", "drift"]:
    """``drift`` when any schema is drifted (``drift`` or ``missing_in_registry``), else ``synced``.

    ``missing_locally`` alone is ``synced``: a service holds the schemas it uses, not the whole track.
    """
    return "drift" if any(item.drifted for item in comparisons) else "synced"


def failing(
    comparisons: Iterable[SchemaComparison], fail_on: FailOn | str, *, require_all: bool = False
) -> list[SchemaComparison]:
    """The comparisons that fail a CI check under ``fail_on``.

    * ``any``: every ``drift`` and ``missing_in_registry`` (plus ``missing_locally`` with ``require_all``);
    * ``breaking``: drifts classified ``breaking`` or ``unknown`` (what cannot be shown safe fails) and
      ``missing_in_registry`` (the service relies on a schema the registry does not have);
    * ``never``: nothing.
    """
    if fail_on not in FAIL_ON:
        raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    if fail_on == "never":
        return []
    out = []
    for item in comparisons:
        if item.status is DriftStatus.MISSING_LOCALLY:
            if require_all and fail_on == "any":
                out.append(item)
        elif item.status is DriftStatus.MISSING_IN_REGISTRY or (
            item.status is DriftStatus.DRIFT
            and (
                fail_on == "any" or item.label in (DriftClassification.BREAKING, DriftClassification.UNKNOWN)
            )
        ):
            out.append(item)
    return out


def fit_changes(
    changes: Sequence[DriftChange], *, max_count: int = MAX_EVENT_CHANGES, max_bytes: int = 256 * 1024
) -> tuple[list[DriftChange], int]:
    """The changes an event can carry (breaking first, at most ``max_count``, about ``max_bytes`` of JSON)
    and how many were left out. Keeps a drift event well under the bus's 1 MiB envelope limit."""
    ordered = sorted(changes, key=lambda change: not change.breaking)
    kept: list[DriftChange] = []
    size = 0
    for change in ordered[:max_count]:
        weight = len(orjson.dumps(change.model_dump(mode="json"), default=repr))
        if kept and size + weight > max_bytes:
            break
        kept.append(change)
        size += weight
    return kept, len(changes) - len(kept)


__all__ = [
    "DEFAULT_MODE",
    "DEFAULT_POLICY",
    "FAIL_ON",
    "MAX_EVENT_CHANGES",
    "MAX_VALUE_BYTES",
    "Classification",
    "DriftStatus",
    "FailOn",
    "LocalSchema",
    "RegistrySchema",
    "SchemaComparison",
    "classify_all",
    "classify_drift",
    "compare_schemas",
    "contents_needed",
    "drift_changes",
    "failing",
    "fit_changes",
    "overall_status",
    "summarize",
    "unknown",
    "version_of_sha",
    "with_local_versions",
]
