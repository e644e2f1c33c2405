"""Settings: seed env names, MDP_ prefix for ours, and start-up errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from mdp.errors import ConfigurationError
from mdp.settings import MdpSettings, env_name, load_settings


def test_defaults_are_the_embedded_stack() -> None:
    settings = load_settings(MdpSettings)
    assert settings.registry_track == "v1"
    assert settings.registry_enforcement == "warn"
    assert settings.event_bus_backend == "inmem"
    assert settings.database_url is None
    assert settings.validation_active


def test_seed_environment_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_URL", "https://schema-registry-service.fly.dev/")
    monkeypatch.setenv("REGISTRY_TRACK", "v2")
    monkeypatch.setenv("REGISTRY_ENFORCEMENT", "strict")
    monkeypatch.setenv("REGISTRY_ENABLED", "false")
    monkeypatch.setenv("REGISTRY_POLL_SECONDS", "15")
    monkeypatch.setenv("PULSE_ENABLED", "false")
    monkeypatch.setenv("EVENT_BUS_BACKEND", "redis")
    monkeypatch.setenv("ADMIN_TOKEN", "s3cret")
    monkeypatch.setenv("MDP_DATA_DIR", "/tmp/x")
    settings = load_settings(MdpSettings)
    assert settings.registry_url == "https://schema-registry-service.fly.dev"
    assert settings.registry_track == "v2"
    assert settings.registry_enforcement == "strict"
    assert not settings.registry_enabled
    assert not settings.validation_active
    assert settings.registry_poll_seconds == 15
    assert not settings.pulse_enabled
    assert settings.event_bus_backend == "redis"
    assert settings.admin_token is not None
    assert settings.admin_token.get_secret_value() == "s3cret"
    assert settings.data_dir == Path("/tmp/x")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REGISTRY_ENFORCEMENT", "loud"),
        ("REGISTRY_POLL_SECONDS", "0"),
        ("REGISTRY_TRACK", "stable"),
        ("EVENT_BUS_BACKEND", "kafka"),
        ("REGISTRY_URL", "ftp://x"),
        ("MDP_LOG_LEVEL", "chatty"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        load_settings(MdpSettings)


def test_overrides_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_TRACK", "v2")
    assert load_settings(MdpSettings, registry_track="v1", database_url=None).registry_track == "v1"


def test_env_name_of_fields() -> None:
    assert env_name(MdpSettings, "registry_poll_seconds") == "REGISTRY_POLL_SECONDS"
    assert env_name(MdpSettings, "data_dir") == "MDP_DATA_DIR"
