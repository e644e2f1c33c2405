"""A blocking facade of the registry client for scripts and CLIs (``httpx.Client``, no event loop).

Same methods, same errors, same cache, snapshot and metrics as :class:`~mdp.client.RegistryClient`; the
only differences are that calls block, contents are fetched one after another during a sync, and change
callbacks must be plain functions (a coroutine function is refused at registration). Not thread-safe:
use one instance per thread.
"""

from __future__ import annotations

import inspect
import logging
import random
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from mdp.client._base import ChangeCallback, ClientBase
from mdp.client.cache import SchemaCache
from mdp.client.diff import SchemaChange, missing_contents
from mdp.client.errors import ClientError, InvalidArgument, RegistryUnavailable, SchemaNotFound
from mdp.client.metrics import ClientMetrics
from mdp.client.models import (
    ContentRecord,
    EventPage,
    PublishedRecord,
    PublishResult,
    SchemaContent,
    SchemaRecord,
    SyncResult,
    TrackConfig,
    TrackIndex,
    VersionList,
)
from mdp.client.protocol import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
    MAX_REDIRECTS,
    REDIRECT_STATUSES,
    Answer,
    AttemptError,
    RetryPolicy,
    check_sha,
    check_track,
    encode_json,
    events_params,
    publish_body,
    schema_path,
    settings_options,
    translate,
)
from mdp.settings import MdpSettings

log = logging.getLogger("mdp.client")


class SyncRegistryClient(ClientBase):
    """Blocking client of the mdp registry's native REST API (see docs/client.md)."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8081",
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
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
        trust_env: bool = True,
    ) -> None:
        super().__init__(
            base_url,
            admin_token=admin_token,
            timeout=timeout,
            retry=retry,
            cache_dir=cache_dir,
            cache=cache,
            metrics_registry=metrics_registry,
            metrics=metrics,
            enabled=enabled,
            track=track,
            tracks=tracks,
            poll_seconds=poll_seconds,
            max_response_bytes=max_response_bytes,
            rng=rng,
        )
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=self.timeout,
            transport=transport,
            follow_redirects=False,
            trust_env=trust_env,
        )

    @classmethod
    def from_settings(cls, settings: MdpSettings, **overrides: Any) -> Self:
        """Configured like :meth:`RegistryClient.from_settings`."""
        return cls(**{**settings_options(settings), **overrides})

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Write pending snapshots and close the connection pool."""
        for track in self.cache.tracks():
            self.cache.save(track)
        self._http.close()

    def on_change(self, callback: ChangeCallback) -> ChangeCallback:
        if inspect.iscoroutinefunction(callback):
            raise InvalidArgument("the sync client cannot await callbacks; pass a plain function")
        return super().on_change(callback)

    # -- reads -------------------------------------------------------------------------------------
    def get_schema(self, track: str, name: str, version: str = "latest") -> SchemaRecord:
        """Fresh from the registry; the cached record during an outage (see the async client)."""
        return self._get_schema(track, name, version, count_fallback=True)

    def resolve(self, track: str, name: str) -> SchemaRecord:
        record = self.cached(track, name)
        if record is not None:
            return record
        return self._get_schema(track, name, "latest", count_fallback=False)

    def get_index(self, track: str) -> TrackIndex:
        check_track(track)
        try:
            answer = self._request("GET", f"/schemas/{track}")
            index = self._checked_index(self._reply(answer, TrackIndex), track)
        except RegistryUnavailable as exc:
            return self._index_fallback(track, exc)
        self.cache.put_index(index)
        self.cache.save(track)
        return index

    def get_by_sha(self, sha256: str) -> ContentRecord:
        check_sha(sha256)
        self._require_enabled()
        cached = self._cached_content(sha256)
        if cached is not None:
            return cached
        return self._fetch_content(sha256)

    def get_versions(self, track: str, name: str) -> VersionList:
        return self._decode(self._request("GET", schema_path(track, name) + "/versions"), VersionList)

    def get_config(self, track: str) -> TrackConfig:
        check_track(track)
        return self._decode(self._request("GET", f"/config/{track}"), TrackConfig)

    def events(self, after: int = 0, limit: int = 100) -> EventPage:
        return self._decode(self._request("GET", "/events", params=events_params(after, limit)), EventPage)

    # -- writes (admin) ------------------------------------------------------------------------------
    def publish(
        self,
        track: str,
        name: str,
        content: SchemaContent,
        *,
        version: str | None = None,
        force: bool = False,
    ) -> PublishResult:
        path = schema_path(track, name)
        answer = self._request("POST", path, body=publish_body(content, version, force), admin=True)
        published = self._decode(answer, PublishedRecord)
        record = self._checked_record(published.record(), track, name)
        self._remember(record)
        return PublishResult(
            created=answer.status == 201, record=record, compatibility=published.compatibility
        )

    def deprecate(self, track: str, name: str, reason: str) -> SchemaRecord:
        path = schema_path(track, name) + "/deprecate"
        answer = self._request("POST", path, body=encode_json({"reason": reason}), admin=True)
        record = self._checked_record(self._decode(answer, SchemaRecord), track, name)
        self._remember(record)
        return record

    def put_config(self, track: str, *, compatibility: str, policy: str) -> TrackConfig:
        check_track(track)
        body = encode_json({"compatibility": compatibility, "policy": policy})
        return self._decode(self._request("PUT", f"/config/{track}", body=body, admin=True), TrackConfig)

    # -- index sync --------------------------------------------------------------------------------
    def sync_track(self, track: str, *, force: bool = False) -> SyncResult:
        """One conditional index request, then the contents of new sha256 values only."""
        check_track(track)
        try:
            answer = self._request("GET", f"/schemas/{track}", etag=None if force else self.cache.etag(track))
            reply = self._reply(answer, TrackIndex)
            if reply.value is not None:
                self._checked_index(reply, track)
        except ClientError:
            self.metrics.poll(track, "error")
            raise
        if reply.value is None:
            self._synced(track, time.time())
            self.metrics.poll(track, "not_modified")
            cached = self.cache.index(track)
            return SyncResult(
                track=track, status="not_modified", revision=cached.revision if cached else None
            )
        index = reply.value
        missing = missing_contents((entry.sha256 for entry in index.schemas), self.cache.known_contents())
        fetched = self._fetch_contents(missing)
        changed, changes, complete = self.cache.apply_index(index, answer.headers.get("etag"), fetched)
        self.cache.save(track)
        status = "changed" if changed else "unchanged"
        if complete:
            self._synced(track, time.time())
        self.metrics.poll(track, status if complete else "incomplete")
        self._notify(changes)
        return SyncResult(
            track=track, status=status, revision=index.revision, changes=tuple(changes), complete=complete
        )

    # -- internals ----------------------------------------------------------------------------------
    def _get_schema(self, track: str, name: str, version: str, *, count_fallback: bool) -> SchemaRecord:
        path = schema_path(track, name, version)
        try:
            record = self._checked_record(self._decode(self._request("GET", path), SchemaRecord), track, name)
        except RegistryUnavailable as exc:
            return self._fallback(track, name, version, exc, count=count_fallback)
        if version == "latest":
            self._remember(record)
        return record

    def _fetch_content(self, sha256: str) -> ContentRecord:
        answer = self._request("GET", f"/schemas/by-sha/{sha256}")
        item = self._checked_content(self._decode(answer, ContentRecord), sha256)
        self.cache.put_content(item.sha256, item.content, item.schema_id)
        return item

    def _fetch_contents(self, shas: Sequence[str]) -> dict[str, SchemaContent]:
        fetched: dict[str, SchemaContent] = {}
        for sha in shas:
            try:
                item = self._fetch_content(sha)
            except SchemaNotFound as exc:
                log.warning(
                    "content listed in the index is missing", extra={"sha256": sha, "error": str(exc)}
                )
                continue
            except ClientError:
                break  # the registry is failing: the sync is incomplete, the next one retries
            fetched[item.sha256] = item.content
        return fetched

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, int] | None = None,
        body: bytes | None = None,
        admin: bool = False,
        etag: str | None = None,
    ) -> Answer:
        self._require_enabled()
        headers = self._headers(admin=admin, etag=etag, has_body=body is not None)
        retry = 0
        while True:
            try:
                answer = self._exchange(method, path, params, body, headers)
                self._classify(answer)
                return answer
            except AttemptError as failure:
                self.metrics.error(failure.kind)
                if failure.retryable and retry + 1 < self.retry.attempts:
                    time.sleep(self.retry.delay(retry, self._rng))
                    retry += 1
                    continue
                raise self._failed(failure, method, path) from failure

    def _exchange(
        self,
        method: str,
        path: str,
        params: dict[str, int] | None,
        body: bytes | None,
        headers: dict[str, str],
    ) -> Answer:
        request = self._http.build_request(method, path, params=params, content=body, headers=headers)
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = self._http.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise translate(exc) from exc
            try:
                if response.status_code in REDIRECT_STATUSES:
                    request = self._http.build_request(
                        "GET", self._redirect(method, response), headers=headers
                    )
                    continue
                self._check_length(response.headers)
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    self._grow(size)
                    chunks.append(chunk)
                return Answer(response.status_code, response.headers, b"".join(chunks))
            except httpx.HTTPError as exc:
                raise translate(exc) from exc
            finally:
                response.close()
        raise AttemptError("redirect", f"more than {MAX_REDIRECTS} redirects", retryable=False)

    def _remember(self, record: SchemaRecord) -> None:
        changed, change = self.cache.put(record)
        if changed:
            self.cache.save(record.track)
        if change is not None:
            self._notify([change])

    def _notify(self, changes: Iterable[SchemaChange]) -> None:
        for change in changes:
            for callback in list(self._callbacks):
                try:
                    result = callback(change.track, change.name, change.old_sha256, change.new_sha256)
                    if inspect.isawaitable(result):
                        close = getattr(result, "close", None)
                        if close is not None:
                            close()
                        raise InvalidArgument("a sync client callback returned an awaitable")
                except Exception:
                    log.exception(
                        "schema change callback failed", extra={"track": change.track, "schema": change.name}
                    )


__all__ = ["SyncRegistryClient"]
