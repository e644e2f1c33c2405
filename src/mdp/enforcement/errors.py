"""Errors of the enforcement package.

::

    EnforcementError                 root (derives from mdp.errors.MdpError)
    ├── SchemaValidationError        strict mode rejected a message (raised by Enforcer.check); carries
    │                                the verdict: reason, errors (path + message) and the schema used
    ├── SchemaUnavailable            no schema can be found for a (track, name): never seen, not cached
    └── InvalidSchema                schema content that does not compile (bad JSON Schema, remote $ref,
                                     sha256 that does not match the content)

The batch API never raises for a bad message: malformed, invalid and unvalidatable messages are
verdicts. Only :meth:`~mdp.enforcement.enforcer.Enforcer.check` turns a strict rejection into an exception.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mdp.errors import MdpError

if TYPE_CHECKING:
    from mdp.enforcement.model import SchemaRef, ValidationIssue, Verdict


class EnforcementError(MdpError):
    """Root of the enforcement package's errors."""


class SchemaValidationError(EnforcementError):
    """Strict mode rejected a message; the verdict says why and against which schema."""

    def __init__(self, verdict: Verdict) -> None:
        detail = (
            f": {verdict.errors[0].path or '(root)'}: {verdict.errors[0].message}" if verdict.errors else ""
        )
        schema = f" against {verdict.schema}" if verdict.schema is not None else ""
        super().__init__(f"{verdict.reason}{schema}{detail}")
        self.verdict = verdict

    @property
    def errors(self) -> tuple[ValidationIssue, ...]:
        return self.verdict.errors

    @property
    def schema(self) -> SchemaRef | None:
        return self.verdict.schema

    @property
    def reason(self) -> str:
        return self.verdict.reason


class SchemaUnavailable(EnforcementError):  # noqa: N818 (the seed's name)
    """No schema is available for the requested (track, name)."""


class InvalidSchema(EnforcementError):  # noqa: N818 (the seed's name)
    """Schema content that cannot be compiled into a validator."""


__all__ = ["EnforcementError", "InvalidSchema", "SchemaUnavailable", "SchemaValidationError"]
