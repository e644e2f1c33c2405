"""Untrusted JSON bodies: size, UTF-8, depth and syntax errors map to stable codes."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request

from mdp.web.errors import install_error_handlers
from mdp.web.limits import json_depth, read_json_body


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/doc")
    async def doc(request: Request) -> dict[str, object]:
        value = await read_json_body(request, max_bytes=1000, max_depth=8)
        return {"type": type(value).__name__}

    return app


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"a": 1}', 200, None),
        (b"", 400, 40002),
        (b'{"a": ', 400, 40002),
        (b'{"a": "\xff"}', 400, 40002),
        (b"[" * 9 + b"]" * 9, 413, 41301),
        (b"[" * 5000 + b"]" * 5000, 413, 41301),
        (b'"' + b"x" * 2000 + b'"', 413, 41301),
    ],
)
async def test_body_outcomes(body: bytes, status: int, code: int | None) -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/doc", content=body)
    assert response.status_code == status, response.text
    if code:
        assert response.json()["error_code"] == code
        assert response.json()["message"]


def test_json_depth() -> None:
    assert json_depth(1, 10) == 0
    assert json_depth({"a": [1, {"b": []}]}, 10) == 4
    assert json_depth([[[[]]]], 2) == 3
