"""Schema documents: local ``$ref`` resolution (never remote), anchors, and ``allOf`` flattening (pure).

The differ never inlines a whole document (recursive schemas would never end). Instead :class:`Document`
follows a ``$ref`` chain on demand and caches the result per referencing object, so the same ``$ref`` always
resolves to the same Python object; the differ keys its recursion guard on those objects.

Draft 7 and 2020-12 are both understood:

* ``definitions`` and ``$defs`` are plain JSON pointers (``#/definitions/x``, ``#/$defs/x``); plain-name
  fragments (``#foo``) find ``$anchor`` (2019-09+) or ``$id: "#foo"`` (draft 7).
* Siblings of ``$ref``: draft 7 ignores assertion siblings, 2019-09+ applies them. Annotation siblings
  (``description`` next to a ``$ref``) are kept in both drafts because people read them. Assertion siblings
  are merged into the target when their keywords cannot interact, otherwise the pair becomes an ``allOf``.
* Spelling differences of keywords (tuples, ``dependencies``) are read by :mod:`mdp.compat.keywords`.

Remote references (anything that is not a fragment of this document) raise :class:`RemoteRefError`; nothing
is ever fetched. Unresolvable references and ``$ref`` cycles raise :class:`InvalidSchemaError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from mdp.compat.errors import InvalidSchemaError, RemoteRefError, SchemaTooComplexError
from mdp.compat.keywords import (
    ASSERTION_KEYWORDS,
    MAX_VALUE_DEPTH,
    Path,
    ensure_schema,
    pointer,
    schema_list,
)

# Keywords whose meaning depends on other keywords of the same schema object: merging a $ref target with
# siblings from the same group would change what they mean, so such pairs become an allOf instead.
_INTERACTING = (
    frozenset({"properties", "patternProperties", "additionalProperties", "unevaluatedProperties"}),
    frozenset({"prefixItems", "items", "additionalItems", "unevaluatedItems", "contains", "minContains",
               "maxContains"}),
    frozenset({"if", "then", "else"}),
)  # fmt: skip
_LEGACY_DRAFTS = ("draft-04", "draft-06", "draft-07")
# Siblings of a $ref that describe the document, not the value: dropping them lets `{"$ref": ..., "$defs":
# ...}` resolve to the very target object, so recursion through the root is recognised at once.
_DOCUMENT_KEYWORDS = frozenset(
    {"$defs", "definitions", "$schema", "$vocabulary", "$anchor", "$dynamicAnchor"}
)
_VALUE_KEYWORDS = frozenset({"enum", "const", "default", "examples"})
_MAX_ANCHOR_NODES = 100_000


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
        self._prints: dict[int, bytes | None] = {}
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
        siblings = {k: v for k, v in siblings.items() if k not in _DOCUMENT_KEYWORDS}
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

    def fingerprint(self, schema: Any) -> bytes | None:
        """Canonical JSON bytes of a subschema without any ``$ref`` in it, else ``None`` (cached).

        Two equal fingerprints mean two identical subschemas whose meaning cannot depend on anything
        else in their documents, so the differ may skip them. orjson keeps ``1``, ``1.0`` and ``true``
        apart, unlike Python's ``==``.
        """
        key = id(schema)
        if key not in self._prints:
            try:
                text: bytes | None = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
            except (TypeError, orjson.JSONEncodeError):
                text = None
            if text is not None and (
                b'"$ref"' in text or b'"$dynamicRef"' in text or b'"$recursiveRef"' in text
            ):
                text = None
            self._prints[key] = text
        return self._prints[key]

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


__all__ = ["Document"]
