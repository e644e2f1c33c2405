"""A tiny in-process stand-in for the registry's read API, for httpx.MockTransport unit tests.

Only the client's own logic is under test here (retries, backoff, error mapping, ETags, fallbacks), so
the fake serves just the index, latest-subject and by-sha reads, logs every request and lets a test
inject faults. Behaviour against the real registry is covered by tests/integration/test_client_registry.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson

from mdp.contracts.hashing import compute_sha256

Fault = Callable[[httpx.Request], httpx.Response]


def schema(title: str, **properties: Any) -> dict[str, Any]:
    return {"type": "object", "title": title, "properties": properties or {"x": {"type": "integer"}}}


class FakeRegistry:
    def __init__(self) -> None:
        self.revision = 0
        self.subjects: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []
        self.faults: list[Fault] = []
        self._ids: dict[str, int] = {}

    def put(self, track: str, name: str, content: Any, version: str = "1.0.0", state: str = "active") -> str:
        sha = compute_sha256(content)
        schema_id = self._ids.setdefault(sha, len(self._ids) + 1)
        self.revision += 1
        self.subjects[(track, name)] = {
            "track": track,
            "name": name,
            "version": version,
            "sha256": sha,
            "schema_id": schema_id,
            "state": state,
            "deprecated_reason": None,
            "classification": "initial",
            "created_at": "2026-11-25T17:30:00Z",
            "updated_at": f"2026-11-25T17:30:{self.revision:02d}Z",
            "content": content,
        }
        return sha

    def paths(self) -> list[str]:
        return [request.url.path for request in self.requests]

    def etag(self, track: str) -> str:
        return f'"{track}-{self.revision}"'

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.faults:
            return self.faults.pop(0)(request)
        return self.serve(request)

    def serve(self, request: httpx.Request) -> httpx.Response:
        """The healthy answer (a fault may delegate to it)."""
        parts = request.url.path.strip("/").split("/")
        if parts[:2] == ["schemas", "by-sha"]:
            for subject in self.subjects.values():
                if subject["sha256"] == parts[2]:
                    keys = ("schema_id", "sha256", "content")
                    return httpx.Response(200, json={key: subject[key] for key in keys})
            return httpx.Response(404, json={"error_code": 40403, "message": "unknown sha256"})
        if len(parts) == 2 and parts[0] == "schemas":
            track = parts[1]
            if request.headers.get("if-none-match") == self.etag(track):
                return httpx.Response(304, headers={"ETag": self.etag(track)})
            entries = [
                {
                    key: subject[key]
                    for key in ("name", "version", "sha256", "schema_id", "state", "updated_at")
                }
                for (t, _), subject in sorted(self.subjects.items())
                if t == track
            ]
            body = {"track": track, "revision": self.revision, "schemas": entries}
            return httpx.Response(200, content=orjson.dumps(body), headers={"ETag": self.etag(track)})
        if len(parts) == 3 and parts[0] == "schemas":
            subject = self.subjects.get((parts[1], parts[2]))
            if subject is None:
                return httpx.Response(404, json={"error_code": 40401, "message": "unknown subject"})
            return httpx.Response(200, json=subject, headers={"ETag": f'"{subject["sha256"]}"'})
        return httpx.Response(404, json={"error_code": 40410, "message": "not found"})


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("read timed out", request=request)


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def status(code: int, body: Any = None) -> Fault:
    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(
            code, json=body if body is not None else {"error_code": code * 100, "message": "x"}
        )

    return answer
