"""Scalar keywords: ``type``, ``enum``/``const``, numeric bounds, ``pattern``/``format``, ``multipleOf``.

``type`` compares the sets of JSON types each schema admits (declared ``type``, else the types of its
``enum``/``const`` values): a superset is ``TYPE_EXTENDED``, a subset ``TYPE_NARROWED``, anything else
``TYPE_CHANGED``; ``integer`` counts as a subset of ``number``. Bounds follow the
:data:`~mdp.compat.rules.BOUND_CHECKS` table; a neutral value (``minLength: 0``) is the same as none.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from mdp.compat.errors import InvalidSchemaError
from mdp.compat.explain import show_types
from mdp.compat.keywords import (
    Path,
    bound,
    declared_types,
    enum_values,
    number,
    pointer,
    show,
    string,
    value_key,
)
from mdp.compat.keywords import value_type as _value_type
from mdp.compat.rules import BOUND_CHECKS

if TYPE_CHECKING:
    from mdp.compat.diff import Differ, Finding

Types = frozenset[str] | None
ALL_GROUPS = frozenset({"string", "number", "object", "array"})
_BOUND_KEYWORDS = frozenset(check.keyword for check in BOUND_CHECKS)
_DRAFT4_FLAGS = frozenset({"exclusiveMaximum", "exclusiveMinimum"})


def effective_types(schema: Any, where: Path) -> Types:
    """Declared ``type``, else the types of the ``enum``/``const`` values, else ``None`` (any type)."""
    if schema is True or schema is False:
        return None if schema else frozenset()
    declared = declared_types(schema, where)
    if declared is not None:
        return declared
    values = enum_values(schema, where)
    return None if values is None else frozenset(_value_type(v) for v in values)


def groups(types: Types) -> frozenset[str]:
    """Which keyword families apply: ``string``, ``number``, ``object``, ``array``."""
    if types is None:
        return ALL_GROUPS
    found: set[str] = {name for name in ("string", "object", "array") if name in types}
    if "number" in types or "integer" in types:
        found.add("number")
    return frozenset(found)


def _covers(wider: Types, narrower: Types) -> bool:
    if wider is None:
        return True
    if narrower is None:
        return False
    return all(t in wider or (t == "integer" and "number" in wider) for t in narrower)


def type_change(before: Types, after: Types) -> str | None:
    """``TYPE_EXTENDED``/``TYPE_NARROWED``/``TYPE_CHANGED`` or ``None``; integer is a subtype of number."""
    extends = _covers(after, before)
    narrows = _covers(before, after)
    if extends and narrows:
        return None
    if extends:
        return "TYPE_EXTENDED"
    return "TYPE_NARROWED" if narrows else "TYPE_CHANGED"


def compare_types(
    d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], before: Types, after: Types
) -> list[Finding]:
    if "type" not in old and "type" not in new:
        return []  # enums alone are compared by compare_enum
    kind = type_change(before, after)
    if kind is None:
        return []
    rendered = (show_types(before), show_types(after))
    values = (None if before is None else sorted(before), None if after is None else sorted(after))
    return [d.found(kind, ("type",), old=values[0], new=values[1], rendered=rendered)]


def compare_enum(d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], where: Path) -> list[Finding]:
    before = enum_values(old, where)
    after = enum_values(new, where)
    if before is None and after is None:
        return []
    keyword = "enum" if "enum" in old or "enum" in new else "const"
    if before is None or after is None:
        kind = "ENUM_ARRAY_NARROWED" if before is None else "ENUM_ARRAY_EXTENDED"
        rendered = (
            "any value" if before is None else show(before),
            "any value" if after is None else show(after),
        )
        return [d.found(kind, (keyword,), old=before, new=after, rendered=rendered)]
    old_keys = {value_key(v) for v in before}
    new_keys = {value_key(v) for v in after}
    if old_keys == new_keys:
        return []
    if new_keys >= old_keys:
        kind = "ENUM_ARRAY_EXTENDED"
    elif old_keys >= new_keys:
        kind = "ENUM_ARRAY_NARROWED"
    else:
        kind = "ENUM_ARRAY_CHANGED"
    return [d.found(kind, (keyword,), old=before, new=after)]


def compare_bounds(
    d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], families: frozenset[str], where: Path
) -> list[Finding]:
    present = old.keys() | new.keys()
    found: list[Finding] = []
    if present.isdisjoint(_BOUND_KEYWORDS):
        return found
    draft4 = not present.isdisjoint(_DRAFT4_FLAGS)
    for check in BOUND_CHECKS:
        keyword = check.keyword
        if check.applies_to not in families or (keyword not in present and not draft4):
            continue
        count = check.applies_to != "number"
        before = bound(old, keyword, where, count=count)
        after = bound(new, keyword, where, count=count)
        before = None if before == check.neutral else before
        after = None if after == check.neutral else after
        if before == after:
            continue
        if before is None:
            kind = check.when_introducing
        elif after is None:
            kind = check.when_removing
        elif (after > before) == (check.restricting == "INCREASED"):
            kind = check.when_restricting
        else:
            kind = check.when_relaxing
        found.append(d.found(kind, (keyword,), old=before, new=after))
    return found


def compare_text(
    d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], keyword: str, prefix: str, where: Path
) -> list[Finding]:
    """``pattern`` / ``format``: added, removed or changed (mdp does not compare regular expressions)."""
    before = string(old, keyword, where)
    after = string(new, keyword, where)
    if before == after:
        return []
    suffix = "ADDED" if before is None else "REMOVED" if after is None else "CHANGED"
    return [d.found(f"{prefix}_{suffix}", (keyword,), old=before, new=after)]


def compare_multiple_of(
    d: Differ, old: Mapping[str, Any], new: Mapping[str, Any], where: Path
) -> list[Finding]:
    before = number(old, "multipleOf", where)
    after = number(new, "multipleOf", where)
    if before == after:
        return []
    for value in (before, after):
        if value is not None and value <= 0:
            raise InvalidSchemaError(f"{pointer((*where, 'multipleOf'))} must be greater than 0")
    if before is None or after is None:
        kind = "MULTIPLE_OF_ADDED" if before is None else "MULTIPLE_OF_REMOVED"
    else:
        # Exact decimal arithmetic: 0.05 divides 0.1 although 0.1 % 0.05 != 0 in binary floating point.
        ratio = Fraction(str(after)) / Fraction(str(before))
        if ratio.denominator == 1:
            kind = "MULTIPLE_OF_EXPANDED"
        elif ratio.numerator == 1:
            kind = "MULTIPLE_OF_REDUCED"
        else:
            kind = "MULTIPLE_OF_CHANGED"
    return [d.found(kind, ("multipleOf",), old=before, new=after)]


__all__ = [
    "ALL_GROUPS",
    "compare_bounds",
    "compare_enum",
    "compare_multiple_of",
    "compare_text",
    "compare_types",
    "effective_types",
    "groups",
    "type_change",
]
