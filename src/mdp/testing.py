"""pytest plugin: contract tests that assert a service's schema fixtures match the registry.

Installed with mdp (entry point ``pytest11: mdp = mdp.testing``), so any test suite can write the seeds'
``tests/contracts`` check in two lines::

    def test_fixtures_match_registry(mdp_schema_drift):
        mdp_schema_drift("tests/fixtures/schemas", track="v1")          # fail_on="any" by default

    # or without the fixture
    from mdp.testing import assert_schemas_match_registry
    assert_schemas_match_registry("tests/fixtures/schemas", "v1", registry_url="http://registry:8081")

The registry comes from ``--mdp-registry-url``, else ``REGISTRY_URL`` (default ``http://127.0.0.1:8081``);
the default track from ``REGISTRY_TRACK``. A drift that ``fail_on`` selects raises
:class:`SchemaDriftError` (an ``AssertionError``, so pytest reports it as a test failure) listing every
failing schema and its changes. An unreachable registry raises the client's ``RegistryUnavailable``: the
test errors, it never passes as "in sync". ``REGISTRY_ENABLED=false`` (the seeds' rollback) skips the test.
The helpers work in sync and async tests alike.

The plugin does nothing unless used: it adds one command-line option and three fixtures, imports nothing
heavy at start-up (mdp's drift modules are imported on first use) and emits no warnings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mdp.client import SyncRegistryClient
    from mdp.drift.check import DriftCheck
    from mdp.drift.compare import SchemaComparison


class SchemaDriftError(AssertionError):
    """Local schema fixtures do not match the registry; ``check`` is the full :class:`DriftCheck`."""

    def __init__(self, message: str, check: DriftCheck) -> None:
        super().__init__(message)
        self.check = check


def _describe(item: SchemaComparison) -> list[str]:
    label = f" ({item.label})" if item.label is not None else ""
    local = f"{item.local_version or '?'} ({(item.local_sha256 or '-')[:12]})"
    registry = f"{item.registry_version or '?'} ({(item.registry_sha256 or '-')[:12]})"
    lines = [f"  {item.name}: {item.status}{label}; local {local}, registry {registry}"]
    if item.classification is not None:
        if item.classification.error:
            lines.append(f"      {item.classification.error}")
        for change in item.classification.changes:
            marker = "BREAKS" if change.breaking else "ok    "
            lines.append(f"      {marker} {change.kind} at {change.path}: {change.message}")
    return lines


def assert_schemas_match_registry(
    schema_dir: str | Path,
    track: str | None = None,
    registry_url: str | None = None,
    fail_on: str = "any",
    *,
    require_all: bool = False,
    timeout: float = 10.0,
) -> DriftCheck:
    """Check ``schema_dir`` (``<name>.json`` files) against ``track`` of the registry; return the check.

    Raises :class:`SchemaDriftError` when schemas fail under ``fail_on`` (``any`` / ``breaking`` /
    ``never``, as ``mdp drift check --fail-on``), the client's ``RegistryUnavailable`` when the registry
    does not answer, and ``LocalSchemaError`` for an unusable directory or file.
    """
    import time

    from mdp.drift.check import check_registry, run_sync
    from mdp.drift.compare import FAIL_ON
    from mdp.drift.local import load_schema_dir
    from mdp.settings import MdpSettings, load_settings

    if fail_on not in FAIL_ON:
        raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    settings = load_settings(MdpSettings, registry_url=registry_url, registry_track=track)
    if not settings.registry_enabled:
        pytest.skip("REGISTRY_ENABLED=false: registry contract checks are skipped")
    local = load_schema_dir(Path(schema_dir), settings.registry_track)
    result = run_sync(
        check_registry(
            settings.registry_url,
            settings.registry_track,
            local.schemas,
            now=time.time(),
            ignored=local.ignored,
            request_timeout=timeout,
        )
    )
    failing = result.failing(fail_on, require_all=require_all)
    if failing:
        lines = [
            f"{len(failing)} schema(s) in {schema_dir} do not match track {result.track} of "
            f"{result.registry_url} (fail_on={fail_on}):"
        ]
        for item in failing:
            lines.extend(_describe(item))
        lines.append(f"Fix: mdp schemas fetch --track {result.track} --output {schema_dir}")
        raise SchemaDriftError("\n".join(lines), result)
    return result


# -- the pytest plugin ---------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mdp", "mdp schema registry")
    group.addoption(
        "--mdp-registry-url",
        dest="mdp_registry_url",
        default=None,
        help="Registry used by the mdp_* fixtures (default: REGISTRY_URL, else http://127.0.0.1:8081).",
    )


@pytest.fixture
def mdp_registry_url(request: pytest.FixtureRequest) -> str:
    """The registry URL the mdp fixtures use (``--mdp-registry-url``, else ``REGISTRY_URL``)."""
    from mdp.settings import MdpSettings, load_settings

    explicit = request.config.getoption("mdp_registry_url", default=None)
    return load_settings(MdpSettings, registry_url=explicit).registry_url


@pytest.fixture
def mdp_registry_client(mdp_registry_url: str) -> Iterator[SyncRegistryClient]:
    """A blocking registry client (memory-only cache) for the test; closed afterwards."""
    from mdp.client import SyncRegistryClient

    with SyncRegistryClient(mdp_registry_url) as client:
        yield client


@pytest.fixture
def mdp_schema_drift(mdp_registry_url: str) -> Callable[..., DriftCheck]:
    """``mdp_schema_drift(schema_dir, track=None, fail_on="any", **kw)``: see
    :func:`assert_schemas_match_registry` (the registry is the fixture's)."""

    def check(
        schema_dir: str | Path, track: str | None = None, fail_on: str = "any", **kw: Any
    ) -> DriftCheck:
        return assert_schemas_match_registry(
            schema_dir, track, registry_url=mdp_registry_url, fail_on=fail_on, **kw
        )

    return check


__all__ = [
    "SchemaDriftError",
    "assert_schemas_match_registry",
    "mdp_registry_client",
    "mdp_registry_url",
    "mdp_schema_drift",
    "pytest_addoption",
]
