"""Rendering for every CLI command: rich tables and messages for people, JSON for machines.

Exit codes, the same for every command:

* ``0`` ok (in sync, compatible, valid)
* ``1`` a finding (drift, incompatible, invalid data)
* ``2`` an error (unreachable service, bad usage, bad input)
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import orjson
import typer
from rich.console import Console

EXIT_OK = 0
EXIT_FINDING = 1
EXIT_ERROR = 2

console = Console()
err_console = Console(stderr=True)


def print_json(value: Any) -> None:
    """Write ``value`` as indented JSON to stdout."""
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print ``message`` to stderr and exit with ``code`` (2 = error by default)."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def info(message: str) -> None:
    err_console.print(message, highlight=False)


__all__ = ["EXIT_ERROR", "EXIT_FINDING", "EXIT_OK", "console", "err_console", "fail", "info", "print_json"]
