"""The root of every exception mdp raises on purpose.

Each bounded context has its own ``errors.py`` whose root derives from :class:`MdpError`, so callers can
catch everything mdp raises with one ``except MdpError`` and third-party exceptions never leak through an
adapter edge (they are translated with ``raise OurError(...) from exc``)::

    MdpError
    ├── ConfigurationError             bad settings, named by variable (mdp.settings)
    ├── contracts.ContractError        canonicalisation / contract loading
    │   └── CanonicalizationError
    ├── compat.CompatError             schema cannot be compared (remote $ref, bad schema)
    ├── registry.RegistryError         registry use cases (not found, incompatible, invalid)
    ├── client.ClientError             SDK (RegistryUnavailable, ...)
    ├── pulse.PulseError               event bus (connection, serialisation)
    ├── enforcement.EnforcementError   (SchemaValidationError, SchemaUnavailable)
    ├── store.StoreError               bar storage
    ├── drift.DriftError               drift comparison / reports
    └── orchestrator.OrchestratorError orchestrator client (OrchestratorUnavailable, OrchestratorRefused)
"""

from __future__ import annotations


class MdpError(Exception):
    """Base class of every error raised deliberately by mdp."""


class ConfigurationError(MdpError):
    """A setting is missing or invalid; the message names the environment variable."""


__all__ = ["ConfigurationError", "MdpError"]
