"""Reading JSON Schema keywords: validated accessors, JSON equality of values, and draft-neutral views (pure).

Every accessor validates what it reads and raises :class:`InvalidSchemaError` naming the JSON pointer of the
malformed keyword, so the differ never trips over a wrong type deep inside a schema. Draft differences that
are a matter of spelling are absorbed here: draft 7 ``items: [...]`` + ``additionalItems`` and 2020-12
``prefixItems`` + ``items`` share one :class:`ItemsView`; draft 7 ``dependencies`` splits into
``dependentRequired`` / ``dependentSchemas``; draft 4 boolean ``exclusiveMaximum`` / ``exclusiveMinimum``
become numbers.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from mdp.compat.errors import InvalidSchemaError, SchemaTooComplexError

Path = tuple[str, ...]

JSON_TYPES = frozenset({"null", "boolean", "object", "array", "number", "string", "integer"})
ASSERTION_KEYWORDS = frozenset(
    {
        "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
        "maxLength", "minLength", "pattern", "format", "items", "prefixItems", "additionalItems",
        "unevaluatedItems", "contains", "maxContains", "minContains", "maxItems", "minItems", "uniqueItems",
        "properties", "patternProperties", "additionalProperties", "unevaluatedProperties", "propertyNames",
        "required", "maxProperties", "minProperties", "dependentRequired", "dependentSchemas", "dependencies",
        "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref", "$dynamicRef", "$recursiveRef",
    }
)  # fmt: skip
MAX_VALUE_DEPTH = 256
_DRAFT4_EXCLUSIVE = {"exclusiveMaximum": "maximum", "exclusiveMinimum": "minimum"}


def pointer(path: Path) -> str:
    """``("properties", "a/b")`` -> ``#/properties/a~1b`` (Confluent-style JSON pointer)."""
    if not path:
        return "#"
    return "#/" + "/".join(segment.replace("~", "~0").replace("/", "~1") for segment in path)


def ensure_schema(value: Any, path: Path) -> None:
    if type(value) is dict or value is True or value is False:
        return  # the common case, without the ABC check below
    if not isinstance(value, Mapping):
        raise InvalidSchemaError(
            f"{pointer(path)} is not a JSON Schema (an object or a boolean), got {type(value).__name__}"
        )


def _bad(path: Path, keyword: str, expected: str) -> InvalidSchemaError:
    return InvalidSchemaError(f"{pointer((*path, keyword))} must be {expected}")


def declared_types(schema: Mapping[str, Any], path: Path) -> frozenset[str] | None:
    value = schema.get("type")
    if value is None:
        return None
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and n in JSON_TYPES for n in names):
        raise _bad(path, "type", f"one of {sorted(JSON_TYPES)} or a list of them")
    return frozenset(names)


def value_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def enum_values(schema: Mapping[str, Any], path: Path) -> list[Any] | None:
    """The allowed values (``enum``, or ``const`` as a one-value enum), or ``None`` when unconstrained."""
    if "enum" in schema:
        values = schema["enum"]
        if not isinstance(values, list):
            raise _bad(path, "enum", "an array")
        if "const" in schema:
            const_key = value_key(schema["const"])
            return [v for v in values if value_key(v) == const_key]
        return values
    if "const" in schema:
        return [schema["const"]]
    return None


def number(schema: Mapping[str, Any], keyword: str, path: Path) -> float | int | None:
    value = schema.get(keyword)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(path, keyword, "a finite number")
    return value


def bound(schema: Mapping[str, Any], keyword: str, path: Path, *, count: bool = False) -> float | int | None:
    """A numeric bound; draft 4 boolean ``exclusiveMaximum``/``exclusiveMinimum`` are made numeric.

    ``count`` bounds (lengths, item and property counts) must be non-negative.
    """
    value = schema.get(keyword)
    if isinstance(value, bool) and keyword in _DRAFT4_EXCLUSIVE:
        return number(schema, _DRAFT4_EXCLUSIVE[keyword], path) if value else None
    if (
        keyword in _DRAFT4_EXCLUSIVE.values()
        and schema.get(f"exclusive{keyword[0].upper()}{keyword[1:]}") is True
    ):
        return None
    result = number(schema, keyword, path)
    if count and result is not None and (result < 0 or result != int(result)):
        raise _bad(path, keyword, "a non-negative integer")
    return result


def string(schema: Mapping[str, Any], keyword: str, path: Path) -> str | None:
    value = schema.get(keyword)
    if value is not None and not isinstance(value, str):
        raise _bad(path, keyword, "a string")
    return value


def flag(schema: Mapping[str, Any], keyword: str, path: Path) -> bool:
    value = schema.get(keyword, False)
    if not isinstance(value, bool):
        raise _bad(path, keyword, "a boolean")
    return value


def string_list(value: Any, path: Path, keyword: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _bad(path, keyword, "an array of strings")
    return value


def schema_map(schema: Mapping[str, Any], keyword: str, path: Path) -> Mapping[str, Any]:
    value = schema.get(keyword)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad(path, keyword, "an object of schemas")
    for name, sub in value.items():
        ensure_schema(sub, (*path, keyword, name))
    return value


def schema_list(schema: Mapping[str, Any], keyword: str, path: Path) -> Sequence[Any] | None:
    value = schema.get(keyword)
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise _bad(path, keyword, "a non-empty array of schemas")
    for index, sub in enumerate(value):
        ensure_schema(sub, (*path, keyword, str(index)))
    return value


def subschema(schema: Mapping[str, Any], keyword: str, path: Path) -> Any:
    value = schema.get(keyword)
    if value is not None:
        ensure_schema(value, (*path, keyword))
    return value


def is_empty_schema(schema: Any) -> bool:
    """True for ``true``, ``{}`` and schemas carrying only annotations: they accept every value."""
    return schema is True or (isinstance(schema, Mapping) and ASSERTION_KEYWORDS.isdisjoint(schema))


def value_key(value: Any, depth: int = 0) -> Hashable:
    """A hashable key with JSON equality: ``1 == 1.0``, ``true != 1``, object key order ignored."""
    if depth > MAX_VALUE_DEPTH:
        raise SchemaTooComplexError(f"a JSON value nests deeper than {MAX_VALUE_DEPTH} levels")
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, Mapping):
        return ("object", frozenset((k, value_key(v, depth + 1)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("array", tuple(value_key(v, depth + 1) for v in value))
    raise InvalidSchemaError(f"not a JSON value: {type(value).__name__}")


def show(value: Any, limit: int = 80) -> str:
    """A short JSON rendering of ``value`` for messages."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str).decode()
    except (TypeError, orjson.JSONEncodeError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True, slots=True)
class ItemsView:
    """Array item keywords of either draft: a tuple prefix plus the schema of the remaining items."""

    prefix: Sequence[Any] | None
    prefix_keyword: str
    rest: Any
    rest_keyword: str


def items_view(schema: Mapping[str, Any], path: Path) -> ItemsView:
    items = schema.get("items")
    if isinstance(items, list):  # draft 7 tuple
        tuple_items = schema_list(schema, "items", path) if items else []
        return ItemsView(tuple_items, "items", subschema(schema, "additionalItems", path), "additionalItems")
    if "prefixItems" in schema:
        prefix = schema_list(schema, "prefixItems", path)
        return ItemsView(prefix, "prefixItems", subschema(schema, "items", path), "items")
    return ItemsView(None, "prefixItems", subschema(schema, "items", path), "items")


def dependencies(
    schema: Mapping[str, Any], path: Path
) -> tuple[dict[str, tuple[str, list[str]]], dict[str, tuple[str, Any]]]:
    """``(dependentRequired, dependentSchemas)`` with draft 7 ``dependencies`` split by value type.

    Each entry maps a property name to ``(keyword it came from, value)``.
    """
    arrays: dict[str, tuple[str, list[str]]] = {}
    schemas: dict[str, tuple[str, Any]] = {}
    legacy = schema.get("dependencies")
    if legacy is not None:
        if not isinstance(legacy, Mapping):
            raise _bad(path, "dependencies", "an object")
        for name, value in legacy.items():
            if isinstance(value, list):
                arrays[name] = ("dependencies", string_list(value, (*path, "dependencies"), name))
            else:
                ensure_schema(value, (*path, "dependencies", name))
                schemas[name] = ("dependencies", value)
    required = schema.get("dependentRequired")
    if required is not None:
        if not isinstance(required, Mapping):
            raise _bad(path, "dependentRequired", "an object")
        for name, value in required.items():
            arrays[name] = ("dependentRequired", string_list(value, (*path, "dependentRequired"), name))
    for name, value in schema_map(schema, "dependentSchemas", path).items():
        schemas[name] = ("dependentSchemas", value)
    return arrays, schemas


__all__ = [
    "ASSERTION_KEYWORDS",
    "JSON_TYPES",
    "MAX_VALUE_DEPTH",
    "ItemsView",
    "Path",
    "bound",
    "declared_types",
    "dependencies",
    "ensure_schema",
    "enum_values",
    "flag",
    "is_empty_schema",
    "items_view",
    "number",
    "pointer",
    "schema_list",
    "schema_map",
    "show",
    "string",
    "string_list",
    "subschema",
    "value_key",
    "value_type",
]
