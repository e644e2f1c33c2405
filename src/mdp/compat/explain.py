"""One sentence per change: what changed and what it means for data written with the other schema (pure).

Messages name the two schemas by label (``old``/``new`` by default). A FORWARD check reads the reversed diff,
so its messages are rendered with the labels swapped ("... written with the new schema ..."), and every
sentence stays true as written. Messages describe effects, never verdicts: the verdict depends on the
policy and comes from :mod:`mdp.compat.rules`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mdp.compat.keywords import show
from mdp.compat.rules import BOUND_CHECKS

_ADDITIONAL = {
    "ADDITIONAL_PROPERTIES": "undeclared properties",
    "UNEVALUATED_PROPERTIES": "unevaluated properties",
    "ADDITIONAL_ITEMS": "items after the tuple",
}
_PARTIAL = {"PROPERTY": ("Property '{name}'", "pattern/additional properties"), "ITEM": (
    "Tuple position {name}", "additional-items schema")}  # fmt: skip

TEMPLATES: dict[str, str] = {
    "ID_CHANGED": "$id changed from {old} to {new}; documentation only.",
    "DESCRIPTION_CHANGED": "The description changed; documentation only.",
    "TITLE_CHANGED": "The title changed from {old} to {new}; documentation only.",
    "EXAMPLES_CHANGED": "The examples changed; documentation only.",
    "COMMENT_CHANGED": "A $comment changed; documentation only.",
    "DEPRECATED_CHANGED": "The deprecated flag changed from {old} to {new}; documentation only.",
    "DEFAULT_CHANGED": (
        "The default changed from {old} to {new}; readers that fill in a missing value now use a "
        "different one."
    ),
    "READ_ONLY_CHANGED": (
        "readOnly changed from {old} to {new}; validation is unaffected, but who may send the value changed."
    ),
    "WRITE_ONLY_CHANGED": (
        "writeOnly changed from {old} to {new}; validation is unaffected, but who may read the value changed."
    ),
    "CONTENT_ANNOTATION_CHANGED": (
        "{keyword} changed from {old} to {new}; validators treat it as an annotation."
    ),
    "SCHEMA_ADDED": (
        "A {keyword} schema {new} was introduced; values the {o} schema left unconstrained here may be "
        "rejected."
    ),
    "SCHEMA_REMOVED": "The {keyword} schema was removed; values here are no longer constrained by it.",
    "TYPE_EXTENDED": "The type widened from {old} to {new}; every value of the {o} type is still accepted.",
    "TYPE_NARROWED": (
        "The type narrowed from {old} to {new}; values written with the {o} schema that are not {new} are "
        "rejected."
    ),
    "TYPE_CHANGED": "The type changed from {old} to {new}; values written with the {o} schema are rejected.",
    "UNSUPPORTED_KEYWORD_CHANGED": (
        "{keyword} changed from {old} to {new}; mdp cannot reason about this keyword, so the change is "
        "treated as breaking."
    ),
    "PATTERN_ADDED": "The pattern {new} now constrains strings the {o} schema accepted freely.",
    "PATTERN_REMOVED": "The pattern {old} was removed; more strings are accepted.",
    "PATTERN_CHANGED": (
        "The pattern changed from {old} to {new}; mdp cannot prove the new pattern accepts every string "
        "the old one did."
    ),
    "FORMAT_ADDED": (
        "The format {new} now constrains strings; values the {o} schema accepted may be rejected by "
        "validators that check formats."
    ),
    "FORMAT_REMOVED": "The format {old} was removed; more strings are accepted.",
    "FORMAT_CHANGED": "The format changed from {old} to {new}; strings in the {o} format may be rejected.",
    "MULTIPLE_OF_ADDED": "multipleOf {new} now constrains numbers the {o} schema accepted.",
    "MULTIPLE_OF_REMOVED": "multipleOf {old} was removed; more numbers are accepted.",
    "MULTIPLE_OF_EXPANDED": (
        "multipleOf went from {old} to {new}, a multiple of it; some numbers the {o} schema accepted are "
        "rejected."
    ),
    "MULTIPLE_OF_REDUCED": (
        "multipleOf went from {old} to {new}, a divisor of it; every number the {o} schema accepted is "
        "still accepted."
    ),
    "MULTIPLE_OF_CHANGED": (
        "multipleOf went from {old} to {new}; some numbers the {o} schema accepted are rejected."
    ),
    "REQUIRED_ATTRIBUTE_ADDED": (
        "Property '{name}' is now required and has no default; data written with the {o} schema may lack it."
    ),
    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED": (
        "Property '{name}' is now required, but it has a default ({new}) that readers can fill in."
    ),
    "REQUIRED_ATTRIBUTE_REMOVED": "Property '{name}' is no longer required.",
    "DEPENDENCY_ARRAY_ADDED": "When '{name}' is present, {new} must now be present too.",
    "DEPENDENCY_ARRAY_REMOVED": "When '{name}' is present, {old} no longer must be present too.",
    "DEPENDENCY_ARRAY_EXTENDED": (
        "When '{name}' is present, the properties that must be present too grew from {old} to {new}."
    ),
    "DEPENDENCY_ARRAY_NARROWED": (
        "When '{name}' is present, the properties that must be present too shrank from {old} to {new}."
    ),
    "DEPENDENCY_ARRAY_CHANGED": (
        "When '{name}' is present, the properties that must be present too changed from {old} to {new}."
    ),
    "DEPENDENCY_SCHEMA_ADDED": "When '{name}' is present, the object must now also match {new}.",
    "DEPENDENCY_SCHEMA_REMOVED": "When '{name}' is present, the object no longer has to match {old}.",
    "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": (
        "Required property '{name}' (no default) was added to an open content model; data written with "
        "the {o} schema may lack it."
    ),
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL": (
        "Required property '{name}' with a default was added to an open content model; a writer using the "
        "{o} schema may already send '{name}' with a value the {n} schema rejects."
    ),
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": (
        "Optional property '{name}' was added to an open content model; a writer using the {o} schema may "
        "already send '{name}' with a value the {n} schema rejects."
    ),
    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": (
        "Required property '{name}' (no default) was added to a closed content model; data written with "
        "the {o} schema lacks it."
    ),
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL": (
        "Required property '{name}' with a default was added to a closed content model; data written with "
        "the {o} schema never had it and readers can fill in the default."
    ),
    "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": (
        "Optional property '{name}' was added to a closed content model; data written with the {o} schema "
        "never had it."
    ),
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL": (
        "Property '{name}' was declared with a schema that accepts anything; existing data is unaffected."
    ),
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL": (
        "Property '{name}' was removed, but the {n} content model is open, so data carrying it is still "
        "accepted."
    ),
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL": (
        "Property '{name}' was removed from a closed content model; data written with the {o} schema that "
        "carries it is rejected."
    ),
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL": (
        "Property '{name}', which the {o} schema forbade (false), was removed; the closed content model "
        "still rejects it."
    ),
    "UNIQUE_ITEMS_ADDED": (
        "uniqueItems is now true; arrays with duplicates written with the {o} schema are rejected."
    ),
    "UNIQUE_ITEMS_REMOVED": "uniqueItems was dropped; arrays may now contain duplicates.",
    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL": (
        "Tuple position {name} was added to an open tuple; a writer using the {o} schema may already send "
        "a value there that the {n} schema rejects."
    ),
    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL": (
        "Tuple position {name} was declared with a schema that accepts anything; existing data is unaffected."
    ),
    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL": (
        "Tuple position {name} was added to a closed tuple; data written with the {o} schema never had it."
    ),
    "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL": (
        "Tuple position {name} was removed, but the {n} tuple is open, so any value is still accepted there."
    ),
    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL": (
        "Tuple position {name} was removed from a closed tuple; data written with the {o} schema that has "
        "it is rejected."
    ),
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL": (
        "Tuple position {name}, which the {o} schema forbade (false), was removed; the closed tuple still "
        "rejects it."
    ),
    "ENUM_ARRAY_EXTENDED": "The allowed values grew from {old} to {new}.",
    "ENUM_ARRAY_NARROWED": (
        "The allowed values shrank from {old} to {new}; data written with the {o} schema may use a value "
        "that is gone."
    ),
    "ENUM_ARRAY_CHANGED": (
        "The allowed values changed from {old} to {new}; data written with the {o} schema may use a value "
        "that is gone."
    ),
    "COMBINED_TYPE_EXTENDED": "The combinator changed from {old} to {new}, which accepts at least as much.",
    "COMBINED_TYPE_CHANGED": (
        "The combinator changed from {old} to {new}; values valid under the {o} schema may be "
        "rejected{detail}."
    ),
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED": (
        "Some {keyword} subschemas of the {o} schema have no compatible counterpart in the {n} "
        "schema{detail}."
    ),
    "PRODUCT_TYPE_EXTENDED": (
        "allOf has more subschemas to satisfy{detail}; values valid under the {o} schema may be rejected."
    ),
    "PRODUCT_TYPE_NARROWED": "allOf has fewer subschemas to satisfy{detail}.",
    "SUM_TYPE_EXTENDED": "{keyword} accepts more alternatives{detail}.",
    "SUM_TYPE_NARROWED": (
        "{keyword} accepts fewer alternatives{detail}; values that matched only the dropped ones are "
        "rejected."
    ),
    "NOT_TYPE_EXTENDED": (
        "The `not` schema excludes more values{detail}; values the {o} schema accepted may be rejected."
    ),
    "NOT_TYPE_NARROWED": "The `not` schema excludes fewer values{detail}.",
}


def _additional_templates() -> dict[str, str]:
    out: dict[str, str] = {}
    for prefix, what in _ADDITIONAL.items():
        out[f"{prefix}_ADDED"] = (
            f"{what.capitalize()} are now permitted ({{new}}); the {{o}} schema rejected them."
        )
        out[f"{prefix}_REMOVED"] = (
            f"{what.capitalize()} are now rejected; data written with the {{o}} schema may carry them."
        )
        out[f"{prefix}_EXTENDED"] = f"{what.capitalize()} are no longer constrained by {{old}}."
        out[f"{prefix}_NARROWED"] = (
            f"{what.capitalize()} must now match {{new}}; the {{o}} schema accepted any value for them."
        )
    for prefix, (subject, where) in _PARTIAL.items():
        out[f"{prefix}_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"] = (
            f"{subject} was declared and accepts every value the {{o}} schema's {where} allowed for it."
        )
        out[f"{prefix}_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"] = (
            f"{subject} was declared but rejects some values the {{o}} schema's {where} allowed for "
            "it{detail}."
        )
        out[f"{prefix}_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"] = (
            f"{subject} was removed; the {{n}} schema's {where} still accept every value the {{o}} schema "
            "allowed for it."
        )
        out[f"{prefix}_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"] = (
            f"{subject} was removed; the {{n}} schema's {where} reject some values the {{o}} schema allowed "
            f"for it{{detail}}."
        )
    for check in BOUND_CHECKS:
        what = {"string": "strings", "number": "numbers", "object": "objects", "array": "arrays"}[
            check.applies_to
        ]
        kw = check.keyword
        out[check.when_introducing] = (
            f"{kw} {{new}} was introduced; {what} the {{o}} schema accepted may be rejected."
        )
        out[check.when_removing] = f"{kw} {{old}} was removed; more {what} are accepted."
        out[check.when_relaxing] = f"{kw} moved outward from {{old}} to {{new}}; more {what} are accepted."
        out[check.when_restricting] = (
            f"{kw} moved inward from {{old}} to {{new}}; {what} the {{o}} schema accepted may be rejected."
        )
    return out


TEMPLATES.update(_additional_templates())


def show_types(types: Iterable[str] | None) -> str:
    """``None`` -> "any type"; ``{"integer", "null"}`` -> "integer or null"."""
    if types is None:
        return "any type"
    names = sorted(types)
    return " or ".join(names) if names else "nothing"


def describe(
    kind: str,
    labels: tuple[str, str] = ("old", "new"),
    *,
    old: Any = None,
    new: Any = None,
    name: str = "",
    keyword: str = "",
    detail: str = "",
    rendered: tuple[str, str] | None = None,
) -> str:
    """The sentence for a change. ``rendered`` overrides how ``old``/``new`` are shown (e.g. type names)."""
    old_text, new_text = rendered if rendered is not None else (_render(old), _render(new))
    return TEMPLATES[kind].format(
        o=labels[0], n=labels[1], old=old_text, new=new_text, name=name, keyword=keyword, detail=detail
    )


def _render(value: Any) -> str:
    return "absent" if value is None else show(value)


__all__ = ["TEMPLATES", "describe", "show_types"]
