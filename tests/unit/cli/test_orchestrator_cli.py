"""``mdp orchestrator serve``, ``mdp enforcement readiness`` and the orchestrator in ``mdp up``: the parts
that need no running server (exit 2 paths, rendering, wiring). Real processes: tests/e2e."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mdp.cli.enforcement import render
from mdp.cli.main import app
from mdp.cli.output import console
from mdp.cli.up import COMPONENTS, orchestrator_component
from mdp.registry.settings import RegistrySettings
from mdp.settings import load_settings
from tests.integration.registry_process import free_port


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_serve_help_documents_the_defaults(runner: CliRunner) -> None:
    result = runner.invoke(app, ["orchestrator", "serve", "--help"])
    assert result.exit_code == 0
    assert "MDP_ORCHESTRATOR_PORT" in result.output
    assert "8090" in result.output


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MDP_ORCHESTRATOR_PORT", "eighty"),
        ("MDP_ORCHESTRATOR_READINESS_WINDOW", "soon"),
        ("EVENT_BUS_BACKEND", "kafka"),
    ],
)
def test_serve_refuses_bad_settings_naming_the_variable(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = runner.invoke(app, ["orchestrator", "serve"])
    assert result.exit_code == 2
    assert variable in result.output


def test_readiness_refuses_a_bad_window_before_asking(runner: CliRunner) -> None:
    result = runner.invoke(app, ["enforcement", "readiness", "--window", "3 days"])
    assert result.exit_code == 2
    assert "--window" in result.output


def test_readiness_of_an_unreachable_orchestrator_is_exit_2(runner: CliRunner) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(app, ["enforcement", "readiness", "--orchestrator-url", url])
    assert result.exit_code == 2
    assert "unreachable" in result.output


def test_readiness_url_comes_from_the_environment(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MDP_ORCHESTRATOR_URL", url)
    result = runner.invoke(app, ["enforcement", "readiness"])
    assert result.exit_code == 2
    assert url in result.output.replace("\n", "")


def test_render_shows_the_verdict_the_reasons_and_every_schema() -> None:
    report = {
        "verdict": "HOLD",
        "window": "3d",
        "reasons": ["v1/md.Quote: HOLD: reject rate 0.7% (7 of 1000) is between 0.5% and 1%"],
        "schemas": [
            {"schema": "md.Bar", "track": "v1", "verdict": "GO", "rejection_rate": 0.001, "total": 1000,
             "reasons": ["fine"]},
            {"schema": "md.Quote", "track": "v1", "verdict": "HOLD", "rejection_rate": 0.007, "total": 1000,
             "reasons": ["in the band"]},
        ],
    }  # fmt: skip
    with console.capture() as captured:
        render(report)
    text = captured.get()
    assert "warn -> strict over 3d: HOLD" in text
    assert "v1/md.Quote: HOLD" in text
    assert "md.Bar" in text
    assert "0.1 %" in text
    assert "0.7 %" in text


def test_up_runs_the_orchestrator_against_its_own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDP_ORCHESTRATOR_PORT", "18090")
    settings = load_settings(RegistrySettings, registry_host="0.0.0.0", registry_port=18081)
    component = orchestrator_component(settings)
    [served] = component.apps
    assert (served.host, served.port) == ("0.0.0.0", 18090)
    assert served.app.state.settings.registry_url == "http://127.0.0.1:18081"
    assert component.lines[0] == ("schema health", "http://127.0.0.1:18090/")
    assert COMPONENTS[0] is orchestrator_component
