"""Bad input and authentication: every refusal is a clear envelope and nothing is written.

Input is refused before the storage is touched, so these run on SQLite only (the publish and read suites
run on both databases).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from mdp.registry.storage.sql import sqlite_url
from tests.integration.registry.conftest import ADMIN, CLOSED, AppFactory, error_code, publish, running


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "registry-data")


async def nothing_written(client: httpx.AsyncClient) -> bool:
    events = (await client.get("/events")).json()["events"]
    index = (await client.get("/schemas/v1")).json()["schemas"]
    return events == [] and index == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ({"type": "strin"}, "meta-schema"),
        (42, "object or a boolean"),
        ("a string", "object or a boolean"),
        ([{"type": "object"}], "object or a boolean"),
        (None, "object or a boolean"),
        ({"$schema": "https://example.com/dialect"}, "unknown $schema"),
        ({"pattern": "(unclosed"}, "compile"),
    ],
)
async def test_invalid_schemas_are_422(client: httpx.AsyncClient, content: Any, reason: str) -> None:
    response = await publish(client, "v1", "md.T", content)
    assert error_code(response) == 42201
    assert reason in response.json()["message"]
    assert await nothing_written(client)


@pytest.fixture
def trap() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


async def test_remote_ref_is_422_and_never_fetched(
    client: httpx.AsyncClient, trap: tuple[str, list[str]]
) -> None:
    url, hits = trap
    response = await publish(client, "v1", "md.T", {"properties": {"a": {"$ref": f"{url}/a.json"}}})
    assert error_code(response) == 42201
    assert "remote $ref" in response.json()["message"]
    assert "not allowed" in response.json()["message"]
    meta = await publish(client, "v1", "md.T", {"$schema": f"{url}/meta.json"})
    assert error_code(meta) == 42201
    assert hits == []
    assert await nothing_written(client)


async def test_too_large_and_too_deep_bodies_are_413(make_app: AppFactory) -> None:
    async with running(make_app(registry_max_schema_bytes=4096, registry_max_schema_depth=16)) as client:
        large = await publish(client, "v1", "md.T", {"description": "x" * 5000})
        assert error_code(large) == 41301
        deep: dict[str, Any] = {"type": "object"}
        for _ in range(20):
            deep = {"properties": {"x": deep}}
        assert error_code(await publish(client, "v1", "md.T", deep)) == 41301
        raw_deep = b'{"content": ' + b"[" * 5000 + b"]" * 5000 + b"}"
        assert error_code(await client.post("/schemas/v1/md.T", content=raw_deep, headers=ADMIN)) == 41301
        assert await nothing_written(client)
        metrics = (await client.get("/metrics")).text
        assert 'registry_publish_rejected_total{reason="too_large",track="v1"} 3.0' in metrics


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe{}", b'{"content": "\xc3\x28"}', b"[1, 2"])
async def test_malformed_and_non_utf8_bodies_are_400(client: httpx.AsyncClient, raw: bytes) -> None:
    response = await client.post(
        "/schemas/v1/md.T", content=raw, headers={**ADMIN, "Content-Type": "application/json"}
    )
    assert error_code(response) == 40002
    assert await nothing_written(client)


@pytest.mark.parametrize(
    "body",
    [{"schema": CLOSED}, {"content": CLOSED, "force": "maybe"}, {"content": CLOSED, "extra": 1}, [CLOSED]],
)
async def test_malformed_envelopes_are_422(client: httpx.AsyncClient, body: Any) -> None:
    response = await client.post("/schemas/v1/md.T", content=orjson.dumps(body), headers=ADMIN)
    assert error_code(response) == 42207
    assert await nothing_written(client)


@pytest.mark.parametrize(
    ("path", "codes"),
    [
        ("/schemas/v1/md..Bar", {42207}),
        ("/schemas/v1/..", {42207, 40410}),
        ("/schemas/v1/%2e%2e", {42207, 40410}),
        ("/schemas/v1/md%2FBar", {40410}),
        ("/schemas/v1/md%00Bar", {42207}),
        ("/schemas/v1/%2Fetc%2Fpasswd", {40410}),
        ("/schemas/x1/md.Bar", {42207}),
        ("/schemas/v1/" + "a" * 201, {42207}),
    ],
)
async def test_hostile_names_are_refused(client: httpx.AsyncClient, path: str, codes: set[int]) -> None:
    response = await client.post(path, json={"content": CLOSED}, headers=ADMIN)
    assert error_code(response) in codes
    read = await client.get(path)
    assert error_code(read) in codes
    assert await nothing_written(client)


async def test_writes_need_the_admin_token_reads_do_not(client: httpx.AsyncClient) -> None:
    writes = [
        ("POST", "/schemas/v1/md.T", {"content": CLOSED}),
        ("POST", "/schemas/v1/md.T/deprecate", {"reason": "r"}),
        ("PUT", "/config/v1", {"compatibility": "NONE"}),
    ]
    for method, path, body in writes:
        missing = await client.request(method, path, json=body)
        assert error_code(missing) == 40101
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = await client.request(method, path, json=body, headers={"Authorization": "Bearer nope"})
        assert error_code(wrong) == 40301
        basic = await client.request(method, path, json=body, headers={"Authorization": "Basic dTp0ZXN0"})
        assert error_code(basic) == 40101
    assert await nothing_written(client)
    assert (await client.get("/config/v1")).json()["compatibility"] == "FULL_TRANSITIVE"
    assert (await publish(client, "v1", "md.T", CLOSED)).status_code == 201
    for path in (
        "/schemas/v1",
        "/schemas/v1/md.T",
        "/schemas/v1/md.T/versions",
        "/config/v1",
        "/events",
        "/health",
    ):
        assert (await client.get(path)).status_code == 200, path
