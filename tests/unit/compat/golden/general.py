"""Golden cases: annotations, subschemas appearing or disappearing, types, strings and numbers."""

from __future__ import annotations

from tests.unit.compat.golden.case import MODERN, Case, I, N, S, case

ANNOTATIONS: list[Case] = [
    case("identical-empty", {}, {}, "", True),
    case("identical-true", True, True, "", True),
    case("true-is-empty", True, {}, "", True),
    case("id-changed", {"$id": "urn:mdp:a"}, {"$id": "urn:mdp:b"}, "ID_CHANGED #/$id", True),
    case("description-changed", {**S, "description": "a"}, {**S, "description": "b"}, "DESCRIPTION_CHANGED #/description", True),
    case("description-added", S, {**S, "description": "b"}, "DESCRIPTION_CHANGED #/description", True),
    case("title-changed", {**S, "title": "A"}, {**S, "title": "B"}, "TITLE_CHANGED #/title", True),
    case("default-changed", {**S, "default": "a"}, {**S, "default": "b"}, "DEFAULT_CHANGED #/default", True),
    case("default-null-removed", {**S, "default": None}, S, "DEFAULT_CHANGED #/default", True),
    case("examples-changed", {**S, "examples": ["a"]}, {**S, "examples": ["b"]}, "EXAMPLES_CHANGED #/examples", True),
    case("comment-changed", {"$comment": "x"}, {"$comment": "y"}, "COMMENT_CHANGED #/$comment", True),
    case("deprecated-added", S, {**S, "deprecated": True}, "DEPRECATED_CHANGED #/deprecated", True),
    case("deprecated-false-is-absent", S, {**S, "deprecated": False}, "", True),
    case("read-only-added", S, {**S, "readOnly": True}, "READ_ONLY_CHANGED #/readOnly", True),
    case("write-only-added", S, {**S, "writeOnly": True}, "WRITE_ONLY_CHANGED #/writeOnly", True),
    case("content-media-type-changed", {**S, "contentMediaType": "text/csv"}, {**S, "contentMediaType": "text/plain"},
         "CONTENT_ANNOTATION_CHANGED #/contentMediaType", True),
    case("unknown-keyword-ignored", {**S, "x-owner": "a"}, {**S, "x-owner": "b"}, "", True),
    case("annotations-nested", {"properties": {"a": {**S, "title": "A"}}}, {"properties": {"a": {**S, "title": "B"}}},
         "TITLE_CHANGED #/properties/a/title", True),
]  # fmt: skip

SUBSCHEMAS: list[Case] = [
    case("schema-added-items", {"type": "array"}, {"type": "array", "items": S}, "SCHEMA_ADDED #/items", False),
    case("schema-removed-items", {"type": "array", "items": S}, {"type": "array"}, "SCHEMA_REMOVED #/items", True),
    case("items-true-is-absent", {"type": "array", "items": True}, {"type": "array"}, "", True),
    case("schema-added-contains", {"type": "array"}, {"type": "array", "contains": I}, "SCHEMA_ADDED #/contains", False),
    case("schema-removed-contains", {"type": "array", "contains": I}, {"type": "array"}, "SCHEMA_REMOVED #/contains",
         True),
    case("contains-extended", {"type": "array", "contains": I}, {"type": "array", "contains": N},
         "TYPE_EXTENDED #/contains/type", True),
    case("schema-added-property-names", {"type": "object"}, {"type": "object", "propertyNames": {"maxLength": 3}},
         "SCHEMA_ADDED #/propertyNames", False),
    case("schema-removed-property-names", {"type": "object", "propertyNames": {"maxLength": 3}}, {"type": "object"},
         "SCHEMA_REMOVED #/propertyNames", True),
    case("unsupported-if-added", {}, {"if": S, "then": {"maxLength": 3}},
         "UNSUPPORTED_KEYWORD_CHANGED #/if; UNSUPPORTED_KEYWORD_CHANGED #/then", False),
    case("unsupported-min-contains", {"type": "array", "contains": I, "minContains": 1},
         {"type": "array", "contains": I, "minContains": 2}, "UNSUPPORTED_KEYWORD_CHANGED #/minContains", False,
         drafts=MODERN),
]  # fmt: skip

TYPES: list[Case] = [
    case("type-extended-integer-number", I, N, "TYPE_EXTENDED #/type", True),
    case("type-extended-nullable", S, {"type": ["string", "null"]}, "TYPE_EXTENDED #/type", True),
    case("type-extended-removed", S, {}, "TYPE_EXTENDED #/type", True),
    case("type-narrowed-number-integer", N, I, "TYPE_NARROWED #/type", False),
    case("type-narrowed-not-nullable", {"type": ["string", "null"]}, S, "TYPE_NARROWED #/type", False),
    case("type-narrowed-added", {}, S, "TYPE_NARROWED #/type", False),
    case("type-changed", S, I, "TYPE_CHANGED #/type", False),
    case("type-changed-overlapping", {"type": ["string", "null"]}, {"type": ["integer", "null"]},
         "TYPE_CHANGED #/type", False),
    case("type-equivalent-lists", {"type": ["number", "integer"]}, N, "", True),
    case("type-list-order", {"type": ["null", "string"]}, {"type": ["string", "null"]}, "", True),
    case("false-to-schema", False, S, "TYPE_EXTENDED #/type", True),
    case("schema-to-false", S, False, "TYPE_NARROWED #/type", False),
    case("false-to-false", False, False, "", True),
    case("type-changed-hides-string-keywords", {**S, "maxLength": 3}, I, "TYPE_CHANGED #/type", False),
    case("type-from-enum", {"enum": ["a", "b"]}, {"type": "string", "enum": ["a", "b"]}, "", True),
    case("nested-type-changed", {"properties": {"a": S}}, {"properties": {"a": I}}, "TYPE_CHANGED #/properties/a/type",
         False),
]  # fmt: skip


def _bounds(
    keyword: str, prefix: str, base: dict[str, object], low: int, high: int, up_ok: bool
) -> list[Case]:
    """ADDED / REMOVED / INCREASED / DECREASED for one bound keyword; ``up_ok``: increasing relaxes."""
    name = keyword.lower()
    return [
        case(f"{name}-added", base, {**base, keyword: low}, f"{prefix}_ADDED #/{keyword}", False),
        case(f"{name}-removed", {**base, keyword: low}, base, f"{prefix}_REMOVED #/{keyword}", True),
        case(f"{name}-increased", {**base, keyword: low}, {**base, keyword: high}, f"{prefix}_INCREASED #/{keyword}",
             up_ok),
        case(f"{name}-decreased", {**base, keyword: high}, {**base, keyword: low}, f"{prefix}_DECREASED #/{keyword}",
             not up_ok),
    ]  # fmt: skip


STRINGS: list[Case] = [
    *_bounds("maxLength", "MAX_LENGTH", S, 5, 10, True),
    *_bounds("minLength", "MIN_LENGTH", S, 1, 3, False),
    case("min-length-zero-is-absent", S, {**S, "minLength": 0}, "", True),
    case("pattern-added", S, {**S, "pattern": "^a"}, "PATTERN_ADDED #/pattern", False),
    case("pattern-removed", {**S, "pattern": "^a"}, S, "PATTERN_REMOVED #/pattern", True),
    case("pattern-changed", {**S, "pattern": "^a"}, {**S, "pattern": "^[ab]"}, "PATTERN_CHANGED #/pattern", False),
    case("format-added", S, {**S, "format": "date-time"}, "FORMAT_ADDED #/format", False),
    case("format-removed", {**S, "format": "date-time"}, S, "FORMAT_REMOVED #/format", True),
    case("format-changed", {**S, "format": "date-time"}, {**S, "format": "date"}, "FORMAT_CHANGED #/format", False),
    case("string-bounds-on-nullable", {"type": ["string", "null"], "maxLength": 5},
         {"type": ["string", "null"], "maxLength": 3}, "MAX_LENGTH_DECREASED #/maxLength", False),
    case("string-bounds-ignored-for-integers", {**I, "maxLength": 5}, {**I, "maxLength": 3}, "", True),
]  # fmt: skip

NUMBERS: list[Case] = [
    *_bounds("maximum", "MAXIMUM", N, 10, 20, True),
    *_bounds("minimum", "MINIMUM", N, 0, 5, False),
    *_bounds("exclusiveMaximum", "EXCLUSIVE_MAXIMUM", N, 10, 20, True),
    *_bounds("exclusiveMinimum", "EXCLUSIVE_MINIMUM", N, 0, 5, False),
    case("maximum-on-integer", {**I, "maximum": 10}, {**I, "maximum": 10.5}, "MAXIMUM_INCREASED #/maximum", True),
    case("maximum-equal-int-float", {**N, "maximum": 10}, {**N, "maximum": 10.0}, "", True),
    case("multiple-of-added", N, {**N, "multipleOf": 5}, "MULTIPLE_OF_ADDED #/multipleOf", False),
    case("multiple-of-removed", {**N, "multipleOf": 5}, N, "MULTIPLE_OF_REMOVED #/multipleOf", True),
    case("multiple-of-expanded", {**N, "multipleOf": 5}, {**N, "multipleOf": 10}, "MULTIPLE_OF_EXPANDED #/multipleOf",
         False),
    case("multiple-of-reduced", {**N, "multipleOf": 10}, {**N, "multipleOf": 5}, "MULTIPLE_OF_REDUCED #/multipleOf",
         True),
    case("multiple-of-changed", {**N, "multipleOf": 4}, {**N, "multipleOf": 6}, "MULTIPLE_OF_CHANGED #/multipleOf",
         False),
    case("multiple-of-decimal-reduced", {**N, "multipleOf": 0.1}, {**N, "multipleOf": 0.05},
         "MULTIPLE_OF_REDUCED #/multipleOf", True),
    case("number-bounds-ignored-for-strings", {**S, "minimum": 1}, {**S, "minimum": 2}, "", True),
    case("nullable-number-maximum", {"type": ["number", "null"], "maximum": 3}, {"type": ["number", "null"]},
         "MAXIMUM_REMOVED #/maximum", True),
]  # fmt: skip


CASES: list[Case] = [*ANNOTATIONS, *SUBSCHEMAS, *TYPES, *STRINGS, *NUMBERS]
