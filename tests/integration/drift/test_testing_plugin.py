"""The ``mdp`` pytest plugin (``mdp.testing``), run in a separate pytest process as a service would."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mdp.testing import SchemaDriftError, assert_schemas_match_registry
from tests.integration.drift.conftest import Track, closed, write_schemas

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BASE = closed()
OPTIONAL = closed(qty={"type": "integer"})

CONTRACT_TESTS = """
import pytest

def test_fixtures_match_registry(mdp_schema_drift):
    result = mdp_schema_drift("schemas", track="{track}")
    assert result.status == "synced"

def test_breaking_only(mdp_schema_drift):
    mdp_schema_drift("schemas", track="{track}", fail_on="breaking")

@pytest.mark.asyncio
async def test_works_inside_an_event_loop(mdp_schema_drift):
    mdp_schema_drift("schemas", track="{track}")

def test_client_fixture(mdp_registry_client):
    assert mdp_registry_client.get_index("{track}").track == "{track}"
"""


def run_pytest(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (directory / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-W", "error", "-q", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def project(tmp_path: Path, track: Track, schemas: dict[str, object]) -> Path:
    directory = tmp_path / "service"
    write_schemas(directory / "schemas", schemas)
    (directory / "test_contracts.py").write_text(
        textwrap.dedent(CONTRACT_TESTS).replace("{track}", track.name)
    )
    return directory


def test_fixtures_in_sync_pass(track: Track, tmp_path: Path) -> None:
    track.publish("it.Order", BASE)
    directory = project(tmp_path, track, {"it.Order": BASE})
    result = run_pytest(directory, "--mdp-registry-url", track.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_drift_fails_the_contract_tests_with_a_readable_message(track: Track, tmp_path: Path) -> None:
    track.publish("it.Order", BASE)
    track.publish("it.Order", OPTIONAL)
    directory = project(tmp_path, track, {"it.Order": BASE})
    result = run_pytest(directory, "--mdp-registry-url", track.url)
    assert result.returncode == 1
    assert "2 failed, 2 passed" in result.stdout, "safe drift fails 'any' (twice), passes 'breaking'"
    assert "SchemaDriftError" in result.stdout
    assert "it.Order: drift (safe)" in result.stdout
    assert f"mdp schemas fetch --track {track.name}" in result.stdout


def test_registry_url_from_the_environment_and_unreachable_registry_errors(
    track: Track, tmp_path: Path, closed_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    track.publish("it.Order", BASE)
    directory = project(tmp_path, track, {"it.Order": BASE})
    monkeypatch.setenv("REGISTRY_URL", track.url)
    assert run_pytest(directory, "-k", "match_registry").returncode == 0
    monkeypatch.setenv("REGISTRY_URL", closed_url)
    down = run_pytest(directory, "-k", "match_registry")
    assert down.returncode == 1
    assert "RegistryUnavailable" in down.stdout
    assert "1 failed" in down.stdout
    monkeypatch.setenv("REGISTRY_ENABLED", "false")  # the seeds' rollback: skip registry checks
    skipped = run_pytest(directory, "-k", "match_registry")
    assert skipped.returncode == 0
    assert "1 skipped" in skipped.stdout


def test_the_plugin_is_inert_unless_used(tmp_path: Path) -> None:
    directory = tmp_path / "unrelated"
    directory.mkdir()
    (directory / "test_plain.py").write_text("def test_nothing():\n    assert 1 + 1 == 2\n")
    result = run_pytest(directory, "-p", "mdp")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "warning" not in result.stdout.lower()
    assert "--mdp-registry-url" in run_pytest(directory, "--help").stdout


def test_helper_directly(track: Track, tmp_path: Path) -> None:
    track.publish("it.Order", OPTIONAL)
    schemas = write_schemas(tmp_path / "schemas", {"it.Order": BASE, "it.Mine": BASE})
    with pytest.raises(SchemaDriftError) as caught:
        assert_schemas_match_registry(schemas, track.name, registry_url=track.url)
    assert {item.name for item in caught.value.check.failing("any")} == {"it.Order", "it.Mine"}
    assert "it.Mine: missing_in_registry" in str(caught.value)
    result = assert_schemas_match_registry(schemas, track.name, registry_url=track.url, fail_on="never")
    assert json.dumps(result.to_report())  # the report is JSON-serialisable
    with pytest.raises(ValueError, match="fail_on"):
        assert_schemas_match_registry(schemas, track.name, registry_url=track.url, fail_on="maybe")
