"""Reading schemas for comparison: local ``$ref`` resolution, draft differences, keyword accessors (pure).

The differ never inlines a whole document (recursive schemas would never end). Instead :class:`Document`
follows a ``$ref`` chain on demand and caches the result per referencing object, so the same ``$ref`` always
resolves to the same Python object; the differ keys its recursion guard on those objects.

Draft 7 and 2020-12 are both understood:

* ``definitions`` and ``$defs`` are plain JSON pointers (``#/definitions/x``, ``#/$defs/x``); plain-name
  fragments (``#foo``) find ``$anchor`` (2019-09+) or ``$id: "#foo"`` (draft 7).
* Siblings of ``$ref``: draft 7 ignores assertion siblings, 2019-09+ applies them. Annotation siblings
  (``description`` next to a ``$ref``) are kept in both drafts because people read them. Assertion siblings
  are merged into the target when their keywords cannot interact, otherwise the pair becomes an ``allOf``.
* Tuples: ``items: [..]`` + ``additionalItems`` (draft 7) and ``prefixItems`` + ``items`` (2020-12) share
  one :class:`ItemsView`. ``dependencies`` (draft 7) is split into ``dependentRequired`` /
  ``dependentSchemas``. Draft 4 boolean ``exclusiveMaximum`` / ``exclusiveMinimum`` become numeric.

Remote references (anything that is not a fragment of this document) raise :class:`RemoteRefError`; nothing
is ever fetched. Malformed keywords raise :class:`InvalidSchemaError` naming the JSON pointer.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mdp.compat.errors import InvalidSchemaError, RemoteRefError, SchemaTooComplexError

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
# Keywords whose meaning depends on other keywords of the same schema object: merging a $ref target with
# siblings from the same group would change what they mean, so such pairs become an allOf instead.
_INTERACTING = (
    frozenset({"properties", "patternProperties", "additionalProperties", "unevaluatedProperties"}),
    frozenset({"prefixItems", "items", "additionalItems", "unevaluatedItems", "contains", "minContains",
               "maxContains"}),
    frozenset({"if", "then", "else"}),
)  # fmt: skip
_LEGACY_DRAFTS = ("draft-04", "draft-06", "draft-07")
_DRAFT4_EXCLUSIVE = {"exclusiveMaximum": "maximum", "exclusiveMinimum": "minimum"}
_VALUE_KEYWORDS = frozenset({"enum", "const", "default", "examples"})
MAX_VALUE_DEPTH = 256
_MAX_ANCHOR_NODES = 100_000


def pointer(path: Path) -> str:
    """``("properties", "a/b")`` -> ``#/properties/a~1b`` (Confluent-style JSON pointer)."""
    if not path:
        return "#"
    return "#/" + "/".join(segment.replace("~", "~0").replace("/", "~1") for segment in path)


def ensure_schema(value: Any, path: Path) -> None:
    if not isinstance(value, (Mapping, bool)):
        raise InvalidSchemaError(
            f"{pointer(path)} is not a JSON Schema (an object or a boolean), got {type(value).__name__}"
        )


_PERCENT = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _unquote(text: str) -> str:
    return _PERCENT.sub(lambda m: bytes.fromhex(m.group().replace("%", "")).decode("utf-8", "replace"), text)


class Document:
    """One schema document: its root, its draft, and cached resolution of its local ``$ref`` chains."""

    def __init__(self, root: Any, label: str = "schema") -> None:
        ensure_schema(root, ())
        self.root = root
        self.label = label
        dialect = root.get("$schema") if isinstance(root, Mapping) else None
        self.legacy_refs = isinstance(dialect, str) and any(d in dialect for d in _LEGACY_DRAFTS)
        base = root.get("$id") if isinstance(root, Mapping) else None
        self._base = base.split("#", 1)[0] if isinstance(base, str) and base.split("#", 1)[0] else None
        self._anchors: dict[str, Any] | None = None
        self._resolved: dict[int, Any] = {}
        self._flattened: dict[int, Any] = {}
        # Synthetic schemas (merged $ref targets) must outlive the comparison: the differ keys on id().
        self.keep: list[Any] = []

    def resolve(self, schema: Any, path: Path) -> Any:
        """``schema`` with its ``$ref`` chain followed; the same input object always gives the same result."""
        ensure_schema(schema, path)
        if not isinstance(schema, Mapping) or "$ref" not in schema:
            return schema
        hit = self._resolved.get(id(schema))
        if hit is None:
            hit = self._follow(schema, path, set())
        return hit

    def _follow(self, schema: Mapping[str, Any], path: Path, chain: set[int]) -> Any:
        if id(schema) in chain:
            raise InvalidSchemaError(f"{pointer(path)}: $ref cycle that never reaches a schema")
        chain.add(id(schema))
        ref = schema["$ref"]
        if not isinstance(ref, str):
            raise InvalidSchemaError(f"{pointer(path)}/$ref must be a string")
        target = self._lookup(ref, path)
        ensure_schema(target, path)
        if isinstance(target, Mapping) and "$ref" in target:
            cached = self._resolved.get(id(target))
            target = cached if cached is not None else self._follow(target, path, chain)
        result = self._merge(target, {k: v for k, v in schema.items() if k != "$ref"})
        self._resolved[id(schema)] = result
        self.keep.append(schema)
        return result

    def _merge(self, target: Any, siblings: dict[str, Any]) -> Any:
        if not siblings or target is False:
            return target
        annotations = {k: v for k, v in siblings.items() if k not in ASSERTION_KEYWORDS}
        assertions = (
            {} if self.legacy_refs else {k: v for k, v in siblings.items() if k in ASSERTION_KEYWORDS}
        )
        base: Mapping[str, Any] = {} if target is True else target
        if not assertions and not annotations:
            return target
        if not assertions or _can_merge(base, assertions):
            merged: Any = {**base, **annotations, **assertions}
        else:
            merged = {**annotations, "allOf": [target, assertions]}
        self.keep.append(merged)
        return merged

    def _lookup(self, ref: str, path: Path) -> Any:
        head, _, fragment = ref.partition("#")
        if head and (self._base is None or head != self._base):
            raise RemoteRefError(
                f"{pointer(path)}: remote $ref {ref!r} is not supported; mdp never fetches schemas "
                "(inline the definition under $defs and reference it as #/$defs/...)"
            )
        fragment = _unquote(fragment)
        if fragment == "":
            return self.root
        if not fragment.startswith("/"):
            anchors = self._anchor_index()
            if fragment not in anchors:
                raise InvalidSchemaError(f"{pointer(path)}: unresolvable $ref {ref!r} (no such anchor)")
            return anchors[fragment]
        node: Any = self.root
        for raw in fragment[1:].split("/"):
            segment = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and segment in node:
                node = node[segment]
            elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
                node = node[int(segment)]
            else:
                raise InvalidSchemaError(f"{pointer(path)}: unresolvable $ref {ref!r}")
        return node

    def flattened_all_of(self, schema: Mapping[str, Any], path: Path) -> Any:
        """``schema`` with its ``allOf`` parts merged into one object, or ``None`` if they could interact.

        ``{"allOf": [{"type": "object"}, {"required": ["a"]}]}`` means exactly ``{"type": "object",
        "required": ["a"]}``; comparing the flat form keeps a refactoring between the two from looking like
        a change. Only assertion keywords are merged (the caller compares assertions).
        """
        if id(schema) in self._flattened:
            return self._flattened[id(schema)]
        merged: Any = {k: v for k, v in schema.items() if k != "allOf" and k in ASSERTION_KEYWORDS}
        for index, part in enumerate(schema_list(schema, "allOf", path) or ()):
            resolved = self.resolve(part, (*path, "allOf", str(index)))
            if resolved is False:
                merged = False
                break
            if resolved is True:
                continue
            assertions = {k: v for k, v in resolved.items() if k in ASSERTION_KEYWORDS}
            if not _can_merge(merged, assertions):
                merged = None
                break
            merged.update(assertions)
        self._flattened[id(schema)] = merged
        self.keep.extend((schema, merged))
        return merged

    def _anchor_index(self) -> dict[str, Any]:
        if self._anchors is None:
            anchors: dict[str, Any] = {}
            stack: list[tuple[Any, int]] = [(self.root, 0)]
            seen = 0
            while stack:
                node, depth = stack.pop()
                seen += 1
                if seen > _MAX_ANCHOR_NODES or depth > MAX_VALUE_DEPTH:
                    raise SchemaTooComplexError("schema too large to index its anchors")
                if isinstance(node, Mapping):
                    for key in ("$anchor", "$dynamicAnchor"):
                        if isinstance(node.get(key), str):
                            anchors.setdefault(node[key], node)
                    node_id = node.get("$id")
                    if isinstance(node_id, str) and node_id.startswith("#"):
                        anchors.setdefault(node_id[1:], node)
                    stack.extend((v, depth + 1) for k, v in node.items() if k not in _VALUE_KEYWORDS)
                elif isinstance(node, list):
                    stack.extend((v, depth + 1) for v in node)
            self._anchors = anchors
        return self._anchors


def _can_merge(target: Mapping[str, Any], assertions: Mapping[str, Any]) -> bool:
    target_keys = {k for k in target if k in ASSERTION_KEYWORDS}
    if target_keys & set(assertions):
        return False
    return not any(group & target_keys and group & set(assertions) for group in _INTERACTING)


# -- keyword accessors (validate while reading) -------------------------------------------------------------


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
    return schema is True or (
        isinstance(schema, Mapping) and not any(k in ASSERTION_KEYWORDS for k in schema)
    )


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
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
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
    "Document",
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
