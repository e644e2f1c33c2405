"""Dead-letter entries: what the bus writes to ``<stream>.dlq`` and how DLQ tools read it back.

A DLQ entry is an ordinary envelope of type ``pulse.dead_letter`` whose payload is::

    {"stream": "md.bars", "entry_id": "1729000000000-0", "group": "store", "delivery_count": 5,
     "error": "last error recorded by fail()", "dead_lettered_at": 1729000123.4,
     "original": "<the original entry, as text>", "original_encoding": "utf-8" | "base64"}

``original`` keeps the exact bytes of the source entry, even when they were not JSON (that is usually why
the entry died): UTF-8 text as is, anything else base64-encoded. Replay decodes it with
:meth:`DeadLetter.original_bytes` and re-publishes it.

Consumers that reject an entry for what it *says* (the pipeline's schema validation) add a verdict to
the same payload, so one reader (``mdp dlq``) handles both kinds::

    "reason": "invalid" | "schema unavailable" | "malformed" | "schema mismatch",
    "mode": "strict", "schema": {"track": "v1", "name": "md.Bar", "sha256": "<hex>" | null},
    "errors": [{"path": "/open", "message": "...", "keyword": "exclusiveMinimum"}],
    "first_seen": 1729000100.5, "attempts": 0

``first_seen`` is when the entry was first rejected (kept across replays) and ``attempts`` how many
replays it has failed. Letters written by the bus itself (max deliveries) have none of these keys.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from mdp.pulse.envelope import Envelope, decode_envelope
from mdp.pulse.errors import EnvelopeError

DEAD_LETTER_TYPE: Final = "pulse.dead_letter"
MAX_ERROR_CHARS: Final = 2000
"""Recorded errors are truncated to this many characters (a traceback must not bloat Redis)."""
MAX_ISSUES: Final = 20
"""At most this many validation errors are kept per letter."""

Encoding = Literal["utf-8", "base64"]


def clip_error(error: str) -> str:
    """Bound an error message to :data:`MAX_ERROR_CHARS`."""
    return error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 3] + "..."


def _encode_original(raw: bytes) -> tuple[str, Encoding]:
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), "base64"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A dead-lettered entry: where it came from, why it died, and its original bytes."""

    stream: str
    entry_id: str
    group: str
    delivery_count: int
    error: str
    dead_lettered_at: float
    original: str
    original_encoding: Encoding = "utf-8"
    # The verdict of a consumer that rejected the entry for its content (None/empty for bus letters).
    reason: str | None = None
    mode: str | None = None
    schema: Mapping[str, Any] | None = None
    errors: tuple[Mapping[str, Any], ...] = ()
    first_seen: float | None = None
    attempts: int = 0

    @property
    def is_rejection(self) -> bool:
        """Whether a validating consumer rejected the entry (rather than the bus giving up on it)."""
        return self.reason is not None

    def with_verdict(
        self,
        *,
        reason: str,
        mode: str,
        schema: Mapping[str, Any] | None,
        errors: list[Mapping[str, Any]] | tuple[Mapping[str, Any], ...],
        now: float,
        attempts: int | None = None,
    ) -> DeadLetter:
        """This letter with a (new) verdict; ``first_seen`` is kept when already set."""
        issues = tuple(
            {
                "path": str(issue.get("path", "")),
                "message": clip_error(str(issue.get("message", ""))),
                "keyword": issue.get("keyword"),
            }
            for issue in list(errors)[:MAX_ISSUES]
        )
        summary = (
            reason if not issues else f"{reason}: {issues[0]['path'] or '(root)'}: {issues[0]['message']}"
        )
        return replace(
            self,
            error=clip_error(summary),
            reason=reason,
            mode=mode,
            schema=dict(schema) if schema is not None else None,
            errors=issues,
            first_seen=self.first_seen if self.first_seen is not None else now,
            attempts=self.attempts if attempts is None else attempts,
            dead_lettered_at=now,
        )

    @classmethod
    def of(
        cls,
        *,
        stream: str,
        entry_id: str,
        group: str,
        delivery_count: int,
        error: str,
        raw: bytes,
        now: float,
    ) -> DeadLetter:
        """Build from the source entry's raw bytes (``now``: epoch seconds, passed in)."""
        original, encoding = _encode_original(raw)
        return cls(stream, entry_id, group, delivery_count, clip_error(error), now, original, encoding)

    def original_bytes(self) -> bytes:
        """The exact bytes of the source entry."""
        if self.original_encoding == "base64":
            return base64.b64decode(self.original)
        return self.original.encode("utf-8")

    def original_envelope(self) -> Envelope | None:
        """The source envelope if it was valid (``None`` for malformed entries)."""
        return decode_envelope(self.original_bytes())[0]

    def to_payload(self) -> dict[str, Any]:
        """The payload of the DLQ envelope."""
        payload: dict[str, Any] = {
            "stream": self.stream,
            "entry_id": self.entry_id,
            "group": self.group,
            "delivery_count": self.delivery_count,
            "error": self.error,
            "dead_lettered_at": self.dead_lettered_at,
            "original": self.original,
            "original_encoding": self.original_encoding,
        }
        if self.reason is not None:
            payload.update(
                reason=self.reason,
                mode=self.mode,
                schema=self.schema,
                errors=list(self.errors),
                first_seen=self.first_seen,
                attempts=self.attempts,
            )
        return payload

    def to_envelope(self, *, source: str) -> Envelope:
        """The envelope written to ``<stream>.dlq``."""
        return Envelope.create(DEAD_LETTER_TYPE, self.to_payload(), source=source, ts=self.dead_lettered_at)

    @classmethod
    def from_envelope(cls, envelope: Envelope) -> DeadLetter:
        """Parse a DLQ envelope; :class:`EnvelopeError` if it is not one."""
        if envelope.type != DEAD_LETTER_TYPE:
            raise EnvelopeError(f"envelope {envelope.id} is a {envelope.type!r}, not a {DEAD_LETTER_TYPE!r}")
        payload = envelope.payload
        if not isinstance(payload, Mapping):
            raise EnvelopeError(f"dead letter {envelope.id} has no payload object")
        try:
            encoding = payload.get("original_encoding", "utf-8")
            if encoding not in ("utf-8", "base64"):
                raise EnvelopeError(f"dead letter {envelope.id} has unknown encoding {encoding!r}")
            letter = cls(
                stream=_text(payload, "stream"),
                entry_id=_text(payload, "entry_id"),
                group=_text(payload, "group"),
                delivery_count=int(payload["delivery_count"]),
                error=_text(payload, "error"),
                dead_lettered_at=float(payload["dead_lettered_at"]),
                original=_text(payload, "original"),
                original_encoding=encoding,
                **_verdict(payload),
            )
            letter.original_bytes()  # fail now on a corrupt base64 body, not at replay time
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            if isinstance(exc, EnvelopeError):
                raise
            raise EnvelopeError(f"dead letter {envelope.id} payload is invalid: {exc!r}") from exc
        return letter


def _verdict(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The optional verdict keys of a rejection letter, type-checked (absent for bus letters)."""
    if payload.get("reason") is None:
        return {}
    schema = payload.get("schema")
    errors = payload.get("errors") or []
    first_seen = payload.get("first_seen")
    mode = payload.get("mode")
    if schema is not None and not isinstance(schema, Mapping):
        raise TypeError("schema must be an object or null")
    if not isinstance(errors, list) or not all(isinstance(issue, Mapping) for issue in errors):
        raise TypeError("errors must be a list of objects")
    if mode is not None and not isinstance(mode, str):
        raise TypeError("mode must be a string")
    return {
        "reason": _text(payload, "reason"),
        "mode": mode,
        "schema": schema,
        "errors": tuple(errors[:MAX_ISSUES]),
        "first_seen": float(first_seen) if first_seen is not None else None,
        "attempts": int(payload.get("attempts") or 0),
    }


def _text(payload: Mapping[str, Any], key: str) -> str:
    value = payload[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} must be a string")
    return value


__all__ = ["DEAD_LETTER_TYPE", "MAX_ERROR_CHARS", "MAX_ISSUES", "DeadLetter", "clip_error"]
