"""The registry's use cases: publish, deprecate, configure tracks, and the reads behind the API.

Publishing is validate -> compare -> number -> write:

1. the name and the schema are checked (:mod:`.validation`): nothing is fetched, limits are enforced;
2. identical canonical content to the latest version is a no-op (same version, no event);
3. :func:`mdp.compat.check_all` (against every version, oldest first, for the transitive modes, else
   against the latest) decides whether the track's mode allows the change; ``force`` publishes anyway;
4. the compatibility label picks the semver bump (:mod:`.versioning`);
5. the storage writes the version and its outbox event in one transaction, refusing if the subject moved
   meanwhile; the service then re-reads and re-decides (a few attempts) before reporting a conflict.

The service never imports FastAPI; the API layer maps :mod:`.errors` to HTTP codes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mdp.compat import check_all
from mdp.compat.errors import CompatError, SchemaTooComplexError
from mdp.compat.model import CompatibilityResult, Mode, Policy
from mdp.contracts.hashing import compute_sha256
from mdp.registry.errors import (
    ConcurrentModification,
    IncompatibleSchema,
    InvalidCompatibility,
    InvalidInput,
    InvalidSchema,
    SchemaNotFound,
    SchemaTooLarge,
    SubjectNotFound,
    TrackNotFound,
    VersionNotFound,
)
from mdp.registry.settings import DEFAULT_MAX_SCHEMA_BYTES, DEFAULT_MAX_SCHEMA_DEPTH
from mdp.registry.storage.base import (
    NewVersion,
    OutboxEvent,
    SchemaStorage,
    StoredSchema,
    Subject,
    SubjectView,
    TrackConfig,
    Version,
)
from mdp.registry.validation import accept_schema, check_name, check_track
from mdp.registry.versioning import LATEST, SemVer, choose_version

log = logging.getLogger("mdp.registry")

MAX_EVENTS_PAGE = 1000
MAX_REASON_LENGTH = 1000


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what a publish may carry."""

    max_schema_bytes: int = DEFAULT_MAX_SCHEMA_BYTES
    max_schema_depth: int = DEFAULT_MAX_SCHEMA_DEPTH


@dataclass(frozen=True, slots=True)
class SchemaRecord:
    """One version of a subject with its subject state and its schema: the body of the read endpoints."""

    subject: Subject
    version: Version
    schema: StoredSchema


@dataclass(frozen=True, slots=True)
class PublishOutcome:
    """What a publish did: ``created`` is False for an identical republish (no version, no event)."""

    record: SchemaRecord
    created: bool
    compatibility: CompatibilityResult | None = None
    event: OutboxEvent | None = None


@dataclass(frozen=True, slots=True)
class DeprecateOutcome:
    """What a deprecation did: ``event`` is None when the subject was already deprecated."""

    record: SchemaRecord
    event: OutboxEvent | None


def parse_mode(value: str) -> Mode:
    try:
        return Mode(value)
    except ValueError as exc:
        choices = ", ".join(mode.value for mode in Mode)
        raise InvalidCompatibility(f"invalid compatibility {value!r}: expected one of {choices}") from exc


def parse_policy(value: str) -> Policy:
    try:
        return Policy(value)
    except ValueError as exc:
        raise InvalidCompatibility(f"invalid policy {value!r}: expected STRICT or LENIENT") from exc


class RegistryService:
    """Use cases over one :class:`~mdp.registry.storage.base.SchemaStorage`."""

    def __init__(
        self,
        storage: SchemaStorage,
        *,
        limits: Limits | None = None,
        clock: Callable[[], datetime] = utcnow,
        max_attempts: int = 5,
    ) -> None:
        self.storage = storage
        self.limits = limits or Limits()
        self._clock = clock
        self._max_attempts = max_attempts

    # -- tracks ------------------------------------------------------------------------------------
    def track_config(self, track: str) -> TrackConfig:
        config = self.storage.get_track(check_track(track))
        if config is None:
            raise TrackNotFound(f"track {track!r} does not exist")
        return config

    def tracks(self) -> list[TrackConfig]:
        return self.storage.list_tracks()

    def put_config(self, track: str, compatibility: str, policy: str | None = None) -> TrackConfig:
        """Set a track's mode and policy, creating the track if needed.

        Without a policy the track keeps its current one (a new track gets LENIENT, like v1 and v2).
        """
        check_track(track)
        mode = parse_mode(compatibility)
        if policy is None:
            current = self.storage.get_track(track)
            rule = current.policy if current else Policy.LENIENT
        else:
            rule = parse_policy(policy)
        config = self.storage.put_track(track, mode, rule, self._clock())
        log.info(
            "track config set", extra={"track": track, "compatibility": mode.value, "policy": rule.value}
        )
        return config

    def revisions(self) -> dict[str, int]:
        return self.storage.revisions()

    # -- reads -------------------------------------------------------------------------------------
    def index(self, track: str) -> tuple[int, list[SubjectView]]:
        """``(revision, subjects)`` of a track, sorted by name."""
        return self.storage.track_index(check_track(track))

    def _subject_versions(self, track: str, name: str) -> list[Version]:
        versions = self.storage.list_versions(check_track(track), check_name(name))
        if not versions:
            self.track_config(track)
            raise SubjectNotFound(f"no subject {name!r} in track {track}")
        return versions

    def _record(self, subject: Subject, version: Version) -> SchemaRecord:
        schema = self.storage.get_schema(version.schema_id)
        if schema is None:  # pragma: no cover - foreign keys make this impossible
            raise SchemaNotFound(f"schema {version.schema_id} of {subject.track}/{subject.name} is missing")
        return SchemaRecord(subject, version, schema)

    def latest(self, track: str, name: str) -> SchemaRecord:
        view = self.storage.get_latest(check_track(track), check_name(name))
        if view is None:
            self.track_config(track)
            raise SubjectNotFound(f"no subject {name!r} in track {track}")
        return self._record(view.subject, view.latest)

    def version(self, track: str, name: str, version: str) -> SchemaRecord:
        """One version (``x.y.z`` or ``latest``)."""
        if version == LATEST:
            return self.latest(track, name)
        wanted = str(SemVer.parse(version))
        view = self.storage.get_latest(check_track(track), check_name(name))
        if view is None:
            self.track_config(track)
            raise SubjectNotFound(f"no subject {name!r} in track {track}")
        found = self.storage.get_version(track, name, wanted)
        if found is None:
            raise VersionNotFound(f"{track}/{name} has no version {wanted}")
        return self._record(view.subject, found)

    def versions(self, track: str, name: str) -> list[Version]:
        """Every live version of a subject, oldest first."""
        return self._subject_versions(track, name)

    def schema_by_id(self, schema_id: int) -> StoredSchema:
        found = self.storage.get_schema(schema_id)
        if found is None:
            raise SchemaNotFound(f"no schema with id {schema_id}")
        return found

    def schema_by_sha(self, sha256: str) -> StoredSchema:
        found = self.storage.get_schema_by_sha(sha256.lower())
        if found is None:
            raise SchemaNotFound(f"no schema with sha256 {sha256[:64]}")
        return found

    def events(self, after: int = 0, limit: int = 100) -> list[OutboxEvent]:
        return self.storage.events(max(after, 0), min(max(limit, 1), MAX_EVENTS_PAGE))

    def ping(self) -> None:
        self.storage.ping()

    # -- writes ------------------------------------------------------------------------------------
    def _compare(self, config: TrackConfig, history: list[Version], content: Any) -> CompatibilityResult:
        """The verdict against the history (every version for transitive modes, else the latest)."""
        contents = self.storage.get_schemas([version.schema_id for version in history])
        olds = [contents[version.schema_id].content() for version in history]
        try:
            return check_all(olds, content, config.compatibility, config.policy)
        except SchemaTooComplexError as exc:
            raise SchemaTooLarge(f"schema is too complex to compare: {exc}") from exc
        except CompatError as exc:
            raise InvalidSchema(f"schema cannot be compared: {exc}") from exc

    def publish(
        self, track: str, name: str, content: Any, *, version: str | None = None, force: bool = False
    ) -> PublishOutcome:
        """Publish ``content`` as the next version of ``track``/``name`` (see the module docstring)."""
        check_track(track)
        check_name(name)
        if version is not None:
            SemVer.parse(version)
        accepted = accept_schema(
            content, max_bytes=self.limits.max_schema_bytes, max_depth=self.limits.max_schema_depth
        )
        sha256 = compute_sha256(accepted.canonical)
        for _attempt in range(self._max_attempts):
            config = self.track_config(track)
            history = self.storage.list_versions(track, name)
            latest = history[-1] if history else None
            if latest is not None and latest.sha256 == sha256:
                return PublishOutcome(self.latest(track, name), created=False)
            result: CompatibilityResult | None = None
            classification = "initial"
            if latest is not None:
                result = self._compare(config, history, accepted.content)
                if not result.compatible and not force:
                    raise IncompatibleSchema(
                        f"{track}/{name}: the new schema breaks {config.compatibility.value} "
                        f"({config.policy.value}) with {len(result.breaking)} breaking change(s)",
                        result,
                    )
                classification = result.label
            previous = SemVer.parse(latest.version) if latest else None
            chosen = choose_version(previous, classification, version)
            new = NewVersion(
                track, name, str(chosen), sha256, accepted.canonical, classification,
                force and result is not None and not result.compatible,
                latest.version if latest else None,
            )  # fmt: skip
            try:
                view, event = self.storage.publish(new, self._clock())
            except ConcurrentModification:
                log.info("concurrent publish; retrying", extra={"track": track, "schema": name})
                continue
            log.info(
                "schema published",
                extra={"track": track, "schema": name, "version": new.version, "sha256": sha256,
                       "classification": classification, "forced": new.forced, "event_id": event.id},
            )  # fmt: skip
            record = SchemaRecord(
                view.subject, view.latest, StoredSchema(view.latest.schema_id, sha256, accepted.canonical)
            )
            return PublishOutcome(record, created=True, compatibility=result, event=event)
        raise ConcurrentModification(
            f"{track}/{name} kept changing while publishing; gave up after {self._max_attempts} attempts"
        )

    def deprecate(self, track: str, name: str, reason: str) -> DeprecateOutcome:
        """Deprecate the subject (idempotent: already deprecated gives no new event)."""
        check_track(track)
        check_name(name)
        reason = reason.strip()
        if not 1 <= len(reason) <= MAX_REASON_LENGTH:
            raise InvalidInput(f"a deprecation reason of 1-{MAX_REASON_LENGTH} characters is required")
        view, event = self.storage.deprecate(track, name, reason, self._clock())
        if event is not None:
            log.info("schema deprecated", extra={"track": track, "schema": name, "event_id": event.id})
        return DeprecateOutcome(self._record(view.subject, view.latest), event)


__all__ = [
    "MAX_EVENTS_PAGE",
    "MAX_REASON_LENGTH",
    "DeprecateOutcome",
    "Limits",
    "PublishOutcome",
    "RegistryService",
    "SchemaRecord",
    "parse_mode",
    "parse_policy",
    "utcnow",
]
