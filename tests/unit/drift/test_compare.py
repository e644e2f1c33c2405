"""The pure drift comparison: statuses, classification direction and mode, CI verdicts, track comparison."""

from __future__ import annotations

from typing import Any

import pytest

from mdp.contracts import DriftClassification, compute_sha256
from mdp.contracts.bundled import bundled_schema
from mdp.drift.compare import (
    MAX_VALUE_BYTES,
    DriftStatus,
    LocalSchema,
    RegistrySchema,
    classify_all,
    classify_drift,
    compare_schemas,
    contents_needed,
    failing,
    fit_changes,
    overall_status,
    summarize,
    version_of_sha,
    with_local_versions,
)
from mdp.drift.tracks import compare_tracks, track_contents_needed


def closed(**properties: Any) -> dict[str, Any]:
    props = {"id": {"type": "string"}, **properties}
    return {"type": "object", "properties": props, "required": ["id"], "additionalProperties": False}


def local(name: str, content: Any, version: str | None = None) -> LocalSchema:
    return LocalSchema(name, compute_sha256(content), version, content)


def remote(name: str, content: Any, version: str = "1.0.0") -> RegistrySchema:
    return RegistrySchema(name, compute_sha256(content), version)


BASE = closed()
WITH_OPTIONAL = closed(qty={"type": "integer"})
WITH_REQUIRED = {**WITH_OPTIONAL, "required": ["id", "qty"]}
DOCS = {**BASE, "description": "An order id."}


def test_every_status_and_sorted_by_name() -> None:
    mine = {
        "b.Synced": local("b.Synced", BASE, "1.0.0"),
        "a.Drift": local("a.Drift", BASE),
        "c.Mine": local("c.Mine", BASE),
    }
    theirs = {
        "b.Synced": remote("b.Synced", BASE),
        "a.Drift": remote("a.Drift", WITH_OPTIONAL, "1.1.0"),
        "d.Theirs": remote("d.Theirs", DOCS, "2.0.0"),
    }
    result = compare_schemas(mine, theirs)
    assert [(item.name, item.status) for item in result] == [
        ("a.Drift", DriftStatus.DRIFT),
        ("b.Synced", DriftStatus.SYNCED),
        ("c.Mine", DriftStatus.MISSING_IN_REGISTRY),
        ("d.Theirs", DriftStatus.MISSING_LOCALLY),
    ]
    drift, synced, mine_only, theirs_only = result
    assert drift.local_sha256 == compute_sha256(BASE)
    assert drift.registry_sha256 == compute_sha256(WITH_OPTIONAL)
    assert drift.registry_version == "1.1.0"
    assert drift.local_version is None
    assert synced.local_version == "1.0.0"
    assert mine_only.registry_sha256 is None
    assert mine_only.label is DriftClassification.UNKNOWN
    assert theirs_only.local_sha256 is None
    assert theirs_only.label is None, "a schema the service does not hold is not a drift of the service"
    assert [item.drifted for item in result] == [True, False, True, False]


def test_a_synced_copy_without_version_takes_the_registry_version() -> None:
    [item] = compare_schemas({"x.A": local("x.A", BASE)}, {"x.A": remote("x.A", BASE, "3.2.1")})
    assert item.status is DriftStatus.SYNCED
    assert item.local_version == "3.2.1"


def test_key_order_and_formatting_are_not_drift() -> None:
    reordered = dict(reversed(list(BASE.items())))
    [item] = compare_schemas({"x.A": local("x.A", reordered)}, {"x.A": remote("x.A", BASE)})
    assert item.status is DriftStatus.SYNCED


@pytest.mark.parametrize(
    ("old", "new", "label", "compatible"),
    [
        (BASE, WITH_OPTIONAL, DriftClassification.SAFE, True),
        (BASE, DOCS, DriftClassification.DOCS_ONLY, True),
        (WITH_OPTIONAL, WITH_REQUIRED, DriftClassification.BREAKING, False),
    ],
)
def test_classification_labels(old: Any, new: Any, label: DriftClassification, compatible: bool) -> None:
    result = classify_drift(old, new)
    assert result.label is label
    assert result.compatible is compatible
    assert (result.mode, result.policy) == ("FULL", "LENIENT")
    assert result.changes, "a drift between different schemas lists its changes"


def test_direction_is_local_old_registry_new() -> None:
    # The registry removed optional field qty: the changes read "local -> registry".
    result = classify_drift(WITH_OPTIONAL, BASE)
    kinds = {(change.kind, change.path) for change in result.changes if not change.breaking}
    assert any("REMOVED" in kind and path.endswith("/qty") for kind, path in kinds)
    forward = classify_drift(BASE, WITH_OPTIONAL)
    assert not any("REMOVED" in change.kind and not change.breaking for change in forward.changes)


def test_mode_decides_the_verdict() -> None:
    # Dropping a closed-model property: BACKWARD (new readers of old data) breaks under STRICT...
    assert classify_drift(WITH_OPTIONAL, BASE, "BACKWARD", "STRICT").label is DriftClassification.BREAKING
    # ...while a NONE track is still labelled as FULL would judge it, but compatible.
    none = classify_drift(WITH_OPTIONAL, WITH_REQUIRED, "NONE", "LENIENT")
    assert none.label is DriftClassification.BREAKING
    assert none.compatible is True
    assert none.mode == "NONE"


def test_breaking_changes_found_only_in_reverse_are_listed_and_flagged() -> None:
    result = classify_drift(WITH_REQUIRED, WITH_OPTIONAL, "FULL", "LENIENT")  # FORWARD breaks
    assert result.label is DriftClassification.BREAKING
    assert any(change.breaking for change in result.changes)


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        (None, BASE, "local content is not at hand"),
        (BASE, None, "registry content is not at hand"),
        ({"properties": {"x": {"$ref": "https://example.com/x.json"}}}, BASE, "cannot compare"),
        ({"type": 12}, BASE, "cannot compare"),
    ],
)
def test_unclassifiable_pairs_are_unknown_never_raised(old: Any, new: Any, fragment: str) -> None:
    result = classify_drift(old, new)
    assert result.label is DriftClassification.UNKNOWN
    assert result.error is not None
    assert fragment in result.error
    assert result.compatible is None


def test_boolean_schemas_are_contents_not_absence() -> None:
    assert classify_drift(False, BASE).label is not DriftClassification.UNKNOWN


def test_classify_all_uses_contents_by_sha_and_only_touches_drifts() -> None:
    mine = {"x.A": local("x.A", WITH_OPTIONAL), "x.B": local("x.B", BASE)}
    theirs = {"x.A": remote("x.A", WITH_REQUIRED, "2.0.0"), "x.B": remote("x.B", BASE)}
    comparisons = compare_schemas(mine, theirs)
    assert contents_needed(comparisons) == [compute_sha256(WITH_REQUIRED)]
    classified = classify_all(comparisons, mine, {compute_sha256(WITH_REQUIRED): WITH_REQUIRED})
    assert classified[0].label is DriftClassification.BREAKING
    assert classified[1].classification is None
    missing = classify_all(comparisons, mine, {})
    assert missing[0].label is DriftClassification.UNKNOWN


def test_summary_status_and_report_entry() -> None:
    mine = {"x.A": local("x.A", WITH_OPTIONAL), "x.B": local("x.B", BASE), "x.C": local("x.C", BASE)}
    theirs = {"x.A": remote("x.A", WITH_REQUIRED), "x.B": remote("x.B", BASE), "x.D": remote("x.D", BASE)}
    comparisons = classify_all(
        compare_schemas(mine, theirs), mine, {compute_sha256(WITH_REQUIRED): WITH_REQUIRED}
    )
    assert summarize(comparisons) == {
        "total_schemas": 4,
        "synced": 1,
        "drifted": 1,
        "missing_in_registry": 1,
        "missing_locally": 1,
        "breaking": 1,
    }
    assert overall_status(comparisons) == "drift"
    assert overall_status(comparisons[1:2]) == "synced"
    assert overall_status(comparisons[2:3]) == "drift", "missing in the registry is a drift"
    assert overall_status(comparisons[1:2] + comparisons[3:]) == "synced", "missing locally is not"
    entry = comparisons[0].to_dict()
    assert entry["schema"] == "x.A"
    assert entry["status"] == "drift"
    assert entry["local_sha"] == compute_sha256(WITH_OPTIONAL)
    assert entry["registry_sha"] == compute_sha256(WITH_REQUIRED)
    assert entry["classification"] == "breaking"
    assert entry["compatible"] is False
    assert any(change["breaking"] for change in entry["changes"])


def test_fail_on() -> None:
    mine = {
        "x.Breaking": local("x.Breaking", WITH_OPTIONAL),
        "x.Safe": local("x.Safe", BASE),
        "x.Unknown": local("x.Unknown", BASE),
        "x.Mine": local("x.Mine", BASE),
        "x.Synced": local("x.Synced", BASE),
    }
    theirs = {
        "x.Breaking": remote("x.Breaking", WITH_REQUIRED),
        "x.Safe": remote("x.Safe", WITH_OPTIONAL),
        "x.Unknown": remote("x.Unknown", DOCS),
        "x.Synced": remote("x.Synced", BASE),
        "x.Theirs": remote("x.Theirs", BASE),
    }
    contents = {compute_sha256(WITH_REQUIRED): WITH_REQUIRED, compute_sha256(WITH_OPTIONAL): WITH_OPTIONAL}
    comparisons = classify_all(compare_schemas(mine, theirs), mine, contents)

    def names(fail_on: str, **kw: bool) -> list[str]:
        return [item.name for item in failing(comparisons, fail_on, **kw)]

    assert names("any") == ["x.Breaking", "x.Mine", "x.Safe", "x.Unknown"]
    assert names("any", require_all=True) == ["x.Breaking", "x.Mine", "x.Safe", "x.Theirs", "x.Unknown"]
    assert names("breaking") == ["x.Breaking", "x.Mine", "x.Unknown"]
    assert names("never") == []
    with pytest.raises(ValueError, match="fail_on"):
        failing(comparisons, "sometimes")


def test_local_versions_from_history() -> None:
    history = [("1.0.0", "a"), ("1.1.0", "b"), ("2.0.0", "a"), ("2.1.0", "c")]
    assert version_of_sha(history, "a") == "2.0.0", "the newest version with that content"
    assert version_of_sha(history, "z") is None
    comparisons = compare_schemas({"x.A": local("x.A", BASE)}, {"x.A": remote("x.A", DOCS)})
    filled = with_local_versions(comparisons, {"x.A": "1.0.0"})
    assert filled[0].local_version == "1.0.0"
    kept = with_local_versions(compare_schemas({"x.A": local("x.A", BASE, "0.9.0")}, {}), {"x.A": "1.0.0"})
    assert kept[0].local_version == "0.9.0"


def test_large_values_are_replaced_by_placeholders() -> None:
    huge = {
        "type": "object",
        "properties": {f"p{i}": {"type": "string", "description": "x" * 50} for i in range(100)},
    }
    result = classify_drift(closed(big=huge), BASE)
    [removed] = [change for change in result.changes if change.path.endswith("/big")]
    assert isinstance(removed.old, str)
    assert "omitted" in removed.old
    small = [change for change in classify_drift(BASE, WITH_OPTIONAL).changes if change.new is not None]
    assert small[0].new == {"type": "integer"}
    assert len(str(removed.old)) < MAX_VALUE_BYTES


def test_fit_changes_keeps_breaking_first_within_budget() -> None:
    result = classify_drift(
        closed(**{f"f{i}": {"type": "string"} for i in range(50)}),
        {**closed(**{f"g{i}": {"type": "string"} for i in range(50)}), "required": ["id", "g0"]},
    )
    kept, dropped = fit_changes(result.changes, max_count=10)
    assert len(kept) == 10
    assert dropped == len(result.changes) - 10
    assert kept[0].breaking
    budget, dropped_by_size = fit_changes(result.changes, max_bytes=1000)
    assert 1 <= len(budget) < len(result.changes)
    assert dropped_by_size == len(result.changes) - len(budget)


def test_compare_tracks_with_the_real_v1_v2_migration() -> None:
    v1, v2 = bundled_schema("v1", "md.Bar"), bundled_schema("v2", "md.Bar")
    quote = bundled_schema("v1", "md.Quote")
    old = {
        "md.Bar": remote("md.Bar", v1),
        "md.Quote": remote("md.Quote", quote),
        "x.Old": remote("x.Old", BASE),
    }
    new = {
        "md.Bar": remote("md.Bar", v2),
        "md.Quote": remote("md.Quote", quote),
        "x.New": remote("x.New", BASE),
    }
    assert set(track_contents_needed(old, new)) == {compute_sha256(v1), compute_sha256(v2)}
    result = {
        item.name: item for item in compare_tracks(old, new, {compute_sha256(v1): v1, compute_sha256(v2): v2})
    }
    assert result["md.Bar"].status == "changed"
    bar = result["md.Bar"].classification
    assert bar is not None
    assert bar.label is DriftClassification.BREAKING
    assert any(change.breaking and "venue" in change.path for change in bar.changes)
    assert result["md.Quote"].status == "identical"
    assert result["x.Old"].status == "only_in_old"
    assert result["x.New"].status == "only_in_new"
    assert result["md.Bar"].to_dict()["classification"] == "breaking"
