"""Publish the contracts bundled with mdp (tracks v1 and v2) into a registry, idempotently.

Two ways in: :func:`seed_storage` publishes through a :class:`~mdp.registry.service.RegistryService`
in-process (``mdp up``), :func:`seed_over_http` through the native API (``mdp registry seed``). Both
publish every bundled schema; an identical schema is a no-op, so a second run creates nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from mdp.contracts.bundled import bundled_track
from mdp.contracts.catalog import TRACKS
from mdp.registry.errors import RegistryError, StorageError
from mdp.registry.service import RegistryService


class SeedError(RegistryError):
    """The registry could not be reached, refused the credentials, or failed (not a schema verdict)."""


@dataclass
class SeedReport:
    """What seeding did, per ``track/name``."""

    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def to_dict(self) -> dict[str, Any]:
        return {"created": self.created, "unchanged": self.unchanged, "rejected": self.rejected}


def bundled_contracts() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(track, name, schema)`` for every bundled contract, tracks in order, names sorted."""
    for track in TRACKS:
        for name, schema in bundled_track(track).items():
            yield track, name, schema


def seed_storage(service: RegistryService) -> SeedReport:
    """Publish every bundled contract through ``service``; schema verdicts are reported, not raised."""
    report = SeedReport()
    for track, name, schema in bundled_contracts():
        key = f"{track}/{name}"
        try:
            outcome = service.publish(track, name, schema)
        except StorageError:
            raise
        except RegistryError as exc:
            report.rejected[key] = str(exc)
            continue
        (report.created if outcome.created else report.unchanged).append(key)
    return report


def seed_over_http(
    registry_url: str, token: str, *, client: httpx.Client | None = None, timeout: float = 10.0
) -> SeedReport:
    """Publish every bundled contract through the registry's HTTP API.

    Raises :class:`SeedError` when the registry is unreachable, rejects the token, or answers 5xx.
    """
    report = SeedReport()
    headers = {"Authorization": f"Bearer {token}"}
    owned = client is None
    http = client if client is not None else httpx.Client(base_url=registry_url.rstrip("/"), timeout=timeout)
    try:
        for track, name, schema in bundled_contracts():
            key = f"{track}/{name}"
            try:
                response = http.post(f"/schemas/{track}/{name}", json={"content": schema}, headers=headers)
            except httpx.HTTPError as exc:
                raise SeedError(f"registry at {registry_url} is unreachable: {exc}") from exc
            if response.status_code == 201:
                report.created.append(key)
            elif response.status_code == 200:
                report.unchanged.append(key)
            elif response.status_code in (401, 403):
                raise SeedError(
                    f"registry refused the admin token ({response.status_code}): {_message(response)}"
                )
            elif response.status_code >= 500:
                raise SeedError(f"registry failed on {key} ({response.status_code}): {_message(response)}")
            else:
                report.rejected[key] = f"{response.status_code}: {_message(response)}"
    finally:
        if owned:
            http.close()
    return report


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("message", body)) if isinstance(body, dict) else str(body)[:200]


__all__ = ["SeedError", "SeedReport", "bundled_contracts", "seed_over_http", "seed_storage"]
