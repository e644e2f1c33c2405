"""What the registry accepts as a name and as a schema (pure: no I/O, nothing is ever fetched).

A schema is accepted when it is a JSON object or boolean, within the size and depth limits, declares a
known dialect (``$schema``; 2020-12 when absent), is valid against that dialect's meta-schema, uses only
local ``$ref`` / ``$dynamicRef`` / ``$recursiveRef`` fragments (``#...``) and compiles with jsonschema-rs
in offline mode. The reference check walks every string-valued ``$ref`` in the document, including inside
``const`` / ``enum`` / ``examples`` data: rejecting such rare data is the price of never mis-reading a
schema position as data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from mdp.contracts.errors import CanonicalizationError
from mdp.contracts.hashing import canonicalize
from mdp.registry.errors import InvalidName, InvalidSchema, SchemaTooLarge

TRACK_RE = re.compile(r"^v[0-9]{1,3}$")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
MAX_NAME_LENGTH = 200

DEFAULT_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_DIALECT_PATHS = (
    "draft/2020-12/schema",
    "draft/2019-09/schema",
    "draft-07/schema",
    "draft-06/schema",
    "draft-04/schema",
)
# Every spelling jsonschema-rs resolves from its built-in meta-schemas (checked: none triggers a fetch).
KNOWN_DIALECTS = frozenset(
    f"{scheme}://json-schema.org/{path}{fragment}"
    for scheme in ("http", "https")
    for path in _DIALECT_PATHS
    for fragment in ("", "#")
)
REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")


@dataclass(frozen=True, slots=True)
class AcceptedSchema:
    """A schema that passed every check, with its canonical bytes (its identity is their sha256)."""

    content: Any
    canonical: bytes


def check_track(track: str) -> str:
    """``track`` if it matches ``^v[0-9]{1,3}$``, else :class:`InvalidName`."""
    if not TRACK_RE.fullmatch(track):
        raise InvalidName(f"invalid track {track!r}: expected v followed by 1-3 digits, e.g. v1")
    return track


def check_name(name: str) -> str:
    """``name`` if it is dotted identifiers of at most 200 characters (no ``..``, ``/``, NUL, ...)."""
    if len(name) > MAX_NAME_LENGTH or not NAME_RE.fullmatch(name):
        raise InvalidName(
            f"invalid schema name {name[:MAX_NAME_LENGTH]!r}: expected dotted identifiers such as md.Bar "
            f"(letters, digits, underscores; at most {MAX_NAME_LENGTH} characters)"
        )
    return name


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def depth_of(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value (iterative; stops counting once past ``limit``)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def check_refs(schema: Any) -> None:
    """Refuse any reference that is not a local fragment: the registry never fetches anything."""
    stack: list[tuple[Any, str]] = [(schema, "#")]
    while stack:
        node, pointer = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                here = f"{pointer}/{_escape(str(key))}"
                if key in REF_KEYWORDS and isinstance(value, str) and not value.startswith("#"):
                    raise InvalidSchema(
                        f"remote {key} {value!r} at {here} is not allowed: only local fragments (#...) are; "
                        "the registry never fetches schemas"
                    )
                stack.append((value, here))
        elif isinstance(node, list):
            stack.extend((item, f"{pointer}/{index}") for index, item in enumerate(node))


def _first_error(schema: dict[str, Any]) -> str:
    """The meta-schema's first complaint, located by a JSON pointer into the schema."""
    try:
        jsonschema_rs.meta.validate(schema)
    except jsonschema_rs.ValidationError as exc:
        pointer = "#" + "".join(f"/{_escape(str(part))}" for part in exc.instance_path)
        return f"{exc.message} (at {pointer})"
    return "invalid against its meta-schema"


def accept_schema(content: Any, *, max_bytes: int, max_depth: int) -> AcceptedSchema:
    """Check ``content`` and return it with its canonical bytes; raise InvalidSchema / SchemaTooLarge."""
    if isinstance(content, bool):
        return AcceptedSchema(content, b"true" if content else b"false")  # JCS of a boolean
    if not isinstance(content, dict):
        raise InvalidSchema(f"a JSON Schema must be an object or a boolean, not {type(content).__name__}")
    depth = depth_of(content, max_depth)
    if depth > max_depth:
        raise SchemaTooLarge(f"schema is nested deeper than {max_depth} levels")
    try:
        canonical = canonicalize(content)
    except CanonicalizationError as exc:
        raise InvalidSchema(f"schema cannot be canonicalised: {exc}") from exc
    if len(canonical) > max_bytes:
        raise SchemaTooLarge(f"schema is {len(canonical)} bytes in canonical form; the limit is {max_bytes}")
    dialect = content.get("$schema", DEFAULT_DIALECT)
    if not isinstance(dialect, str) or dialect not in KNOWN_DIALECTS:
        raise InvalidSchema(
            f"unknown $schema {dialect!r}: use a JSON Schema dialect URI "
            "(2020-12, 2019-09, draft-07, draft-06 or draft-04)"
        )
    check_refs(content)
    effective = content if "$schema" in content else {**content, "$schema": DEFAULT_DIALECT}
    try:
        valid = jsonschema_rs.meta.is_valid(effective)
    except (jsonschema_rs.ReferencingError, ValueError) as exc:
        raise InvalidSchema(f"schema cannot be checked against its meta-schema: {exc}") from exc
    if not valid:
        raise InvalidSchema(
            f"schema is invalid against its meta-schema ({dialect}): {_first_error(effective)}"
        )
    try:
        jsonschema_rs.validator_for(effective, offline=True)
    except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as exc:
        message = getattr(exc, "message", None) or str(exc).splitlines()[0]
        raise InvalidSchema(f"schema does not compile: {message}") from exc
    return AcceptedSchema(content, canonical)


__all__ = [
    "DEFAULT_DIALECT",
    "KNOWN_DIALECTS",
    "MAX_NAME_LENGTH",
    "NAME_RE",
    "TRACK_RE",
    "AcceptedSchema",
    "accept_schema",
    "check_name",
    "check_refs",
    "check_track",
    "depth_of",
]
