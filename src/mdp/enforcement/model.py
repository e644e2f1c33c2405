"""Value types of enforcement: schema references, validation issues, rulings and verdicts.

A :class:`Verdict` is made for every message on the hot path, so it is deliberately tiny: the parsed
payload plus a shared :class:`Ruling` (outcome, action, severity, reason, schema, errors). All the valid
messages of a batch share one ruling; each failed message gets its own, carrying its errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from mdp.enforcement.policy import Action, Outcome, Severity

TRACK_RE: Final = re.compile(r"^v[0-9]{1,3}$")
NAME_RE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
SHA256_RE: Final = re.compile(r"^[0-9a-f]{64}$")
MAX_NAME_LENGTH: Final = 200


@dataclass(frozen=True, slots=True)
class SchemaRef:
    """Which schema a message is (or was) validated against; ``sha256`` is ``None`` when not pinned."""

    track: str
    name: str
    sha256: str | None = None

    def __str__(self) -> str:
        suffix = f"@{self.sha256[:12]}" if self.sha256 else ""
        return f"{self.track}/{self.name}{suffix}"

    @property
    def key(self) -> tuple[str, str]:
        return (self.track, self.name)

    def to_dict(self) -> dict[str, str | None]:
        return {"track": self.track, "name": self.name, "sha256": self.sha256}

    @classmethod
    def parse(cls, value: object, *, default_track: str) -> SchemaRef:
        """A reference from an envelope's ``{track?, name, sha256?}``, checked like registry names.

        Accepts a mapping (the wire form), a :class:`SchemaRef`, or any object with ``track``, ``name``
        and ``sha256`` attributes (such as Pulse's envelope reference, without importing Pulse).
        Raises ``ValueError`` naming the bad field; envelope data is untrusted.
        """
        if isinstance(value, SchemaRef):
            return value
        if isinstance(value, Mapping):
            name, track, sha256 = value.get("name"), value.get("track"), value.get("sha256")
        elif hasattr(value, "name") and hasattr(value, "track"):
            name, track, sha256 = value.name, value.track, getattr(value, "sha256", None)
        else:
            raise ValueError(f"schema reference must be an object, got {type(value).__name__}")
        if track is None:
            track = default_track
        if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH or not NAME_RE.match(name):
            raise ValueError("schema reference has no valid 'name'")
        if not isinstance(track, str) or not TRACK_RE.match(track):
            raise ValueError("schema reference has an invalid 'track'")
        if sha256 is not None and (not isinstance(sha256, str) or not SHA256_RE.match(sha256)):
            raise ValueError("schema reference has an invalid 'sha256'")
        return cls(track, name, sha256)


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One reason a message failed: where (JSON pointer into the message), what, and which keyword."""

    path: str
    message: str
    keyword: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"path": self.path, "message": self.message, "keyword": self.keyword}


@dataclass(frozen=True, slots=True)
class Ruling:
    """The shared part of a verdict. ``outcome`` is ``None`` when the message was not validated."""

    outcome: Outcome | None
    action: Action
    severity: Severity
    reason: str
    schema: SchemaRef | None = None
    errors: tuple[ValidationIssue, ...] = ()


class Verdict:
    """The enforcer's answer for one message: its parsed payload and the ruling on it.

    ``payload`` is the parsed message (a dict for valid messages) so the caller never parses twice; it is
    ``None`` when the bytes could not be parsed, or were not parsed because validation is off.
    """

    __slots__ = ("payload", "ruling")

    def __init__(self, payload: Any, ruling: Ruling) -> None:
        self.payload = payload
        self.ruling = ruling

    @property
    def outcome(self) -> Outcome | None:
        return self.ruling.outcome

    @property
    def validated(self) -> bool:
        return self.ruling.outcome is not None

    @property
    def valid(self) -> bool:
        """True only when the message was validated and passed."""
        return self.ruling.outcome == "valid"

    @property
    def action(self) -> Action:
        return self.ruling.action

    @property
    def forwards(self) -> bool:
        """Whether the message goes on to its destination (forward or skip), i.e. not to the DLQ."""
        return self.ruling.action != "dead_letter"

    @property
    def severity(self) -> Severity:
        return self.ruling.severity

    @property
    def reason(self) -> str:
        return self.ruling.reason

    @property
    def schema(self) -> SchemaRef | None:
        return self.ruling.schema

    @property
    def errors(self) -> tuple[ValidationIssue, ...]:
        return self.ruling.errors

    def to_dict(self) -> dict[str, Any]:
        """Everything but the payload, as JSON-ready data (for the DLQ, logs and ``--json``)."""
        return {
            "valid": self.valid,
            "outcome": self.outcome,
            "action": self.action,
            "severity": self.severity,
            "reason": self.reason,
            "schema": self.schema.to_dict() if self.schema else None,
            "errors": [issue.to_dict() for issue in self.errors],
        }

    def __repr__(self) -> str:
        return f"Verdict(action={self.action!r}, outcome={self.outcome!r}, reason={self.reason!r})"


__all__ = [
    "MAX_NAME_LENGTH",
    "NAME_RE",
    "SHA256_RE",
    "TRACK_RE",
    "Ruling",
    "SchemaRef",
    "ValidationIssue",
    "Verdict",
]
