"""The enforcer: bytes (or parsed payloads) in, one verdict per message out.

It knows nothing about Pulse or any transport; the pipeline consumes, calls :meth:`Enforcer.enforce_batch`
(a ``list[Verdict]``) or :meth:`Enforcer.enforce_columns` (the same verdicts as columns, the fastest
form) and forwards or dead-letters accordingly. Per batch it resolves the schema once and judges the
messages in C-level passes (:mod:`mdp.enforcement.judge`); errors are extracted only for failures, and
metrics, stats and (rate-limited) log lines are written once per batch, never per message.

How the schema of a batch is chosen (see docs/enforcement.md):

1. a stream binding (``bindings={"md.bars.raw": ("v1", "md.Bar")}``) is authoritative: operators decide
   what a stream carries, so a producer cannot pick a laxer schema by declaring one. If the envelope
   reference names another schema, the messages are ``invalid`` ("schema mismatch");
2. otherwise the envelope reference ``{track?, name, sha256?}`` (track defaults to ``default_track``);
3. otherwise the schema is unavailable.

The content is whatever the :class:`SchemaProvider` serves for (track, name) now (asked once per batch,
a dict look-up in the client's cache), compiled once per sha256 in the :class:`ValidatorCache`.
:meth:`Enforcer.on_schema_change`, the client's change callback, compiles a new version as soon as a poll
or ``schema.published`` brings it in, off the message path. If the provider fails or serves content that
does not compile, the last good validator stays in force. A pinned ``sha256`` in the envelope is
informational: the consumer's current schema is the contract being enforced.

Not thread-safe: use one enforcer per event loop (mode switches and swaps may come from the same loop).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from prometheus_client import CollectorRegistry

from mdp.contracts.telemetry import ValidationStats
from mdp.enforcement.accounting import Accounting
from mdp.enforcement.base import SchemaProvider
from mdp.enforcement.errors import InvalidSchema, SchemaValidationError
from mdp.enforcement.judge import Judge, Limits, VerdictBatch, skipped
from mdp.enforcement.metrics import EnforcementMetrics, enforcement_metrics
from mdp.enforcement.model import NAME_RE, TRACK_RE, Ruling, SchemaRef, Verdict
from mdp.enforcement.payloads import DEFAULT_MAX_BYTES
from mdp.enforcement.policy import OUTCOMES, Decision, Mode, Outcome, decide, parse_mode, validation_active
from mdp.enforcement.stats import StatsWindow
from mdp.enforcement.validators import (
    DEFAULT_MAX_ERRORS,
    DEFAULT_MAX_MESSAGE_LENGTH,
    CompiledSchema,
    ValidatorCache,
)
from mdp.settings import MdpSettings

logger = logging.getLogger("mdp.enforcement")

Item = bytes | bytearray | memoryview | str | Mapping[str, Any]
# A SchemaRef, the wire form {track?, name, sha256?}, or any object with those attributes (Pulse's ref).
RefLike = object
BindingLike = SchemaRef | tuple[str, str]

UNKNOWN_SCHEMA: Final = "(unknown)"


class _Target:
    """What one batch is checked against: a compiled schema, or a batch-wide failure and its detail."""

    __slots__ = ("compiled", "detail", "label", "outcome")

    def __init__(
        self,
        label: SchemaRef,
        compiled: CompiledSchema | None,
        outcome: Outcome | None = None,
        detail: str = "",
    ) -> None:
        self.label = label
        self.compiled = compiled
        self.outcome = outcome
        self.detail = detail


class Enforcer:
    """Validates messages against registry schemas and decides forward / dead-letter / skip per the policy."""

    def __init__(
        self,
        *,
        schemas: SchemaProvider,
        mode: Mode | str = "warn",
        enabled: bool = True,
        metrics: EnforcementMetrics | None = None,
        default_track: str = "v1",
        bindings: Mapping[str, BindingLike] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_depth: int | None = None,
        max_errors: int = DEFAULT_MAX_ERRORS,
        max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH,
        service: str = "mdp-pipeline",
        instance: str | None = None,
        started_at: float | None = None,
        clock: Callable[[], float] = time.time,
        log_interval: float = 1.0,
        log_failures: bool = True,
    ) -> None:
        if not TRACK_RE.match(default_track):
            raise ValueError(f"default_track {default_track!r} is not a track name like v1")
        self._schemas = schemas
        self._metrics = metrics if metrics is not None else enforcement_metrics(CollectorRegistry())
        self._validators = ValidatorCache()
        self._unusable: dict[str, str] = {}  # sha256 -> why that content cannot be compiled
        self._default_track = default_track
        self._bindings: dict[str, SchemaRef] = {}
        for stream, binding in (bindings or {}).items():
            self.bind_stream(stream, *(binding.key if isinstance(binding, SchemaRef) else binding))
        self._limits = Limits(max_bytes, max_depth, max_errors, max_message_length)
        stats = StatsWindow(
            service=service,
            instance=instance or f"{socket.gethostname()}-{os.getpid()}",
            started_at=clock() if started_at is None else started_at,
        )
        self._accounting = Accounting(
            self._metrics, stats, clock=clock, log_interval=log_interval, log_failures=log_failures
        )
        self._mode: Mode = parse_mode(mode)
        self._enabled = enabled
        self._apply_mode()

    @classmethod
    def from_settings(cls, settings: MdpSettings, *, schemas: SchemaProvider, **options: Any) -> Enforcer:
        """An enforcer configured by REGISTRY_ENFORCEMENT, REGISTRY_ENABLED and REGISTRY_TRACK."""
        return cls(
            schemas=schemas,
            mode=settings.registry_enforcement,
            enabled=settings.registry_enabled,
            default_track=settings.registry_track,
            **options,
        )

    # -- configuration (all of it changeable at runtime, e.g. from an admin endpoint) ---------------------

    @property
    def mode(self) -> Mode:
        return self._mode

    @mode.setter
    def mode(self, value: Mode | str) -> None:
        new = parse_mode(value)
        if new != self._mode:
            logger.info("enforcement mode changed from %s to %s", self._mode, new, extra={"mode": new})
        self._mode = new
        self._apply_mode()

    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        if value != self._enabled:
            logger.info("registry validation %s", "enabled" if value else "disabled (rollback level 2)")
        self._enabled = value
        self._apply_mode()

    @property
    def metrics(self) -> EnforcementMetrics:
        return self._metrics

    @property
    def validators(self) -> ValidatorCache:
        return self._validators

    def _apply_mode(self) -> None:
        self._decisions: dict[Outcome, Decision] = {o: decide(self._mode, self._enabled, o) for o in OUTCOMES}
        self._active = validation_active(self._mode, self._enabled)
        skip = self._decisions["valid"]
        self._skip_ruling = Ruling(None, skip.action, skip.severity, skip.reason)
        self._valid_rulings: dict[SchemaRef, Ruling] = {}
        self._metrics.set_mode(self._mode, self._enabled)

    def bind_stream(self, stream: str, track: str, name: str) -> None:
        """Make ``stream``'s messages validate against ``track``/``name`` whatever their envelopes say."""
        if not TRACK_RE.match(track) or not NAME_RE.match(name):
            raise ValueError(f"invalid binding for stream {stream!r}: {track}/{name}")
        self._bindings[stream] = SchemaRef(track, name)

    # -- schemas -------------------------------------------------------------------------------------------

    def on_schema_change(self, track: str, name: str, old_sha256: str | None, new_sha256: str | None) -> None:
        """Change callback for the registry client (poll or ``schema.published``): re-read and swap.

        Never raises: a provider failure or an uncompilable schema is logged and the previous validator
        stays in force.
        """
        if new_sha256 is None:
            if self._validators.unbind(track, name):
                logger.warning("schema %s/%s was removed from the registry; no longer validated", track, name)
            return
        try:
            found = self._schemas.lookup(track, name)
        except Exception:
            logger.exception(
                "schema provider failed while swapping %s/%s; keeping the previous one", track, name
            )
            return
        if found is None:
            logger.warning(
                "change reported for %s/%s but no content is cached; keeping the previous", track, name
            )
            return
        sha256, content = found
        if sha256 in self._unusable:
            return
        try:
            compiled = self._validators.swap(track, name, sha256, content)
            logger.info("schema %s/%s now validates with %s", track, name, compiled.sha256[:12])
        except InvalidSchema as exc:
            self._remember_unusable(SchemaRef(track, name), sha256, exc, self._validators.get(track, name))

    def _load(self, ref: SchemaRef) -> _Target:
        """The validator for ``ref``, checked against the provider once per batch.

        The provider is asked every batch (a dict look-up in the client's cache), so a new version is
        picked up even where no change callback is wired; it is compiled once per sha256. If the provider
        fails, forgets the subject or serves content that does not compile, the last good validator keeps
        working; without one, the batch's schema is unavailable.
        """
        bound = self._validators.get(ref.track, ref.name)
        try:
            found = self._schemas.lookup(ref.track, ref.name)
        except Exception as exc:  # a broken provider must cost verdicts, not the pipeline
            return self._last_good(ref, bound, f"schema provider failed for {ref}: {exc}")
        if found is None:
            return self._last_good(ref, bound, f"{ref} was never fetched and is not cached")
        sha256, content = found
        if bound is not None and bound.sha256 == sha256:
            return _Target(SchemaRef(ref.track, ref.name, sha256), bound)
        problem = self._unusable.get(sha256)
        if problem is None:
            try:
                compiled = self._validators.swap(ref.track, ref.name, sha256, content)
            except InvalidSchema as exc:
                problem = self._remember_unusable(ref, sha256, exc, bound)
            else:
                if bound is not None:
                    logger.info("schema %s now validates with %s", ref, compiled.sha256[:12])
                return _Target(SchemaRef(ref.track, ref.name, compiled.sha256), compiled)
        return self._last_good(ref, bound, problem)

    def _remember_unusable(
        self, ref: SchemaRef, sha256: str, exc: InvalidSchema, bound: CompiledSchema | None
    ) -> str:
        """Note a content that does not compile, so no batch ever tries to compile it again."""
        problem = f"{ref} cannot be used: {exc}"
        if len(self._unusable) >= 1000:
            self._unusable.clear()
        self._unusable[sha256] = problem
        keeping = "keeping the previous version" if bound is not None else "nothing to validate with"
        logger.error("%s (%s); %s", problem, sha256, keeping)
        return problem

    @staticmethod
    def _last_good(ref: SchemaRef, bound: CompiledSchema | None, problem: str) -> _Target:
        if bound is not None:
            return _Target(SchemaRef(ref.track, ref.name, bound.sha256), bound)
        return _Target(ref, None, "schema_unavailable", problem)

    def _target(self, ref: RefLike | None, stream: str | None) -> _Target:
        binding = self._bindings.get(stream) if stream is not None else None
        declared = None
        if ref is not None:
            try:
                declared = SchemaRef.parse(ref, default_track=self._default_track)
            except ValueError as exc:
                label = binding or SchemaRef(self._default_track, UNKNOWN_SCHEMA)
                return _Target(label, None, "malformed", f"invalid schema reference: {exc}")
        chosen = binding or declared
        if chosen is None:
            where = f"stream {stream!r} has no binding" if stream is not None else "no stream given"
            label = SchemaRef(self._default_track, UNKNOWN_SCHEMA)
            return _Target(label, None, "schema_unavailable", f"message has no schema reference and {where}")
        if binding is not None and declared is not None and declared.name != binding.name:
            return _Target(
                binding,
                None,
                "invalid",
                f"schema mismatch: message declares {declared.track}/{declared.name} but stream {stream!r} "
                f"carries {binding.track}/{binding.name}",
            )
        return self._load(chosen)

    # -- the message path -----------------------------------------------------------------------------------

    def enforce_columns(
        self, items: Sequence[Item], ref: RefLike | None = None, *, stream: str | None = None
    ) -> VerdictBatch:
        """The verdicts of a batch as columns (payloads, rulings, failure indices): the fastest form.

        Never raises for a bad message and never drops one: ``len(result) == len(items)``, in order.
        """
        if not items:
            return VerdictBatch([], [], [])
        if not self._active:
            self._accounting.skipped(self._skip_ruling, len(items))
            return skipped(items, self._skip_ruling)
        mode = self._mode
        target = self._target(ref, stream)
        label = target.label
        ok = self._valid_rulings.get(label)
        if ok is None:  # one shared "valid" ruling per schema version and mode, not one per batch
            if len(self._valid_rulings) >= 1000:
                self._valid_rulings.clear()
            decision = self._decisions["valid"]
            ok = self._valid_rulings[label] = Ruling(
                "valid", decision.action, decision.severity, decision.reason, label
            )
        judge = Judge(label, self._decisions, self._limits, ok)
        if target.compiled is not None:
            result = judge.batch(items, target.compiled)
        else:
            assert target.outcome is not None
            result = judge.unchecked(items, target.outcome, target.detail)
        rulings = result.rulings
        failed = [rulings[index] for index in result.failures]
        self._accounting.record(target.label, mode, self._decisions, len(items), failed)
        return result

    def enforce_batch(
        self, items: Sequence[Item], ref: RefLike | None = None, *, stream: str | None = None
    ) -> list[Verdict]:
        """One :class:`Verdict` per item, in order. Never raises for a bad message and never drops one."""
        return self.enforce_columns(items, ref, stream=stream).to_list()

    def enforce_one(self, item: Item, ref: RefLike | None = None, *, stream: str | None = None) -> Verdict:
        """The verdict for a single message (never raises for a bad message)."""
        return self.enforce_columns([item], ref, stream=stream)[0]

    def check(self, item: Item, ref: RefLike | None = None, *, stream: str | None = None) -> Verdict:
        """Like :meth:`enforce_one`, but a strict-mode rejection raises :class:`SchemaValidationError`."""
        verdict = self.enforce_one(item, ref, stream=stream)
        if verdict.action == "dead_letter":
            raise SchemaValidationError(verdict)
        return verdict

    # -- telemetry -----------------------------------------------------------------------------------------

    def set_dlq_depth(self, stream: str, depth: int) -> None:
        """Record the DLQ's length (``schema_dlq_depth{stream}``); whoever reads the DLQ calls this."""
        self._accounting.set_dlq_depth(stream, depth)

    def drain_stats(self, now: float) -> list[ValidationStats]:
        """``ValidationStats`` per (track, schema, mode) since the last drain; the next window starts now."""
        return self._accounting.drain(now)


__all__ = ["UNKNOWN_SCHEMA", "Enforcer", "Item", "RefLike"]
