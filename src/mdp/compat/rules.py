"""THE rule table: for every kind of change, whether the BACKWARD direction allows it (pure data).

A change of kind K found by ``diff(old, new)`` is *allowed* when a reader using the new schema can still read
every value written with the old one. Each :class:`Rule` says so for the two policies:

* ``STRICT`` (Confluent's default) assumes an open content model may already carry *any* value under any
  undeclared name, so adding a property to an open model is not allowed.
* ``LENIENT`` assumes writers only send what their schema declares, so it also allows adding properties to
  open models, removing properties from closed ones and tightening ``additionalProperties``.

FORWARD checks use the same table on the reversed diff (``diff(new, old)``); FULL uses both. The bound
keywords are described by :class:`BoundCheck` rows in the style of karapace's ``AssertionCheck``: which kind
is raised when the constraint is introduced, removed, increased or decreased, and which direction restricts.

The names are Confluent Schema Registry's JSON Schema ``Difference.Type`` taxonomy. mdp adds a few kinds
for keywords Confluent ignores (``EXAMPLES_CHANGED``, ``COMMENT_CHANGED``, ``DEPRECATED_CHANGED``,
``READ_ONLY_CHANGED``, ``WRITE_ONLY_CHANGED``, ``CONTENT_ANNOTATION_CHANGED``, ``FORMAT_*``,
``ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL`` and ``UNSUPPORTED_KEYWORD_CHANGED``) so that no
difference goes unexplained.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from mdp.compat.model import Policy

Category = Literal["general", "string", "number", "object", "content-model", "array", "enum", "combined"]


@dataclass(frozen=True, slots=True)
class Rule:
    """Whether a kind of change is allowed in the BACKWARD direction, per policy."""

    kind: str
    strict: bool
    lenient: bool
    category: Category
    meaning: str
    docs_only: bool = False

    def allows(self, policy: Policy) -> bool:
        return self.strict if policy is Policy.STRICT else self.lenient


@dataclass(frozen=True, slots=True)
class BoundCheck:
    """A numeric bound keyword (karapace's ``AssertionCheck``): the kinds it raises and what restricts."""

    keyword: str
    applies_to: Literal["string", "number", "object", "array"]
    prefix: str
    # The direction in which a changed bound accepts *fewer* values.
    restricting: Literal["INCREASED", "DECREASED"]
    # A value that constrains nothing (``minLength: 0``): treated exactly like an absent keyword.
    neutral: int | None = None

    @property
    def when_introducing(self) -> str:
        return f"{self.prefix}_ADDED"

    @property
    def when_removing(self) -> str:
        return f"{self.prefix}_REMOVED"

    @property
    def when_restricting(self) -> str:
        return f"{self.prefix}_{self.restricting}"

    @property
    def when_relaxing(self) -> str:
        return f"{self.prefix}_{'DECREASED' if self.restricting == 'INCREASED' else 'INCREASED'}"


BOUND_CHECKS: tuple[BoundCheck, ...] = (
    BoundCheck("maxLength", "string", "MAX_LENGTH", "DECREASED"),
    BoundCheck("minLength", "string", "MIN_LENGTH", "INCREASED", neutral=0),
    BoundCheck("maximum", "number", "MAXIMUM", "DECREASED"),
    BoundCheck("minimum", "number", "MINIMUM", "INCREASED"),
    BoundCheck("exclusiveMaximum", "number", "EXCLUSIVE_MAXIMUM", "DECREASED"),
    BoundCheck("exclusiveMinimum", "number", "EXCLUSIVE_MINIMUM", "INCREASED"),
    BoundCheck("maxProperties", "object", "MAX_PROPERTIES", "DECREASED"),
    BoundCheck("minProperties", "object", "MIN_PROPERTIES", "INCREASED", neutral=0),
    BoundCheck("maxItems", "array", "MAX_ITEMS", "DECREASED"),
    BoundCheck("minItems", "array", "MIN_ITEMS", "INCREASED", neutral=0),
)

_WHAT = {"string": "strings", "number": "numbers", "object": "objects", "array": "arrays"}


def _bound_rules(check: BoundCheck) -> list[Rule]:
    category: Category = "string" if check.applies_to == "string" else check.applies_to
    what = _WHAT[check.applies_to]
    return [
        Rule(check.when_introducing, False, False, category, f"a {check.keyword} now limits {what}"),
        Rule(check.when_removing, True, True, category, f"{check.keyword} no longer limits {what}"),
        Rule(check.when_relaxing, True, True, category, f"{check.keyword} moved outward (accepts more)"),
        Rule(check.when_restricting, False, False, category, f"{check.keyword} moved inward (accepts less)"),
    ]


Y, N = True, False

# kind, allowed under STRICT, allowed under LENIENT, meaning (BACKWARD direction: diff(old, new)).
# fmt: off
_TABLE: dict[Category, tuple[tuple[str, bool, bool, str], ...]] = {
    "general": (
        ("ID_CHANGED", Y, Y, "the $id annotation changed"),
        ("DESCRIPTION_CHANGED", Y, Y, "the description changed"),
        ("TITLE_CHANGED", Y, Y, "the title changed"),
        ("EXAMPLES_CHANGED", Y, Y, "the examples changed (mdp)"),
        ("COMMENT_CHANGED", Y, Y, "a $comment changed (mdp)"),
        ("DEPRECATED_CHANGED", Y, Y, "the deprecated flag changed (mdp)"),
        ("DEFAULT_CHANGED", Y, Y, "the default value readers substitute changed"),
        ("READ_ONLY_CHANGED", Y, Y, "the readOnly annotation changed (mdp)"),
        ("WRITE_ONLY_CHANGED", Y, Y, "the writeOnly annotation changed (mdp)"),
        ("CONTENT_ANNOTATION_CHANGED", Y, Y, "contentEncoding/MediaType/Schema changed (mdp)"),
        ("SCHEMA_ADDED", N, N, "a subschema now constrains what was unconstrained"),
        ("SCHEMA_REMOVED", Y, Y, "a constraining subschema was removed"),
        ("TYPE_EXTENDED", Y, Y, "the type accepts more (e.g. integer -> number)"),
        ("TYPE_NARROWED", N, N, "the type accepts less (e.g. number -> integer)"),
        ("TYPE_CHANGED", N, N, "the type changed to an unrelated one"),
        ("UNSUPPORTED_KEYWORD_CHANGED", N, N, "a keyword mdp cannot reason about changed"),
    ),
    "string": (
        ("PATTERN_ADDED", N, N, "a pattern now constrains strings"),
        ("PATTERN_REMOVED", Y, Y, "the pattern no longer constrains strings"),
        ("PATTERN_CHANGED", N, N, "the pattern changed (mdp cannot compare regexes)"),
        ("FORMAT_ADDED", N, N, "a format now constrains strings (mdp)"),
        ("FORMAT_REMOVED", Y, Y, "the format no longer constrains strings (mdp)"),
        ("FORMAT_CHANGED", N, N, "the format changed (mdp)"),
    ),
    "number": (
        ("MULTIPLE_OF_ADDED", N, N, "a multipleOf now constrains numbers"),
        ("MULTIPLE_OF_REMOVED", Y, Y, "multipleOf no longer constrains numbers"),
        ("MULTIPLE_OF_EXPANDED", N, N, "multipleOf became a multiple of the old one"),
        ("MULTIPLE_OF_REDUCED", Y, Y, "multipleOf became a divisor of the old one"),
        ("MULTIPLE_OF_CHANGED", N, N, "multipleOf changed to an unrelated value"),
    ),
    "object": (
        ("REQUIRED_ATTRIBUTE_ADDED", N, N, "a property became required (no default)"),
        ("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", Y, Y, "a property with a default became required"),
        ("REQUIRED_ATTRIBUTE_REMOVED", Y, Y, "a property is no longer required"),
        ("ADDITIONAL_PROPERTIES_ADDED", Y, Y, "undeclared properties are now permitted"),
        ("ADDITIONAL_PROPERTIES_REMOVED", N, Y, "undeclared properties are now rejected"),
        ("ADDITIONAL_PROPERTIES_EXTENDED", Y, Y, "the additionalProperties schema accepts anything"),
        ("ADDITIONAL_PROPERTIES_NARROWED", N, Y, "additionalProperties gained a schema"),
        ("UNEVALUATED_PROPERTIES_ADDED", Y, Y, "unevaluated properties are now permitted"),
        ("UNEVALUATED_PROPERTIES_REMOVED", N, Y, "unevaluated properties are now rejected"),
        ("UNEVALUATED_PROPERTIES_EXTENDED", Y, Y, "unevaluatedProperties accepts anything"),
        ("UNEVALUATED_PROPERTIES_NARROWED", N, Y, "unevaluatedProperties gained a schema"),
        ("DEPENDENCY_ARRAY_ADDED", N, N, "a property now requires others"),
        ("DEPENDENCY_ARRAY_REMOVED", Y, Y, "a property no longer requires others"),
        ("DEPENDENCY_ARRAY_EXTENDED", N, N, "a property requires more others"),
        ("DEPENDENCY_ARRAY_NARROWED", Y, Y, "a property requires fewer others"),
        ("DEPENDENCY_ARRAY_CHANGED", N, N, "a property requires different others"),
        ("DEPENDENCY_SCHEMA_ADDED", N, N, "a property now implies a schema"),
        ("DEPENDENCY_SCHEMA_REMOVED", Y, Y, "a property no longer implies a schema"),
    ),
    "content-model": (
        ("REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", N, N,
         "a required property (no default) was added to an open model"),
        ("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL", N, Y,
         "a required property with a default was added to an open model"),
        ("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", N, Y,
         "an optional property was added to an open model (old writers may have used the name)"),
        ("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", N, N,
         "a required property (no default) was added to a closed model"),
        ("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", Y, Y,
         "a required property with a default was added to a closed model"),
        ("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", Y, Y,
         "an optional property was added to a closed model"),
        ("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", Y, Y,
         "a property accepting anything was added to an open model"),
        ("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", Y, Y,
         "a property was removed from an open model (it is still accepted)"),
        ("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", N, Y,
         "a property was removed from a closed model (old data carrying it is rejected)"),
        ("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", Y, Y,
         "a property forbidden by `false` was removed from a closed model"),
        ("PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", Y, Y,
         "an added property accepts what the old pattern/additional schema allowed"),
        ("PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", N, Y,
         "an added property rejects some of what the old pattern/additional schema allowed"),
        ("PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", Y, Y,
         "a removed property is still accepted by the new pattern/additional schema"),
        ("PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", N, Y,
         "a removed property is not fully accepted by the new pattern/additional schema"),
    ),
    "array": (
        ("UNIQUE_ITEMS_ADDED", N, N, "items must now be unique"),
        ("UNIQUE_ITEMS_REMOVED", Y, Y, "items no longer need to be unique"),
        ("ADDITIONAL_ITEMS_ADDED", Y, Y, "items past the tuple are now permitted"),
        ("ADDITIONAL_ITEMS_REMOVED", N, Y, "items past the tuple are now rejected"),
        ("ADDITIONAL_ITEMS_EXTENDED", Y, Y, "items past the tuple accept anything"),
        ("ADDITIONAL_ITEMS_NARROWED", N, Y, "items past the tuple gained a schema"),
        ("ITEM_ADDED_TO_OPEN_CONTENT_MODEL", N, Y,
         "a tuple position was added to an open tuple (old writers may have sent anything there)"),
        ("ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", Y, Y,
         "a tuple position accepting anything was added to an open tuple"),
        ("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", Y, Y, "a tuple position was added to a closed tuple"),
        ("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", Y, Y, "a tuple position was removed from an open tuple"),
        ("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", N, Y,
         "a tuple position was removed from a closed tuple (old data using it is rejected)"),
        ("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", Y, Y,
         "a tuple position forbidden by `false` was removed from a closed tuple (mdp)"),
        ("ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", Y, Y,
         "an added tuple position accepts what the old additional-items schema allowed"),
        ("ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", N, Y,
         "an added tuple position rejects some of what the old additional-items schema allowed"),
        ("ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", Y, Y,
         "a removed tuple position is still accepted by the new additional-items schema"),
        ("ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", N, Y,
         "a removed tuple position is not fully accepted by the new additional-items schema"),
    ),
    "enum": (
        ("ENUM_ARRAY_EXTENDED", Y, Y, "the enum (or const) accepts more values"),
        ("ENUM_ARRAY_NARROWED", N, N, "the enum (or const) accepts fewer values"),
        ("ENUM_ARRAY_CHANGED", N, N, "the enum (or const) values changed"),
    ),
    "combined": (
        ("COMBINED_TYPE_EXTENDED", Y, Y, "allOf/oneOf became anyOf"),
        ("COMBINED_TYPE_CHANGED", N, N, "the combinator changed (e.g. anyOf -> oneOf)"),
        ("COMBINED_TYPE_SUBSCHEMAS_CHANGED", N, N, "some old subschema has no compatible counterpart"),
        ("PRODUCT_TYPE_EXTENDED", N, N, "allOf gained a subschema (more constraints)"),
        ("PRODUCT_TYPE_NARROWED", Y, Y, "allOf lost a subschema (fewer constraints)"),
        ("SUM_TYPE_EXTENDED", Y, Y, "anyOf/oneOf gained an alternative"),
        ("SUM_TYPE_NARROWED", N, N, "anyOf/oneOf lost an alternative"),
        ("NOT_TYPE_EXTENDED", N, N, "the `not` schema excludes more"),
        ("NOT_TYPE_NARROWED", Y, Y, "the `not` schema excludes less"),
    ),
}
# fmt: on

_DOCS_ONLY = frozenset(
    {
        "ID_CHANGED",
        "DESCRIPTION_CHANGED",
        "TITLE_CHANGED",
        "EXAMPLES_CHANGED",
        "COMMENT_CHANGED",
        "DEPRECATED_CHANGED",
    }
)


def _rules() -> dict[str, Rule]:
    rows = [
        Rule(kind, strict, lenient, category, meaning, docs_only=kind in _DOCS_ONLY)
        for category, entries in _TABLE.items()
        for kind, strict, lenient, meaning in entries
    ]
    for check in BOUND_CHECKS:
        rows.extend(_bound_rules(check))
    table: dict[str, Rule] = {}
    for rule in rows:
        if rule.kind in table:  # pragma: no cover - a typo in the table above
            raise AssertionError(f"duplicate rule {rule.kind}")
        table[rule.kind] = rule
    return table


RULES: Mapping[str, Rule] = _rules()
KINDS: frozenset[str] = frozenset(RULES)
DOCS_ONLY_KINDS: frozenset[str] = frozenset(kind for kind, rule in RULES.items() if rule.docs_only)
# Changes to keywords that never affect validation (documentation plus default/readOnly/writeOnly/content*).
ANNOTATION_KINDS: frozenset[str] = DOCS_ONLY_KINDS | {
    "DEFAULT_CHANGED",
    "READ_ONLY_CHANGED",
    "WRITE_ONLY_CHANGED",
    "CONTENT_ANNOTATION_CHANGED",
}


_TITLES: dict[Category, str] = {
    "general": "General",
    "string": "Strings",
    "number": "Numbers",
    "object": "Objects",
    "content-model": "Objects: content models",
    "array": "Arrays",
    "enum": "Enums",
    "combined": "Combinators",
}


def rule_table_markdown() -> str:
    """The rule table as Markdown (``docs/compat.md`` embeds it; a test keeps the two in sync)."""
    lines: list[str] = []
    for category, title in _TITLES.items():
        lines += [
            f"### {title}",
            "",
            "| kind | STRICT | LENIENT | meaning (BACKWARD: old -> new) |",
            "|---|---|---|---|",
        ]
        for rule in RULES.values():
            if rule.category == category:
                cells = [
                    f"`{rule.kind}`",
                    *("allowed" if ok else "**breaks**" for ok in (rule.strict, rule.lenient)),
                ]
                meaning = rule.meaning + (" (docs-only)" if rule.docs_only else "")
                lines.append("| " + " | ".join([*cells, meaning]) + " |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def is_allowed(kind: str, policy: Policy) -> bool:
    """Whether a change of ``kind`` found by ``diff(old, new)`` keeps BACKWARD compatibility."""
    return RULES[kind].allows(policy)


__all__ = [
    "ANNOTATION_KINDS",
    "BOUND_CHECKS",
    "DOCS_ONLY_KINDS",
    "KINDS",
    "RULES",
    "BoundCheck",
    "Rule",
    "is_allowed",
    "rule_table_markdown",
]
