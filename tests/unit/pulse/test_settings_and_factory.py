"""Pulse settings (names, aliases, defaults), PulseConfig and create_bus backend selection."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from mdp.errors import ConfigurationError
from mdp.pulse import Envelope, InMemoryBus, PulseConfig, PulseSettings, create_bus, pulse_metrics, streams
from mdp.pulse.redis import RedisBus
from mdp.pulse.subscription import backoff_delay
from mdp.settings import MdpSettings, load_settings


def test_defaults() -> None:
    settings = load_settings(PulseSettings)
    assert settings.pulse_max_deliveries == 5
    assert settings.pulse_claim_idle_ms == 30_000
    assert settings.pulse_maxlen == 1_000_000
    assert settings.pulse_prefix == ""
    config = PulseConfig.from_settings(settings)
    assert config == PulseConfig()


@pytest.mark.parametrize("name", ["MDP_PULSE_MAX_DELIVERIES", "MAX_DELIVERIES"])
def test_max_deliveries_reads_both_names(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "9")
    assert load_settings(PulseSettings).pulse_max_deliveries == 9


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDP_PULSE_CLAIM_IDLE_MS", "250")
    monkeypatch.setenv("MDP_PULSE_MAXLEN", "0")
    monkeypatch.setenv("MDP_PULSE_PREFIX", "stage:")
    monkeypatch.setenv("EVENT_BUS_BACKEND", "redis")
    monkeypatch.setenv("PULSE_ENABLED", "false")
    monkeypatch.setenv("MDP_REDIS_URL", "redis://cache:6380/2")
    config = PulseConfig.from_settings(load_settings(PulseSettings), source="store")
    assert config == PulseConfig(
        enabled=False,
        backend="redis",
        redis_url="redis://cache:6380/2",
        prefix="stage:",
        claim_idle_ms=250,
        maxlen=0,
        source="store",
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MDP_PULSE_MAX_DELIVERIES", "0"),
        ("MAX_DELIVERIES", "many"),
        ("MDP_PULSE_CLAIM_IDLE_MS", "0"),
        ("MDP_PULSE_MAXLEN", "-1"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(
        ConfigurationError, match="MDP_PULSE_MAX_DELIVERIES" if "DELIVERIES" in variable else variable
    ):
        load_settings(PulseSettings)


def test_plain_mdp_settings_get_pulse_defaults() -> None:
    config = PulseConfig.from_settings(load_settings(MdpSettings))
    assert (config.max_deliveries, config.claim_idle_ms, config.backend) == (5, 30_000, "inmem")


def test_unknown_backend_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="EVENT_BUS_BACKEND"):
        PulseConfig(backend="kafka")


async def test_create_bus_selects_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    inmem = create_bus(load_settings(PulseSettings))
    assert isinstance(inmem, InMemoryBus)
    monkeypatch.setenv("EVENT_BUS_BACKEND", "redis")
    redis_bus = create_bus(load_settings(PulseSettings))
    assert isinstance(redis_bus, RedisBus)
    await redis_bus.close()


async def test_in_memory_buses_from_settings_share_the_process_broker(redis_prefix: str) -> None:
    settings = load_settings(PulseSettings, pulse_prefix=redis_prefix)
    async with create_bus(settings, source="a") as one, create_bus(settings, source="b") as two:
        await one.ensure_group("s", "g")
        await two.publish("s", Envelope.create("t", {}, source="b"))
        assert len(await one.read("s", "g", "c")) == 1


def test_metrics_are_registered_once_per_registry() -> None:
    registry = CollectorRegistry()
    assert pulse_metrics(registry) is pulse_metrics(registry)
    assert pulse_metrics(CollectorRegistry()) is not pulse_metrics(registry)


def test_stream_names() -> None:
    assert streams.dlq_stream("md.bars") == streams.BARS_DLQ == "md.bars.dlq"
    assert streams.dlq_stream(streams.BARS_RAW) == "md.bars.raw.dlq"
    assert streams.SCHEMA_DRIFT == "telemetry.schema_drift"


@pytest.mark.parametrize("jitter", [0.0, 0.5, 0.999])
def test_backoff_doubles_is_capped_and_never_zero(jitter: float) -> None:
    delays = [backoff_delay(attempt, base_s=0.1, max_s=1.0, jitter=jitter) for attempt in range(1, 8)]
    caps = [min(1.0, 0.1 * 2 ** (attempt - 1)) for attempt in range(1, 8)]
    assert all(cap / 2 <= delay < cap for delay, cap in zip(delays, caps, strict=True))


def test_the_package_exports_what_it_lists() -> None:
    import mdp.pulse

    exported = {name for name in dir(mdp.pulse) if not name.startswith("_")}
    public_classes = {name for name in exported if name[0].isupper() or name.isupper()}
    assert set(mdp.pulse.__all__) <= exported
    assert public_classes <= set(mdp.pulse.__all__)  # no public type forgotten in __all__
