"""Errors of the contracts package."""

from __future__ import annotations

from mdp.errors import MdpError


class ContractError(MdpError):
    """Root of the contracts package's errors."""


class CanonicalizationError(ContractError, ValueError):
    """The content is not JSON that can be canonicalised (bad text, NaN, non-string keys, too deep)."""


class UnknownContractError(ContractError, KeyError):
    """No bundled contract has that (track, name)."""


__all__ = ["CanonicalizationError", "ContractError", "UnknownContractError"]
