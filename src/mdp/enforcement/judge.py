"""The message path: a batch of items in, a column of payloads and a column of rulings out.

Why columns. On the hot path Python bytecode per message is the cost to beat (a bare ``orjson.loads`` +
``is_valid`` loop does little else), and so are GC-tracked objects per message. So a batch is judged in
C-level passes: ``list.extend(map(orjson.loads, it))`` parses (a malformed item interrupts it once and the
pass resumes after it), ``map(validator.is_valid, ...)`` validates, ``[ok] * n`` fills the rulings with
the batch's one shared "valid" ruling, and only failures (found with ``list.index``, also C) get their own
ruling with extracted errors. :class:`VerdictBatch` exposes the result as a sequence of :class:`Verdict`
created on access; callers that only route (forward or dead-letter) never create one per message.

Anything unusual (an oversized or unsized item, an opt-in depth limit) takes the careful per-item path,
which gives the same answers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

import orjson

from mdp.enforcement.model import Ruling, SchemaRef, ValidationIssue, Verdict
from mdp.enforcement.payloads import coerce, decode_problem, json_kind
from mdp.enforcement.policy import Decision, Outcome
from mdp.enforcement.validators import CompiledSchema, extract_issues

_NOT_JSON_DATA = (ValueError, TypeError, OverflowError)  # jsonschema-rs on a Mapping it cannot convert


def _is_dict(item: object) -> bool:
    return type(item) is dict


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int
    max_depth: int | None
    max_errors: int
    max_message_length: int

    def clip(self, text: str) -> str:
        limit = self.max_message_length
        return text if len(text) <= limit else text[: limit - 1] + "…"


class VerdictBatch(Sequence[Verdict]):
    """The verdicts of one batch as two columns; indexing or iterating makes :class:`Verdict` objects.

    ``rulings[i].action`` is all a router needs; ``failures`` lists the indices that were not valid.
    """

    __slots__ = ("failures", "payloads", "rulings")

    def __init__(self, payloads: list[Any], rulings: list[Ruling], failures: list[int]) -> None:
        self.payloads = payloads
        self.rulings = rulings
        self.failures = failures

    def __len__(self) -> int:
        return len(self.rulings)

    @overload
    def __getitem__(self, index: int) -> Verdict: ...

    @overload
    def __getitem__(self, index: slice) -> list[Verdict]: ...

    def __getitem__(self, index: int | slice) -> Verdict | list[Verdict]:
        if isinstance(index, slice):
            return list(map(Verdict, self.payloads[index], self.rulings[index]))
        return Verdict(self.payloads[index], self.rulings[index])

    def __iter__(self) -> Iterator[Verdict]:
        return map(Verdict, self.payloads, self.rulings)

    def to_list(self) -> list[Verdict]:
        return list(map(Verdict, self.payloads, self.rulings))


class Judge:
    """Judges batches against one compiled schema (or a batch-wide failure) under fixed decisions."""

    __slots__ = ("decisions", "label", "limits", "ok")

    def __init__(
        self,
        label: SchemaRef,
        decisions: Mapping[Outcome, Decision],
        limits: Limits,
        ok: Ruling | None = None,
    ) -> None:
        self.label = label
        self.decisions = decisions
        self.limits = limits
        self.ok = ok if ok is not None else self.ruling("valid")  # shared by every valid message

    def ruling(self, outcome: Outcome, issues: tuple[ValidationIssue, ...] = ()) -> Ruling:
        decision = self.decisions[outcome]
        return Ruling(outcome, decision.action, decision.severity, decision.reason, self.label, issues)

    def malformed(self, problem: str) -> Ruling:
        return self.ruling("malformed", (ValidationIssue("", self.limits.clip(problem), None),))

    def rejected(self, payload: Any, compiled: CompiledSchema) -> Ruling:
        """The ruling for a payload that did not pass ``is_valid``."""
        if type(payload) is not dict:
            return self.malformed(f"payload is a JSON {json_kind(payload)}, expected an object")
        limits = self.limits
        try:
            issues = extract_issues(
                compiled, payload, max_errors=limits.max_errors, max_length=limits.max_message_length
            )
        except _NOT_JSON_DATA as exc:
            return self.malformed(f"payload is not JSON data: {exc}")
        return self.ruling("invalid", issues)

    def one(self, item: object, compiled: CompiledSchema) -> tuple[Any, Ruling]:
        """The careful path for a single item."""
        limits = self.limits
        payload, problem = coerce(item, max_bytes=limits.max_bytes, max_depth=limits.max_depth)
        if problem is not None:
            return payload, self.malformed(problem)
        if type(payload) is dict:
            try:
                if compiled.validator.is_valid(payload):
                    return payload, self.ok
            except _NOT_JSON_DATA as exc:
                return payload, self.malformed(f"payload is not JSON data: {exc}")
        return payload, self.rejected(payload, compiled)

    def batch(self, items: Sequence[object], compiled: CompiledSchema) -> VerdictBatch:
        if not items:
            return VerdictBatch([], [], [])
        limits = self.limits
        if limits.max_depth is None and all(map(_is_dict, items)):
            # Already parsed (a consumer whose transport decoded the envelope): nothing to parse or size.
            try:
                return self._validate(list(items), {}, compiled)
            except _NOT_JSON_DATA:
                pass  # a mapping jsonschema-rs cannot convert: the careful path says which one
        try:
            plain = limits.max_depth is None and max(map(len, items)) <= limits.max_bytes  # type: ignore[arg-type]
        except TypeError:  # an item without a length: not bytes, str or a mapping
            plain = False
        if not plain:
            payloads, rulings = [], []
            for item in items:
                payload, ruling = self.one(item, compiled)
                payloads.append(payload)
                rulings.append(ruling)
            return VerdictBatch(payloads, rulings, [i for i, r in enumerate(rulings) if r.outcome != "valid"])
        return self._fast(items, compiled)

    def _fast(self, items: Sequence[object], compiled: CompiledSchema) -> VerdictBatch:
        # Pass 1: parse in C. Each item orjson refuses (malformed bytes, or not bytes at all) stops the
        # map once; it is judged on its own and the same iterator resumes after it.
        payloads: list[Any] = []
        decided: dict[int, Ruling] = {}
        remaining: Iterator[Any] = iter(items)  # orjson refuses non-text itself, which is the point
        loads, decode_error = orjson.loads, orjson.JSONDecodeError
        while True:
            try:
                payloads.extend(map(loads, remaining))
                break
            except decode_error as exc:
                index = len(payloads)
                item = items[index]
                if isinstance(item, bytes | bytearray | memoryview | str):
                    payloads.append(None)
                    decided[index] = self.malformed(decode_problem(exc))
                else:
                    payload, decided[index] = self.one(item, compiled)
                    payloads.append(payload)
        return self._validate(payloads, decided, compiled)

    def _validate(
        self, payloads: list[Any], decided: dict[int, Ruling], compiled: CompiledSchema
    ) -> VerdictBatch:
        # Pass 2: validate in C (items decided on their own are not validated again), then give every
        # failure its own ruling; valid ones share one.
        checked = payloads
        if decided:
            checked = payloads.copy()
            for index in decided:
                checked[index] = None
        oks = list(map(compiled.validator.is_valid, checked))
        ok = self.ok
        rulings = [ok] * len(payloads)
        failures: list[int] = []
        index = -1
        while True:
            try:
                index = oks.index(False, index + 1)
            except ValueError:
                break
            if index not in decided:
                rulings[index] = self.rejected(payloads[index], compiled)
                failures.append(index)
        for index, ruling in decided.items():
            rulings[index] = ruling
            if ruling.outcome != "valid":
                failures.append(index)
        if not compiled.root_is_object:  # the schema admits non-objects; messages must still be objects
            for index, payload in enumerate(payloads):
                if oks[index] and index not in decided and type(payload) is not dict:
                    rulings[index] = self.rejected(payload, compiled)
                    failures.append(index)
        failures.sort()
        return VerdictBatch(payloads, rulings, failures)

    def unchecked(self, items: Sequence[object], outcome: Outcome, detail: str) -> VerdictBatch:
        """A batch without a usable schema: malformed items are malformed, the rest get ``outcome``."""
        limits = self.limits
        failure = self.ruling(outcome, (ValidationIssue("", limits.clip(detail), None),))
        payloads, rulings = [], []
        for item in items:
            payload, problem = coerce(item, max_bytes=limits.max_bytes, max_depth=limits.max_depth)
            payloads.append(payload)
            rulings.append(failure if problem is None else self.malformed(problem))
        return VerdictBatch(payloads, rulings, list(range(len(rulings))))


def skipped(items: Sequence[object], ruling: Ruling) -> VerdictBatch:
    """Validation is off: every item forwarded untouched (mappings are their own payload)."""
    payloads = [item if isinstance(item, Mapping) else None for item in items]
    return VerdictBatch(payloads, [ruling] * len(items), [])


__all__ = ["Judge", "Limits", "VerdictBatch", "skipped"]
