"""The read cache: hot GETs are served from memory, keyed by the track revision."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mdp.registry.app import create_app
from mdp.registry.reads import etag_matches
from mdp.registry.settings import RegistrySettings
from mdp.registry.storage.memory import MemorySchemaStorage
from mdp.settings import load_settings

TOKEN = "t"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


class CountingStorage(MemorySchemaStorage):
    """The real in-memory storage, counting how often each read reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    def revisions(self) -> dict[str, int]:
        self.calls["revisions"] += 1
        return super().revisions()

    def track_index(self, track: str) -> Any:
        self.calls["track_index"] += 1
        return super().track_index(track)

    def get_latest(self, track: str, name: str) -> Any:
        self.calls["get_latest"] += 1
        return super().get_latest(track, name)


async def _client(storage: CountingStorage, data_dir: Path, ttl_ms: int) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(
        RegistrySettings, admin_token=TOKEN, data_dir=data_dir, registry_cache_ttl_ms=ttl_ms
    )
    app = create_app(settings, storage=storage)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as client:
        yield client


@pytest.fixture
def storage() -> CountingStorage:
    return CountingStorage()


@pytest.fixture
async def client(storage: CountingStorage, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client(storage, data_dir, ttl_ms=60_000):
        yield http


async def test_repeated_gets_do_not_reach_the_storage(
    client: httpx.AsyncClient, storage: CountingStorage
) -> None:
    await client.post("/schemas/v1/md.T", json={"content": {"type": "object"}}, headers=ADMIN)
    storage.calls.clear()
    for _ in range(50):
        assert (await client.get("/schemas/v1")).status_code == 200
        assert (await client.get("/schemas/v1/md.T")).status_code == 200
    assert storage.calls == Counter({"revisions": 1, "track_index": 1, "get_latest": 1})


async def test_a_local_write_is_visible_at_once(client: httpx.AsyncClient, storage: CountingStorage) -> None:
    assert (await client.get("/schemas/v1")).json()["schemas"] == []
    await client.post("/schemas/v1/md.T", json={"content": {"type": "object"}}, headers=ADMIN)
    assert [s["name"] for s in (await client.get("/schemas/v1")).json()["schemas"]] == ["md.T"]
    await client.post("/schemas/v1/md.T", json={"content": {"type": "object", "title": "t"}}, headers=ADMIN)
    assert (await client.get("/schemas/v1/md.T")).json()["version"] == "1.0.1"
    await client.post("/schemas/v1/md.T/deprecate", json={"reason": "r"}, headers=ADMIN)
    assert (await client.get("/schemas/v1/md.T")).json()["state"] == "deprecated"


async def test_a_write_behind_the_cache_shows_after_the_ttl(storage: CountingStorage, data_dir: Path) -> None:
    """A write by another replica (straight into the shared storage) is seen once the TTL has passed."""
    async for client in _client(storage, data_dir, ttl_ms=0):
        assert (await client.get("/schemas/v1")).json()["schemas"] == []
        from mdp.registry.service import RegistryService

        RegistryService(storage).publish("v1", "md.T", {"type": "object"})
        assert [s["name"] for s in (await client.get("/schemas/v1")).json()["schemas"]] == ["md.T"]


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"a"', True),
        ('W/"a"', True),
        ('"b", "a"', True),
        ("*", True),
        ('"b"', False),
        (None, False),
        ("", False),
    ],
)
def test_if_none_match_parsing(header: str | None, matches: bool) -> None:
    assert etag_matches(header, '"a"') is matches
