"""Enforcement against a real ``mdp registry serve`` process: seed 002's three drills, and ``mdp validate``.

* Drill 1 (benign change): an optional field is added; the change reaches the enforcer through the client's
  change callback, and the same traffic keeps passing with no rejection.
* Drill 2 (breaking change): a new version requires a field producers don't send; strict mode
  dead-letters the messages with a clear error and logs it.
* Drill 3 (registry outage): the registry is stopped; validation continues with the cached schemas, in
  this process and in one restarted from the client's disk snapshot; a never-seen schema is unavailable.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from mdp.cli.main import app
from mdp.client import RegistryClient, RegistryPoller, RetryPolicy, SyncRegistryClient
from mdp.contracts.bundled import bundled_schema
from mdp.enforcement import Enforcer, SchemaProvider, SchemaRef, enforcement_metrics
from mdp.enforcement.registry import RegistrySchemaProvider
from tests.integration.registry_process import RegistryProcess
from tests.suites.schema_provider import SchemaProviderSuite
from tests.unit.enforcement.conftest import bar_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "enforcement-admin-token"
QUICK = RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.1)
V1_BAR = bundled_schema("v1", "md.Bar")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryProcess]:
    process = RegistryProcess(tmp_path_factory.mktemp("registry-data"), TOKEN)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def client_for(process: RegistryProcess, cache: Path, **options: Any) -> RegistryClient:
    options.setdefault("metrics_registry", CollectorRegistry())
    return RegistryClient(
        process.url, admin_token=TOKEN, retry=QUICK, timeout=5.0, cache_dir=cache, trust_env=False, **options
    )


class TestRegistryProvider(SchemaProviderSuite):
    """The SchemaProvider suite over a real client cache filled from the real registry."""

    @pytest.fixture
    def provider(self, registry: RegistryProcess, tmp_path: Path) -> Iterator[SchemaProvider]:
        with SyncRegistryClient(
            registry.url, admin_token=TOKEN, retry=QUICK, cache_dir=tmp_path / "cache", trust_env=False
        ) as client:
            client.publish("v1", "md.Bar", V1_BAR)  # same content as `registry seed`: idempotent
            client.sync_track("v1")
            yield RegistrySchemaProvider(client)


def with_optional_exchange(schema: dict[str, Any]) -> dict[str, Any]:
    changed = orjson.loads(orjson.dumps(schema))
    changed["properties"]["exchange"] = {"type": "string", "maxLength": 16}
    return changed


def requiring_venue(schema: dict[str, Any]) -> dict[str, Any]:
    changed = orjson.loads(orjson.dumps(schema))
    changed["properties"]["venue"] = {"type": "string", "pattern": "^[A-Z0-9]{4}$"}
    changed["required"] = [*changed["required"], "venue"]
    return changed


async def test_drills(registry: RegistryProcess, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    name = f"it.Bar{uuid.uuid4().hex[:8]}"
    ref = SchemaRef("v2", name)  # v2: compatibility NONE, so drill 2 needs no force
    traffic = [bar_bytes(), bar_bytes(symbol="MSFT"), bar_bytes(timeframe="5m")]
    metrics = CollectorRegistry()
    async with client_for(registry, tmp_path / "cache", track="v2") as client:
        await client.publish("v2", name, V1_BAR)
        provider = RegistrySchemaProvider(client)
        enforcer = Enforcer(schemas=provider, mode="strict", metrics=enforcement_metrics(metrics))
        provider.attach(enforcer)
        poller = RegistryPoller(client)
        await poller.poll_once()
        assert all(v.valid for v in enforcer.enforce_batch(traffic, ref))
        first_sha = enforcer.validators.bindings()[("v2", name)]

        # Drill 1: a benign change published by another tool arrives through the poll and the callback.
        async with client_for(registry, tmp_path / "admin-tool") as admin:
            benign = await admin.publish("v2", name, with_optional_exchange(V1_BAR))
            assert benign.created
            await poller.poll_once()
            assert enforcer.validators.bindings()[("v2", name)] == benign.record.sha256 != first_sha
            assert all(v.valid for v in enforcer.enforce_batch(traffic, ref))
            assert enforcer.enforce_one(bar_bytes(exchange="NASDAQ"), ref).valid
            assert (
                metrics.get_sample_value(
                    "schema_validation_failures_total", {"schema": name, "track": "v2", "mode": "strict"}
                )
                == 0
            )

            # Drill 2: a breaking change; strict dead-letters with a clear error, and says so in the logs.
            breaking = await admin.publish("v2", name, requiring_venue(V1_BAR))
            assert breaking.created
        await poller.poll_once()
        caplog.set_level(logging.ERROR, logger="mdp.enforcement")
        verdicts = enforcer.enforce_batch(traffic, ref)
        assert [v.action for v in verdicts] == ["dead_letter"] * 3
        assert verdicts[0].schema is not None
        assert verdicts[0].schema.sha256 == breaking.record.sha256
        assert [(e.path, e.message) for e in verdicts[0].errors] == [("", '"venue" is a required property')]
        assert any("venue" in record.getMessage() for record in caplog.records)
        assert enforcer.enforce_one(bar_bytes(venue="XNAS"), ref).valid
        enforcer.mode = "warn"  # rollback level 1: rejections stop at once, counting goes on
        assert [v.action for v in enforcer.enforce_batch(traffic, ref)] == ["forward"] * 3
        assert (
            metrics.get_sample_value("schema_validation_would_reject_total", {"schema": name, "track": "v2"})
            == 3
        )
        enforcer.mode = "strict"

        # Drill 3: the registry goes away; the cached schema keeps enforcing.
        registry.stop()
        try:
            assert isinstance((await poller.poll_once())["v2"], Exception)
            assert [v.action for v in enforcer.enforce_batch(traffic, ref)] == ["dead_letter"] * 3
            assert enforcer.enforce_one(bar_bytes(venue="XNAS"), ref).valid
            never_seen = enforcer.enforce_one(bar_bytes(), SchemaRef("v2", "it.NeverPublished"))
            assert (never_seen.outcome, never_seen.action) == ("schema_unavailable", "dead_letter")

            # A pipeline restarted during the outage enforces from the client's disk snapshot.
            async with client_for(registry, tmp_path / "cache", track="v2") as restarted:
                again = Enforcer(schemas=RegistrySchemaProvider(restarted), mode="strict")
                assert again.enforce_one(bar_bytes(venue="XNAS"), ref).valid
                assert not again.enforce_one(bar_bytes(), ref).valid
                warn = Enforcer(schemas=RegistrySchemaProvider(restarted), mode="warn")
                assert warn.enforce_one(bar_bytes(), SchemaRef("v2", "it.NeverPublished")).action == "forward"
        finally:
            registry.start()


def test_validate_against_the_registry(registry: RegistryProcess, tmp_path: Path) -> None:
    runner = CliRunner()
    name = f"it.Cli{uuid.uuid4().hex[:8]}"
    published = runner.invoke(
        app, ["registry", "seed", "--registry-url", registry.url, "--token", TOKEN, "--json"]
    )
    assert published.exit_code in {0, 1}, published.output  # seeds v1/md.Bar (idempotent)
    lines = bar_bytes() + b"\n" + bar_bytes(open=-3.0) + b"\n"
    ok = runner.invoke(app, ["validate", "v1/md.Bar", "--registry-url", registry.url], input=bar_bytes())
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["validate", "v1/md.Bar", "--registry-url", registry.url], input=lines)
    assert bad.exit_code == 1
    assert "line 2: /open: -3.0 is less than or equal to the minimum of 0" in bad.stdout
    unknown = runner.invoke(app, ["validate", f"v1/{name}", "--registry-url", registry.url], input=lines)
    assert unknown.exit_code == 2
    assert f"has no v1/{name}" in " ".join(unknown.stderr.split())

    # The CLI's client cached the schema under MDP_DATA_DIR: it still validates while the registry is down.
    registry.stop()
    try:
        cached = runner.invoke(app, ["validate", "v1/md.Bar", "--registry-url", registry.url], input=lines)
        assert cached.exit_code == 1, cached.output
        assert "1 valid, 1 invalid" in cached.stdout
    finally:
        registry.start()
