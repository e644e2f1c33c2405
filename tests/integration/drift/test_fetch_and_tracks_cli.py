"""``mdp schemas fetch`` and ``mdp drift tracks`` against a real registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mdp.cli.main import app
from mdp.contracts.bundled import bundled_track
from mdp.drift.local import MANIFEST_NAME, load_schema_dir
from tests.integration.drift.conftest import Track, closed, new_track, sha

pytestmark = [pytest.mark.e2e]

BASE = closed()
OPTIONAL = closed(qty={"type": "integer"})


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def fetch(runner: CliRunner, track: Track, output: Path, *args: str) -> Any:
    return runner.invoke(
        app,
        [
            "schemas",
            "fetch",
            "--track",
            track.name,
            "--registry-url",
            track.url,
            "--output",
            str(output),
            *args,
        ],
    )


def test_fetch_writes_files_and_manifest_then_check_is_in_sync(
    runner: CliRunner, track: Track, tmp_path: Path
) -> None:
    track.publish("it.Order", BASE)
    track.publish("it.Order", OPTIONAL)
    track.publish("it.Fill", BASE)
    out = tmp_path / "fixtures" / "schemas"
    result = fetch(runner, track, out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["_manifest.json", "it.Fill.json", "it.Order.json"]
    assert json.loads((out / "it.Order.json").read_text()) == OPTIONAL
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["track"] == track.name
    assert manifest["registry_url"] == track.url
    assert manifest["fetched_at"].endswith("Z")
    assert manifest["schemas"]["it.Order"]["version"] == "1.1.0"
    assert manifest["schemas"]["it.Order"]["sha256"] == sha(OPTIONAL)
    local = load_schema_dir(out, track.name)
    assert local.schemas["it.Order"].version == "1.1.0", "versions come from the manifest"
    check = ["drift", "check", "--track", track.name, "--registry-url", track.url, "--schema-dir", str(out)]
    assert runner.invoke(app, check).exit_code == 0

    again = fetch(runner, track, out, "--json")
    assert again.exit_code == 0
    assert {item["action"] for item in json.loads(again.stdout)["schemas"]} == {"unchanged"}


def test_fetch_updates_clean_files_and_refuses_local_edits_without_force(
    runner: CliRunner, track: Track, tmp_path: Path
) -> None:
    track.publish("it.Order", BASE)
    track.publish("it.Fill", BASE)
    out = tmp_path / "schemas"
    assert fetch(runner, track, out).exit_code == 0
    track.publish("it.Order", OPTIONAL)
    updated = fetch(runner, track, out, "--json")
    assert updated.exit_code == 0
    actions = {item["schema"]: item["action"] for item in json.loads(updated.stdout)["schemas"]}
    assert actions == {"it.Fill": "unchanged", "it.Order": "updated"}

    edited = {**BASE, "title": "my local edit"}
    (out / "it.Fill.json").write_text(json.dumps(edited))
    track.publish("it.Fill", OPTIONAL)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    refused = fetch(runner, track, out)
    assert refused.exit_code == 1
    assert "it.Fill" in refused.output
    assert "--force" in refused.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before, "nothing written"

    forced = fetch(runner, track, out, "--force", "--json")
    assert forced.exit_code == 0
    assert json.loads((out / "it.Fill.json").read_text()) == OPTIONAL
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")], "no temp files left"


def test_fetch_selected_schemas_and_stale_files(runner: CliRunner, track: Track, tmp_path: Path) -> None:
    track.publish("it.Order", BASE)
    track.publish("it.Fill", BASE)
    out = tmp_path / "schemas"
    out.mkdir()
    (out / "it.Retired.json").write_text(json.dumps(BASE))
    result = fetch(runner, track, out, "--schema", "it.Order", "--json")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert [item["schema"] for item in body["schemas"]] == ["it.Order"]
    assert body["stale"] == ["it.Retired"]
    assert not (out / "it.Fill.json").exists()
    assert fetch(runner, track, out, "--schema", "it.Nope").exit_code == 2


def test_fetch_errors_exit_2(runner: CliRunner, track: Track, tmp_path: Path, closed_url: str) -> None:
    out = tmp_path / "schemas"
    down = runner.invoke(
        app, ["schemas", "fetch", "--track", "v1", "--registry-url", closed_url, "--output", str(out)]
    )
    assert down.exit_code == 2
    assert not out.exists(), "nothing written when the registry is down"
    assert fetch(runner, track, tmp_path / "x", "--track", "v997").exit_code == 2, "unknown track"
    assert runner.invoke(app, ["schemas", "fetch", "--registry-url", track.url]).exit_code == 2, "no output"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    track.publish("it.Order", BASE)
    assert fetch(runner, track, blocker).exit_code == 2, "output is a file"
    assert fetch(runner, track, tmp_path / "y", "--track", "../../etc").exit_code == 2


def test_tracks_predicts_the_v1_to_v2_migration(
    runner: CliRunner, registry_tracks: tuple[Track, Track], tmp_path: Path
) -> None:
    old, new = registry_tracks
    out = tmp_path / "tracks.json"
    args = ["drift", "tracks", old.name, new.name, "--registry-url", old.url]
    result = runner.invoke(app, [*args, "--output", str(out)])
    assert result.exit_code == 1, "md.Bar breaks between the tracks"
    report = json.loads(out.read_text())
    by_name = {item["schema"]: item for item in report["schemas"]}
    assert by_name["md.Bar"]["status"] == "changed"
    assert by_name["md.Bar"]["classification"] == "breaking"
    assert any(change["breaking"] and "venue" in change["path"] for change in by_name["md.Bar"]["changes"])
    assert by_name["md.Quote"]["status"] == "identical"
    assert by_name["it.OnlyOld"]["status"] == "only_in_old"
    assert report["failing"] == ["md.Bar"]
    assert (report["mode"], report["policy"]) == ("FULL", "LENIENT")
    assert runner.invoke(app, [*args, "--fail-on", "never"]).exit_code == 0
    assert runner.invoke(app, [*args, "--fail-on", "any"]).exit_code == 1
    reverse = runner.invoke(app, ["drift", "tracks", old.name, old.name, "--registry-url", old.url])
    assert reverse.exit_code == 0, "a track against itself is identical"


def test_tracks_errors_exit_2(runner: CliRunner, track: Track, closed_url: str) -> None:
    assert runner.invoke(app, ["drift", "tracks", "v1", "v2", "--registry-url", closed_url]).exit_code == 2
    assert (
        runner.invoke(app, ["drift", "tracks", track.name, "v996", "--registry-url", track.url]).exit_code
        == 2
    )
    bad_mode = runner.invoke(
        app, ["drift", "tracks", "v1", "v2", "--registry-url", track.url, "--mode", "SOMETIMES"]
    )
    assert bad_mode.exit_code == 2
    assert runner.invoke(app, ["drift", "tracks", "x/../y", "v2", "--registry-url", track.url]).exit_code == 2


@pytest.fixture
def registry_tracks(track: Track) -> tuple[Track, Track]:
    """Two fresh tracks holding the bundled v1 and v2 contracts (plus one schema only in the first)."""
    second = new_track(track.url, track.admin, compatibility="NONE")
    for name, content in bundled_track("v1").items():
        track.publish(name, content)
    for name, content in bundled_track("v2").items():
        second.publish(name, content)
    track.publish("it.OnlyOld", BASE)
    return track, second
