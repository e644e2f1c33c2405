"""``mdp.compat`` exports exactly its public names, and the engine imports no I/O library."""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType

import mdp.compat

EXPECTED = {
    "KINDS", "RULES", "Change", "CompatError", "CompatibilityResult", "InvalidSchemaError", "Label", "Mode",
    "Policy", "RemoteRefError", "Rule", "SchemaTooComplexError", "UnknownModeError", "check", "check_all",
    "classify", "diff", "is_allowed",
}  # fmt: skip


def test_all_lists_exactly_the_public_names() -> None:
    assert set(mdp.compat.__all__) == EXPECTED
    assert all(hasattr(mdp.compat, name) for name in EXPECTED)
    others = {
        name for name, value in vars(mdp.compat).items() if not name.startswith("_") and name not in EXPECTED
    }
    assert all(isinstance(vars(mdp.compat)[name], ModuleType) for name in others), others


def test_importing_the_engine_loads_no_io_library() -> None:
    code = (
        "import sys, mdp; before = set(sys.modules); import mdp.compat; "
        "loaded = set(sys.modules) - before; "
        "print(sorted(m for m in loaded if m.split('.')[0] in "
        "{'httpx', 'sqlalchemy', 'fastapi', 'asyncio', 'socket', 'redis', 'urllib', 'http', 'typer'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
