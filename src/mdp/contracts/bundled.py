"""Read the JSON Schemas bundled with the package (``schemas/<track>/<name>.json``).

Reading package data is the only I/O in ``mdp.contracts``; it goes through ``importlib.resources`` so it
works from a wheel, a zip or a source tree.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import orjson

from mdp.contracts.catalog import CONTRACTS
from mdp.contracts.errors import UnknownContractError


@cache
def _raw(track: str, name: str) -> bytes:
    if track not in CONTRACTS or name not in CONTRACTS[track]:
        raise UnknownContractError(f"no bundled contract {track}/{name}")
    return resources.files("mdp.contracts").joinpath("schemas", track, f"{name}.json").read_bytes()


def bundled_schema(track: str, name: str) -> dict[str, Any]:
    """A fresh copy of the bundled schema for ``track``/``name``."""
    value: dict[str, Any] = orjson.loads(_raw(track, name))
    return value


def bundled_track(track: str) -> dict[str, dict[str, Any]]:
    """Every bundled schema of ``track``, keyed by name."""
    if track not in CONTRACTS:
        raise UnknownContractError(f"no bundled track {track}")
    return {name: bundled_schema(track, name) for name in sorted(CONTRACTS[track])}


__all__ = ["bundled_schema", "bundled_track"]
