"""Schema enforcement: validate messages against registry schemas and decide forward / dead-letter / skip.

Public API:

* :class:`Enforcer` (``enforce_batch``, ``enforce_columns``, ``enforce_one``, ``check``,
  ``on_schema_change``, ``drain_stats``, ``set_dlq_depth``, runtime ``mode`` / ``enabled``), its
  :class:`Verdict` and :class:`VerdictBatch`;
* :mod:`mdp.enforcement.policy`: the pure decision table and rollback levels;
* :class:`ValidatorCache`: validators compiled once per sha256;
* :class:`SchemaProvider` and its adapters (memory, bundled contracts, and the registry client's cache in
  :mod:`mdp.enforcement.registry`, kept out of this namespace so importing it needs no HTTP stack);
* :func:`enforcement_metrics`: the seed's metrics on an injected registry.

Nothing here depends on Pulse or any transport: verdicts in, the caller routes.
"""

from mdp.enforcement.base import SchemaProvider
from mdp.enforcement.bundled import BundledSchemaProvider
from mdp.enforcement.enforcer import Enforcer
from mdp.enforcement.errors import EnforcementError, InvalidSchema, SchemaUnavailable, SchemaValidationError
from mdp.enforcement.judge import VerdictBatch
from mdp.enforcement.memory import MemorySchemaProvider
from mdp.enforcement.metrics import EnforcementMetrics, enforcement_metrics
from mdp.enforcement.model import Ruling, SchemaRef, ValidationIssue, Verdict
from mdp.enforcement.policy import Decision, decide, rollback_level
from mdp.enforcement.validators import CompiledSchema, ValidatorCache, compile_schema

__all__ = [
    "BundledSchemaProvider",
    "CompiledSchema",
    "Decision",
    "EnforcementError",
    "EnforcementMetrics",
    "Enforcer",
    "InvalidSchema",
    "MemorySchemaProvider",
    "Ruling",
    "SchemaProvider",
    "SchemaRef",
    "SchemaUnavailable",
    "SchemaValidationError",
    "ValidationIssue",
    "ValidatorCache",
    "Verdict",
    "VerdictBatch",
    "compile_schema",
    "decide",
    "enforcement_metrics",
    "rollback_level",
]
