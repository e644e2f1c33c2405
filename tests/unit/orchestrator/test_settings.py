"""OrchestratorSettings: defaults from the brief, env names, and loud failures naming the variable."""

from __future__ import annotations

import pytest

from mdp.errors import ConfigurationError
from mdp.orchestrator.settings import OrchestratorSettings
from mdp.settings import MdpSettings, load_settings


def test_defaults() -> None:
    settings = load_settings(OrchestratorSettings)
    assert isinstance(settings, MdpSettings)
    assert (settings.orchestrator_host, settings.orchestrator_port) == ("127.0.0.1", 8090)
    assert settings.orchestrator_group == "orchestrator"
    assert settings.readiness_window_s == 72 * 3600
    assert settings.rates_window_s == 3600
    assert settings.dlq_streams == ("md.bars.dlq",)
    assert settings.registry_tracks == ("v1", "v2")
    assert settings.orchestrator_url == "http://127.0.0.1:8090"


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDP_ORCHESTRATOR_PORT", "9999")
    monkeypatch.setenv("MDP_ORCHESTRATOR_READINESS_WINDOW", "24h")
    monkeypatch.setenv("MDP_ORCHESTRATOR_DLQ_STREAMS", "md.bars.dlq, telemetry.feedback.dlq ,")
    monkeypatch.setenv("MDP_ORCHESTRATOR_URL", "http://orch:1/")
    settings = load_settings(OrchestratorSettings)
    assert settings.orchestrator_port == 9999
    assert settings.readiness_window_s == 86_400
    assert settings.dlq_streams == ("md.bars.dlq", "telemetry.feedback.dlq")
    assert settings.orchestrator_url == "http://orch:1"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MDP_ORCHESTRATOR_PORT", "0"),
        ("MDP_ORCHESTRATOR_READINESS_WINDOW", "three days"),
        ("MDP_ORCHESTRATOR_RATES_WINDOW", "0m"),
        ("MDP_ORCHESTRATOR_READINESS_MIN_COVERAGE", "1.5"),
        ("MDP_ORCHESTRATOR_REGISTRY_TRACKS", "v1,../v2"),
        ("MDP_ORCHESTRATOR_URL", "orch:8090"),
        ("MDP_ORCHESTRATOR_PAGE_REFRESH_SECONDS", "0"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        load_settings(OrchestratorSettings)
