"""The root command: version, help listing every group, and the documented exit codes."""

from __future__ import annotations

from typer.testing import CliRunner

from mdp import __version__
from mdp.cli.main import app

runner = CliRunner()


def test_version_prints_and_exits_zero() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == __version__


def test_help_documents_exit_codes_and_lists_groups() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "0 ok, 1 a finding" in result.output
    for group in ("registry", "contracts", "compat", "up"):
        assert group in result.output


def test_unknown_command_is_usage_error() -> None:
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2
