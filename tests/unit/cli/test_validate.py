"""``mdp validate`` through the real CLI app: exit codes 0 / 1 / 2, per-line errors, JSON, files and stdin."""

from __future__ import annotations

import socket
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from mdp.cli.main import app
from mdp.contracts.bundled import bundled_schema
from tests.unit.enforcement.conftest import bar_bytes

BAR_SCHEMA = orjson.dumps(bundled_schema("v1", "md.Bar"))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    path = tmp_path / "md.Bar.json"
    path.write_bytes(BAR_SCHEMA)
    return path


def jsonl(*lines: bytes) -> bytes:
    return b"\n".join(lines) + b"\n"


def test_all_valid_exits_0(runner: CliRunner, schema_file: Path, tmp_path: Path) -> None:
    data = tmp_path / "bars.jsonl"
    data.write_bytes(jsonl(bar_bytes(), b"", bar_bytes(symbol="MSFT"), b"   "))
    result = runner.invoke(app, ["validate", str(schema_file), str(data)])
    assert result.exit_code == 0, result.output
    assert "2 line(s), 2 valid, 0 invalid" in result.stdout


def test_invalid_lines_exit_1_with_line_path_and_message(
    runner: CliRunner, schema_file: Path, tmp_path: Path
) -> None:
    data = tmp_path / "bars.jsonl"
    data.write_bytes(jsonl(bar_bytes(), bar_bytes(open=-1.0), b'{"symbol": "AAPL",', b"\xff\xfe", b"[1]"))
    result = runner.invoke(app, ["validate", str(schema_file), str(data)])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert "line 2: /open: -1.0 is less than or equal to the minimum of 0" in lines
    assert any(line.startswith("line 3: (root): malformed JSON") for line in lines)
    assert any(line.startswith("line 4: (root): payload is not valid UTF-8") for line in lines)
    assert "line 5: (root): payload is a JSON array, expected an object" in lines
    assert lines[-1].endswith("5 line(s), 1 valid, 4 invalid")


def test_stdin_is_the_default_input(runner: CliRunner, schema_file: Path) -> None:
    ok = runner.invoke(app, ["validate", str(schema_file)], input=jsonl(bar_bytes()))
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["validate", str(schema_file), "-"], input=jsonl(bar_bytes(volume=-5)))
    assert bad.exit_code == 1
    assert "line 1: /volume: -5 is less than the minimum of 0" in bad.stdout


def test_json_report(runner: CliRunner, schema_file: Path) -> None:
    result = runner.invoke(
        app, ["validate", str(schema_file), "--json"], input=jsonl(bar_bytes(), bar_bytes(timeframe="2m"))
    )
    assert result.exit_code == 1
    report = orjson.loads(result.stdout)
    assert (report["lines"], report["valid"], report["invalid"]) == (2, 1, 1)
    assert report["schema"]["source"] == "file"
    assert len(report["schema"]["sha256"]) == 64
    assert report["failures"] == [
        {
            "line": 2,
            "outcome": "invalid",
            "reason": "schema validation failed",
            "errors": [
                {
                    "path": "/timeframe",
                    "message": '"2m" is not one of "1s", "5s" or 7 other candidates',
                    "keyword": "enum",
                }
            ],
        }
    ]


def test_errors_per_line_are_capped(runner: CliRunner, tmp_path: Path) -> None:
    schema = tmp_path / "strings.json"
    schema.write_bytes(orjson.dumps({"type": "object", "additionalProperties": {"type": "string"}}))
    line = orjson.dumps({f"k{i}": i for i in range(50)})
    result = runner.invoke(app, ["validate", str(schema)], input=jsonl(line))
    assert result.exit_code == 1
    assert len([text for text in result.stdout.splitlines() if text.startswith("line 1:")]) == 10


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"type": ', "not valid JSON"),
        (b'{"type": "nope"}', "does not compile"),
        (b'{"$ref": "https://example.com/bar.json"}', "does not compile"),
        (b"[1, 2]", "must be an object or a boolean"),
    ],
)
def test_invalid_schema_file_exits_2(runner: CliRunner, tmp_path: Path, content: bytes, message: str) -> None:
    schema = tmp_path / "bad.json"
    schema.write_bytes(content)
    result = runner.invoke(app, ["validate", str(schema)], input=jsonl(bar_bytes()))
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())


def test_unreadable_input_exits_2(runner: CliRunner, schema_file: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(schema_file), str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
    directory = runner.invoke(app, ["validate", str(schema_file), str(tmp_path)])
    assert directory.exit_code == 2


def test_neither_file_nor_subject_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", "no/such/schema.json"], input=b"")
    assert result.exit_code == 2
    assert "neither a schema file nor a registry subject" in " ".join(result.stderr.split())


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_registry_unreachable_without_cache_exits_2(runner: CliRunner) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    result = runner.invoke(app, ["validate", "v1/md.Bar", "--registry-url", url], input=jsonl(bar_bytes()))
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())  # rich wraps long lines
    assert f"registry at {url} is unreachable and v1/md.Bar is not cached" in message


def test_registry_disabled_exits_2(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_ENABLED", "false")
    result = runner.invoke(app, ["validate", "v1/md.Bar"], input=jsonl(bar_bytes()))
    assert result.exit_code == 2
    assert "REGISTRY_ENABLED=false" in " ".join(result.stderr.split())
