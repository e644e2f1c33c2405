"""The registry's wire protocol as the client speaks it: argument checks, paths, request bodies, error
envelopes, how httpx exceptions map to failure kinds, and the retry policy. No I/O happens here.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from mdp.client.errors import (
    BadRequest,
    Forbidden,
    IncompatibleSchema,
    InvalidArgument,
    InvalidConfig,
    InvalidSchema,
    InvalidVersion,
    PayloadTooLarge,
    RegistryHTTPError,
    SchemaNotFound,
    Unauthorized,
)
from mdp.client.models import NAME_RE, SHA256_RE, TRACK_RE, SchemaContent, parse_json
from mdp.settings import MdpSettings

ModelT = TypeVar("ModelT", bound=BaseModel)

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_TRACK = re.compile(TRACK_RE)
_NAME = re.compile(NAME_RE)
_SHA = re.compile(SHA256_RE)
_VERSION = re.compile(r"^(latest|[0-9]+\.[0-9]+\.[0-9]+)$")
_BY_STATUS: dict[int, type[RegistryHTTPError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: SchemaNotFound,
    409: IncompatibleSchema,
    413: PayloadTooLarge,
}
_BY_CODE: dict[int, type[RegistryHTTPError]] = {
    42201: InvalidSchema,
    42202: InvalidVersion,
    42203: InvalidConfig,
}


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with "equal jitter" exponential backoff.

    Retry ``n`` (0-based) sleeps a uniform time in ``[c/2, c]`` with ``c = min(max_delay, base_delay *
    multiplier**n)``: never zero (so a flapping registry is not hammered) and never above ``max_delay``.
    ``attempts`` counts the first try, so ``attempts=1`` disables retrying.
    """

    attempts: int = 3
    base_delay: float = 0.2
    max_delay: float = 5.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise InvalidArgument("RetryPolicy.attempts must be >= 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.multiplier < 1:
            raise InvalidArgument("RetryPolicy delays must be >= 0 and multiplier >= 1")

    def delay(self, retry: int, rng: random.Random) -> float:
        ceiling = min(self.max_delay, self.base_delay * self.multiplier**retry)
        return rng.uniform(ceiling / 2, ceiling)


class AttemptError(Exception):
    """One failed attempt (internal): ``kind`` is the metric label; ``retryable`` decides the loop."""

    def __init__(self, kind: str, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable


@dataclass(frozen=True)
class Answer:
    """A response read in full (within the size cap)."""

    status: int
    headers: httpx.Headers
    body: bytes


@dataclass(frozen=True)
class Reply(Generic[ModelT]):
    """A decoded answer: ``value`` is ``None`` only for 304 Not Modified."""

    status: int
    headers: httpx.Headers
    value: ModelT | None


def translate(exc: httpx.HTTPError) -> AttemptError:
    """Map an httpx exception to a failure kind (the edge where httpx errors stop)."""
    if isinstance(exc, httpx.TimeoutException):
        return AttemptError("timeout", f"timed out: {exc!r}", retryable=True)
    if isinstance(exc, httpx.ConnectError):
        return AttemptError("connect", f"cannot connect: {exc}", retryable=True)
    if isinstance(exc, httpx.DecodingError):
        return AttemptError("decode", f"undecodable response body: {exc}", retryable=False)
    return AttemptError("network", f"transport error: {exc!r}", retryable=True)


def http_error(status: int, body: bytes) -> RegistryHTTPError:
    """The typed error for a 4xx answer (its envelope is parsed leniently: it is still untrusted)."""
    try:
        parsed = parse_json(body) if body else {}
    except ValidationError:
        parsed = {"message": body[:500].decode("utf-8", "replace")}
    envelope: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
    code = envelope.get("error_code")
    error_code = code if isinstance(code, int) and not isinstance(code, bool) else status * 100
    message = str(envelope.get("message") or f"HTTP {status}")
    cls = _BY_CODE.get(error_code) or _BY_STATUS.get(status, RegistryHTTPError)
    return cls(status, error_code, message, envelope)


def check_track(track: str) -> str:
    if not isinstance(track, str) or not _TRACK.match(track):
        raise InvalidArgument(f"invalid track {track!r}: expected v<1-3 digits>")
    return track


def check_name(name: str) -> str:
    if not isinstance(name, str) or len(name) > 200 or not _NAME.match(name):
        raise InvalidArgument(f"invalid schema name {name!r}")
    return name


def check_sha(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA.match(sha256):
        raise InvalidArgument(f"invalid sha256 {sha256!r}: expected 64 lowercase hex digits")
    return sha256


def check_version(version: str) -> str:
    if not isinstance(version, str) or not _VERSION.match(version):
        raise InvalidArgument(f"invalid version {version!r}: expected x.y.z or latest")
    return version


def encode_json(value: Any) -> bytes:
    """Request bodies: strict JSON (no NaN), exact big integers (orjson stops at 64 bits)."""
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"), ensure_ascii=False).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"body is not JSON: {exc}") from exc


def schema_path(track: str, name: str, version: str = "latest") -> str:
    check_track(track)
    check_name(name)
    if check_version(version) == "latest":
        return f"/schemas/{track}/{name}"
    return f"/schemas/{track}/{name}/versions/{version}"


def events_params(after: int, limit: int) -> dict[str, int]:
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise InvalidArgument("after must be an integer >= 0")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InvalidArgument("limit must be an integer in 1..1000")
    return {"after": after, "limit": limit}


def settings_options(settings: MdpSettings) -> dict[str, Any]:
    """Constructor arguments from the seed settings (REGISTRY_* , ADMIN_TOKEN, MDP_DATA_DIR)."""
    return {
        "base_url": settings.registry_url,
        "admin_token": settings.admin_token,
        "enabled": settings.registry_enabled,
        "track": settings.registry_track,
        "poll_seconds": settings.registry_poll_seconds,
        "cache_dir": settings.data_dir / "registry-cache",
    }


def publish_body(content: SchemaContent, version: str | None, force: bool) -> bytes:
    body: dict[str, Any] = {"content": content, "force": force}
    if version is not None:
        body["version"] = check_version(version)
    return encode_json(body)


__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "MAX_REDIRECTS",
    "REDIRECT_STATUSES",
    "Answer",
    "AttemptError",
    "ModelT",
    "Reply",
    "RetryPolicy",
    "check_name",
    "check_sha",
    "check_track",
    "check_version",
    "encode_json",
    "events_params",
    "http_error",
    "publish_body",
    "schema_path",
    "settings_options",
    "translate",
]
