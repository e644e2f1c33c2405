"""The drift state machine: drift and resolution events in, per-key state out (pure).

One state per ``(repo, track, schema)``. Events arrive at least once, from two streams read by independent
consumers, so neither order nor uniqueness can be assumed. The state is therefore a function of the *set*
of events a key has seen, not of their arrival order:

* every key keeps a timeline of its events sorted by event time (``detected_at`` / ``resolved_at``; at equal
  times a resolution sorts after a detection, so "resolved" wins a tie);
* the state is the left fold of that timeline through the machine below; an event arriving in order is
  applied incrementally, one arriving late is inserted and the (bounded) timeline is folded again;
* an event already in the timeline (same kind, time, hashes, versions, classification and changed paths)
  is a duplicate and changes nothing, so a redelivered or re-published event is harmless.

The machine: a detection while resolved opens an episode (``active_since`` = its time); a detection while
active (a heartbeat re-publication) only bumps ``count`` and ``last_detected`` and takes the newest
classification and changes, never moving ``active_since``; a resolution while active closes the episode;
a resolution while resolved closes nothing, unless its ``drift_started_at`` names an episode this key never
saw begin (its detections were trimmed from the stream), which is then counted as opened and closed.

Bounds: a timeline keeps ``max_events`` events; older ones are folded into a base state and events older than
that horizon are ignored. Event times more than ``max_future_skew_s`` ahead of ``now`` are clamped to it, so
one bad clock cannot keep a drift "active" forever. ``now`` is always passed in.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from mdp.contracts.telemetry import DriftChange, SchemaDrift, SchemaDriftResolved

DETECTION = 0
RESOLUTION = 1  # sorts after a detection at the same instant


@dataclass(frozen=True, slots=True, order=True)
class DriftKey:
    """What the orchestrator aggregates by: a service (``repo``), a track and a schema name."""

    repo: str
    track: str
    schema: str

    def __str__(self) -> str:
        return f"{self.repo}/{self.track}/{self.schema}"


@dataclass(frozen=True, slots=True)
class Episode:
    """One drift from its first detection to its resolution."""

    key: DriftKey
    started_at: float
    resolved_at: float

    @property
    def duration_s(self) -> float:
        return max(0.0, self.resolved_at - self.started_at)


@dataclass(frozen=True, slots=True, order=True)
class _Event:
    ts: float
    kind: int
    ident: tuple[Any, ...]
    detail: SchemaDrift | SchemaDriftResolved = field(compare=False)


@dataclass(slots=True)
class _Fold:
    """The machine's registers; copied, never shared, between the base and the derived state."""

    count: int = 0
    episodes: int = 0
    resolutions: int = 0
    active: bool = False
    active_since: float | None = None
    last_detected: float | None = None
    last_resolved: float | None = None
    latest: SchemaDrift | None = None
    resolution: SchemaDriftResolved | None = None
    last_episode: tuple[float, float] | None = None

    def apply(self, event: _Event) -> tuple[float, float] | None:
        """Advance by one event (in time order); returns the episode it closed, if any."""
        if event.kind == DETECTION:
            assert isinstance(event.detail, SchemaDrift)
            self.count += 1
            self.last_detected = event.ts
            self.latest = event.detail
            if not self.active:
                self.active, self.active_since = True, event.ts
                self.episodes += 1
            return None
        assert isinstance(event.detail, SchemaDriftResolved)
        previous, claimed = self.last_resolved, event.detail.drift_started_at
        self.last_resolved, self.resolution = event.ts, event.detail
        # The reporter's own start time counts only if it lies after the previous resolution.
        plausible = claimed is not None and claimed <= event.ts and (previous is None or claimed > previous)
        if self.active:
            assert self.active_since is not None
            start = (
                min(self.active_since, claimed) if plausible and claimed is not None else self.active_since
            )
            self.active, self.active_since = False, None
        elif plausible and claimed is not None:
            start = claimed  # an episode whose detections this key never saw (trimmed, or before our time)
            self.episodes += 1
        else:
            return None  # a repeated resolution, or one of nothing: recorded, closes nothing
        self.resolutions += 1
        self.last_episode = (start, event.ts)
        return self.last_episode

    def copy(self) -> _Fold:
        return replace(self)


@dataclass(frozen=True, slots=True)
class DriftState:
    """What the orchestrator knows about one key (a read-only snapshot)."""

    key: DriftKey
    active: bool
    active_since: float | None
    last_detected: float | None
    count: int
    episodes: int
    resolutions: int
    classification: str
    status: str
    changes: tuple[DriftChange, ...]
    local_sha256: str | None
    local_version: str | None
    registry_sha256: str | None
    registry_version: str | None
    resolved_at: float | None
    resolved_sha256: str | None
    resolved_version: str | None
    last_duration_s: float | None

    def duration_s(self, now: float) -> float | None:
        """How long the drift has lasted (active) or lasted (resolved); ``None`` if unknown."""
        if self.active and self.active_since is not None:
            return max(0.0, now - self.active_since)
        return self.last_duration_s

    def to_dict(self, now: float) -> dict[str, Any]:
        """JSON-ready view, used by ``/drift`` and the Schema Health page."""
        return {
            "repo": self.key.repo,
            "track": self.key.track,
            "schema": self.key.schema,
            "active": self.active,
            "active_since": self.active_since,
            "last_detected": self.last_detected,
            "duration_s": self.duration_s(now),
            "count": self.count,
            "episodes": self.episodes,
            "resolutions": self.resolutions,
            "classification": self.classification,
            "status": self.status,
            "changes": [change.model_dump(mode="json") for change in self.changes],
            "local_sha256": self.local_sha256,
            "local_version": self.local_version,
            "registry_sha256": self.registry_sha256,
            "registry_version": self.registry_version,
            "resolved_at": self.resolved_at,
            "resolved_sha256": self.resolved_sha256,
            "resolved_version": self.resolved_version,
        }


@dataclass(frozen=True, slots=True)
class Update:
    """The result of applying one event: whether it changed anything, and episodes it newly closed.

    ``key`` is the key the event belongs to; read its state with :meth:`DriftAggregator.get` (building a
    snapshot per event would cost more than applying it).
    """

    applied: bool
    reason: str = ""
    closed: tuple[Episode, ...] = ()
    key: DriftKey | None = None


class _Timeline:
    __slots__ = (
        "base",
        "derived",
        "events",
        "horizon",
        "idents",
        "interned",
        "reported",
        "reported_count",
    )

    def __init__(self) -> None:
        self.base = _Fold()  # the fold of events dropped from the front of the timeline
        self.derived = _Fold()  # base + every event in `events`
        self.events: list[_Event] = []
        self.idents: set[tuple[Any, ...]] = set()
        self.horizon: float | None = None  # events at or before this time are gone: ignore them
        self.interned: dict[tuple[Any, ...], SchemaDrift] = {}  # heartbeats share one payload
        self.reported: set[float] = set()  # resolution times of episodes already reported as closed
        self.reported_count = 0  # resolutions reported so far: a refold never reports more than it counts

    def refold(self) -> list[tuple[float, float]]:
        fold = self.base.copy()
        closed = [episode for event in self.events if (episode := fold.apply(event)) is not None]
        self.derived = fold
        return closed


class DriftAggregator:
    """Per-key drift state from drift and resolution events; see the module docstring for the rules."""

    def __init__(
        self, *, max_events: int = 256, max_keys: int = 10_000, max_future_skew_s: float = 300.0
    ) -> None:
        if max_events < 2 or max_keys < 1 or max_future_skew_s < 0:
            raise ValueError("max_events must be >= 2, max_keys >= 1, max_future_skew_s >= 0")
        self._max_events = max_events
        self._max_keys = max_keys
        self._skew = max_future_skew_s
        self._keys: dict[DriftKey, _Timeline] = {}
        self.dropped_keys = 0

    # -- events ----------------------------------------------------------------------------------------
    def apply_drift(self, drift: SchemaDrift, *, now: float) -> Update:
        """Record one detection (first, heartbeat, redelivery or late arrival)."""
        key = DriftKey(drift.repo, drift.track, drift.schema_)
        ident = (
            DETECTION,
            drift.detected_at,
            drift.local_sha256,
            drift.registry_sha256 or "",
            drift.status,
            str(drift.classification),
            drift.local_version or "",
            drift.registry_version or "",
            tuple((change.kind, change.path) for change in drift.changes),
        )
        return self._add(key, drift.detected_at, DETECTION, ident, drift, now)

    def apply_resolved(self, resolved: SchemaDriftResolved, *, now: float) -> Update:
        """Record one resolution (possibly before the drift it resolves has arrived)."""
        key = DriftKey(resolved.repo, resolved.track, resolved.schema_)
        started = resolved.drift_started_at
        ident = (
            RESOLUTION,
            resolved.resolved_at,
            resolved.sha256,
            resolved.version or "",
            -1.0 if started is None else started,
        )
        return self._add(key, resolved.resolved_at, RESOLUTION, ident, resolved, now)

    def _add(
        self,
        key: DriftKey,
        ts: float,
        kind: int,
        ident: tuple[Any, ...],
        detail: SchemaDrift | SchemaDriftResolved,
        now: float,
    ) -> Update:
        timeline = self._keys.get(key)
        if timeline is None:
            if len(self._keys) >= self._max_keys:
                self.dropped_keys += 1
                return Update(False, f"too many drift keys (limit {self._max_keys}); {key} ignored")
            timeline = self._keys[key] = _Timeline()
        if ident in timeline.idents:
            return Update(False, "duplicate", key=key)
        ts = min(ts, now + self._skew)
        if timeline.horizon is not None and ts <= timeline.horizon:
            return Update(False, "older than the retained history", key=key)
        if isinstance(detail, SchemaDrift):
            detail = self._intern(timeline, detail)
        event = _Event(ts, kind, ident, detail)
        timeline.idents.add(ident)
        if not timeline.events or timeline.events[-1] < event:
            timeline.events.append(event)
            episode = timeline.derived.apply(event)
            candidates = [episode] if episode is not None else []
        else:
            insort(timeline.events, event)
            candidates = timeline.refold()
        closed = self._newly_closed(key, timeline, candidates) if candidates else ()
        self._compact(timeline)
        return Update(True, closed=closed, key=key)

    @staticmethod
    def _newly_closed(
        key: DriftKey, timeline: _Timeline, candidates: list[tuple[float, float]]
    ) -> tuple[Episode, ...]:
        """Episodes not reported before, at most as many as the resolution count grew (newest kept)."""
        budget = timeline.derived.resolutions - timeline.reported_count
        fresh = [(start, end) for start, end in candidates if end not in timeline.reported]
        fresh = fresh[-budget:] if budget > 0 else []
        timeline.reported.update(end for _, end in fresh)
        timeline.reported_count = max(timeline.reported_count, timeline.derived.resolutions)
        return tuple(Episode(key, start, end) for start, end in fresh)

    def _intern(self, timeline: _Timeline, drift: SchemaDrift) -> SchemaDrift:
        """Share one payload object between heartbeats that differ only in ``detected_at``."""
        shape = (
            drift.local_sha256,
            drift.registry_sha256,
            drift.status,
            drift.classification,
            drift.local_version,
            drift.registry_version,
        )
        known = timeline.interned.get(shape)
        if known is not None and known.changes == drift.changes:
            return known
        if len(timeline.interned) >= self._max_events:
            timeline.interned.clear()
        timeline.interned[shape] = drift
        return drift

    def _compact(self, timeline: _Timeline) -> None:
        overflow = len(timeline.events) - self._max_events
        if overflow <= 0:
            return
        for event in timeline.events[:overflow]:
            timeline.base.apply(event)
            timeline.idents.discard(event.ident)
        timeline.horizon = timeline.events[overflow - 1].ts
        del timeline.events[:overflow]
        # Closed-episode memory only matters for episodes a late event could still re-close.
        timeline.reported = {end for end in timeline.reported if end >= timeline.horizon}

    # -- reading ---------------------------------------------------------------------------------------
    def _state(self, key: DriftKey, timeline: _Timeline) -> DriftState:
        fold = timeline.derived
        latest, resolution = fold.latest, fold.resolution
        last = fold.last_episode
        return DriftState(
            key=key,
            active=fold.active,
            active_since=fold.active_since,
            last_detected=fold.last_detected,
            count=fold.count,
            episodes=fold.episodes,
            resolutions=fold.resolutions,
            classification=str(latest.classification) if latest else "unknown",
            status=latest.status if latest else "drift",
            changes=tuple(latest.changes) if latest else (),
            local_sha256=latest.local_sha256 if latest else None,
            local_version=latest.local_version if latest else None,
            registry_sha256=latest.registry_sha256 if latest else None,
            registry_version=latest.registry_version if latest else None,
            resolved_at=fold.last_resolved,
            resolved_sha256=resolution.sha256 if resolution else None,
            resolved_version=resolution.version if resolution else None,
            last_duration_s=(last[1] - last[0]) if last else None,
        )

    def get(self, key: DriftKey) -> DriftState | None:
        timeline = self._keys.get(key)
        return None if timeline is None else self._state(key, timeline)

    def states(self) -> list[DriftState]:
        """Every known key, sorted by repo, track, schema."""
        return [self._state(key, self._keys[key]) for key in sorted(self._keys)]

    def active(self) -> list[DriftState]:
        return [state for state in self.states() if state.active]

    def __len__(self) -> int:
        return len(self._keys)

    def forget(self, keys: Iterable[DriftKey]) -> None:
        for key in keys:
            self._keys.pop(key, None)

    def prune(self, *, now: float, retention_s: float) -> list[DriftKey]:
        """Forget resolved keys whose last event is older than ``retention_s``; active keys never expire."""
        cutoff = now - retention_s
        stale = []
        for key, timeline in self._keys.items():
            fold = timeline.derived
            if fold.active:
                continue
            latest = max(fold.last_detected or 0.0, fold.last_resolved or 0.0)
            if latest < cutoff:
                stale.append(key)
        self.forget(stale)
        return stale


def sort_for_display(states: Iterable[DriftState]) -> list[DriftState]:
    """Active first (longest-running first), then resolved (most recent first)."""
    items = list(states)
    active = sorted(
        (s for s in items if s.active), key=lambda s: (s.active_since or 0.0, s.key.schema, s.key.repo)
    )
    resolved = sorted((s for s in items if not s.active), key=lambda s: -(s.resolved_at or 0.0))
    return active + resolved


__all__ = ["DriftAggregator", "DriftKey", "DriftState", "Episode", "Update", "sort_for_display"]
