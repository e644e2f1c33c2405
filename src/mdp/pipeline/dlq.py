"""Dead-letter records of the pipeline and the DLQ operations behind ``mdp dlq`` (list, show, replay, purge).

A rejected message becomes a :class:`~mdp.pulse.deadletter.DeadLetter` with a verdict (``reason``,
``mode``, ``schema``, ``errors``, ``first_seen``, ``attempts``): the same ``pulse.dead_letter`` envelope the
bus writes after too many deliveries, so both kinds live side by side and are read by the same code.

Replay re-validates each letter's original envelope with the *current* schema (strict, whatever the
service's mode): what passes is published, unchanged, to the output stream and only then deleted from the
DLQ; what still fails is written again with its new errors and ``attempts + 1`` (new entry first, then the
old one deleted), so a crash in between leaves a duplicate, never a loss. The store is idempotent by
envelope id, so a duplicate downstream is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from mdp.enforcement import Enforcer, Ruling
from mdp.pulse.base import Delivery, EventBus, StreamEntry
from mdp.pulse.deadletter import DeadLetter
from mdp.pulse.envelope import decode_envelope
from mdp.pulse.errors import EnvelopeError

PAGE: Final = 200
_REASONS: Final = {"invalid": "invalid", "schema_unavailable": "schema unavailable", "malformed": "malformed"}


def rejection_reason(ruling: Ruling) -> str:
    """The DLQ ``reason`` of a ruling: invalid, schema unavailable, malformed or schema mismatch."""
    if (
        ruling.outcome == "invalid"
        and ruling.errors
        and ruling.errors[0].message.startswith("schema mismatch")
    ):
        return "schema mismatch"
    return _REASONS.get(ruling.outcome or "", "invalid")


def _schema(ruling: Ruling) -> dict[str, Any] | None:
    return dict(ruling.schema.to_dict()) if ruling.schema is not None else None


def rejection_letter(delivery: Delivery, ruling: Ruling, *, mode: str, now: float) -> DeadLetter:
    """The DLQ record of a message the enforcer rejected."""
    return DeadLetter.of(
        stream=delivery.stream,
        entry_id=delivery.message_id,
        group=delivery.group,
        delivery_count=delivery.delivery_count,
        error="",
        raw=delivery.raw,
        now=now,
    ).with_verdict(
        reason=rejection_reason(ruling),
        mode=mode,
        schema=_schema(ruling),
        errors=[issue.to_dict() for issue in ruling.errors],
        now=now,
    )


def malformed_letter(delivery: Delivery, *, mode: str, now: float) -> DeadLetter:
    """The DLQ record of an entry that is not an envelope at all (its exact bytes are kept)."""
    return DeadLetter.of(
        stream=delivery.stream,
        entry_id=delivery.message_id,
        group=delivery.group,
        delivery_count=delivery.delivery_count,
        error="",
        raw=delivery.raw,
        now=now,
    ).with_verdict(
        reason="malformed",
        mode=mode,
        schema=None,
        errors=[{"path": "", "message": delivery.error or "not an envelope", "keyword": None}],
        now=now,
    )


@dataclass(frozen=True, slots=True)
class DlqEntry:
    """One entry of a DLQ stream: its id there, and the letter (``None`` if unreadable, with ``problem``)."""

    entry_id: str
    letter: DeadLetter | None
    problem: str | None = None

    @classmethod
    def of(cls, entry: StreamEntry) -> DlqEntry:
        if entry.envelope is None:
            return cls(entry.message_id, None, entry.error or "not an envelope")
        try:
            return cls(entry.message_id, DeadLetter.from_envelope(entry.envelope))
        except EnvelopeError as exc:
            return cls(entry.message_id, None, str(exc))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``mdp dlq ls --json`` / ``show --json``)."""
        return {
            "id": self.entry_id,
            "problem": self.problem,
            "letter": self.letter.to_payload() if self.letter is not None else None,
        }


async def list_entries(bus: EventBus, stream: str, *, start: str = "-", count: int = 50) -> list[DlqEntry]:
    """Up to ``count`` entries from ``start`` (oldest first)."""
    return [DlqEntry.of(entry) for entry in await bus.read_range(stream, start, "+", count)]


async def get_entry(bus: EventBus, stream: str, entry_id: str) -> DlqEntry | None:
    """One entry by its DLQ id."""
    found = await bus.read_range(stream, entry_id, entry_id, 1)
    return DlqEntry.of(found[0]) if found else None


async def _all_entries(bus: EventBus, stream: str) -> list[DlqEntry]:
    out: list[DlqEntry] = []
    start = "-"
    while True:
        page = await bus.read_range(stream, start, "+", PAGE)
        out.extend(DlqEntry.of(entry) for entry in page)
        if len(page) < PAGE:
            return out
        start = "(" + page[-1].message_id


async def select(bus: EventBus, stream: str, ids: Sequence[str] | None) -> tuple[list[DlqEntry], list[str]]:
    """The entries named by ``ids`` (all when ``None``) and the ids that were not found."""
    if ids is None:
        return await _all_entries(bus, stream), []
    found, missing = [], []
    for entry_id in ids:
        entry = await get_entry(bus, stream, entry_id)
        if entry is None:
            missing.append(entry_id)
        else:
            found.append(entry)
    return found, missing


async def purge(bus: EventBus, stream: str, ids: Sequence[str] | None = None) -> int:
    """Delete the given entries (every entry when ``ids`` is ``None``); returns how many went."""
    entries, _ = await select(bus, stream, ids)
    deleted = 0
    for start in range(0, len(entries), PAGE):
        deleted += await bus.delete(stream, [entry.entry_id for entry in entries[start : start + PAGE]])
    return deleted


@dataclass
class ReplayReport:
    """What a replay did (or would do, with ``dry_run``), per DLQ entry id."""

    passed: list[str] = field(default_factory=list)
    still_failing: dict[str, DeadLetter] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "passed": self.passed,
            "still_failing": {key: letter.to_payload() for key, letter in self.still_failing.items()},
            "unreadable": self.unreadable,
            "missing": self.missing,
        }


def judge_letter(letter: DeadLetter, enforcer: Enforcer, *, stream: str, now: float) -> DeadLetter | None:
    """``None`` if the letter's original passes the current schema now, else the letter with new errors."""
    attempts = letter.attempts + 1
    original, problem = decode_envelope(letter.original_bytes())
    if original is None:
        return letter.with_verdict(
            reason="malformed",
            mode="strict",
            schema=None,
            errors=[{"path": "", "message": problem or "not an envelope", "keyword": None}],
            now=now,
            attempts=attempts,
        )
    ruling = enforcer.enforce_columns([original.payload], original.schema, stream=stream).rulings[0]
    if ruling.action != "dead_letter":
        return None
    return letter.with_verdict(
        reason=rejection_reason(ruling),
        mode="strict",
        schema=_schema(ruling),
        errors=[issue.to_dict() for issue in ruling.errors],
        now=now,
        attempts=attempts,
    )


async def replay(
    bus: EventBus,
    stream: str,
    enforcer: Enforcer,
    *,
    output: str,
    bound_stream: str,
    ids: Sequence[str] | None = None,
    dry_run: bool = False,
    now: float,
    source: str = "mdp-dlq",
) -> ReplayReport:
    """Re-validate DLQ entries (all when ``ids`` is ``None``) and move what passes to ``output``.

    ``enforcer`` must be strict; ``bound_stream`` is the stream whose binding names the schema (the
    pipeline's input stream). Nothing is deleted before its replacement (output or new letter) is written.
    """
    if enforcer.mode != "strict" or not enforcer.enabled:
        raise ValueError("replay needs a strict, enabled enforcer: only proven-valid messages leave the DLQ")
    entries, missing = await select(bus, stream, ids)
    report = ReplayReport(missing=missing, dry_run=dry_run)
    for start in range(0, len(entries), PAGE):
        page = entries[start : start + PAGE]
        passed: list[tuple[str, bytes]] = []
        failing: list[tuple[str, DeadLetter]] = []
        for entry in page:
            if entry.letter is None:
                report.unreadable[entry.entry_id] = entry.problem or "unreadable"
                continue
            verdict = judge_letter(entry.letter, enforcer, stream=bound_stream, now=now)
            if verdict is None:
                passed.append((entry.entry_id, entry.letter.original_bytes()))
            else:
                failing.append((entry.entry_id, verdict))
        report.passed += [entry_id for entry_id, _ in passed]
        report.still_failing.update(failing)
        if dry_run:
            continue
        if passed:
            await bus.publish_raw(output, [raw for _, raw in passed])
            await bus.delete(stream, [entry_id for entry_id, _ in passed])
        if failing:
            await bus.publish_many(stream, [letter.to_envelope(source=source) for _, letter in failing])
            await bus.delete(stream, [entry_id for entry_id, _ in failing])
    return report


__all__ = [
    "DlqEntry",
    "ReplayReport",
    "get_entry",
    "judge_letter",
    "list_entries",
    "malformed_letter",
    "purge",
    "rejection_letter",
    "rejection_reason",
    "replay",
    "select",
]
