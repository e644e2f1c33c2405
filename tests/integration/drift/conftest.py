"""A real ``mdp registry serve`` process shared by the drift integration tests; one fresh track per test.

Each test gets its own track (``PUT /config/v<n>``, FULL_TRANSITIVE + LENIENT like v1), so a drift check,
which reads a whole track, sees only that test's schemas.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mdp.client import RetryPolicy, SchemaRecord, SyncRegistryClient
from mdp.contracts import compute_sha256
from mdp.contracts.bundled import bundled_track
from tests.integration.registry_process import RegistryProcess, free_port

TOKEN = "drift-integration-token"
QUICK = RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.1)
_TRACK_NUMBERS = itertools.count(100)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryProcess]:
    process = RegistryProcess(tmp_path_factory.mktemp("drift-registry"), TOKEN)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@dataclass
class Track:
    """A fresh registry track and an admin client to publish into it."""

    name: str
    url: str
    admin: SyncRegistryClient

    def publish(self, name: str, content: Any, *, force: bool = False) -> SchemaRecord:
        return self.admin.publish(self.name, name, content, force=force).record

    def requests(self, route: str) -> float:
        """``registry_http_requests_total`` for GET ``route`` (all statuses), scraped from /metrics."""
        text = httpx.get(f"{self.url}/metrics", timeout=5).text
        total = 0.0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if (
                    sample.name == "registry_http_requests_total"
                    and sample.labels.get("route") == route
                    and sample.labels.get("method") == "GET"
                ):
                    total += sample.value
        return total


def new_track(url: str, admin: SyncRegistryClient, compatibility: str = "FULL_TRANSITIVE") -> Track:
    """Create a fresh track (LENIENT policy) on the registry at ``url``."""
    name = f"v{next(_TRACK_NUMBERS)}"
    admin.put_config(name, compatibility=compatibility, policy="LENIENT")
    return Track(name, url, admin)


@pytest.fixture
def track(registry: RegistryProcess) -> Iterator[Track]:
    with SyncRegistryClient(registry.url, admin_token=TOKEN, retry=QUICK, trust_env=False) as admin:
        yield new_track(registry.url, admin)


@pytest.fixture(scope="session")
def seeded_v1(registry: RegistryProcess) -> str:
    """The shared registry's v1 track holding exactly the bundled v1 contracts (idempotent); its URL."""
    with SyncRegistryClient(registry.url, admin_token=TOKEN, retry=QUICK, trust_env=False) as admin:
        for name, content in bundled_track("v1").items():
            admin.publish("v1", name, content)
    return registry.url


@pytest.fixture
def closed_url() -> str:
    """A registry URL nobody listens on."""
    return f"http://127.0.0.1:{free_port()}"


def closed(**properties: Any) -> dict[str, Any]:
    """A closed content model with a required ``id`` plus ``properties``."""
    props = {"id": {"type": "string"}, **properties}
    return {"type": "object", "properties": props, "required": ["id"], "additionalProperties": False}


def write_schemas(directory: Path, schemas: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in schemas.items():
        (directory / f"{name}.json").write_text(json.dumps(content, indent=2), encoding="utf-8")
    return directory


def sha(content: Any) -> str:
    return compute_sha256(content)
