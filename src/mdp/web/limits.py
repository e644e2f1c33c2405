"""Reading untrusted JSON bodies safely: size cap, UTF-8, nesting depth, parse errors -> stable codes.

FastAPI's own body parsing would accept any size and depth; admin endpoints that take documents (schemas,
bar batches) read the raw body through :func:`read_json_body` instead.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from mdp.web.errors import ApiError, ErrorCode

DEFAULT_MAX_BYTES = 1_048_576
DEFAULT_MAX_DEPTH = 64


def json_depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value, stopping (iteratively, no recursion) once past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return deepest


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The raw body, refusing (413) anything over ``max_bytes`` without buffering it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise ApiError(ErrorCode.PAYLOAD_TOO_LARGE, f"body exceeds {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(ErrorCode.PAYLOAD_TOO_LARGE, f"body exceeds {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json_bytes(raw: bytes, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse UTF-8 JSON, answering 400 for malformed or non-UTF-8 input and 413 for excessive depth."""
    if not raw.strip():
        raise ApiError(ErrorCode.MALFORMED_JSON, "request body is empty; expected JSON")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(ErrorCode.MALFORMED_JSON, f"request body is not UTF-8: {exc.reason}") from exc
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "recursion" in str(exc).lower():
            raise ApiError(ErrorCode.PAYLOAD_TOO_LARGE, f"JSON nested deeper than {max_depth}") from exc
        raise ApiError(ErrorCode.MALFORMED_JSON, f"malformed JSON: {exc}") from exc
    if json_depth(value, max_depth) > max_depth:
        raise ApiError(ErrorCode.PAYLOAD_TOO_LARGE, f"JSON nested deeper than {max_depth}")
    return value


async def read_json_body(
    request: Request, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> Any:
    """Read, bound and parse a JSON request body."""
    return parse_json_bytes(await read_body(request, max_bytes), max_depth=max_depth)


__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "json_depth",
    "parse_json_bytes",
    "read_body",
    "read_json_body",
]
