"""Golden cases: enum and const, allOf / anyOf / oneOf / not, and local $ref (including recursion)."""

from __future__ import annotations

from typing import Any

from tests.unit.compat.golden.case import DRAFT7, MODERN, NULL, Case, I, N, S, case, obj

ENUMS: list[Case] = [
    case("enum-extended", {"enum": ["a", "b"]}, {"enum": ["a", "b", "c"]}, "ENUM_ARRAY_EXTENDED #/enum", True),
    case("enum-narrowed", {"enum": ["a", "b"]}, {"enum": ["a"]}, "ENUM_ARRAY_NARROWED #/enum", False),
    case("enum-changed", {"enum": ["a", "b"]}, {"enum": ["a", "c"]}, "ENUM_ARRAY_CHANGED #/enum", False),
    case("enum-added", S, {**S, "enum": ["a"]}, "ENUM_ARRAY_NARROWED #/enum", False),
    case("enum-removed", {**S, "enum": ["a"]}, S, "ENUM_ARRAY_EXTENDED #/enum", True),
    case("enum-reordered", {"enum": ["a", "b"]}, {"enum": ["b", "a"]}, "", True),
    case("enum-int-equals-float", {"enum": [1, 2]}, {"enum": [1.0, 2]}, "", True),
    case("enum-true-is-not-one", {"enum": [1]}, {"enum": [True]}, "ENUM_ARRAY_CHANGED #/enum", False),
    case("enum-objects-key-order", {"enum": [{"a": 1, "b": 2}]}, {"enum": [{"b": 2, "a": 1}]}, "", True),
    case("const-to-enum-extended", {"const": "a"}, {"enum": ["a", "b"]}, "ENUM_ARRAY_EXTENDED #/enum", True),
    case("const-changed", {"const": "a"}, {"const": "b"}, "ENUM_ARRAY_CHANGED #/const", False),
    case("const-added", S, {**S, "const": "a"}, "ENUM_ARRAY_NARROWED #/const", False),
    case("enum-with-type-extended", {**S, "enum": ["a"]}, {"type": ["string", "null"], "enum": ["a", None]},
         "TYPE_EXTENDED #/type; ENUM_ARRAY_EXTENDED #/enum", True),
]  # fmt: skip

A = {**S, "maxLength": 5}
B = I
C = {"type": "boolean"}

COMBINED: list[Case] = [
    case("combined-type-extended", {"oneOf": [A, B]}, {"anyOf": [A, B]}, "COMBINED_TYPE_EXTENDED #/anyOf", True),
    case("combined-type-extended-all-of", {"allOf": [obj(), {"required": ["a"]}]},
         {"anyOf": [obj(), {"required": ["a"]}]}, "COMBINED_TYPE_EXTENDED #/anyOf", True),
    case("combined-type-changed", {"anyOf": [A, B]}, {"oneOf": [A, B]}, "COMBINED_TYPE_CHANGED #/oneOf", False),
    case("combined-type-changed-to-all-of", {"anyOf": [A, B]}, {"allOf": [A, B]}, "COMBINED_TYPE_CHANGED #/allOf",
         False),
    case("combined-subschemas-changed", {"anyOf": [A, B]}, {"anyOf": [{**S, "maxLength": 3}, B]},
         "COMBINED_TYPE_SUBSCHEMAS_CHANGED #/anyOf", False),
    case("sum-subschema-relaxed", {"anyOf": [A, B]}, {"anyOf": [{**S, "maxLength": 9}, B]},
         "MAX_LENGTH_INCREASED #/anyOf/0/maxLength", True),
    case("sum-reordered", {"anyOf": [A, B]}, {"anyOf": [B, A]}, "", True),
    case("sum-type-extended", {"anyOf": [A, B]}, {"anyOf": [A, B, C]}, "SUM_TYPE_EXTENDED #/anyOf", True),
    case("sum-type-narrowed", {"anyOf": [A, B, C]}, {"anyOf": [A, B]}, "SUM_TYPE_NARROWED #/anyOf", False),
    case("one-of-extended", {"oneOf": [A, B]}, {"oneOf": [A, B, C]}, "SUM_TYPE_EXTENDED #/oneOf", True),
    case("product-type-extended", {"allOf": [obj(), {"required": ["a"]}]},
         {"allOf": [obj(), {"required": ["a"]}, {"required": ["b"]}]}, "PRODUCT_TYPE_EXTENDED #/allOf", False),
    case("product-type-narrowed", {"allOf": [obj(), {"required": ["a"]}, {"required": ["b"]}]},
         {"allOf": [obj(), {"required": ["a"]}]}, "PRODUCT_TYPE_NARROWED #/allOf", True),
    case("made-nullable", S, {"anyOf": [S, NULL]}, "SUM_TYPE_EXTENDED #/anyOf", True),
    case("made-nullable-and-relaxed", A, {"anyOf": [{**S, "maxLength": 9}, NULL], "default": None},
         "DEFAULT_CHANGED #/default; SUM_TYPE_EXTENDED #/anyOf; MAX_LENGTH_INCREASED #/anyOf/0/maxLength", True),
    case("made-nullable-but-tightened", A, {"anyOf": [{**S, "maxLength": 3}, NULL]},
         "SUM_TYPE_EXTENDED #/anyOf; MAX_LENGTH_DECREASED #/anyOf/0/maxLength", False),
    case("made-non-nullable", {"anyOf": [S, NULL]}, S, "SUM_TYPE_NARROWED #/anyOf", False),
    case("sum-collapsed-into-wider-type", {"anyOf": [I, N]}, N, "TYPE_EXTENDED #/anyOf/0/type", True),
    case("single-all-of-is-transparent", {"allOf": [I]}, N, "TYPE_EXTENDED #/allOf/0/type", True),
    case("single-any-of-is-transparent", I, {"anyOf": [N]}, "TYPE_EXTENDED #/anyOf/0/type", True),
    case("all-of-flattened", {"allOf": [obj(), {"required": ["a"]}]}, obj(required=["a"]), "", True),
    case("all-of-introduced", obj(required=["a"]), {"allOf": [obj(), {"required": ["a", "b"]}]},
         "REQUIRED_ATTRIBUTE_ADDED #/required/b", False),
    case("all-of-out-of-interacting-parts", {"allOf": [obj({"a": S}), obj({"b": S}, additionalProperties=False)]},
         obj({"b": S}, additionalProperties=False), "PRODUCT_TYPE_NARROWED #/allOf", True),
    case("sum-constraint-removed", obj(anyOf=[{"required": ["a"]}, {"required": ["b"]}]), obj(),
         "SUM_TYPE_EXTENDED #/anyOf", True),
    case("sum-constraint-added", obj(), obj(anyOf=[{"required": ["a"]}, {"required": ["b"]}]),
         "SUM_TYPE_NARROWED #/anyOf", False),
    case("product-constraint-added", obj({"a": S}), obj({"a": S}, allOf=[{"required": ["a"]}, {"minProperties": 1}]),
         "PRODUCT_TYPE_EXTENDED #/allOf", False),
    case("product-constraint-removed", obj({"a": S}, allOf=[{"required": ["a"]}, {"minProperties": 1}]), obj({"a": S}),
         "PRODUCT_TYPE_NARROWED #/allOf", True),
    case("not-type-extended", {"not": S}, {"not": {"type": ["string", "integer"]}}, "NOT_TYPE_EXTENDED #/not", False),
    case("not-type-narrowed", {"not": {"type": ["string", "integer"]}}, {"not": S}, "NOT_TYPE_NARROWED #/not", True),
    case("not-added", {}, {"not": S}, "NOT_TYPE_EXTENDED #/not", False),
    case("not-removed", {"not": S}, {}, "NOT_TYPE_NARROWED #/not", True),
    case("not-unchanged", {"not": {**S, "title": "x"}}, {"not": {**S, "title": "y"}}, "", True),
]  # fmt: skip


def _defs(draft: str) -> str:
    return "$defs" if draft == "2020-12" else "definitions"


def _refs(draft: str) -> list[Case]:
    defs = _defs(draft)
    drafts = MODERN if draft == "2020-12" else DRAFT7
    tag = "2020" if draft == "2020-12" else "d7"

    def doc(root: dict[str, Any], **definitions: Any) -> dict[str, Any]:
        return {**root, defs: definitions}

    def ref(name: str) -> dict[str, str]:
        return {"$ref": f"#/{defs}/{name}"}

    tree = {"type": "object", "properties": {"value": I, "children": {"type": "array", "items": ref("node")}}}
    tree_n = {
        "type": "object",
        "properties": {"value": N, "children": {"type": "array", "items": ref("node")}},
    }
    return [
        case(f"{tag}-ref-target-changed", doc(obj({"a": ref("s")}), s=S), doc(obj({"a": ref("s")}), s=I),
             "TYPE_CHANGED #/properties/a/type", False, drafts=drafts),
        case(f"{tag}-ref-inlined", doc(obj({"a": ref("s")}), s=S), obj({"a": S}), "", True, drafts=drafts),
        case(f"{tag}-ref-to-root", {"type": "object", "properties": {"self": {"$ref": "#"}}},
             {"type": "object", "properties": {"self": {"$ref": "#"}, "x": I}},
             "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/x", False, True, drafts=drafts),
        case(f"{tag}-recursive-identical", doc(ref("node"), node=tree), doc(ref("node"), node=tree), "", True,
             drafts=drafts),
        case(f"{tag}-recursive-changed", doc(ref("node"), node=tree), doc(ref("node"), node=tree_n),
             "TYPE_EXTENDED #/properties/value/type", True, drafts=drafts),
        case(f"{tag}-mutually-recursive", doc(ref("a"), a={"properties": {"b": ref("b")}}, b={"properties": {"a": ref("a")}}),
             doc(ref("a"), a={"properties": {"b": ref("b")}}, b={"properties": {"a": ref("a"), "n": I}}),
             "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/b/properties/n", False, True, drafts=drafts),
        case(f"{tag}-shared-definition-changed", doc(obj({"a": ref("s"), "b": ref("s")}), s=I),
             doc(obj({"a": ref("s"), "b": ref("s")}), s=N),
             "TYPE_EXTENDED #/properties/a/type; TYPE_EXTENDED #/properties/b/type", True, drafts=drafts),
        case(f"{tag}-unused-definition-ignored", doc(S, unused=S), doc(S, unused=I), "", True, drafts=drafts),
    ]  # fmt: skip


REFS: list[Case] = [
    *_refs("2020-12"),
    *_refs("draft-07"),
    case("ref-sibling-description", {"$defs": {"s": S}, "properties": {"a": {"$ref": "#/$defs/s", "description": "x"}}},
         {"$defs": {"s": S}, "properties": {"a": {"$ref": "#/$defs/s", "description": "y"}}},
         "DESCRIPTION_CHANGED #/properties/a/description", True),
    case("ref-sibling-assertion-applies-in-2020", {"$defs": {"s": S}, "properties": {"a": {"$ref": "#/$defs/s"}}},
         {"$defs": {"s": S}, "properties": {"a": {"$ref": "#/$defs/s", "maxLength": 3}}},
         "MAX_LENGTH_ADDED #/properties/a/maxLength", False, drafts=MODERN),
    case("ref-sibling-assertion-ignored-in-draft-7",
         {"definitions": {"s": S}, "properties": {"a": {"$ref": "#/definitions/s"}}},
         {"definitions": {"s": S}, "properties": {"a": {"$ref": "#/definitions/s", "maxLength": 3}}}, "", True,
         drafts=DRAFT7),
    case("ref-anchor", {"$defs": {"s": {"$anchor": "str", **S}}, "properties": {"a": {"$ref": "#str"}}},
         {"$defs": {"s": {"$anchor": "str", **I}}, "properties": {"a": {"$ref": "#str"}}},
         "TYPE_CHANGED #/properties/a/type", False, drafts=MODERN),
    case("ref-draft7-id-anchor", {"definitions": {"s": {"$id": "#str", **S}}, "properties": {"a": {"$ref": "#str"}}},
         {"definitions": {"s": {"$id": "#str", **I}}, "properties": {"a": {"$ref": "#str"}}},
         "TYPE_CHANGED #/properties/a/type", False, drafts=DRAFT7),
    case("ref-escaped-pointer", {"$defs": {"a/b": S}, "properties": {"x": {"$ref": "#/$defs/a~1b"}}},
         {"$defs": {"a/b": I}, "properties": {"x": {"$ref": "#/$defs/a~1b"}}}, "TYPE_CHANGED #/properties/x/type",
         False, drafts=MODERN),
    case("ref-absolute-own-id", {"$id": "https://mdp.example/s.json", "$defs": {"s": S},
                                  "properties": {"a": {"$ref": "https://mdp.example/s.json#/$defs/s"}}},
         {"$id": "https://mdp.example/s.json", "$defs": {"s": I},
          "properties": {"a": {"$ref": "https://mdp.example/s.json#/$defs/s"}}},
         "TYPE_CHANGED #/properties/a/type", False, drafts=MODERN),
]  # fmt: skip

CASES: list[Case] = [*ENUMS, *COMBINED, *REFS]
