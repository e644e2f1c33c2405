"""The bundled contracts (pydantic-generated, draft 2020-12, closed models) evolve as the registry expects."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mdp.compat import check, classify, diff
from mdp.contracts import CONTRACTS
from mdp.contracts.bundled import bundled_schema


@pytest.fixture
def bar() -> dict[str, Any]:
    return bundled_schema("v1", "md.Bar")


def _with_optional_venue(schema: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(schema)
    new["properties"]["venue"] = {
        "anyOf": [{"maxLength": 16, "type": "string"}, {"type": "null"}],
        "default": None,
        "title": "Venue",
    }
    return new


def test_adding_an_optional_property_is_safe_under_full_lenient_and_backward_strict(
    bar: dict[str, Any],
) -> None:
    new = _with_optional_venue(bar)
    for mode, policy in (("FULL", "LENIENT"), ("BACKWARD", "STRICT")):
        result = check(bar, new, mode, policy)
        assert result.compatible, result.explain()
        assert result.label == "safe"
    assert [(c.kind, c.path) for c in diff(bar, new)] == [
        ("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", "#/properties/venue")
    ]


def test_adding_an_optional_property_to_a_closed_model_is_not_forward_compatible_under_strict(
    bar: dict[str, Any],
) -> None:
    result = check(bar, _with_optional_venue(bar), "FULL", "STRICT")
    assert not result.compatible
    assert [(c.kind, c.path) for c in result.breaking] == [
        ("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "#/properties/venue")
    ]
    assert "written with the new schema" in result.breaking[0].message


def test_removing_a_required_property_is_breaking(bar: dict[str, Any]) -> None:
    new = copy.deepcopy(bar)
    del new["properties"]["volume"]
    new["required"].remove("volume")
    for mode in ("BACKWARD", "FULL"):
        result = check(bar, new, mode, "STRICT")
        assert not result.compatible
        assert result.label == "breaking"
        assert ("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "#/properties/volume") in [
            (c.kind, c.path) for c in result.breaking
        ]
    assert classify(bar, new) == "breaking"


def test_changing_only_a_description_is_docs_only(bar: dict[str, Any]) -> None:
    new = copy.deepcopy(bar)
    new["properties"]["close"]["description"] = "Closing price."
    new["description"] = "One bar."
    result = check(bar, new, "FULL")
    assert result.compatible
    assert result.label == "docs-only"
    assert {c.kind for c in result.changes} == {"DESCRIPTION_CHANGED"}


def test_changing_a_referenced_enum_is_reported_where_it_is_used(bar: dict[str, Any]) -> None:
    new = copy.deepcopy(bar)
    new["$defs"]["Timeframe"]["enum"].append("1w")
    changes = diff(bar, new)
    assert [(c.kind, c.path) for c in changes] == [("ENUM_ARRAY_EXTENDED", "#/properties/timeframe/enum")]
    assert check(bar, new).compatible
    assert not check(bar, new, "FORWARD").compatible


def test_v1_to_v2_bar_is_breaking_with_reasons(bar: dict[str, Any]) -> None:
    result = check(bar, bundled_schema("v2", "md.Bar"), "BACKWARD")
    assert not result.compatible
    kinds = {(c.kind, c.path) for c in result.breaking}
    assert ("REQUIRED_ATTRIBUTE_ADDED", "#/required/venue") in kinds


@pytest.mark.parametrize(("track", "name"), [(t, n) for t in CONTRACTS for n in CONTRACTS[t]])
def test_every_bundled_schema_is_compatible_with_itself(track: str, name: str) -> None:
    schema = bundled_schema(track, name)
    result = check(schema, copy.deepcopy(schema), "FULL_TRANSITIVE")
    assert result.compatible
    assert result.changes == ()
    assert result.label == "safe"
