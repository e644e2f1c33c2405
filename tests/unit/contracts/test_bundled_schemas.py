"""The checked-in JSON Schemas equal what the models generate, are valid, and agree with the models."""

from __future__ import annotations

from datetime import UTC, datetime

import jsonschema_rs
import pytest

from mdp.contracts import CONTRACTS, TRACKS, Bar, compute_sha256
from mdp.contracts.bundled import bundled_schema, bundled_track
from mdp.contracts.export import export_track


@pytest.mark.parametrize("track", TRACKS)
def test_checked_in_schemas_match_the_models(track: str) -> None:
    assert bundled_track(track) == export_track(track), "run `uv run mdp contracts export`"


@pytest.mark.parametrize(("track", "name"), [(t, n) for t in TRACKS for n in CONTRACTS[t]])
def test_bundled_schema_is_a_valid_2020_12_schema(track: str, name: str) -> None:
    schema = bundled_schema(track, name)
    assert jsonschema_rs.meta.is_valid(schema)
    assert schema["title"] == name


def test_v2_differs_from_v1_for_bar_only() -> None:
    differing = [
        name
        for name in CONTRACTS["v1"]
        if compute_sha256(bundled_schema("v1", name)) != compute_sha256(bundled_schema("v2", name))
    ]
    assert differing == ["md.Bar"]
    assert {"venue", "source"} <= set(bundled_schema("v2", "md.Bar")["required"])


def test_schema_and_model_agree_on_a_valid_bar() -> None:
    validator = jsonschema_rs.validator_for(bundled_schema("v1", "md.Bar"), validate_formats=True)
    instance = Bar(
        symbol="MSFT",
        timeframe="5m",
        ts=datetime(2025, 1, 2, tzinfo=UTC),
        open=1,
        high=2,
        low=1,
        close=2,
        volume=5,
    ).model_dump(mode="json", exclude_none=True)
    assert validator.is_valid(instance)
    assert not validator.is_valid({**instance, "surprise": 1})
    assert not validator.is_valid({**instance, "ts": "yesterday"})
