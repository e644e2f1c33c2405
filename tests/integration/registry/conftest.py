"""Fixtures of the registry API tests: one app per test on SQLite or PostgreSQL, driven by httpx."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from mdp.registry.app import create_app
from mdp.registry.settings import RegistrySettings
from mdp.registry.storage.sql import sqlite_url
from mdp.settings import load_settings

TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}

CLOSED: dict[str, Any] = {
    "type": "object",
    "properties": {"a": {"type": "string"}},
    "required": ["a"],
    "additionalProperties": False,
}


def closed(**extra: Any) -> dict[str, Any]:
    schema = copy.deepcopy(CLOSED)
    schema.update(extra)
    return schema


def with_property(name: str, spec: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    schema = copy.deepcopy(base or CLOSED)
    schema["properties"][name] = spec
    return schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The registry database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "registry-data")
    url: str = request.getfixturevalue("postgres_url")
    return url


AppFactory = Callable[..., FastAPI]


@pytest.fixture
def make_app(database_url: str, data_dir: Path) -> AppFactory:
    """Build a registry app on the test database (call again for a restart or a second replica)."""

    def build(registry: CollectorRegistry | None = None, **overrides: Any) -> FastAPI:
        settings = load_settings(
            RegistrySettings,
            admin_token=TOKEN,
            data_dir=data_dir,
            database_url=database_url,
            **overrides,
        )
        return create_app(settings, metrics_registry=registry or CollectorRegistry())

    return build


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and hand out a client talking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            yield client


@pytest.fixture
async def client(make_app: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with running(make_app()) as http:
        yield http


async def publish(
    client: httpx.AsyncClient, track: str, name: str, content: Any, **body: Any
) -> httpx.Response:
    return await client.post(f"/schemas/{track}/{name}", json={"content": content, **body}, headers=ADMIN)


def error_code(response: httpx.Response) -> int:
    body = response.json()
    assert set(body) >= {"error_code", "message"}
    assert isinstance(body["message"], str)
    assert response.status_code == body["error_code"] // 100
    return int(body["error_code"])
