"""The example CI workflow (deploy/ci/registry_contracts.yml) is valid, has both flavours, and its mdp
command lines run as written against a real registry."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from mdp.cli.main import app
from tests.integration.drift.conftest import Track, closed, write_schemas

WORKFLOW = Path(__file__).resolve().parents[3] / "deploy" / "ci" / "registry_contracts.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def steps_running(job: dict[str, Any], needle: str) -> list[str]:
    return [step["run"] for step in job["steps"] if needle in step.get("run", "")]


def test_triggers_nightly_and_on_pull_requests(workflow: dict[str, Any]) -> None:
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert triggers["schedule"] == [{"cron": "0 2 * * *"}]
    assert "pull_request" in triggers


def test_warn_reports_and_strict_fails(workflow: dict[str, Any]) -> None:
    warn, strict = workflow["jobs"]["drift-warn"], workflow["jobs"]["drift-strict"]
    assert warn["continue-on-error"] is True
    [warn_run] = steps_running(warn, "mdp drift check")
    assert "--fail-on never" in warn_run
    assert "--emit-telemetry" in warn_run
    upload = next(
        step for step in warn["steps"] if step.get("uses", "").startswith("actions/upload-artifact")
    )
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "drift_report.json"
    assert upload["with"]["retention-days"] == 90
    assert "continue-on-error" not in strict
    [strict_run] = steps_running(strict, "mdp drift check")
    assert "--fail-on any" in strict_run


def expand(command: str, values: dict[str, str]) -> list[str]:
    for name, value in values.items():
        command = command.replace(f'"${name}"', value)
    words = shlex.split(command)
    assert words[:3] == ["uv", "run", "mdp"]
    return words[3:]


@pytest.mark.e2e
def test_the_workflow_commands_run_as_written(
    workflow: dict[str, Any], track: Track, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = closed()
    track.publish("it.Order", schema)
    schemas = write_schemas(tmp_path / "schemas", {"it.Order": schema})
    monkeypatch.chdir(tmp_path)
    values = {"REGISTRY_URL": track.url, "SCHEMA_DIR": str(schemas), "DRIFT_REPO": "market-data-store"}
    runner = CliRunner()
    for job in ("drift-warn", "drift-strict"):
        [command] = steps_running(workflow["jobs"][job], "mdp drift check")
        args = [track.name if word == "v1" else word for word in expand(command, values)]
        args = [word for word in args if word != "--emit-telemetry"]  # the bus is the CI's Redis
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        report = json.loads((tmp_path / "drift_report.json").read_text())
        assert (report["status"], report["repo"]) == ("synced", "market-data-store")
    [tracks] = steps_running(workflow["jobs"]["drift-strict"], "mdp drift tracks")
    args = [track.name if word in {"v1", "v2"} else word for word in expand(tracks, values)]
    assert runner.invoke(app, args).exit_code == 0
    assert json.loads((tmp_path / "tracks_report.json").read_text())["failing"] == []
