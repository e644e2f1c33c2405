"""Golden cases: required, property counts, additional/unevaluated properties, dependencies, content models."""

from __future__ import annotations

from tests.unit.compat.golden.case import DRAFT7, MODERN, NULL, Case, I, N, S, case, closed, obj


def _count_bounds(keyword: str, prefix: str, low: int, high: int, up_ok: bool) -> list[Case]:
    base = obj()
    name = keyword.lower()
    return [
        case(f"{name}-added", base, {**base, keyword: low}, f"{prefix}_ADDED #/{keyword}", False),
        case(f"{name}-removed", {**base, keyword: low}, base, f"{prefix}_REMOVED #/{keyword}", True),
        case(f"{name}-increased", {**base, keyword: low}, {**base, keyword: high}, f"{prefix}_INCREASED #/{keyword}",
             up_ok),
        case(f"{name}-decreased", {**base, keyword: high}, {**base, keyword: low}, f"{prefix}_DECREASED #/{keyword}",
             not up_ok),
    ]  # fmt: skip


AB = {"a": S, "b": I}
B_DEFAULT = {**I, "default": 0}

REQUIRED: list[Case] = [
    case("required-added", obj(AB, ["a"]), obj(AB, ["a", "b"]), "REQUIRED_ATTRIBUTE_ADDED #/required/b", False),
    case("required-with-default-added", obj({"a": S, "b": B_DEFAULT}, ["a"]), obj({"a": S, "b": B_DEFAULT}, ["a", "b"]),
         "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED #/required/b", True),
    case("required-undeclared-added", obj(), obj(required=["x"]), "REQUIRED_ATTRIBUTE_ADDED #/required/x", False),
    case("required-removed", obj(AB, ["a", "b"]), obj(AB, ["a"]), "REQUIRED_ATTRIBUTE_REMOVED #/required/b", True),
    case("required-reordered", obj(AB, ["a", "b"]), obj(AB, ["b", "a"]), "", True),
    *_count_bounds("maxProperties", "MAX_PROPERTIES", 2, 4, True),
    *_count_bounds("minProperties", "MIN_PROPERTIES", 1, 3, False),
]  # fmt: skip

ADDITIONAL: list[Case] = [
    case("additional-properties-added", closed(AB), obj(AB), "ADDITIONAL_PROPERTIES_ADDED #/additionalProperties", True),
    case("additional-properties-added-schema", closed(AB), obj(AB, additionalProperties=S),
         "ADDITIONAL_PROPERTIES_ADDED #/additionalProperties", True),
    case("additional-properties-removed", obj(AB), closed(AB), "ADDITIONAL_PROPERTIES_REMOVED #/additionalProperties",
         False, True),
    case("additional-properties-extended", obj(AB, additionalProperties=S), obj(AB, additionalProperties=True),
         "ADDITIONAL_PROPERTIES_EXTENDED #/additionalProperties", True),
    case("additional-properties-narrowed", obj(AB), obj(AB, additionalProperties=S),
         "ADDITIONAL_PROPERTIES_NARROWED #/additionalProperties", False, True),
    case("additional-properties-schema-changed", obj(additionalProperties=I), obj(additionalProperties=N),
         "TYPE_EXTENDED #/additionalProperties/type", True),
    case("additional-properties-true-is-absent", obj(AB, additionalProperties=True), obj(AB), "", True),
    case("unevaluated-properties-added", obj(AB, unevaluatedProperties=False), obj(AB),
         "UNEVALUATED_PROPERTIES_ADDED #/unevaluatedProperties", True, drafts=MODERN),
    case("unevaluated-properties-removed", obj(AB), obj(AB, unevaluatedProperties=False),
         "UNEVALUATED_PROPERTIES_REMOVED #/unevaluatedProperties", False, True, drafts=MODERN),
    case("unevaluated-properties-extended", obj(AB, unevaluatedProperties=S), obj(AB),
         "UNEVALUATED_PROPERTIES_EXTENDED #/unevaluatedProperties", True, drafts=MODERN),
    case("unevaluated-properties-narrowed", obj(AB), obj(AB, unevaluatedProperties=S),
         "UNEVALUATED_PROPERTIES_NARROWED #/unevaluatedProperties", False, True, drafts=MODERN),
]  # fmt: skip

DEPENDENCIES: list[Case] = [
    case("dependent-required-added", obj(AB), obj(AB, dependentRequired={"a": ["b"]}),
         "DEPENDENCY_ARRAY_ADDED #/dependentRequired/a", False, drafts=MODERN),
    case("dependent-required-removed", obj(AB, dependentRequired={"a": ["b"]}), obj(AB),
         "DEPENDENCY_ARRAY_REMOVED #/dependentRequired/a", True, drafts=MODERN),
    case("dependent-required-extended", obj(dependentRequired={"a": ["b"]}), obj(dependentRequired={"a": ["b", "c"]}),
         "DEPENDENCY_ARRAY_EXTENDED #/dependentRequired/a", False, drafts=MODERN),
    case("dependent-required-narrowed", obj(dependentRequired={"a": ["b", "c"]}), obj(dependentRequired={"a": ["b"]}),
         "DEPENDENCY_ARRAY_NARROWED #/dependentRequired/a", True, drafts=MODERN),
    case("dependent-required-changed", obj(dependentRequired={"a": ["b"]}), obj(dependentRequired={"a": ["c"]}),
         "DEPENDENCY_ARRAY_CHANGED #/dependentRequired/a", False, drafts=MODERN),
    case("dependencies-array-added", obj(AB), obj(AB, dependencies={"a": ["b"]}),
         "DEPENDENCY_ARRAY_ADDED #/dependencies/a", False, drafts=DRAFT7),
    case("dependencies-array-removed", obj(AB, dependencies={"a": ["b"]}), obj(AB),
         "DEPENDENCY_ARRAY_REMOVED #/dependencies/a", True, drafts=DRAFT7),
    case("dependencies-array-narrowed", obj(dependencies={"a": ["b", "c"]}), obj(dependencies={"a": ["c"]}),
         "DEPENDENCY_ARRAY_NARROWED #/dependencies/a", True, drafts=DRAFT7),
    case("dependencies-to-dependent-required", obj(dependencies={"a": ["b"]}), obj(dependentRequired={"a": ["b"]}),
         "", True, drafts=MODERN),
    case("dependent-schema-added", obj(AB), obj(AB, dependentSchemas={"a": {"required": ["b"]}}),
         "DEPENDENCY_SCHEMA_ADDED #/dependentSchemas/a", False, drafts=MODERN),
    case("dependent-schema-removed", obj(AB, dependentSchemas={"a": {"required": ["b"]}}), obj(AB),
         "DEPENDENCY_SCHEMA_REMOVED #/dependentSchemas/a", True, drafts=MODERN),
    case("dependent-schema-changed", obj(dependentSchemas={"a": {"required": ["b"]}}),
         obj(dependentSchemas={"a": {"required": ["b", "c"]}}),
         "REQUIRED_ATTRIBUTE_ADDED #/dependentSchemas/a/required/c", False, drafts=MODERN),
    case("dependencies-schema-added", obj(AB), obj(AB, dependencies={"a": {"required": ["b"]}}),
         "DEPENDENCY_SCHEMA_ADDED #/dependencies/a", False, drafts=DRAFT7),
    case("dependencies-schema-removed", obj(AB, dependencies={"a": {"required": ["b"]}}), obj(AB),
         "DEPENDENCY_SCHEMA_REMOVED #/dependencies/a", True, drafts=DRAFT7),
]  # fmt: skip

A = {"a": S}
AX = {"a": S, "x": I}
X_REQ = ["x"]

CONTENT_MODELS: list[Case] = [
    case("required-property-added-to-open", obj(A), obj(AX, X_REQ),
         "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/x; REQUIRED_ATTRIBUTE_ADDED #/required/x", False),
    case("required-property-with-default-added-to-open", obj(A), obj({"a": S, "x": B_DEFAULT}, X_REQ),
         "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL #/properties/x;"
         "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED #/required/x", False, True),
    case("optional-property-added-to-open", obj(A), obj(AX), "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/x",
         False, True),
    case("optional-property-added-to-open-without-type", {"properties": A}, {"properties": AX},
         "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/x", False, True),
    case("required-property-added-to-closed", closed(A), closed(AX, X_REQ),
         "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/x; REQUIRED_ATTRIBUTE_ADDED #/required/x", False),
    case("required-property-with-default-added-to-closed", closed(A), closed({"a": S, "x": B_DEFAULT}, X_REQ),
         "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/x;"
         "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED #/required/x", True),
    case("optional-property-added-to-closed", closed(A), closed(AX),
         "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/x", True),
    case("nullable-property-added-to-closed", closed(A), closed({"a": S, "x": {"anyOf": [S, NULL], "default": None}}),
         "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/x", True),
    case("property-with-empty-schema-added-to-open", obj(A), obj({"a": S, "x": {}}),
         "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL #/properties/x", True),
    case("property-with-annotated-empty-schema-added-to-open", obj(A), obj({"a": S, "x": {"description": "any"}}),
         "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL #/properties/x", True),
    case("property-removed-from-open", obj(AX), obj(A), "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL #/properties/x", True),
    case("required-property-removed-from-open", obj(AX, X_REQ), obj(A),
         "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL #/properties/x; REQUIRED_ATTRIBUTE_REMOVED #/required/x", True),
    case("property-removed-from-closed", closed(AX), closed(A),
         "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/x", False, True),
    case("property-with-false-removed-from-closed", closed({"a": S, "x": False}), closed(A),
         "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/x", True),
    case("property-removed-from-unevaluated-closed", obj(AX, unevaluatedProperties=False),
         obj(A, unevaluatedProperties=False), "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/x", False, True,
         drafts=MODERN),
    case("property-added-covered-by-pattern", closed(A, patternProperties={"^x": I}), closed(AX, patternProperties={"^x": I}),
         "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/x", True),
    case("property-added-not-covered-by-pattern", closed(A, patternProperties={"^x": N}),
         closed(AX, patternProperties={"^x": N}),
         "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/x", False, True),
    case("property-added-covered-by-additional", obj(A, additionalProperties=I),
         obj({"a": S, "x": {"type": ["integer", "null"]}}, additionalProperties=I),
         "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/x", True),
    case("property-added-not-covered-by-additional", obj(A, additionalProperties=S), obj(AX, additionalProperties=S),
         "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/x", False, True),
    case("property-removed-covered-by-additional", obj(AX, additionalProperties=N), obj(A, additionalProperties=N),
         "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/x", True),
    case("property-removed-not-covered-by-additional", obj(AX, additionalProperties=S), obj(A, additionalProperties=S),
         "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/x", False, True),
    case("property-removed-covered-by-pattern", closed(AX, patternProperties={"^x": I}), closed(A, patternProperties={"^x": I}),
         "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/x", True),
    case("property-added-to-open-when-pattern-does-not-match", obj(A, patternProperties={"^y": I}),
         obj(AX, patternProperties={"^y": I}), "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/x", False, True),
    case("pattern-property-added-to-open", obj(A), obj(A, patternProperties={"^x": I}),
         "SCHEMA_ADDED #/patternProperties/^x", False),
    case("pattern-property-removed-from-open", obj(A, patternProperties={"^x": I}), obj(A),
         "SCHEMA_REMOVED #/patternProperties/^x", True),
    case("pattern-property-changed", obj(patternProperties={"^x": N}), obj(patternProperties={"^x": I}),
         "TYPE_NARROWED #/patternProperties/^x/type", False),
    case("pattern-property-added-to-closed", closed(A), closed(A, patternProperties={"^x": I}),
         "TYPE_EXTENDED #/patternProperties/^x/type", True),
    case("pattern-property-removed-from-closed", closed(A, patternProperties={"^x": I}), closed(A),
         "TYPE_NARROWED #/patternProperties/^x/type", False),
    case("property-name-escaped", obj({"a/b": S, "c~d": S}), obj({"a/b": I, "c~d": I}),
         "TYPE_CHANGED #/properties/a~1b/type; TYPE_CHANGED #/properties/c~0d/type", False),
    case("nested-object-property-added", obj({"o": obj(A)}), obj({"o": obj(AX)}),
         "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/o/properties/x", False, True),
    case("object-keywords-ignored-for-strings", {**S, "required": ["a"]}, {**S, "required": ["a", "b"]}, "", True),
]  # fmt: skip

CASES: list[Case] = [*REQUIRED, *ADDITIONAL, *DEPENDENCIES, *CONTENT_MODELS]
