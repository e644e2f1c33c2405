"""Local schema copies are untrusted input; schema names never escape their directory; fetch planning
refuses to overwrite local edits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mdp.client import IndexEntry
from mdp.contracts import compute_sha256
from mdp.contracts.bundled import bundled_track
from mdp.drift.errors import FetchConflict, LocalSchemaError, UnsafeSchemaName
from mdp.drift.fetch import plan_fetch, write_fetch
from mdp.drift.local import (
    MANIFEST_NAME,
    MAX_SCHEMA_FILE_BYTES,
    bundled_schemas,
    check_schema_name,
    load_schema_dir,
    schema_path,
)

SCHEMA = {"type": "object", "properties": {"id": {"type": "string"}}}


def write(directory: Path, name: str, content: Any) -> Path:
    path = directory / name
    path.write_text(json.dumps(content) if not isinstance(content, str) else content, encoding="utf-8")
    return path


def entry(name: str, content: Any, version: str = "1.0.0") -> IndexEntry:
    # model_construct: the client's validation would reject the unsafe names these tests feed in
    return IndexEntry.model_construct(
        name=name,
        version=version,
        sha256=compute_sha256(content),
        schema_id=1,
        state="active",
        updated_at=datetime.now(UTC),
    )


@pytest.mark.parametrize(
    "name",
    [
        "..",
        "../etc/passwd",
        "a/../../b",
        "/etc/passwd",
        "a/b",
        "a\\b",
        "a\x00b",
        "",
        ".hidden",
        "a..b",
        "x" * 201,
        "1abc",
    ],
)
def test_unsafe_names_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafeSchemaName):
        check_schema_name(name)
    with pytest.raises(UnsafeSchemaName):
        schema_path(tmp_path, name)


def test_safe_names_map_into_the_directory(tmp_path: Path) -> None:
    assert schema_path(tmp_path, "telemetry.FeedbackEvent") == tmp_path / "telemetry.FeedbackEvent.json"


def test_load_reads_schemas_with_manifest_versions_and_ignores_other_files(tmp_path: Path) -> None:
    write(tmp_path, "md.Bar.json", SCHEMA)
    write(tmp_path, "md.Quote.json", True)
    write(tmp_path, "my fixture.json", {"not": "a schema name"})
    write(tmp_path, "notes.txt", "hello")
    (tmp_path / "sub.json").mkdir()
    manifest = {
        "format": 1,
        "track": "v1",
        "fetched_at": "2026-01-01T00:00:00Z",
        "schemas": {
            "md.Bar": {"version": "1.2.0", "sha256": compute_sha256(SCHEMA)},
            "md.Quote": {"version": "3.0.0", "sha256": "0" * 64},  # the file changed since: version unknown
        },
    }
    write(tmp_path, MANIFEST_NAME, manifest)
    loaded = load_schema_dir(tmp_path, "v1")
    assert sorted(loaded.schemas) == ["md.Bar", "md.Quote"]
    assert loaded.schemas["md.Bar"].version == "1.2.0"
    assert loaded.schemas["md.Bar"].sha256 == compute_sha256(SCHEMA)
    assert loaded.schemas["md.Bar"].content == SCHEMA
    assert loaded.schemas["md.Quote"].version is None
    assert loaded.schemas["md.Quote"].content is True
    assert loaded.ignored == ("my fixture.json", "sub.json")
    other_track = load_schema_dir(tmp_path, "v2")
    assert other_track.schemas["md.Bar"].version is None, "a manifest of another track says nothing"


def test_formatting_does_not_change_identity(tmp_path: Path) -> None:
    (tmp_path / "a.B.json").write_text(
        '{\n  "properties": {"id": {"type": "string"}},\n  "type": "object"\n}\n'
    )
    assert load_schema_dir(tmp_path).schemas["a.B"].sha256 == compute_sha256(SCHEMA)


def test_big_integers_stay_exact(tmp_path: Path) -> None:
    big = {"type": "integer", "maximum": 2**70}
    (tmp_path / "a.Big.json").write_text('{"type": "integer", "maximum": 1180591620717411303424}')
    assert load_schema_dir(tmp_path).schemas["a.Big"].sha256 == compute_sha256(big)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"type": ', "not valid JSON"),
        (b'{"type": "str\xffing"}', "not UTF-8"),
        (b"[" * 5000 + b"]" * 5000, "not valid JSON"),
        (b"42", "object or a boolean"),
        (b'"just a string"', "object or a boolean"),
    ],
)
def test_bad_files_fail_the_load_with_the_path(tmp_path: Path, raw: bytes, reason: str) -> None:
    write(tmp_path, "a.Good.json", SCHEMA)
    (tmp_path / "a.Bad.json").write_bytes(raw)
    with pytest.raises(LocalSchemaError, match=reason) as caught:
        load_schema_dir(tmp_path)
    assert caught.value.path == tmp_path / "a.Bad.json"


def test_oversized_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.Huge.json").write_bytes(b'{"description": "' + b"x" * MAX_SCHEMA_FILE_BYTES + b'"}')
    with pytest.raises(LocalSchemaError, match="larger than"):
        load_schema_dir(tmp_path)


def test_missing_or_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LocalSchemaError, match="no such directory"):
        load_schema_dir(tmp_path / "nope")
    write(tmp_path, "README.md", "no schemas here")
    with pytest.raises(LocalSchemaError, match="holds no"):
        load_schema_dir(tmp_path)


def test_a_malformed_manifest_is_ignored(tmp_path: Path) -> None:
    write(tmp_path, "a.B.json", SCHEMA)
    write(tmp_path, MANIFEST_NAME, "{not json")
    loaded = load_schema_dir(tmp_path)
    assert loaded.manifest is None
    assert loaded.schemas["a.B"].version is None


def test_bundled_schemas_are_the_contracts_of_the_track() -> None:
    v1 = bundled_schemas("v1")
    assert set(v1) == set(bundled_track("v1"))
    assert v1["md.Bar"].sha256 == compute_sha256(bundled_track("v1")["md.Bar"])
    assert v1["md.Bar"].version is None
    assert bundled_schemas("v2")["md.Bar"].sha256 != v1["md.Bar"].sha256


# -- fetch planning (no registry needed) ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../escape", "/abs/olute", "a/b", "a\x00b", ".."])
def test_fetch_refuses_unsafe_names_before_writing_anything(tmp_path: Path, name: str) -> None:
    target = tmp_path / "out"
    with pytest.raises(UnsafeSchemaName):
        plan_fetch(target, "v1", [entry("a.Good", SCHEMA), entry(name, SCHEMA)])
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_fetch_plan_actions_and_conflicts(tmp_path: Path) -> None:
    new = {**SCHEMA, "description": "v2"}
    plan = plan_fetch(tmp_path, "v1", [entry("a.A", SCHEMA)])
    write_fetch(plan, {compute_sha256(SCHEMA): SCHEMA}, registry_url="http://r", now=1.0)
    assert json.loads((tmp_path / "a.A.json").read_text()) == SCHEMA

    # unchanged file, registry moved on: a clean update
    plan = plan_fetch(tmp_path, "v1", [entry("a.A", new, "1.1.0"), entry("a.B", SCHEMA)])
    assert [(f.entry.name, f.action) for f in plan.files] == [("a.A", "updated"), ("a.B", "created")]
    write_fetch(
        plan, {compute_sha256(new): new, compute_sha256(SCHEMA): SCHEMA}, registry_url="http://r", now=2.0
    )
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text())
    assert manifest["schemas"]["a.A"] == {"version": "1.1.0", "sha256": compute_sha256(new), "schema_id": 1}
    assert manifest["track"] == "v1"
    assert manifest["fetched_at"].startswith("1970-01-01T00:00:02")

    # a local edit is a conflict; nothing is written without force
    write(tmp_path, "a.A.json", {**new, "title": "edited locally"})
    write(tmp_path, "a.B.json", "{broken json")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(FetchConflict) as caught:
        plan_fetch(tmp_path, "v1", [entry("a.A", SCHEMA, "1.2.0"), entry("a.B", SCHEMA)])
    assert caught.value.names == ["a.A", "a.B"]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    forced = plan_fetch(tmp_path, "v1", [entry("a.A", SCHEMA, "1.2.0"), entry("a.B", SCHEMA)], force=True)
    assert [f.action for f in forced.files] == ["overwritten", "overwritten"]


def test_fetch_plan_refuses_another_tracks_directory_and_reports_stale_files(tmp_path: Path) -> None:
    plan = plan_fetch(tmp_path, "v1", [entry("a.A", SCHEMA)])
    write_fetch(plan, {compute_sha256(SCHEMA): SCHEMA}, registry_url="http://r", now=1.0)
    with pytest.raises(FetchConflict, match="track v1, not v2"):
        plan_fetch(tmp_path, "v2", [entry("a.A", SCHEMA)])
    write(tmp_path, "a.Old.json", SCHEMA)
    assert plan_fetch(tmp_path, "v1", [entry("a.A", SCHEMA)]).stale == ("a.Old",)


def test_fetch_into_a_file_path_is_an_error(tmp_path: Path) -> None:
    target = write(tmp_path, "file.json", SCHEMA)
    with pytest.raises(LocalSchemaError, match="not a directory"):
        plan_fetch(target, "v1", [entry("a.A", SCHEMA)])
