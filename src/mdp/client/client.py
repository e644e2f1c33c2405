"""The async registry client services use: typed REST calls, cache fallback, index sync, change callbacks.

::

    async with RegistryClient.from_settings(settings, metrics_registry=registry) as client:
        record = await client.get_schema("v1", "md.Bar")      # network first, cache during an outage
        record = client.cached("v1", "md.Bar")                # hot path: no I/O, no await
        result = await client.sync_track("v1")                # one conditional index request

Reads that the cache can answer (``get_schema`` latest, ``get_index``) serve the cached answer when the
registry is unreachable; :class:`~mdp.client.errors.RegistryUnavailable` is raised only for what was never
seen. Writes, ``get_config`` and ``events`` have nothing to fall back on and raise. With ``enabled=False``
(``REGISTRY_ENABLED=false``) every call that would touch the network raises
:class:`~mdp.client.errors.RegistryDisabled` and ``cached()`` returns ``None``.
"""

from __future__ import annotations

import asyncio
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

from mdp.client._base import ClientBase
from mdp.client.cache import SchemaCache
from mdp.client.diff import SchemaChange, missing_contents
from mdp.client.errors import ClientError, RegistryUnavailable, SchemaNotFound
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


class RegistryClient(ClientBase):
    """Async client of the mdp registry's native REST API (see docs/client.md)."""

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
        content_concurrency: int = 8,
        rng: random.Random | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
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
            content_concurrency=content_concurrency,
            rng=rng,
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=self.timeout,
            transport=transport,
            follow_redirects=False,
            trust_env=trust_env,
        )

    @classmethod
    def from_settings(cls, settings: MdpSettings, **overrides: Any) -> Self:
        """A client configured from REGISTRY_URL / REGISTRY_TRACK / REGISTRY_ENABLED /
        REGISTRY_POLL_SECONDS / ADMIN_TOKEN, caching under ``<MDP_DATA_DIR>/registry-cache``.

        Keyword overrides (``metrics_registry=``, ``transport=``, ``retry=``, ...) win over settings.
        """
        return cls(**{**settings_options(settings), **overrides})

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Write pending snapshots and close the connection pool."""
        for track in self.cache.tracks():
            await self._persist(track)
        await self._http.aclose()

    # -- reads -------------------------------------------------------------------------------------
    async def get_schema(self, track: str, name: str, version: str = "latest") -> SchemaRecord:
        """The latest (or a given) version of a subject, fresh from the registry.

        During an outage the cached record is served instead (if it is that version);
        :class:`RegistryUnavailable` is raised only for a schema this client has never cached.
        """
        return await self._get_schema(track, name, version, count_fallback=True)

    async def resolve(self, track: str, name: str) -> SchemaRecord:
        """Cache first, registry on a miss: what a validator asks for when it meets a new subject."""
        record = self.cached(track, name)
        if record is not None:
            return record
        return await self._get_schema(track, name, "latest", count_fallback=False)

    async def get_index(self, track: str) -> TrackIndex:
        """The track index (unconditional GET); the cached index during an outage."""
        check_track(track)
        try:
            answer = await self._request("GET", f"/schemas/{track}")
            index = self._checked_index(self._reply(answer, TrackIndex), track)
        except RegistryUnavailable as exc:
            return self._index_fallback(track, exc)
        self.cache.put_index(index)
        await self._persist(track)
        return index

    async def get_by_sha(self, sha256: str) -> ContentRecord:
        """A content by its sha256: from the cache when known (contents never change), else fetched."""
        check_sha(sha256)
        self._require_enabled()
        cached = self._cached_content(sha256)
        if cached is not None:
            return cached
        return await self._fetch_content(sha256)

    async def get_versions(self, track: str, name: str) -> VersionList:
        return self._decode(await self._request("GET", schema_path(track, name) + "/versions"), VersionList)

    async def get_config(self, track: str) -> TrackConfig:
        check_track(track)
        return self._decode(await self._request("GET", f"/config/{track}"), TrackConfig)

    async def events(self, after: int = 0, limit: int = 100) -> EventPage:
        """One page of the registry's outbox; pass ``page.last_id`` as the next ``after``."""
        params = events_params(after, limit)
        return self._decode(await self._request("GET", "/events", params=params), EventPage)

    # -- writes (admin) ------------------------------------------------------------------------------
    async def publish(
        self,
        track: str,
        name: str,
        content: SchemaContent,
        *,
        version: str | None = None,
        force: bool = False,
    ) -> PublishResult:
        """Publish ``content`` as the next version of ``track``/``name``.

        ``created`` is False when the content equals the latest version (nothing new was stored). Raises
        :class:`IncompatibleSchema` (with ``breaking``), :class:`InvalidSchema`, :class:`InvalidVersion`,
        :class:`Unauthorized` / :class:`Forbidden`. Retrying is safe: publishing the same content twice
        creates one version.
        """
        path = schema_path(track, name)
        answer = await self._request("POST", path, body=publish_body(content, version, force), admin=True)
        published = self._decode(answer, PublishedRecord)
        record = self._checked_record(published.record(), track, name)
        await self._remember(record)
        return PublishResult(
            created=answer.status == 201, record=record, compatibility=published.compatibility
        )

    async def deprecate(self, track: str, name: str, reason: str) -> SchemaRecord:
        path = schema_path(track, name) + "/deprecate"
        answer = await self._request("POST", path, body=encode_json({"reason": reason}), admin=True)
        record = self._checked_record(self._decode(answer, SchemaRecord), track, name)
        await self._remember(record)
        return record

    async def put_config(self, track: str, *, compatibility: str, policy: str) -> TrackConfig:
        check_track(track)
        body = encode_json({"compatibility": compatibility, "policy": policy})
        return self._decode(
            await self._request("PUT", f"/config/{track}", body=body, admin=True), TrackConfig
        )

    # -- index sync (what the poller runs) -------------------------------------------------------------
    async def sync_track(self, track: str, *, force: bool = False) -> SyncResult:
        """Bring the cache up to date with the track index: one conditional request, then the contents
        of new sha256 values only. Change callbacks run for every subject whose content changed.

        ``force=True`` skips ``If-None-Match`` and downloads the whole index (contents are still fetched
        only for unknown sha256 values). Raises :class:`RegistryUnavailable` (and leaves the cache as it
        was) when the index cannot be read.
        """
        check_track(track)
        try:
            answer = await self._request(
                "GET", f"/schemas/{track}", etag=None if force else self.cache.etag(track)
            )
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
        fetched = await self._fetch_contents(missing)
        changed, changes, complete = self.cache.apply_index(index, answer.headers.get("etag"), fetched)
        await self._persist(track)
        status = "changed" if changed else "unchanged"
        if complete:
            self._synced(track, time.time())
        self.metrics.poll(track, status if complete else "incomplete")
        await self._notify(changes)
        return SyncResult(
            track=track, status=status, revision=index.revision, changes=tuple(changes), complete=complete
        )

    # -- internals ----------------------------------------------------------------------------------
    async def _get_schema(self, track: str, name: str, version: str, *, count_fallback: bool) -> SchemaRecord:
        path = schema_path(track, name, version)
        try:
            record = self._checked_record(
                self._decode(await self._request("GET", path), SchemaRecord), track, name
            )
        except RegistryUnavailable as exc:
            return self._fallback(track, name, version, exc, count=count_fallback)
        if version == "latest":
            await self._remember(record)
        return record

    async def _fetch_content(self, sha256: str) -> ContentRecord:
        answer = await self._request("GET", f"/schemas/by-sha/{sha256}")
        item = self._checked_content(self._decode(answer, ContentRecord), sha256)
        self.cache.put_content(item.sha256, item.content, item.schema_id)
        return item

    async def _fetch_contents(self, shas: Sequence[str]) -> dict[str, SchemaContent]:
        """Fetch contents with bounded concurrency; stop launching new requests once the registry fails."""
        if not shas:
            return {}
        gate = asyncio.Semaphore(self.content_concurrency)
        broken: list[ClientError] = []

        async def one(sha: str) -> ContentRecord | None:
            async with gate:
                if broken:
                    return None
                try:
                    return await self._fetch_content(sha)
                except SchemaNotFound as exc:
                    log.warning(
                        "content listed in the index is missing", extra={"sha256": sha, "error": str(exc)}
                    )
                except ClientError as exc:
                    broken.append(exc)
                return None

        items = await asyncio.gather(*(one(sha) for sha in shas))
        return {item.sha256: item.content for item in items if item is not None}

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, int] | None = None,
        body: bytes | None = None,
        admin: bool = False,
        etag: str | None = None,
    ) -> Answer:
        """One logical call: retries transport errors and 5xx; 4xx raise typed errors at once."""
        self._require_enabled()
        headers = self._headers(admin=admin, etag=etag, has_body=body is not None)
        retry = 0
        while True:
            try:
                answer = await self._exchange(method, path, params, body, headers)
                self._classify(answer)
                return answer
            except AttemptError as failure:
                self.metrics.error(failure.kind)
                if failure.retryable and retry + 1 < self.retry.attempts:
                    await asyncio.sleep(self.retry.delay(retry, self._rng))
                    retry += 1
                    continue
                raise self._failed(failure, method, path) from failure

    async def _exchange(
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
                response = await self._http.send(request, stream=True)
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
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    self._grow(size)
                    chunks.append(chunk)
                return Answer(response.status_code, response.headers, b"".join(chunks))
            except httpx.HTTPError as exc:
                raise translate(exc) from exc
            finally:
                await response.aclose()
        raise AttemptError("redirect", f"more than {MAX_REDIRECTS} redirects", retryable=False)

    async def _remember(self, record: SchemaRecord) -> None:
        changed, change = self.cache.put(record)
        if changed:
            await self._persist(record.track)
        if change is not None:
            await self._notify([change])

    async def _persist(self, track: str) -> None:
        if self.cache.directory is None or not self.cache.dirty(track):
            return
        generation, data = self.cache.snapshot(track)
        # fsync can take milliseconds: keep it off the event loop.
        await asyncio.to_thread(self.cache.write_snapshot, track, generation, data)

    async def _notify(self, changes: Iterable[SchemaChange]) -> None:
        for change in changes:
            for callback in list(self._callbacks):
                try:
                    result = callback(change.track, change.name, change.old_sha256, change.new_sha256)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception(
                        "schema change callback failed", extra={"track": change.track, "schema": change.name}
                    )


__all__ = ["RegistryClient"]
