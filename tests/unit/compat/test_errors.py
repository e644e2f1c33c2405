"""Bad input: remote $ref (never fetched), unresolvable refs, cycles, malformed keywords, deep nesting."""

from __future__ import annotations

import time
from typing import Any

import pytest

from mdp.compat import (
    CompatError,
    InvalidSchemaError,
    RemoteRefError,
    SchemaTooComplexError,
    check,
    diff,
)
from mdp.errors import MdpError

OK: dict[str, Any] = {"type": "string"}


@pytest.mark.parametrize(
    "ref",
    [
        "https://example.com/schema.json",
        "http://127.0.0.1:1/never-contacted.json#/$defs/x",
        "other.json#/definitions/x",
        "urn:uuid:ee564b8a-7a87-4125-8c96-e9f123d6766f",
    ],
)
def test_a_remote_ref_is_an_error_and_is_never_fetched(ref: str) -> None:
    schema = {"properties": {"a": {"$ref": ref}}}
    started = time.perf_counter()
    with pytest.raises(RemoteRefError, match="never fetches") as info:
        check(schema, schema)
    assert time.perf_counter() - started < 1.0
    assert "#/properties/a" in str(info.value)
    assert isinstance(info.value, CompatError)
    assert isinstance(info.value, MdpError)


def test_a_ref_to_the_documents_own_id_is_local() -> None:
    schema = {
        "$id": "https://mdp.example/a.json",
        "$defs": {"s": OK},
        "$ref": "https://mdp.example/a.json#/$defs/s",
    }
    assert check(schema, OK).compatible


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"$ref": "#/$defs/missing"}, "unresolvable"),
        ({"$ref": "#nowhere"}, "no such anchor"),
        ({"$ref": 5}, "must be a string"),
        ({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}, "cycle"),
        ({"$ref": "#"}, "cycle"),
        ({"type": 5}, "#/type"),
        ({"type": "strng"}, "#/type"),
        ({"required": "a", "type": "object"}, "#/required"),
        ({"properties": [], "type": "object"}, "#/properties"),
        ({"properties": {"a": 3}}, "#/properties/a"),
        ({"enum": "a"}, "#/enum"),
        ({"allOf": []}, "#/allOf"),
        ({"anyOf": [OK, "x"]}, "#/anyOf/1"),
        ({"type": "string", "maxLength": -1}, "#/maxLength"),
        ({"type": "string", "maxLength": "5"}, "#/maxLength"),
        ({"type": "number", "maximum": True}, "#/maximum"),
        ({"type": "number", "multipleOf": 0}, "#/multipleOf"),
        ({"type": "string", "pattern": 7}, "#/pattern"),
        ({"type": "array", "uniqueItems": "yes"}, "#/uniqueItems"),
        ({"patternProperties": {"(": OK}}, "regular expression"),
        ({"dependentRequired": {"a": "b"}}, "#/dependentRequired/a"),
    ],
)
def test_malformed_schemas_are_invalid_with_a_pointer(schema: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidSchemaError, match=message):
        diff({}, schema)
    with pytest.raises(InvalidSchemaError):
        check(schema, {})


@pytest.mark.parametrize("value", [[], 3, "schema", None, 1.5])
def test_a_document_must_be_an_object_or_a_boolean(value: Any) -> None:
    with pytest.raises(InvalidSchemaError, match="not a JSON Schema"):
        check(value, OK)
    with pytest.raises(InvalidSchemaError, match="not a JSON Schema"):
        check(OK, value)


def _nested(depth: int, leaf: Any) -> dict[str, Any]:
    schema: dict[str, Any] = leaf
    for _ in range(depth):
        schema = {"type": "object", "properties": {"x": schema}}
    return schema


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(SchemaTooComplexError, match="nest"):
        diff(_nested(500, {"type": "string"}), _nested(500, {"type": "integer"}))
    # A realistic depth is fine.
    assert [
        c.path.count("/properties/") for c in diff(_nested(40, OK), _nested(40, {"type": "integer"}))
    ] == [40]


def test_deeply_nested_values_are_an_error_not_a_crash() -> None:
    deep: Any = 1
    for _ in range(400):
        deep = [deep]
    with pytest.raises(SchemaTooComplexError):
        diff({"const": deep}, {"const": [deep]})


def test_exponential_ref_fanout_stays_bounded() -> None:
    # Each definition refers to the next one twice: 2**30 paths, but only ~30 distinct pairs to compare.
    defs = {
        f"d{i}": {
            "type": "object",
            "properties": {"l": {"$ref": f"#/$defs/d{i + 1}"}, "r": {"$ref": f"#/$defs/d{i + 1}"}},
        }
        for i in range(30)
    }
    old = {"$defs": {**defs, "d30": {"type": "integer"}}, "$ref": "#/$defs/d0"}
    new = {"$defs": {**defs, "d30": {"type": "integer"}}, "$ref": "#/$defs/d0"}
    started = time.perf_counter()
    assert check(old, new).changes == ()
    changed = {**new, "$defs": {**defs, "d30": {"type": "string"}}}
    result = check(old, changed)
    assert time.perf_counter() - started < 5.0
    assert not result.compatible
    assert {c.kind for c in result.changes} == {"TYPE_CHANGED"}
    assert 1_000 < len(result.changes) < 20_000  # every path up to the cap, then one per kind


def test_too_much_comparison_work_is_an_error_not_a_hang() -> None:
    # 250 x 250 alternatives with nothing in common: more trial comparisons than the work bound allows.
    old = {"anyOf": [{"type": "object", "required": [f"o{i}"]} for i in range(250)]}
    new = {"anyOf": [{"type": "object", "required": [f"n{i}"]} for i in range(250)]}
    started = time.perf_counter()
    with pytest.raises(SchemaTooComplexError, match="steps"):
        diff(old, new)
    assert time.perf_counter() - started < 10.0
