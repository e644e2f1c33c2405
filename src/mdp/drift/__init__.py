"""Drift detection: do a service's local schema copies still match the registry? (see ``docs/drift.md``)

* ``compare.py``: pure. Statuses (synced / drift / missing_in_registry / missing_locally), the
  classification via ``mdp.compat``, CI verdicts. ``tracks.py``: pure, the multi-track comparison.
* ``reporter.py``: ``DriftReporter`` + ``SchemaSnapshot`` (the seeds' API): metrics and
  ``telemetry.schema_drift`` / ``telemetry.schema_drift_resolved`` events, fail-open.
* ``check.py``: one check of a track (the registry reads around the comparison) and the JSON report.
* ``local.py``: local copies (a ``<name>.json`` directory and its manifest, or the bundled contracts),
  path safety.
* ``fetch.py``: ``mdp schemas fetch`` (atomic writes, manifest, local edits never silently overwritten).
* ``watcher.py``: ``DriftWatcher`` and ``drift_worker(...)``, the runtime check every DRIFT_CHECK_SECONDS.
* ``metrics.py``, ``settings.py``, ``errors.py``: metrics factory, ``DriftSettings``, the error tree.
"""

from mdp.drift.check import DriftCheck, check_drift, check_registry, complete_check, error_report
from mdp.drift.compare import (
    Classification,
    DriftStatus,
    FailOn,
    LocalSchema,
    RegistrySchema,
    SchemaComparison,
    classify_drift,
    compare_schemas,
)
from mdp.drift.errors import DriftError, FetchConflict, LocalSchemaError, UnsafeSchemaName
from mdp.drift.local import LocalSchemas, bundled_schemas, load_schema_dir
from mdp.drift.metrics import DriftMetrics, drift_metrics
from mdp.drift.reporter import DriftReporter, SchemaSnapshot
from mdp.drift.settings import DriftSettings
from mdp.drift.tracks import TrackComparison, compare_tracks
from mdp.drift.watcher import DriftWatcher, DriftWorker, drift_worker

__all__ = [
    "Classification",
    "DriftCheck",
    "DriftError",
    "DriftMetrics",
    "DriftReporter",
    "DriftSettings",
    "DriftStatus",
    "DriftWatcher",
    "DriftWorker",
    "FailOn",
    "FetchConflict",
    "LocalSchema",
    "LocalSchemaError",
    "LocalSchemas",
    "RegistrySchema",
    "SchemaComparison",
    "SchemaSnapshot",
    "TrackComparison",
    "UnsafeSchemaName",
    "bundled_schemas",
    "check_drift",
    "check_registry",
    "classify_drift",
    "compare_schemas",
    "compare_tracks",
    "complete_check",
    "drift_metrics",
    "drift_worker",
    "error_report",
    "load_schema_dir",
]
