"""State and checks the async and the sync registry clients share: configuration, cache, metrics, the
up/down bookkeeping and the verification of answers. The I/O lives in ``client.py`` (async, what services
use) and ``sync_client.py`` (blocking, for scripts); both are thin loops around this class.

Failure policy, in one place:

* timeouts, connection errors, other transport errors and 5xx answers are retried with jittered
  exponential backoff (:class:`~mdp.client.protocol.RetryPolicy`), then the call fails with
  :class:`RegistryUnavailable`;
* 4xx answers are the registry's verdict: never retried, mapped to a typed :class:`RegistryHTTPError`;
* an answer that cannot be used (not JSON, too large, a redirect to another origin or any redirect of a
  write, content that does not hash to its sha256) raises :class:`InvalidResponse`, not retried;
* reads that have a cached answer serve it instead of raising (see the public methods).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry
from pydantic import SecretStr, ValidationError

from mdp import __version__
from mdp.client.cache import SchemaCache, verified
from mdp.client.errors import InvalidArgument, InvalidResponse, RegistryDisabled, RegistryUnavailable
from mdp.client.metrics import ClientMetrics
from mdp.client.models import ContentRecord, SchemaRecord, TrackIndex
from mdp.client.protocol import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
    Answer,
    AttemptError,
    ModelT,
    Reply,
    RetryPolicy,
    check_track,
    http_error,
)

log = logging.getLogger("mdp.client")

ChangeCallback = Callable[[str, str, str | None, str | None], Any]
"""``callback(track, name, old_sha256, new_sha256)``; may be a coroutine function on the async client."""


class ClientBase:
    """Configuration, cache, metrics and response checks shared by both clients."""

    def __init__(
        self,
        base_url: str,
        *,
        admin_token: str | SecretStr | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        cache_dir: Path | str | None = None,
        cache: SchemaCache | None = None,
        metrics_registry: CollectorRegistry | None = None,
        metrics: ClientMetrics | None = None,
        enabled: bool = True,
        track: str = "v1",
        tracks: Iterable[str] = (),
        poll_seconds: float = 60.0,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        content_concurrency: int = 8,
        rng: random.Random | None = None,
    ) -> None:
        url = httpx.URL(base_url)
        if url.scheme not in {"http", "https"} or not url.host:
            raise InvalidArgument(f"registry URL must be http(s)://host[:port][/path], got {base_url!r}")
        self.base_url = str(url).rstrip("/")
        self._origin = (url.scheme, url.host, url.port)
        token = admin_token.get_secret_value() if isinstance(admin_token, SecretStr) else admin_token
        self._admin_token = token or None
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry = retry or RetryPolicy()
        self.enabled = enabled
        self.track = check_track(track)
        self.poll_seconds = poll_seconds
        self.max_response_bytes = max_response_bytes
        self.content_concurrency = max(1, content_concurrency)
        self._rng = rng or random.Random()
        self.metrics = metrics or ClientMetrics(metrics_registry or CollectorRegistry())
        self.metrics.bind_tracks({self.track, *(check_track(item) for item in tracks)})
        self._hits = self.metrics.hits
        self._misses = self.metrics.misses
        self._up: bool | None = None
        self._last_sync: dict[str, float] = {}
        self._callbacks: list[ChangeCallback] = []
        if cache is not None:
            self.cache = cache
        else:
            self.cache = SchemaCache(Path(cache_dir) if cache_dir is not None and enabled else None)
            if enabled:
                loaded = self.cache.load()
                if loaded:
                    log.info("loaded schema snapshot", extra={"records": loaded, "dir": str(cache_dir)})
        self._lookup = self.cache.lookup

    def __repr__(self) -> str:  # never shows the admin token
        return f"{type(self).__name__}({self.base_url!r}, enabled={self.enabled})"

    # -- the hot path ------------------------------------------------------------------------------
    def cached(self, track: str, name: str) -> SchemaRecord | None:
        """The cached record of ``track``/``name`` or ``None``: no I/O, no await, counts a hit or a miss.

        Always ``None`` when the client is disabled.
        """
        record = self._lookup((track, name))
        if record is None:
            if self.enabled:
                self._misses[track].inc()
            return None
        self._hits[track].inc()
        return record

    # -- state ------------------------------------------------------------------------------------
    @property
    def up(self) -> bool:
        """Whether the last registry call got a usable answer (False before the first call)."""
        return bool(self._up)

    def last_sync(self, track: str) -> float | None:
        """Unix time of the last complete index sync of ``track`` (``None``: never, in this process)."""
        return self._last_sync.get(track)

    def on_change(self, callback: ChangeCallback) -> ChangeCallback:
        """Call ``callback(track, name, old_sha256, new_sha256)`` whenever a cached content changes."""
        self._callbacks.append(callback)
        return callback

    # -- helpers for subclasses -----------------------------------------------------------------------
    def _require_enabled(self) -> None:
        if not self.enabled:
            raise RegistryDisabled(
                "the registry client is disabled (REGISTRY_ENABLED=false): no network call"
            )

    def _headers(self, *, admin: bool, etag: str | None, has_body: bool) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": f"mdp-client/{__version__}"}
        if admin and self._admin_token:
            headers["Authorization"] = f"Bearer {self._admin_token}"
        if etag:
            headers["If-None-Match"] = etag
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers

    def _redirect(self, method: str, response: httpx.Response) -> httpx.URL:
        """Where to follow a redirect; only same-origin redirects of reads are ever followed."""
        location = response.headers.get("location")
        if method != "GET" or not location:
            raise AttemptError(
                "redirect", f"refusing redirect of {method} (status {response.status_code})", retryable=False
            )
        target = response.request.url.join(location)
        if (target.scheme, target.host, target.port) != self._origin:
            raise AttemptError("redirect", f"refusing redirect to another origin: {target}", retryable=False)
        return target

    def _check_length(self, headers: httpx.Headers) -> None:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            raise AttemptError("too_large", f"response of {declared} bytes exceeds the cap", retryable=False)

    def _grow(self, size: int) -> None:
        if size > self.max_response_bytes:
            raise AttemptError(
                "too_large", f"response exceeds {self.max_response_bytes} bytes", retryable=False
            )

    def _classify(self, answer: Answer) -> None:
        """Raise for anything but 2xx / 304: typed error for 4xx, retryable failure for 5xx."""
        status = answer.status
        if 200 <= status < 300 or status == 304:
            return
        if 400 <= status < 500:
            self.metrics.error("http_4xx")
            self._mark_up()
            raise http_error(status, answer.body)
        if status >= 500:
            raise AttemptError("http_5xx", f"registry answered {status}", retryable=True)
        raise AttemptError("decode", f"unexpected status {status}", retryable=False)

    def _failed(self, failure: AttemptError, method: str, path: str) -> RegistryUnavailable:
        """Final failure of a call: registry marked down; the exception to raise."""
        self._mark_down(failure.kind, str(failure))
        cls = RegistryUnavailable if failure.retryable else InvalidResponse
        return cls(f"registry {method} {path} failed: {failure}", kind=failure.kind)

    def _invalid(self, kind: str, message: str) -> InvalidResponse:
        """A response that decoded but cannot be trusted (wrong sha256, wrong subject)."""
        self.metrics.error(kind)
        self._mark_down(kind, message)
        return InvalidResponse(message, kind=kind)

    def _reply(self, answer: Answer, model: type[ModelT]) -> Reply[ModelT]:
        if answer.status == 304:
            self._mark_up()
            return Reply(304, answer.headers, None)
        try:
            value = model.model_validate_json(answer.body)
        except ValidationError as exc:
            raise self._invalid("decode", f"unexpected {model.__name__} response: {exc}") from exc
        self._mark_up()
        return Reply(answer.status, answer.headers, value)

    def _mark_up(self) -> None:
        if self._up is not True:
            if self._up is False:
                log.info("schema registry reachable again", extra={"url": self.base_url})
            self._up = True
            self.metrics.up.set(1)

    def _mark_down(self, kind: str, message: str) -> None:
        if self._up is not False:
            log.warning(
                "schema registry unavailable; serving cached schemas",
                extra={"url": self.base_url, "kind": kind, "error": message},
            )
        self._up = False
        self.metrics.up.set(0)

    def _checked_record(self, record: SchemaRecord, track: str, name: str) -> SchemaRecord:
        if record.track != track or record.name != name:
            raise self._invalid("integrity", f"asked for {track}/{name}, got {record.track}/{record.name}")
        if not verified(record.content, record.sha256):
            raise self._invalid("integrity", f"{track}/{name}: content does not hash to {record.sha256}")
        return record

    def _checked_content(self, item: ContentRecord, sha256: str) -> ContentRecord:
        if item.sha256 != sha256 or not verified(item.content, sha256):
            raise self._invalid("integrity", f"content served for {sha256} does not hash to it")
        return item

    def _value(self, reply: Reply[ModelT]) -> ModelT:
        if reply.value is None:  # only conditional requests may get a 304, and their callers handle it
            raise self._invalid("decode", "unexpected 304 Not Modified")
        return reply.value

    def _decode(self, answer: Answer, model: type[ModelT]) -> ModelT:
        return self._value(self._reply(answer, model))

    def _checked_index(self, reply: Reply[TrackIndex], track: str) -> TrackIndex:
        index = self._value(reply)
        if index.track != track:
            raise self._invalid("integrity", f"asked for the {track} index, got {index.track}")
        return index

    def _fallback(
        self, track: str, name: str, version: str, error: RegistryUnavailable, *, count: bool = True
    ) -> SchemaRecord:
        """Serve ``track``/``name`` from the cache during an outage, or raise for a never-seen schema."""
        record = self.cache.get(track, name)
        if record is not None and version in {"latest", record.version}:
            if count:
                self._hits[track].inc()
            return record
        if count:
            self._misses[track].inc()
        raise type(error)(f"{error}; {track}/{name} was never cached", kind=error.kind) from error

    def _index_fallback(self, track: str, error: RegistryUnavailable) -> TrackIndex:
        index = self.cache.index(track)
        if index is None:
            self._misses[track].inc()
            raise RegistryUnavailable(
                f"{error}; the {track} index was never cached", kind=error.kind
            ) from error
        self._hits[track].inc()
        return index

    def _cached_content(self, sha256: str) -> ContentRecord | None:
        content = self.cache.content(sha256)
        schema_id = self.cache.schema_id(sha256)
        if content is None or schema_id is None:
            return None
        return ContentRecord.model_construct(schema_id=schema_id, sha256=sha256, content=content)

    def _synced(self, track: str, now: float) -> None:
        self._last_sync[track] = now
        self.metrics.synced[track].set(now)


__all__ = ["ChangeCallback", "ClientBase"]
