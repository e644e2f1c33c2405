"""``promtool`` for the deploy tests: on PATH (CI puts .ci/bin there) or at ``<repo>/.ci/bin/promtool``.

Missing promtool skips with the reason, unless ``MDP_REQUIRE_SERVICES=1``, where it fails
(``bash .ci/tools.sh`` unpacks it from Debian's prometheus package).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import services_required
from tests.deploy.metric_names import REPO


def find_promtool() -> str | None:
    found = shutil.which("promtool")
    if found:
        return found
    local = REPO / ".ci" / "bin" / "promtool"
    return str(local) if local.is_file() else None


@pytest.fixture
def promtool() -> str:
    path = find_promtool()
    if path is None:
        message = "promtool not found on PATH or in .ci/bin (run: bash .ci/tools.sh)"
        if services_required():
            pytest.fail(f"{message} and MDP_REQUIRE_SERVICES=1")
        pytest.skip(message)
    return path


@pytest.fixture
def deploy_dir() -> Path:
    return REPO / "deploy"
