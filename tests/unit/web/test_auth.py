"""Admin auth: generated token file, constant-time checks, 401 vs 403, optional Basic."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import httpx
import pytest
from fastapi import Depends, FastAPI

from mdp.web.auth import AdminAuth, resolve_admin_token
from mdp.web.errors import install_error_handlers


def test_configured_token_wins(tmp_path: Path) -> None:
    assert resolve_admin_token("given", tmp_path) == ("given", None)
    assert not (tmp_path / "admin-token").exists()


def test_generated_token_is_private_and_stable(tmp_path: Path) -> None:
    token, path = resolve_admin_token(None, tmp_path / "data")
    assert path is not None
    assert path.read_text().strip() == token
    assert len(token) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert resolve_admin_token(None, tmp_path / "data")[0] == token


def _app(allow_basic: bool = False) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    auth = AdminAuth("tok-123", allow_basic=allow_basic)

    @app.post("/admin", dependencies=[Depends(auth)])
    def admin() -> dict[str, bool]:
        return {"ok": True}

    return app


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, 40101),
        ({"Authorization": "Bearer"}, 401, 40101),
        ({"Authorization": "Token tok-123"}, 401, 40101),
        ({"Authorization": "Bearer wrong"}, 403, 40301),
        ({"Authorization": "Bearer tok-1234"}, 403, 40301),
        ({"Authorization": "Bearer tok-123"}, 200, None),
        ({"Authorization": "bearer tok-123"}, 200, None),
    ],
)
async def test_bearer_outcomes(headers: dict[str, str], status: int, code: int | None) -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/admin", headers=headers)
    assert response.status_code == status
    if code is not None:
        assert response.json()["error_code"] == code
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


async def test_basic_auth_only_when_allowed() -> None:
    basic = "Basic " + base64.b64encode(b"anyuser:tok-123").decode()
    for allow, expected in ((False, 401), (True, 200)):
        transport = httpx.ASGITransport(app=_app(allow_basic=allow))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.post("/admin", headers={"Authorization": basic})).status_code == expected
