"""``mdp compat OLD NEW``: exit 0 compatible, 1 incompatible, 2 error; a table or JSON of every change."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mdp.cli.main import app
from mdp.contracts.bundled import bundled_schema

# rich reads COLUMNS on every render; a wide terminal keeps table cells on one line for the assertions.
runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture
def bar() -> dict[str, Any]:
    return bundled_schema("v1", "md.Bar")


def _write(tmp_path: Path, name: str, value: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(value))
    return str(path)


def test_compatible_exits_0_and_lists_changes(tmp_path: Path, bar: dict[str, Any]) -> None:
    new = copy.deepcopy(bar)
    new["properties"]["close"]["description"] = "Closing price."
    result = runner.invoke(
        app, ["compat", _write(tmp_path, "old.json", bar), _write(tmp_path, "new.json", new)]
    )
    assert result.exit_code == 0, result.output
    assert "DESCRIPTION_CHANGED" in result.output
    assert "#/properties/close/description" in result.output
    assert "compatible under BACKWARD (STRICT); label: docs-only" in result.output


def test_identical_schemas_say_no_changes(tmp_path: Path, bar: dict[str, Any]) -> None:
    path = _write(tmp_path, "bar.json", bar)
    result = runner.invoke(app, ["compat", path, path, "--mode", "full_transitive"])
    assert result.exit_code == 0
    assert "No changes." in result.output
    assert "label: safe" in result.output


def test_incompatible_exits_1_and_marks_the_breaking_change(tmp_path: Path, bar: dict[str, Any]) -> None:
    new = copy.deepcopy(bar)
    del new["properties"]["volume"]
    new["required"].remove("volume")
    result = runner.invoke(
        app, ["compat", _write(tmp_path, "old.json", bar), _write(tmp_path, "new.json", new)]
    )
    assert result.exit_code == 1, result.output
    assert "BREAKS" in result.output
    assert "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" in result.output
    assert "#/properties/volume" in result.output
    assert "INCOMPATIBLE under BACKWARD (STRICT); label: breaking" in result.output


def test_lenient_and_mode_change_the_verdict(tmp_path: Path, bar: dict[str, Any]) -> None:
    new = copy.deepcopy(bar)
    new["properties"]["venue"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    old_path, new_path = _write(tmp_path, "old.json", bar), _write(tmp_path, "new.json", new)
    assert runner.invoke(app, ["compat", old_path, new_path]).exit_code == 0
    full = runner.invoke(app, ["compat", old_path, new_path, "--mode", "FULL"])
    assert full.exit_code == 1
    assert "(new -> old)" in full.output  # the breaking change comes from the reversed diff
    assert runner.invoke(app, ["compat", old_path, new_path, "-m", "FULL", "--lenient"]).exit_code == 0


def test_json_output_is_the_result_dict(tmp_path: Path) -> None:
    old = _write(tmp_path, "old.json", {"type": "integer"})
    new = _write(tmp_path, "new.json", {"type": "string"})
    result = runner.invoke(app, ["compat", old, new, "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["compatible"] is False
    assert data["mode"] == "BACKWARD"
    assert data["label"] == "breaking"
    assert [(c["kind"], c["path"]) for c in data["breaking"]] == [("TYPE_CHANGED", "#/type")]
    assert data["changes"][0]["old"] == ["integer"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (b'{"type": "string"}', b"{not json", "not valid JSON"),
        (b'{"type": "string"}', b"\xff\xfe\x00", "not valid JSON"),
        (b'{"$ref": "https://example.com/s.json"}', b"{}", "remote $ref"),
        (b"[1, 2]", b"{}", "not a JSON Schema"),
        (b'{"type": 5}', b"{}", "#/type"),
    ],
)
def test_errors_exit_2_with_a_message(tmp_path: Path, old: bytes, new: bytes, message: str) -> None:
    (tmp_path / "old.json").write_bytes(old)
    (tmp_path / "new.json").write_bytes(new)
    result = runner.invoke(app, ["compat", str(tmp_path / "old.json"), str(tmp_path / "new.json")])
    assert result.exit_code == 2
    assert message in result.stderr.replace("\n", " ")


def test_missing_file_and_bad_mode_exit_2(tmp_path: Path) -> None:
    present = _write(tmp_path, "a.json", {})
    missing = runner.invoke(app, ["compat", present, str(tmp_path / "nope.json")])
    assert missing.exit_code == 2
    assert "cannot read" in missing.stderr
    bad_mode = runner.invoke(app, ["compat", present, present, "--mode", "SIDEWAYS"])
    assert bad_mode.exit_code == 2
    assert "unknown compatibility mode" in bad_mode.stderr
