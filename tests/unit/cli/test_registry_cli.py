"""``mdp registry`` and ``mdp up`` fail fast and clearly (exit 2) before serving anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mdp.cli.main import app
from mdp.cli.up import Component, banner


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_serve_help_documents_the_defaults(runner: CliRunner) -> None:
    result = runner.invoke(app, ["registry", "serve", "--help"])
    assert result.exit_code == 0
    assert "MDP_REGISTRY_PORT" in result.output
    assert "8081" in result.output


@pytest.mark.parametrize(
    ("variable", "value"), [("MDP_REGISTRY_PORT", "eighty"), ("MDP_REGISTRY_MAX_SCHEMA_DEPTH", "0")]
)
def test_serve_refuses_bad_settings_naming_the_variable(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = runner.invoke(app, ["registry", "serve"])
    assert result.exit_code == 2
    assert variable in result.output


def test_serve_refuses_an_unreachable_database(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDP_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = runner.invoke(app, ["registry", "serve", "--port", "1"])
    assert result.exit_code == 2
    assert "migrating" in result.output


def test_seed_without_any_token_is_an_error(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MDP_DATA_DIR", str(tmp_path / "empty"))
    result = runner.invoke(app, ["registry", "seed", "--registry-url", "http://127.0.0.1:1"])
    assert result.exit_code == 2
    assert "no admin token" in result.output


def test_up_refuses_an_unreachable_database(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDP_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = runner.invoke(app, ["up"])
    assert result.exit_code == 2


def test_banner_aligns_every_component() -> None:
    parts = [
        Component("registry", lines=[("registry", "http://h:1"), ("admin token", ".mdp/admin-token")]),
        Component("store", lines=[("store", "http://h:2")]),
    ]
    assert banner(parts).splitlines() == [
        "mdp is up (Ctrl-C to stop)",
        "  registry     http://h:1",
        "  admin token  .mdp/admin-token",
        "  store        http://h:2",
    ]
