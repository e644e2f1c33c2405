"""Errors of the orchestrator package (root: :class:`OrchestratorError`)::

MdpError
└── OrchestratorError
    ├── OrchestratorUnavailable   no usable answer from the orchestrator (down, timeout, not JSON)
    └── OrchestratorRefused       the orchestrator answered with an error envelope (bad window, ...)
"""

# ruff: noqa: N818 - Unavailable / Refused read as what happened, like mdp.client's errors

from __future__ import annotations

from mdp.errors import MdpError


class OrchestratorError(MdpError):
    """Root of every error the orchestrator package raises on purpose."""


class OrchestratorUnavailable(OrchestratorError):
    """The orchestrator could not be reached or gave no usable answer."""


class OrchestratorRefused(OrchestratorError):
    """The orchestrator answered with an error envelope; ``status`` and ``error_code`` say which."""

    def __init__(self, message: str, *, status: int, error_code: int | None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


__all__ = ["OrchestratorError", "OrchestratorRefused", "OrchestratorUnavailable"]
