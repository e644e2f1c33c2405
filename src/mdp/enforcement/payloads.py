"""Turning one incoming message into a parsed payload, or into the reason it cannot be one.

Bytes are parsed with orjson, which also caps nesting at 1024 levels for free (deeper input is refused,
which keeps jsonschema-rs's recursive descent safe). A stricter ``max_depth`` costs a scan per message,
so it is opt-in. Problems come back as short sentences for verdicts, logs and the DLQ; nothing raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson

DEFAULT_MAX_BYTES: Final = 1_048_576
ORJSON_MAX_DEPTH: Final = 1024
_JSON_KINDS: Final = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether a parsed JSON value nests deeper than ``limit`` (iterative: no recursion on hostile input)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Mapping | list | tuple):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, Mapping) else node
            stack.extend((child, depth + 1) for child in children)
    return False


def bytes_too_deep(raw: bytes, payload: Any, limit: int) -> bool:
    """``depth_exceeds`` for parsed bytes, skipping the walk when there are too few brackets to matter."""
    return raw.count(b"[") + raw.count(b"{") > limit and depth_exceeds(payload, limit)


def decode_problem(exc: Exception) -> str:
    """Why orjson refused the bytes, in words."""
    text = str(exc)
    if "UTF-8" in text:
        return f"payload is not valid UTF-8 ({text})"
    if "depth" in text or "recursion" in text.lower():
        return f"JSON nested deeper than {ORJSON_MAX_DEPTH} levels"
    return f"malformed JSON: {text}"


def json_kind(value: Any) -> str:
    """The JSON type name of a parsed value (``object``, ``array``, ...)."""
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "object"
    return _JSON_KINDS.get(type(value), type(value).__name__)


def coerce(item: object, *, max_bytes: int, max_depth: int | None) -> tuple[Any, str | None]:
    """``(payload, None)``, or ``(payload or None, problem)`` when ``item`` can't be a message payload.

    Mappings are taken as already parsed (a non-dict mapping is copied into a dict, which jsonschema-rs
    needs); bytes-like and str are size-checked and parsed.
    """
    if isinstance(item, Mapping):
        payload = item if type(item) is dict else dict(item)
        if max_depth is not None and depth_exceeds(payload, max_depth):
            return payload, f"payload nested deeper than {max_depth} levels"
        return payload, None
    if not isinstance(item, bytes | bytearray | memoryview | str):
        return None, f"unsupported payload type {type(item).__name__}; expected bytes, str or a mapping"
    size = item.nbytes if isinstance(item, memoryview) else len(item)
    if size > max_bytes:
        return None, f"payload is {size} bytes, over the {max_bytes}-byte limit"
    try:
        payload = orjson.loads(item)
    except orjson.JSONDecodeError as exc:
        return None, decode_problem(exc)
    if max_depth is not None and depth_exceeds(payload, max_depth):
        return None, f"JSON nested deeper than {max_depth} levels"
    return payload, None


__all__ = [
    "DEFAULT_MAX_BYTES",
    "ORJSON_MAX_DEPTH",
    "bytes_too_deep",
    "coerce",
    "decode_problem",
    "depth_exceeds",
    "json_kind",
]
