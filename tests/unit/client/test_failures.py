"""Retries, backoff, error mapping and payload safety, with faults injected through httpx.MockTransport.

A real registry cannot time out or answer 503 on demand, so these paths are driven by a transport; the
same behaviour against the real server (an outage made by stopping it) is in tests/integration.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from mdp.client import (
    BadRequest,
    Forbidden,
    IncompatibleSchema,
    InvalidArgument,
    InvalidConfig,
    InvalidResponse,
    InvalidSchema,
    InvalidVersion,
    RegistryClient,
    RegistryUnavailable,
    RetryPolicy,
    SchemaNotFound,
    Unauthorized,
)
from mdp.client.protocol import http_error
from tests.unit.client.fake import FakeRegistry, refused, schema, status, timeout

FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002)


def make(
    fake: FakeRegistry, registry: CollectorRegistry, tmp_path: Path, **options: object
) -> RegistryClient:
    options.setdefault("retry", FAST)
    return RegistryClient(
        "http://registry.test",
        transport=fake.transport(),
        metrics_registry=registry,
        cache_dir=tmp_path / "cache",
        admin_token="tok",
        **options,  # type: ignore[arg-type]
    )


def errors(registry: CollectorRegistry, kind: str) -> float:
    return registry.get_sample_value("schema_registry_errors_total", {"kind": kind}) or 0.0


def up(registry: CollectorRegistry) -> float | None:
    return registry.get_sample_value("schema_registry_up")


def test_backoff_is_jittered_exponential_and_bounded() -> None:
    policy = RetryPolicy(attempts=5, base_delay=0.1, max_delay=0.5, multiplier=2)
    rng = random.Random(7)
    for retry, ceiling in enumerate([0.1, 0.2, 0.4, 0.5, 0.5]):
        delays = {policy.delay(retry, rng) for _ in range(200)}
        assert min(delays) >= ceiling / 2
        assert max(delays) <= ceiling
        assert len(delays) > 100, "delays must be jittered, not fixed"
    with pytest.raises(InvalidArgument):
        RetryPolicy(attempts=0)


@pytest.mark.parametrize(
    ("fault", "kind"), [(timeout, "timeout"), (refused, "connect"), (status(503), "http_5xx")]
)
async def test_transient_failures_are_retried_then_succeed(
    fault: object, kind: str, metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    fake.put("v1", "md.Bar", schema("bar"))
    fake.faults = [fault, fault]  # type: ignore[list-item]
    async with make(fake, metrics_registry, tmp_path) as client:
        record = await client.get_schema("v1", "md.Bar")
    assert record.name == "md.Bar"
    assert len(fake.requests) == 3
    assert errors(metrics_registry, kind) == 2
    assert up(metrics_registry) == 1


async def test_retries_are_bounded_and_the_outage_is_visible(
    metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    fake.faults = [timeout] * 10
    async with make(
        fake, metrics_registry, tmp_path, retry=RetryPolicy(attempts=4, base_delay=0.001)
    ) as client:
        with pytest.raises(RegistryUnavailable) as caught:
            await client.get_schema("v1", "md.Bar")
        assert not client.up
    assert caught.value.kind == "timeout"
    assert len(fake.requests) == 4
    assert errors(metrics_registry, "timeout") == 4
    assert up(metrics_registry) == 0
    assert metrics_registry.get_sample_value("schema_cache_misses_total", {"track": "v1"}) == 1


async def test_a_timeout_falls_back_to_the_cached_schema(
    metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    sha = fake.put("v1", "md.Bar", schema("bar"))
    async with make(fake, metrics_registry, tmp_path) as client:
        await client.get_schema("v1", "md.Bar")
        fake.faults = [timeout] * 3
        record = await client.get_schema("v1", "md.Bar")
        assert record.sha256 == sha
        assert not client.up
        assert metrics_registry.get_sample_value("schema_cache_hits_total", {"track": "v1"}) == 1
        fake.faults = [timeout] * 3
        index = None
        with pytest.raises(RegistryUnavailable):
            index = await client.get_index("v1")  # never fetched: nothing to fall back on
        assert index is None


@pytest.mark.parametrize(
    ("code", "body", "error"),
    [
        (400, {"error_code": 40002, "message": "malformed JSON"}, BadRequest),
        (401, {"error_code": 40101, "message": "send a token"}, Unauthorized),
        (403, {"error_code": 40301, "message": "invalid admin token"}, Forbidden),
        (404, {"error_code": 40401, "message": "unknown subject"}, SchemaNotFound),
        (422, {"error_code": 42201, "message": "remote $ref is not allowed"}, InvalidSchema),
        (422, {"error_code": 42202, "message": "version too small"}, InvalidVersion),
        (422, {"error_code": 42203, "message": "bad level"}, InvalidConfig),
    ],
)
async def test_4xx_is_never_retried_and_maps_to_a_typed_error(
    code: int,
    body: dict[str, object],
    error: type[Exception],
    metrics_registry: CollectorRegistry,
    tmp_path: Path,
) -> None:
    fake = FakeRegistry()
    fake.faults = [status(code, body)] * 3
    async with make(fake, metrics_registry, tmp_path) as client:
        with pytest.raises(error) as caught:
            await client.publish("v1", "md.Bar", schema("bar"))
    assert len(fake.requests) == 1
    assert fake.requests[0].headers["authorization"] == "Bearer tok"
    assert caught.value.error_code == body["error_code"]  # type: ignore[attr-defined]
    assert body["message"] in str(caught.value)
    assert errors(metrics_registry, "http_4xx") == 1
    assert up(metrics_registry) == 1, "a registry that answers 4xx is up"


async def test_409_carries_the_breaking_changes(metrics_registry: CollectorRegistry, tmp_path: Path) -> None:
    breaking = [
        {"kind": "required_added", "path": "#/required", "message": "x is required", "old": None, "new": "x"}
    ]
    body = {
        "error_code": 40901,
        "message": "incompatible",
        "mode": "BACKWARD",
        "policy": "STRICT",
        "breaking": breaking,
    }
    fake = FakeRegistry()
    fake.faults = [status(409, body)]
    async with make(fake, metrics_registry, tmp_path) as client:
        with pytest.raises(IncompatibleSchema) as caught:
            await client.publish("v1", "md.Bar", schema("bar"))
    assert caught.value.breaking == breaking
    assert (caught.value.mode, caught.value.policy) == ("BACKWARD", "STRICT")


def test_error_envelopes_are_parsed_leniently() -> None:
    assert isinstance(http_error(404, b"<html>nope</html>"), SchemaNotFound)
    assert http_error(404, b"<html>nope</html>").error_code == 40400
    assert http_error(418, b"[1,2]").message == "HTTP 418"


async def test_not_found_is_an_answer_not_an_outage(
    metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    async with make(FakeRegistry(), metrics_registry, tmp_path) as client:
        with pytest.raises(SchemaNotFound):
            await client.get_schema("v1", "md.Nope")
        assert client.up


@pytest.mark.parametrize("declared", [True, False])
async def test_oversized_responses_are_refused(
    declared: bool, metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    big = b'{"padding": "' + b"x" * 5000 + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000]

    def huge(_: httpx.Request) -> httpx.Response:
        if declared:
            return httpx.Response(200, content=big)
        return httpx.Response(200, content=chunks())  # streamed: no Content-Length to trust

    fake = FakeRegistry()
    fake.faults = [huge]
    async with make(fake, metrics_registry, tmp_path, max_response_bytes=4096) as client:
        with pytest.raises(InvalidResponse) as caught:
            await client.get_schema("v1", "md.Bar")
    assert caught.value.kind == "too_large"
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    "location",
    ["http://evil.test/schemas/v1/md.Bar", "https://registry.test/schemas/v1/md.Bar", "//evil.test/x"],
)
async def test_redirects_to_another_origin_are_refused(
    location: str, metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    fake.faults = [lambda _: httpx.Response(302, headers={"Location": location})]
    async with make(fake, metrics_registry, tmp_path) as client:
        with pytest.raises(InvalidResponse) as caught:
            await client.get_schema("v1", "md.Bar")
    assert caught.value.kind == "redirect"
    assert [request.url.host for request in fake.requests] == ["registry.test"]


async def test_same_origin_read_redirects_are_followed_but_writes_are_not(
    metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    fake.put("v1", "md.Bar", schema("bar"))
    moved = lambda _: httpx.Response(307, headers={"Location": "/schemas/v1/md.Bar"})  # noqa: E731
    fake.faults = [moved]
    async with make(fake, metrics_registry, tmp_path) as client:
        assert (await client.get_schema("v1", "md.Bar")).name == "md.Bar"
        fake.faults = [moved]
        with pytest.raises(InvalidResponse):
            await client.publish("v1", "md.Bar", schema("bar"))


async def test_content_that_does_not_match_its_sha256_is_rejected_and_not_cached(
    metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    fake.put("v1", "md.Bar", schema("bar"))
    fake.subjects[("v1", "md.Bar")]["content"] = schema("tampered")
    async with make(fake, metrics_registry, tmp_path) as client:
        with pytest.raises(InvalidResponse) as caught:
            await client.get_schema("v1", "md.Bar")
        assert client.cached("v1", "md.Bar") is None
    assert caught.value.kind == "integrity"
    assert errors(metrics_registry, "integrity") == 1


@pytest.mark.parametrize(
    "body", [b"not json", b'{"track": "v1"}', b'{"track":"../x","name":"a"}', b"\xff\xfe"]
)
async def test_malformed_answers_are_decode_errors(
    body: bytes, metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    fake.faults = [lambda _: httpx.Response(200, content=body)]
    async with make(fake, metrics_registry, tmp_path) as client:
        with pytest.raises(InvalidResponse) as caught:
            await client.get_schema("v1", "md.Bar")
    assert caught.value.kind == "decode"
    assert len(fake.requests) == 1


@pytest.mark.parametrize("name", ["../etc/passwd", "/abs", "md..Bar", "md.Bar\x00", "a" * 201, "md/Bar", ""])
async def test_names_that_could_escape_the_api_are_refused_locally(
    name: str, metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    async with make(fake, metrics_registry, tmp_path) as client:
        with pytest.raises(InvalidArgument):
            await client.get_schema("v1", name)
        with pytest.raises(InvalidArgument):
            await client.get_schema("../v1", "md.Bar")
    assert fake.requests == []


async def test_publish_bodies_are_strict_json(metrics_registry: CollectorRegistry, tmp_path: Path) -> None:
    fake = FakeRegistry()
    async with make(fake, metrics_registry, tmp_path) as client:
        with pytest.raises(InvalidArgument):
            await client.publish("v1", "md.Bar", {"type": "number", "maximum": float("nan")})
    assert fake.requests == []
