"""JSON Schema compatibility: diff, modes, policies and explanations (pure: no I/O).

Public API (implemented by issue 3):

* ``diff(old, new) -> list[Change]``
* ``check(old, new, mode="BACKWARD", policy="STRICT") -> CompatibilityResult``
* ``check_all(history, new, mode, policy) -> CompatibilityResult`` for the transitive modes
"""

from mdp.compat.errors import CompatError, InvalidSchemaError, RemoteRefError
from mdp.compat.model import Change, CompatibilityResult, Label, Mode, Policy

__all__ = [
    "Change",
    "CompatError",
    "CompatibilityResult",
    "InvalidSchemaError",
    "Label",
    "Mode",
    "Policy",
    "RemoteRefError",
]
