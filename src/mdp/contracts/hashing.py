"""Canonical identity of a JSON document: SHA-256 of its RFC 8785 (JCS) canonical form (pure: no I/O).

The hash is a schema's identity and the cache key everywhere (registry dedup, client cache, compiled
validators, drift comparison). Key order, whitespace, ``1`` vs ``1.0`` and ``\\u`` escapes do not change it;
any change of value does.

Big-integer policy. JCS serialises numbers as IEEE-754 doubles, and the ``rfc8785`` package refuses integers
outside +-(2**53 - 1) because a double cannot hold them exactly. Schemas do carry such values (a uint64
``maximum`` is common), so refusing them is not acceptable, and rounding them to a double would give two
different schemas one identity. mdp therefore writes an out-of-range integer as its exact decimal digits;
everything else is canonicalised exactly as JCS says. Consequences, pinned by tests: ``2**53 + 1`` and
``2**53`` hash differently; an out-of-range integer and a float literal of it (``18446744073709551616`` vs
``1.8446744073709552e19``) hash differently, because only the integer is exact; a float JCS prints as
digits and the integer with those same digits hash alike, as they denote the same double. NaN and
infinities are not JSON and are rejected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson
import rfc8785

from mdp.contracts.errors import CanonicalizationError

_SAFE_MAX = 2**53 - 1
_PLACEHOLDER_STEM = "\x00mdp-bigint"


def parse_json(content: str | bytes) -> Any:
    """Parse JSON text (UTF-8) with orjson, translating errors to :class:`CanonicalizationError`."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise CanonicalizationError(f"not valid JSON: {exc}") from exc


def _strings(value: Any) -> Iterator[str]:
    """Every string (keys included) in a parsed JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _has_big_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -_SAFE_MAX <= value <= _SAFE_MAX
    if isinstance(value, Mapping):
        return any(_has_big_int(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_big_int(item) for item in value)
    return False


def _canonical_with_big_ints(value: Any) -> bytes:
    # Choose a stem no string in the document contains, so a placeholder can never be mistaken for data.
    stem = _PLACEHOLDER_STEM
    while any(stem in text for text in _strings(value)):
        stem += "!"
    big: list[int] = []

    def substitute(node: Any) -> Any:
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, int) and not -_SAFE_MAX <= node <= _SAFE_MAX:
            big.append(node)
            return f"{stem}:{len(big) - 1}"
        if isinstance(node, Mapping):
            return {key: substitute(item) for key, item in node.items()}
        if isinstance(node, list | tuple):
            return [substitute(item) for item in node]
        return node

    encoded = rfc8785.dumps(substitute(value))
    escaped_stem = rfc8785.dumps(stem)[1:-1]  # JCS writes the NUL as \u0000
    for index, number in enumerate(big):
        encoded = encoded.replace(b'"' + escaped_stem + f":{index}".encode() + b'"', str(number).encode())
    return encoded


def canonicalize(content: str | bytes | Mapping[str, Any] | Sequence[Any]) -> bytes:
    """Return the RFC 8785 canonical bytes of a JSON document (text or an already parsed value)."""
    value = parse_json(content) if isinstance(content, str | bytes) else content
    try:
        if _has_big_int(value):
            return _canonical_with_big_ints(value)
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalizationError(str(exc)) from exc
    except RecursionError as exc:
        raise CanonicalizationError("document is nested too deeply to canonicalise") from exc


def compute_sha256(content: str | bytes | Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical form of ``content``; the identity of a schema in mdp."""
    return hashlib.sha256(canonicalize(content)).hexdigest()


__all__ = ["canonicalize", "compute_sha256", "parse_json"]
