"""``mdp drift check`` against a real registry: every exit code, the report, statuses, telemetry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mdp.cli.main import app
from mdp.contracts.bundled import bundled_track
from mdp.pulse import Envelope
from mdp.pulse.streams import SCHEMA_DRIFT, SCHEMA_DRIFT_RESOLVED
from tests.integration.drift.conftest import Track, closed, sha, write_schemas

pytestmark = [pytest.mark.e2e]

BASE = closed()
OPTIONAL = closed(qty={"type": "integer"})
REQUIRED = {**OPTIONAL, "required": ["id", "qty"]}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def check(runner: CliRunner, track: Track, *args: str) -> Any:
    return runner.invoke(app, ["drift", "check", "--track", track.name, "--registry-url", track.url, *args])


def report_of(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def test_in_sync_exits_0_with_the_seed_report_shape(runner: CliRunner, track: Track, tmp_path: Path) -> None:
    track.publish("it.Order", BASE)
    track.publish("it.Fill", OPTIONAL)
    schemas = write_schemas(tmp_path / "schemas", {"it.Order": BASE, "it.Fill": OPTIONAL})
    out = tmp_path / "drift_report.json"
    result = check(runner, track, "--schema-dir", str(schemas), "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "in sync" in result.output
    report = report_of(out)
    assert report["track"] == track.name
    assert report["registry_url"] == track.url
    assert (report["total_schemas"], report["synced"], report["drifted"]) == (2, 2, 0)
    assert report["status"] == "synced"
    assert report["compatibility"] is None, "nothing needed classifying"
    by_name = {entry["schema"]: entry for entry in report["schemas"]}
    assert by_name["it.Order"]["status"] == "synced"
    assert by_name["it.Order"]["local_sha"] == by_name["it.Order"]["registry_sha"] == sha(BASE)
    assert by_name["it.Order"]["local_version"] == by_name["it.Order"]["registry_version"] == "1.0.0"


def test_safe_drift_classified_with_local_version_from_history(
    runner: CliRunner, track: Track, tmp_path: Path
) -> None:
    track.publish("it.Order", BASE)
    track.publish("it.Order", OPTIONAL)  # the registry moved on: 1.1.0
    schemas = write_schemas(tmp_path / "schemas", {"it.Order": BASE})
    out = tmp_path / "report.json"
    result = check(runner, track, "--schema-dir", str(schemas), "--output", str(out))
    assert result.exit_code == 1, result.output
    [entry] = report_of(out)["schemas"]
    assert entry["status"] == "drift"
    assert entry["classification"] == "safe"
    assert entry["compatible"] is True
    assert (entry["local_version"], entry["registry_version"]) == ("1.0.0", "1.1.0")
    assert (entry["local_sha"], entry["registry_sha"]) == (sha(BASE), sha(OPTIONAL))
    assert any(change["path"].endswith("/qty") for change in entry["changes"])
    report = report_of(out)
    assert report["compatibility"] == {"mode": "FULL_TRANSITIVE", "policy": "LENIENT", "source": "registry"}
    assert check(runner, track, "--schema-dir", str(schemas), "--fail-on", "breaking").exit_code == 0
    assert check(runner, track, "--schema-dir", str(schemas), "--fail-on", "never").exit_code == 0


def test_breaking_drift_fails_under_breaking(runner: CliRunner, track: Track, tmp_path: Path) -> None:
    track.publish("it.Order", OPTIONAL)
    track.publish("it.Order", REQUIRED, force=True)  # a forced breaking change: 2.0.0
    schemas = write_schemas(tmp_path / "schemas", {"it.Order": OPTIONAL})
    result = check(runner, track, "--schema-dir", str(schemas), "--fail-on", "breaking", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    [entry] = report["schemas"]
    assert entry["classification"] == "breaking"
    assert entry["registry_version"] == "2.0.0"
    assert any(change["breaking"] for change in entry["changes"])
    assert report["breaking"] == 1


def test_missing_on_either_side_are_their_own_statuses(
    runner: CliRunner, track: Track, tmp_path: Path
) -> None:
    track.publish("it.Order", BASE)
    track.publish("it.Theirs", BASE)
    schemas = write_schemas(tmp_path / "schemas", {"it.Order": BASE, "it.Mine": BASE})
    out = tmp_path / "report.json"
    result = check(runner, track, "--schema-dir", str(schemas), "--output", str(out))
    assert result.exit_code == 1, "a schema the registry does not know fails --fail-on any"
    report = report_of(out)
    statuses = {entry["schema"]: entry["status"] for entry in report["schemas"]}
    assert statuses == {
        "it.Mine": "missing_in_registry",
        "it.Order": "synced",
        "it.Theirs": "missing_locally",
    }
    assert (report["missing_in_registry"], report["missing_locally"], report["total_schemas"]) == (1, 1, 3)

    (schemas / "it.Mine.json").unlink()
    assert check(runner, track, "--schema-dir", str(schemas)).exit_code == 0, "missing locally alone passes"
    assert check(runner, track, "--schema-dir", str(schemas), "--require-all").exit_code == 1


def test_contents_are_fetched_only_for_what_differs(runner: CliRunner, track: Track, tmp_path: Path) -> None:
    names = [f"it.S{i}" for i in range(8)]
    for name in names:
        track.publish(name, BASE)
    track.publish("it.S0", OPTIONAL)
    schemas = write_schemas(tmp_path / "schemas", dict.fromkeys(names, BASE))
    index_before = track.requests("/schemas/{track}")
    contents_before = track.requests("/schemas/by-sha/{sha256}")
    single_before = track.requests("/schemas/{track}/{name}")
    assert check(runner, track, "--schema-dir", str(schemas)).exit_code == 1
    assert track.requests("/schemas/{track}") - index_before == 1, "one index request for the whole track"
    assert track.requests("/schemas/by-sha/{sha256}") - contents_before == 1, "only the drifted content"
    assert track.requests("/schemas/{track}/{name}") == single_before, "no per-schema reads"


def test_registry_down_exits_2_and_never_claims_sync(
    runner: CliRunner, closed_url: str, tmp_path: Path
) -> None:
    schemas = write_schemas(tmp_path / "schemas", {"it.Order": BASE})
    out = tmp_path / "report.json"
    args = ["drift", "check", "--track", "v1", "--registry-url", closed_url, "--schema-dir", str(schemas)]
    result = runner.invoke(app, [*args, "--output", str(out)])
    assert result.exit_code == 2
    assert "in sync" not in result.output
    report = report_of(out)
    assert report["status"] == "error"
    assert report["synced"] == 0
    assert report["error"]
    assert runner.invoke(app, [*args, "--fail-on", "never"]).exit_code == 2, (
        "--fail-on never does not hide it"
    )


def test_unknown_track_exits_2(runner: CliRunner, track: Track, tmp_path: Path) -> None:
    schemas = write_schemas(tmp_path / "schemas", {"it.Order": BASE})
    args = ["drift", "check", "--registry-url", track.url, "--schema-dir", str(schemas)]
    assert runner.invoke(app, [*args, "--track", "v999"]).exit_code == 2
    result = runner.invoke(app, [*args, "--track", "../v1"])
    assert result.exit_code == 2
    assert "REGISTRY_TRACK" in result.output


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({"it.Bad.json": b"{not json"}, "not valid JSON"),
        ({"it.Bad.json": b'{"x": "\xff"}'}, "not UTF-8"),
        ({"it.Bad.json": b"[" * 3000 + b"]" * 3000}, "not valid JSON"),
        ({"README.md": b"nothing"}, "holds no"),
    ],
)
def test_bad_schema_directories_exit_2(
    runner: CliRunner, track: Track, tmp_path: Path, files: dict[str, bytes], fragment: str
) -> None:
    directory = tmp_path / "schemas"
    directory.mkdir()
    for name, raw in files.items():
        (directory / name).write_bytes(raw)
    result = check(runner, track, "--schema-dir", str(directory))
    assert result.exit_code == 2
    assert fragment in " ".join(result.output.split())


def test_bad_options_exit_2(runner: CliRunner, track: Track, tmp_path: Path) -> None:
    assert check(runner, track, "--schema-dir", str(tmp_path / "absent")).exit_code == 2
    assert check(runner, track, "--fail-on", "sometimes").exit_code == 2
    result = runner.invoke(app, ["drift", "check", "--registry-url", "ftp://nowhere"])
    assert result.exit_code == 2
    assert "REGISTRY_URL" in result.output


def test_default_local_copies_are_the_bundled_contracts(runner: CliRunner, seeded_v1: str) -> None:
    result = runner.invoke(app, ["drift", "check", "--track", "v1", "--registry-url", seeded_v1, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["synced"] == len(bundled_track("v1"))
    v2 = runner.invoke(app, ["drift", "check", "--track", "v2", "--registry-url", seeded_v1, "--json"])
    assert v2.exit_code == 1, "the registry's v2 track is empty: every bundled v2 contract is missing there"
    assert json.loads(v2.stdout)["missing_in_registry"] == len(bundled_track("v2"))


def test_schema_dir_from_the_environment(
    runner: CliRunner, track: Track, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    track.publish("it.Order", BASE)
    assert check(runner, track).exit_code == 2, f"no bundled contracts for track {track.name}"
    monkeypatch.setenv("MDP_DRIFT_SCHEMA_DIR", str(write_schemas(tmp_path / "schemas", {"it.Order": BASE})))
    result = check(runner, track)
    assert result.exit_code == 0, result.output


def test_emit_telemetry_publishes_to_redis(
    runner: CliRunner,
    track: Track,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,
    redis_prefix: str,
) -> None:
    import redis

    track.publish("it.Order", OPTIONAL)
    track.publish("it.Order", REQUIRED, force=True)
    track.publish("it.Fill", BASE)
    schemas = write_schemas(tmp_path / "schemas", {"it.Order": OPTIONAL, "it.Fill": BASE})
    monkeypatch.setenv("EVENT_BUS_BACKEND", "redis")
    monkeypatch.setenv("MDP_REDIS_URL", redis_url)
    monkeypatch.setenv("MDP_PULSE_PREFIX", redis_prefix)
    result = check(
        runner, track, "--schema-dir", str(schemas), "--emit-telemetry", "--repo", "market-data-store"
    )
    assert result.exit_code == 1
    assert "1 of 1 drift event(s) published" in " ".join(result.output.split())
    client = redis.Redis.from_url(redis_url)
    try:
        drift = [
            Envelope.from_json(fields[b"envelope"])
            for _, fields in client.xrange(redis_prefix + SCHEMA_DRIFT)
        ]
        resolved = [
            Envelope.from_json(fields[b"envelope"])
            for _, fields in client.xrange(redis_prefix + SCHEMA_DRIFT_RESOLVED)
        ]
    finally:
        client.close()
    [event] = drift
    assert event.source == "market-data-store"
    assert event.payload["repo"] == "market-data-store"
    assert event.payload["schema"] == "it.Order"
    assert event.payload["track"] == track.name
    assert event.payload["classification"] == "breaking"
    assert event.payload["local_version"] == "1.0.0"
    assert [item.payload["schema"] for item in resolved] == ["it.Fill"], "in-sync schemas are announced"


def test_emit_telemetry_in_memory_warns_that_events_go_nowhere(
    runner: CliRunner, track: Track, tmp_path: Path
) -> None:
    track.publish("it.Order", BASE)
    schemas = write_schemas(tmp_path / "schemas", {"it.Order": OPTIONAL})
    result = check(runner, track, "--schema-dir", str(schemas), "--emit-telemetry")
    assert result.exit_code == 1
    assert "reach no one" in " ".join(result.output.split())


def test_registry_disabled_skips_without_claiming_sync(
    runner: CliRunner, closed_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_ENABLED", "false")
    schemas = write_schemas(tmp_path / "schemas", {"it.Order": BASE})
    out = tmp_path / "report.json"
    args = [
        "drift",
        "check",
        "--registry-url",
        closed_url,
        "--schema-dir",
        str(schemas),
        "--output",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, "the operator turned registry checks off (rollback level 2)"
    assert "skipped" in result.output
    report = report_of(out)
    assert (report["status"], report["synced"]) == ("skipped", 0)
