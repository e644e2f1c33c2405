"""``PulseConfig``: the plain description of a bus, as the seed documents build it.

``PulseConfig(enabled=True, backend='inmem')`` is what the drift reporter (and any tool) is handed; it makes
the bus with :meth:`PulseConfig.create_bus`. Services build it from their settings with
:meth:`PulseConfig.from_settings` (``PULSE_ENABLED``, ``EVENT_BUS_BACKEND``, ``MDP_REDIS_URL`` and the
``MDP_PULSE_*`` knobs). The in-memory backend uses the process-wide :func:`~mdp.pulse.memory.shared_broker`,
so every service of one process that builds its bus this way shares the same streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from prometheus_client import CollectorRegistry

from mdp.errors import ConfigurationError
from mdp.pulse.base import EventBus
from mdp.pulse.settings import PulseSettings
from mdp.settings import BusBackend, MdpSettings


@dataclass(frozen=True, slots=True)
class PulseConfig:
    """Which bus to use and how it delivers; defaults match :class:`~mdp.pulse.settings.PulseSettings`."""

    enabled: bool = True
    backend: str = "inmem"
    redis_url: str = "redis://127.0.0.1:6379/0"
    prefix: str = ""
    max_deliveries: int = 5
    claim_idle_ms: int = 30_000
    maxlen: int = 1_000_000
    retry_base_ms: int = 100
    retry_max_ms: int = 5_000
    retry_attempts: int = 5
    source: str = "mdp"

    def __post_init__(self) -> None:
        if self.backend not in get_args(BusBackend):
            raise ConfigurationError(
                f"EVENT_BUS_BACKEND: unknown backend {self.backend!r}; expected one of {get_args(BusBackend)}"
            )

    @classmethod
    def from_settings(cls, settings: MdpSettings, *, source: str = "mdp") -> PulseConfig:
        """The config a service's settings describe (``MdpSettings`` alone gets the Pulse defaults)."""
        pulse = settings if isinstance(settings, PulseSettings) else PulseSettings.model_construct()
        return cls(
            enabled=settings.pulse_enabled,
            backend=settings.event_bus_backend,
            redis_url=settings.redis_url,
            prefix=pulse.pulse_prefix,
            max_deliveries=pulse.pulse_max_deliveries,
            claim_idle_ms=pulse.pulse_claim_idle_ms,
            maxlen=pulse.pulse_maxlen,
            retry_base_ms=pulse.pulse_reconnect_base_ms,
            retry_max_ms=pulse.pulse_reconnect_max_ms,
            retry_attempts=pulse.pulse_reconnect_attempts,
            source=source,
        )

    def create_bus(self, *, metrics_registry: CollectorRegistry | None = None) -> EventBus:
        """A new (not yet started) bus for this config; ``enabled`` does not matter here (data path)."""
        if self.backend == "redis":
            from mdp.pulse.redis import RedisBus  # redis is an optional extra: import on use

            return RedisBus(
                self.redis_url,
                prefix=self.prefix,
                max_deliveries=self.max_deliveries,
                claim_idle_ms=self.claim_idle_ms,
                maxlen=self.maxlen,
                source=self.source,
                metrics_registry=metrics_registry,
                retry_base_ms=self.retry_base_ms,
                retry_max_ms=self.retry_max_ms,
                retry_attempts=self.retry_attempts,
            )
        from mdp.pulse.memory import InMemoryBus, shared_broker

        return InMemoryBus(
            broker=shared_broker(),
            prefix=self.prefix,
            max_deliveries=self.max_deliveries,
            claim_idle_ms=self.claim_idle_ms,
            maxlen=self.maxlen,
            source=self.source,
            metrics_registry=metrics_registry,
            retry_base_ms=self.retry_base_ms,
            retry_max_ms=self.retry_max_ms,
        )


__all__ = ["PulseConfig"]
