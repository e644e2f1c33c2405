"""Walk two JSON Schemas side by side and list every difference as a :class:`~mdp.compat.model.Change`.

``diff(old, new)`` is keyword-based: annotations here; ``type``, ``enum``/``const``, bounds,
``pattern``/``format``/``multipleOf`` in :mod:`mdp.compat.scalars`; objects in :mod:`mdp.compat.objects`;
arrays in :mod:`mdp.compat.arrays`; ``allOf``/``anyOf``/``oneOf``/``not`` in :mod:`mdp.compat.combined`.
Keywords that only apply to one instance type are compared when both schemas admit that type (a
``maxLength`` does not matter once ``string`` is no longer allowed: ``TYPE_*`` says so).

Paths follow the traversal: a change inside a ``$ref``'d definition is reported where it is used
(``#/properties/timeframe/enum``), because that is where a reader of the report looks.

Bounded work: every (old, new) pair of schema objects is compared once (memoised). A pair met again while
it is still being compared (a recursive ``$ref``) is assumed compatible, which is the standard coinductive
reading of recursive types and guarantees termination. Nesting deeper than :data:`MAX_PATH` pointer segments
or more than :data:`MAX_WORK` distinct pairs raise :class:`SchemaTooComplexError`; past
:data:`MAX_FINDINGS` reported changes, a definition met again reports one change per kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

from mdp.compat import arrays, combined, objects, scalars
from mdp.compat.errors import SchemaTooComplexError
from mdp.compat.explain import describe, show_types
from mdp.compat.keywords import Path, pointer, show, value_key
from mdp.compat.model import Change, Policy
from mdp.compat.normalize import Document
from mdp.compat.rules import RULES

MAX_PATH = 200
MAX_WORK = 50_000
# Past this many reported changes, a pair compared before and met again (a shared definition reached along
# exponentially many paths) reports one change per kind: the verdict is unchanged, the output stays bounded.
MAX_FINDINGS = 10_000
Labels = tuple[str, str]

_ANNOTATIONS = (
    ("$id", "ID_CHANGED"), ("title", "TITLE_CHANGED"), ("description", "DESCRIPTION_CHANGED"),
    ("default", "DEFAULT_CHANGED"), ("examples", "EXAMPLES_CHANGED"), ("$comment", "COMMENT_CHANGED"),
    ("deprecated", "DEPRECATED_CHANGED"), ("readOnly", "READ_ONLY_CHANGED"),
    ("writeOnly", "WRITE_ONLY_CHANGED"),
    ("contentEncoding", "CONTENT_ANNOTATION_CHANGED"), ("contentMediaType", "CONTENT_ANNOTATION_CHANGED"),
    ("contentSchema", "CONTENT_ANNOTATION_CHANGED"),
)  # fmt: skip
_ANNOTATION_KEYWORDS = frozenset(keyword for keyword, _ in _ANNOTATIONS)
_FLAGS = frozenset({"deprecated", "readOnly", "writeOnly"})  # false means the same as absent
# Assertion keywords mdp does not model; any change to them is reported (and breaks) rather than ignored.
_UNSUPPORTED = ("if", "then", "else", "unevaluatedItems", "minContains", "maxContains", "$dynamicRef",
                "$recursiveRef")  # fmt: skip
_MISSING: Any = object()
_TRUE: Mapping[str, Any] = MappingProxyType({})  # the `true` schema; one object so the memo keys stay stable


class Finding(NamedTuple):
    """A change with its path relative to the pair of schemas being compared."""

    kind: str
    path: Path
    old: Any
    new: Any
    message: str


@dataclass
class _Budget:
    work: int = 0
    findings: int = 0


class Differ:
    """Compares schemas of ``old_doc`` (left) with schemas of ``new_doc`` (right) under one policy.

    The policy matters only where the differ must *choose*: which ``anyOf`` alternative an old schema
    corresponds to, or whether a property is covered by a partially open content model.
    """

    def __init__(
        self,
        old_doc: Document,
        new_doc: Document,
        policy: Policy,
        labels: Labels = ("old", "new"),
        budget: _Budget | None = None,
    ) -> None:
        self.old_doc = old_doc
        self.new_doc = new_doc
        self.policy = policy
        self.labels = labels
        self._budget = budget if budget is not None else _Budget()
        self._memo: dict[tuple[int, int, bool], list[Finding] | None] = {}
        self._reverse: Differ | None = None

    @property
    def reverse(self) -> Differ:
        """The differ with both sides swapped (for ``not``, whose inner schemas compare the other way)."""
        if self._reverse is None:
            flipped = (self.labels[1], self.labels[0])
            self._reverse = Differ(self.new_doc, self.old_doc, self.policy, flipped, self._budget)
            self._reverse._reverse = self
        return self._reverse

    # -- helpers used by the keyword modules --------------------------------------------------------------

    def found(
        self, kind: str, path: Path = (), *, old: Any = None, new: Any = None, **fields: Any
    ) -> Finding:
        return Finding(kind, path, old, new, describe(kind, self.labels, old=old, new=new, **fields))

    def allowed(self, findings: Iterable[Finding]) -> bool:
        policy = self.policy
        return all(RULES[f.kind].allows(policy) for f in findings)

    def sub(
        self, old: Any, new: Any, segments: Path, where: Path, *, annotations: bool = True
    ) -> list[Finding]:
        """Compare two subschemas found at ``segments`` below the current pair; paths are prefixed."""
        found = self.compare(old, new, where + segments, annotations=annotations)
        self._budget.findings += len(found)
        return [f._replace(path=segments + f.path) for f in found]

    def trial(
        self, old: Any, new: Any, segments: Path, where: Path, *, annotations: bool = True
    ) -> tuple[list[Finding], bool]:
        """``sub`` plus whether every change it found is allowed under the policy."""
        found = self.sub(old, new, segments, where, annotations=annotations)
        return found, self.allowed(found)

    def optional(self, old: Any, new: Any, keyword: str, where: Path) -> list[Finding]:
        """Compare an optional subschema keyword (``contains``, ``propertyNames``, ...)."""
        if old is None and new is None:
            return []
        if old is None:
            return [self.found("SCHEMA_ADDED", (keyword,), new=new, keyword=keyword)]
        if new is None:
            return [self.found("SCHEMA_REMOVED", (keyword,), old=old, keyword=keyword)]
        return self.sub(old, new, (keyword,), where)

    # -- the walk ----------------------------------------------------------------------------------------

    def compare(self, old: Any, new: Any, where: Path, *, annotations: bool = True) -> list[Finding]:
        """Every change from ``old`` to ``new`` (paths relative to them); ``where`` is for error messages.

        ``annotations=False`` compares assertions only (used when a combinator is unwrapped: the
        annotations of the wrapper were already compared).
        """
        old = self.old_doc.resolve(old, where)
        new = self.new_doc.resolve(new, where)
        key = (id(old), id(new), annotations)
        memo = self._memo
        if key in memo:
            cached = memo[key]
            if cached is None:
                return []  # still being compared up the stack (recursion): assume compatible
            if self._budget.findings > MAX_FINDINGS:
                return list({f.kind: f for f in cached}.values())
            return cached
        if (
            isinstance(old, Mapping)
            and isinstance(new, Mapping)
            and (printed := self.old_doc.fingerprint(old)) is not None
            and printed == self.new_doc.fingerprint(new)
        ):
            # Identical and self-contained (no $ref): nothing below can differ, so it is not walked (nor
            # re-validated: checking that a schema is well-formed is the registry's meta-validation).
            memo[key] = []
            return []
        if len(where) > MAX_PATH:
            raise SchemaTooComplexError(
                f"{pointer(where[:20])}...: schemas nest deeper than {MAX_PATH} levels"
            )
        self._budget.work += 1
        if self._budget.work > MAX_WORK:
            raise SchemaTooComplexError(f"comparing these schemas needs more than {MAX_WORK} steps")
        memo[key] = None
        try:
            result = self._compare(old, new, where, annotations)
        except BaseException:
            del memo[key]
            raise
        memo[key] = result
        return result

    def _compare(self, old: Any, new: Any, where: Path, annotations: bool) -> list[Finding]:
        if old is False or new is False:
            if old is new:
                return []
            if old is False:
                nothing_to = ("false (nothing)", show_types(scalars.effective_types(new, where)))
                return [self.found("TYPE_EXTENDED", ("type",), old=False, new=True, rendered=nothing_to)]
            to_nothing = (show_types(scalars.effective_types(old, where)), "false (nothing)")
            return [self.found("TYPE_NARROWED", ("type",), old=True, new=False, rendered=to_nothing)]
        old = _TRUE if old is True else old
        new = _TRUE if new is True else new
        found = self._annotations(old, new) if annotations else []
        found.extend(self._assertions(old, new, where))
        return found

    def _assertions(self, old: Mapping[str, Any], new: Mapping[str, Any], where: Path) -> list[Finding]:
        unwrapped = combined.compare_wrapped(self, old, new, where)
        if unwrapped is not None:
            return unwrapped
        before = scalars.effective_types(old, where)
        after = scalars.effective_types(new, where)
        found = scalars.compare_types(self, old, new, before, after)
        found.extend(scalars.compare_enum(self, old, new, where))
        families = scalars.groups(before) & scalars.groups(after)
        found.extend(scalars.compare_bounds(self, old, new, families, where))
        if "string" in families and ("pattern" in old or "pattern" in new):
            found.extend(scalars.compare_text(self, old, new, "pattern", "PATTERN", where))
        if "format" in old or "format" in new:
            found.extend(scalars.compare_text(self, old, new, "format", "FORMAT", where))
        if "number" in families and ("multipleOf" in old or "multipleOf" in new):
            found.extend(scalars.compare_multiple_of(self, old, new, where))
        if "object" in families:
            found.extend(objects.compare_object(self, old, new, where))
        if "array" in families:
            found.extend(arrays.compare_array(self, old, new, where))
        found.extend(combined.compare_keywords(self, old, new, where))
        found.extend(self._unsupported(old, new))
        return found

    def _annotations(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Finding]:
        found: list[Finding] = []
        present = (old.keys() | new.keys()) & _ANNOTATION_KEYWORDS
        if not present:
            return found
        for keyword, kind in _ANNOTATIONS:
            if keyword not in present:
                continue
            before = old.get(keyword, _MISSING)
            after = new.get(keyword, _MISSING)
            if keyword in _FLAGS:
                before = _MISSING if before is False else before
                after = _MISSING if after is False else after
            if before is _MISSING and after is _MISSING:
                continue
            if before is not _MISSING and after is not _MISSING and value_key(before) == value_key(after):
                continue
            rendered = (_shown(before), _shown(after))
            before = None if before is _MISSING else before
            after = None if after is _MISSING else after
            found.append(
                self.found(kind, (keyword,), old=before, new=after, keyword=keyword, rendered=rendered)
            )
        return found

    def _unsupported(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Finding]:
        found: list[Finding] = []
        if old.keys().isdisjoint(_UNSUPPORTED) and new.keys().isdisjoint(_UNSUPPORTED):
            return found
        for keyword in _UNSUPPORTED:
            before = old.get(keyword, _MISSING)
            after = new.get(keyword, _MISSING)
            if before is _MISSING and after is _MISSING:
                continue
            if before is _MISSING or after is _MISSING or value_key(before) != value_key(after):
                before = None if before is _MISSING else before
                after = None if after is _MISSING else after
                found.append(
                    self.found(
                        "UNSUPPORTED_KEYWORD_CHANGED", (keyword,), old=before, new=after, keyword=keyword
                    )
                )
        return found


def _shown(value: Any) -> str:
    return "absent" if value is _MISSING else show(value)


def run(old: Any, new: Any, policy: Policy, labels: Labels = ("old", "new")) -> list[Change]:
    """``diff`` with explicit labels (FORWARD checks call it with old and new swapped)."""
    differ = Differ(Document(old, labels[0]), Document(new, labels[1]), policy, labels)
    try:
        found = differ.compare(old, new, ())
    except RecursionError as exc:
        raise SchemaTooComplexError("schemas nest too deeply to compare") from exc
    return [Change(f.kind, pointer(f.path), f.old, f.new, f.message) for f in found]


def diff(old: Any, new: Any, *, policy: Policy | str = Policy.STRICT) -> list[Change]:
    """Every difference between two schemas, in walk order, each with kind, pointer, values and a message.

    ``policy`` only matters where the walk must choose (which ``anyOf`` alternative corresponds to which);
    the verdict itself comes from :func:`mdp.compat.check`.
    """
    return run(old, new, Policy.parse(policy))


__all__ = ["MAX_FINDINGS", "MAX_PATH", "MAX_WORK", "Differ", "Finding", "diff", "run"]
