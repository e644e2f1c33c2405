"""One drift check of a track: the registry reads around the pure comparison, and the JSON report.

Reads, in order, and only what is needed:

1. the track index, **one request** for the whole track (the caller passes it in: the CLI reads it with
   ``get_index`` on a fresh client, which has no cache to fall back on; the watcher with ``sync_track``,
   a conditional request that raises instead of serving a cached index);
2. only when something drifted: ``GET /config/{track}`` (the compatibility mode of the classification;
   FULL + LENIENT if it cannot be read), the registry content of each drifted sha256
   (``GET /schemas/by-sha/{sha}``, from the client's cache when known) and, for a local copy whose version
   is unknown, the subject's version history (the version whose sha256 equals the local copy's).

A failure in step 2 never turns the check into "synced": the statuses come from the index; only the
classification becomes ``unknown`` and the report says why in ``notes``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from mdp.client import ClientError, RegistryClient, RegistryUnavailable, TrackIndex
from mdp.compat import Mode, Policy
from mdp.contracts.telemetry import DriftClassification
from mdp.drift.compare import (
    DEFAULT_MODE,
    DEFAULT_POLICY,
    Classification,
    DriftStatus,
    FailOn,
    LocalSchema,
    RegistrySchema,
    SchemaComparison,
    classify_all,
    compare_schemas,
    contents_needed,
    failing,
    overall_status,
    summarize,
    version_of_sha,
    with_local_versions,
)
from mdp.drift.tracks import TrackComparison, compare_tracks, track_contents_needed

T = TypeVar("T")


@dataclass
class CheckMemo:
    """What a long-running watcher remembers between checks: both are functions of immutable contents.

    * ``versions``: (name, local sha256, registry sha256) -> the registry version of the local content;
    * ``classifications``: (local sha256, registry sha256, mode, policy) -> the classification (unknown
      ones are not kept, so a content that could not be fetched is retried).
    """

    versions: dict[tuple[str, str, str], str | None] = field(default_factory=dict)
    classifications: dict[tuple[str, str, str, str], Classification] = field(default_factory=dict)
    limit: int = 10_000

    def trim(self) -> None:
        """Forget everything past ``limit`` entries (a bound, not an LRU: drifts are few)."""
        if len(self.versions) > self.limit:
            self.versions.clear()
        if len(self.classifications) > self.limit:
            self.classifications.clear()


@dataclass(frozen=True, slots=True)
class DriftCheck:
    """The outcome of one check of ``track``: every schema's status and, for drifts, its classification."""

    track: str
    registry_url: str
    checked_at: float
    comparisons: tuple[SchemaComparison, ...]
    mode: str | None = None
    policy: str | None = None
    compatibility_source: Literal["registry", "default"] | None = None
    ignored: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def status(self) -> Literal["synced", "drift"]:
        return overall_status(self.comparisons)

    @property
    def counts(self) -> dict[str, int]:
        return summarize(self.comparisons)

    def failing(self, fail_on: FailOn | str, *, require_all: bool = False) -> list[SchemaComparison]:
        return failing(self.comparisons, fail_on, require_all=require_all)

    def to_report(self, *, repo: str | None = None) -> dict[str, Any]:
        """The JSON report: the seeds' shape (track, registry_url, total_schemas, synced, drifted, schemas)
        plus status, the other counts, the compatibility used, and per schema classification and changes."""
        return {
            "track": self.track,
            "registry_url": self.registry_url,
            "repo": repo,
            "checked_at": _rfc3339(self.checked_at),
            "status": self.status,
            **self.counts,
            "compatibility": (
                {"mode": self.mode, "policy": self.policy, "source": self.compatibility_source}
                if self.mode is not None
                else None
            ),
            "schemas": [item.to_dict() for item in self.comparisons],
            "ignored_files": list(self.ignored),
            "notes": list(self.notes),
        }


def error_report(
    track: str,
    registry_url: str,
    error: str,
    checked_at: float,
    *,
    repo: str | None = None,
    status: Literal["error", "skipped"] = "error",
) -> dict[str, Any]:
    """The report of a check that did not run (``error``, or ``skipped`` by REGISTRY_ENABLED=false):
    nothing is claimed synced."""
    return {
        "track": track,
        "registry_url": registry_url,
        "repo": repo,
        "checked_at": _rfc3339(checked_at),
        "status": status,
        "error": error,
        "total_schemas": 0,
        "synced": 0,
        "drifted": 0,
        "missing_in_registry": 0,
        "missing_locally": 0,
        "breaking": 0,
        "compatibility": None,
        "schemas": [],
        "ignored_files": [],
        "notes": [],
    }


def _rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def registry_schemas(index: TrackIndex) -> dict[str, RegistrySchema]:
    """The index as ``name -> RegistrySchema``."""
    return {entry.name: RegistrySchema(entry.name, entry.sha256, entry.version) for entry in index.schemas}


async def complete_check(
    client: RegistryClient,
    index: TrackIndex,
    local: Mapping[str, LocalSchema],
    *,
    now: float,
    ignored: Sequence[str] = (),
    memo: CheckMemo | None = None,
) -> DriftCheck:
    """Compare ``local`` with a freshly read ``index``; classify drifts with the reads they need."""
    memo = memo if memo is not None else CheckMemo()
    memo.trim()
    track = index.track
    comparisons = compare_schemas(local, registry_schemas(index))
    notes: list[str] = []
    if not any(item.status is DriftStatus.DRIFT for item in comparisons):
        return DriftCheck(track, client.base_url, now, tuple(comparisons), ignored=tuple(ignored))
    mode, policy, source = await _compatibility(client, track, notes)
    comparisons = await _classify(client, comparisons, local, mode, policy, memo, notes)
    versions = await _local_versions(client, track, comparisons, memo.versions, notes)
    comparisons = with_local_versions(comparisons, versions)
    return DriftCheck(
        track,
        client.base_url,
        now,
        tuple(comparisons),
        mode=mode.value,
        policy=policy.value,
        compatibility_source=source,
        ignored=tuple(ignored),
        notes=tuple(notes),
    )


async def check_drift(
    client: RegistryClient,
    track: str,
    local: Mapping[str, LocalSchema],
    *,
    now: float,
    ignored: Sequence[str] = (),
) -> DriftCheck:
    """One check with an unconditional index read (meant for a fresh client: the CLI, contract tests).

    Raises the client's :class:`~mdp.client.RegistryUnavailable` when the registry does not answer (also
    when the client answered from its cache instead: a cached index is never checked against) and
    :class:`~mdp.client.SchemaNotFound` for an unknown track.
    """
    index = await client.get_index(track)
    if not client.up:  # get_index fell back to the cached index: the registry did not answer
        raise RegistryUnavailable(f"the registry did not answer for the {track} index", kind="connect")
    return await complete_check(client, index, local, now=now, ignored=ignored)


async def check_registry(
    registry_url: str,
    track: str,
    local: Mapping[str, LocalSchema],
    *,
    now: float,
    ignored: Sequence[str] = (),
    request_timeout: float = 10.0,
) -> DriftCheck:
    """:func:`check_drift` on a fresh client of ``registry_url`` (memory-only cache, private metrics)."""
    async with RegistryClient(registry_url, timeout=request_timeout) as client:
        return await check_drift(client, track, local, now=now, ignored=ignored)


async def compare_registry_tracks(
    client: RegistryClient,
    old_track: str,
    new_track: str,
    mode: Mode | str = DEFAULT_MODE,
    policy: Policy | str = DEFAULT_POLICY,
) -> list[TrackComparison]:
    """``mdp drift tracks``: two index requests, then the contents of the schemas that differ."""
    old, new = (
        registry_schemas(await client.get_index(old_track)),
        registry_schemas(await client.get_index(new_track)),
    )
    shas = track_contents_needed(old, new)
    fetched = await asyncio.gather(*(client.get_by_sha(sha) for sha in shas))
    return compare_tracks(old, new, {item.sha256: item.content for item in fetched}, mode, policy)


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion from synchronous code, even under a running event loop (then in a
    helper thread with its own loop: an async pytest test may call a synchronous helper)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mdp-drift") as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _compatibility(
    client: RegistryClient, track: str, notes: list[str]
) -> tuple[Mode, Policy, Literal["registry", "default"]]:
    try:
        config = await client.get_config(track)
        return Mode.parse(config.compatibility), Policy.parse(config.policy), "registry"
    except (ClientError, ValueError) as exc:
        notes.append(f"track compatibility unavailable ({exc}); classified under FULL + LENIENT")
        return DEFAULT_MODE, DEFAULT_POLICY, "default"


async def _classify(
    client: RegistryClient,
    comparisons: list[SchemaComparison],
    local: Mapping[str, LocalSchema],
    mode: Mode,
    policy: Policy,
    memo: CheckMemo,
    notes: list[str],
) -> list[SchemaComparison]:
    """Classify drifts, reusing remembered classifications; fetch contents only for the others."""

    def key(item: SchemaComparison) -> tuple[str, str, str, str]:
        return (item.local_sha256 or "", item.registry_sha256 or "", mode.value, policy.value)

    known = [
        replace(item, classification=memo.classifications.get(key(item)))
        if item.status is DriftStatus.DRIFT
        else item
        for item in comparisons
    ]
    todo = [item for item in known if item.status is DriftStatus.DRIFT and item.classification is None]
    contents = await _contents(client, contents_needed(todo), notes)
    done = {item.name: item for item in classify_all(todo, local, contents, mode, policy)}
    for item in done.values():
        if item.classification is not None and item.label is not DriftClassification.UNKNOWN:
            memo.classifications[key(item)] = item.classification
    return [done.get(item.name, item) for item in known]


async def _contents(client: RegistryClient, shas: Sequence[str], notes: list[str]) -> dict[str, Any]:
    async def one(sha: str) -> tuple[str, Any]:
        try:
            return sha, (await client.get_by_sha(sha)).content
        except ClientError as exc:
            notes.append(f"registry content {sha[:12]} unavailable ({exc}); classification unknown")
            return sha, None

    return dict(await asyncio.gather(*(one(sha) for sha in shas)))


async def _local_versions(
    client: RegistryClient,
    track: str,
    comparisons: Sequence[SchemaComparison],
    memo: MutableMapping[tuple[str, str, str], str | None],
    notes: list[str],
) -> dict[str, str]:
    """For drifts whose local version is unknown: the registry version that has the local content."""
    found: dict[str, str] = {}
    for item in comparisons:
        if item.status is not DriftStatus.DRIFT or item.local_version is not None:
            continue
        assert item.local_sha256 is not None
        assert item.registry_sha256 is not None
        key = (item.name, item.local_sha256, item.registry_sha256)
        if key not in memo:
            try:
                history = await client.get_versions(track, item.name)
            except ClientError as exc:
                notes.append(f"version history of {item.name} unavailable ({exc})")
                continue
            memo[key] = version_of_sha(((v.version, v.sha256) for v in history.versions), item.local_sha256)
        version = memo[key]
        if version is not None:
            found[item.name] = version
    return found


__all__ = [
    "CheckMemo",
    "DriftCheck",
    "check_drift",
    "check_registry",
    "compare_registry_tracks",
    "complete_check",
    "error_report",
    "registry_schemas",
    "run_sync",
]
