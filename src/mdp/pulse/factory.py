"""``create_bus(settings)``: the bus a service's settings select (``EVENT_BUS_BACKEND=inmem|redis``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from mdp.pulse.base import EventBus
from mdp.pulse.config import PulseConfig
from mdp.settings import MdpSettings


def create_bus(
    settings: MdpSettings, *, source: str = "mdp", metrics_registry: CollectorRegistry | None = None
) -> EventBus:
    """A new, not yet started bus (``await bus.start()`` or ``async with bus``).

    ``inmem`` buses share the process-wide broker; ``redis`` needs the ``redis`` extra.
    """
    return PulseConfig.from_settings(settings, source=source).create_bus(metrics_registry=metrics_registry)


__all__ = ["create_bus"]
