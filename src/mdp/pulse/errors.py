"""Errors of the Pulse event bus.

Redis exceptions never leave :mod:`mdp.pulse.redis`: they are translated here at the adapter edge::

    PulseError(MdpError)              root of everything the bus raises on purpose
    ├── EnvelopeError(ValueError)     not a valid envelope (decoding), or cannot be encoded
    ├── BusUnavailable                the backend cannot be reached (after the configured reconnect attempts)
    ├── BusClosed                     the bus (or its subscription) was closed
    ├── GroupNotFound(KeyError)       read/ack on a consumer group that does not exist
    ├── InvalidEntryId(ValueError)    an entry id that is not "<ms>-<seq>" (or "-", "+", "$" where allowed)
    └── MissingDependency(ImportError) the ``redis`` extra is not installed

The names follow the brief every adapter was written against (``BusUnavailable``, not
``BusUnavailableError``), hence the N818 exemptions.
"""

from __future__ import annotations

from mdp.errors import MdpError


class PulseError(MdpError):
    """Root of the event bus errors."""


class EnvelopeError(PulseError, ValueError):
    """The bytes are not a valid envelope (bad JSON, wrong keys or types, too large)."""


class BusUnavailable(PulseError):  # noqa: N818
    """The backend cannot be reached; the data path raises this, telemetry swallows it."""


class BusClosed(PulseError):  # noqa: N818
    """The bus was closed; no further calls are accepted."""


class GroupNotFound(PulseError, KeyError):  # noqa: N818
    """The consumer group (or its stream) does not exist; call ``ensure_group`` first."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "consumer group not found"


class InvalidEntryId(PulseError, ValueError):  # noqa: N818
    """An entry id argument is not ``<ms>``, ``<ms>-<seq>`` (or ``-``/``+``/``$`` where allowed)."""


class MissingDependency(PulseError, ImportError):  # noqa: N818
    """An optional dependency of a backend is not installed; the message names the extra."""


__all__ = [
    "BusClosed",
    "BusUnavailable",
    "EnvelopeError",
    "GroupNotFound",
    "InvalidEntryId",
    "MissingDependency",
    "PulseError",
]
