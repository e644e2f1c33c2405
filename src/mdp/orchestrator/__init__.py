"""The orchestrator: drift aggregation, warn -> strict readiness and the Schema Health page.

It consumes ``telemetry.schema_drift``, ``telemetry.schema_drift_resolved``, ``telemetry.validation`` and
``telemetry.feedback`` from Pulse (group ``orchestrator``). The pure parts: :mod:`.aggregator` (drift state
machine), :mod:`.ledger` (validation counts), :mod:`.readiness` (go/no-go), :mod:`.backpressure`,
:mod:`.state` and :mod:`.durations`; :mod:`.consumer` feeds them, :mod:`.app` serves them. See
``docs/orchestrator.md``.
"""

from mdp.orchestrator.aggregator import DriftAggregator, DriftKey, DriftState, Episode
from mdp.orchestrator.errors import OrchestratorError, OrchestratorRefused, OrchestratorUnavailable
from mdp.orchestrator.ledger import ValidationLedger
from mdp.orchestrator.readiness import ReadinessReport, Verdict, evaluate
from mdp.orchestrator.settings import OrchestratorSettings
from mdp.orchestrator.state import OrchestratorState, Outcome

__all__ = [
    "DriftAggregator",
    "DriftKey",
    "DriftState",
    "Episode",
    "OrchestratorError",
    "OrchestratorRefused",
    "OrchestratorSettings",
    "OrchestratorState",
    "OrchestratorUnavailable",
    "Outcome",
    "ReadinessReport",
    "ValidationLedger",
    "Verdict",
    "evaluate",
]
