"""Modes, policies, transitive histories, labels and the result's explanation."""

from __future__ import annotations

from typing import Any

import pytest

from mdp.compat import (
    RULES,
    Mode,
    Policy,
    UnknownModeError,
    check,
    check_all,
    classify,
    diff,
    is_allowed,
)

OPEN: dict[str, Any] = {"type": "object", "properties": {"a": {"type": "string"}}}
OPEN_PLUS_B: dict[str, Any] = {
    "type": "object",
    "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
}
CLOSED: dict[str, Any] = {**OPEN, "additionalProperties": False}
CLOSED_PLUS_B: dict[str, Any] = {**OPEN_PLUS_B, "additionalProperties": False}
NARROW = {"type": "integer"}
WIDE = {"type": "number"}


def test_backward_allows_widening_and_forward_rejects_it() -> None:
    assert check(NARROW, WIDE, "BACKWARD").compatible
    forward = check(NARROW, WIDE, "FORWARD")
    assert not forward.compatible
    assert [(c.kind, c.path) for c in forward.breaking] == [("TYPE_NARROWED", "#/type")]
    # FORWARD reads the reversed diff, and says so in its own words.
    assert "written with the new schema" in forward.breaking[0].message
    assert [(c.kind, c.path) for c in forward.changes] == [("TYPE_EXTENDED", "#/type")]


def test_full_is_both_directions() -> None:
    full = check(NARROW, WIDE, "FULL")
    assert not full.compatible
    assert [c.kind for c in full.breaking] == ["TYPE_NARROWED"]
    assert check(NARROW, {"type": "integer", "description": "d"}, "FULL").compatible


def test_none_is_always_compatible_but_still_lists_changes_and_labels_as_full() -> None:
    result = check(WIDE, NARROW, "NONE")
    assert result.compatible
    assert result.breaking == ()
    assert [c.kind for c in result.changes] == ["TYPE_NARROWED"]
    assert result.label == "breaking"
    assert check(NARROW, WIDE, Mode.NONE).label == "breaking"  # FULL judges it


def test_modes_and_policies_accept_strings_in_any_case() -> None:
    assert check(NARROW, WIDE, "backward", "strict").mode is Mode.BACKWARD
    assert check(NARROW, WIDE, " Full ", "lenient").policy is Policy.LENIENT
    with pytest.raises(UnknownModeError, match="sideways"):
        check(NARROW, WIDE, "sideways")
    with pytest.raises(UnknownModeError, match="loose"):
        check(NARROW, WIDE, "BACKWARD", "loose")
    with pytest.raises(ValueError, match="policy"):
        diff(NARROW, WIDE, policy="nope")


def test_policy_decides_open_content_models() -> None:
    assert not check(OPEN, OPEN_PLUS_B, "BACKWARD", "STRICT").compatible
    assert check(OPEN, OPEN_PLUS_B, "BACKWARD", "LENIENT").compatible
    assert check(CLOSED, CLOSED_PLUS_B, "BACKWARD", "STRICT").compatible
    assert not check(CLOSED, CLOSED_PLUS_B, "FULL", "STRICT").compatible
    assert check(CLOSED, CLOSED_PLUS_B, "FULL", "LENIENT").compatible


def test_a_transitive_mode_on_a_single_pair_is_its_base_mode() -> None:
    for mode in ("BACKWARD", "FORWARD", "FULL"):
        single = check(NARROW, WIDE, f"{mode}_TRANSITIVE")
        base = check(NARROW, WIDE, mode)
        assert single.compatible is base.compatible
        assert single.mode is Mode(f"{mode}_TRANSITIVE")


def test_label_docs_only_needs_only_documentation_changes() -> None:
    titled = {**NARROW, "title": "Count", "description": "How many.", "examples": [1], "$comment": "c"}
    assert classify(NARROW, titled) == "docs-only"
    assert classify(NARROW, {**NARROW, "$id": "urn:x"}) == "docs-only"
    assert classify(NARROW, {**NARROW, "deprecated": True}) == "docs-only"
    assert classify(NARROW, {**NARROW, "default": 1}) == "safe"
    assert classify(NARROW, {**NARROW, "readOnly": True}) == "safe"
    assert classify(NARROW, {**NARROW, "title": "x", "default": 1}) == "safe"
    assert classify(NARROW, NARROW) == "safe"
    assert classify(NARROW, WIDE) == "safe"
    assert classify(WIDE, NARROW) == "breaking"
    assert classify(NARROW, WIDE, "FULL") == "breaking"


def test_check_all_transitive_checks_every_version_and_names_the_ones_that_broke() -> None:
    v0 = {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False}
    v1 = {**v0, "properties": {"a": {"type": "number"}}}
    v2 = {**v0, "properties": {"a": {"type": "number", "maximum": 10}}}
    history = [v0, v1]
    result = check_all(history, v2, "BACKWARD_TRANSITIVE")
    assert not result.compatible
    assert [(c.kind, c.path) for c in result.breaking] == [("MAXIMUM_ADDED", "#/properties/a/maximum")]
    assert [d.split(" (")[0] for d in result.details] == [
        "incompatible with version index 1",
        "incompatible with version index 0",
    ]
    assert result.breaking[0].key == diff(v1, v2)[0].key  # deduplicated: reported once
    assert [c.kind for c in result.changes] == ["MAXIMUM_ADDED"]  # relative to the latest

    narrowing = {**v0, "properties": {"a": {"type": "integer", "minimum": 0}}}
    only_latest = check_all([v1, v0], narrowing, "BACKWARD")
    assert only_latest.details == ("incompatible with version index 1 (1 breaking change(s): MINIMUM_ADDED)",)
    transitive = check_all([v1, v0], {**v0, "properties": {"a": {"type": "integer"}}}, "BACKWARD_TRANSITIVE")
    assert not transitive.compatible  # fine against v0, but v1 accepted numbers
    assert transitive.details[0].startswith("incompatible with version index 0")
    assert transitive.label == "safe"  # the label is about the latest version only


def test_check_all_non_transitive_and_empty_history() -> None:
    assert check_all([], NARROW, "FULL_TRANSITIVE").compatible
    assert check_all([], NARROW, "FULL_TRANSITIVE").label == "safe"
    assert check_all([WIDE, NARROW], WIDE, "FORWARD").compatible is False
    assert check_all([WIDE, NARROW], WIDE, "BACKWARD").compatible
    full = check_all([WIDE, NARROW], NARROW, "FULL_TRANSITIVE")
    assert not full.compatible
    assert full.details[0].startswith("incompatible with version index 0")


def test_explain_lists_every_change_and_marks_breaking_ones() -> None:
    result = check(CLOSED, CLOSED_PLUS_B, "FULL")
    text = result.explain()
    first, *lines = text.splitlines()
    assert first == "INCOMPATIBLE under FULL (STRICT); label: breaking; 1 change(s), 1 breaking"
    assert lines[0].startswith("  ok     OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL at #/properties/b: ")
    assert lines[1].startswith(
        "  BREAKS PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL at #/properties/b (read in reverse)"
    )
    backward = check(OPEN, OPEN_PLUS_B).explain()
    assert "BREAKS OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL at #/properties/b" in backward


def test_to_dict_is_json_ready_and_complete() -> None:
    result = check_all([NARROW], WIDE, "FULL_TRANSITIVE")
    data = result.to_dict()
    assert data["mode"] == "FULL_TRANSITIVE"
    assert data["policy"] == "STRICT"
    assert data["compatible"] is False
    assert data["label"] == "breaking"
    assert data["changes"] == [c.to_dict() for c in result.changes]
    assert data["breaking"][0]["kind"] == "TYPE_NARROWED"
    assert data["details"] == list(result.details)


def test_rule_table_is_consistent() -> None:
    for kind, rule in RULES.items():
        assert rule.kind == kind
        # LENIENT only ever allows more than STRICT.
        assert rule.lenient or not rule.strict, kind
        assert not rule.docs_only or rule.strict, kind
        assert is_allowed(kind, Policy.STRICT) is rule.strict
        assert is_allowed(kind, Policy.LENIENT) is rule.lenient
    lenient_only = {k for k, r in RULES.items() if r.lenient and not r.strict}
    assert "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" in lenient_only
    assert "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" in lenient_only
    assert "REQUIRED_ATTRIBUTE_ADDED" not in lenient_only
