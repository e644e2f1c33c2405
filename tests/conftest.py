"""Shared fixtures: real PostgreSQL and Redis, fresh Prometheus registries, and service gating.

Tests that need a service use the ``postgres_url`` / ``redis_url`` fixtures (or the ``postgres`` / ``redis``
markers). Without the service they skip with the reason, unless ``MDP_REQUIRE_SERVICES=1`` (set by CI),
where a missing service is a failure. Every PostgreSQL test gets its own database, dropped afterwards, and
every Redis test its own key prefix, so concurrent runs never see each other's data.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

PG_HOST = os.environ.get("MDP_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("MDP_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("MDP_TEST_PG_USER", "postgres")
REDIS_HOST = os.environ.get("MDP_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("MDP_TEST_REDIS_PORT", "6379"))


def services_required() -> bool:
    return os.environ.get("MDP_REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes"}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or, under MDP_REQUIRE_SERVICES=1, fail) when ``name`` is not listening."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if services_required():
        pytest.fail(f"{message} and MDP_REQUIRE_SERVICES=1")
    pytest.skip(f"{message}; start it or set MDP_REQUIRE_SERVICES=1 to make this a failure")


def _psycopg_connect(dbname: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, autocommit=True)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty PostgreSQL database (dropped after the test)."""
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    name = f"mdp_test_{uuid.uuid4().hex[:16]}"
    with _psycopg_connect("postgres") as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with _psycopg_connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> str:
    """URL of the machine's Redis server."""
    require_service("Redis", REDIS_HOST, REDIS_PORT)
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix unique to this test; its keys are deleted afterwards."""
    prefix = f"mdptest:{uuid.uuid4().hex[:12]}:"
    yield prefix
    if _reachable(REDIS_HOST, REDIS_PORT):
        import redis

        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT)
        try:
            keys = list(client.scan_iter(match=prefix + "*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@pytest.fixture
def metrics_registry() -> CollectorRegistry:
    """A fresh Prometheus registry; the global one is never used by mdp code or tests."""
    return CollectorRegistry()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty MDP_DATA_DIR for this test."""
    path = tmp_path / "mdp-data"
    path.mkdir()
    return path


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's MDP_* / REGISTRY_* settings out of tests; data goes under tmp_path."""
    for key in list(os.environ):
        if (
            key.startswith(("MDP_", "REGISTRY_", "PULSE_", "EVENT_BUS_"))
            and key
            not in {
                "MDP_REQUIRE_SERVICES",
            }
            and not key.startswith("MDP_TEST_")
        ):
            monkeypatch.delenv(key, raising=False)
    for key in ("ADMIN_TOKEN", "DRIFT_CHECK_SECONDS", "MAX_DELIVERIES"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MDP_DATA_DIR", str(tmp_path / ".mdp"))
