"""Entry point of the ``mdp`` console script: one typer app with a sub-app per bounded context.

Every command documents its exit codes: 0 ok, 1 a finding, 2 an error (see :mod:`mdp.cli.output`).
"""

from __future__ import annotations

import importlib

import typer

from mdp import __version__

app = typer.Typer(
    name="mdp",
    help="mdp keeps the services of a market-data stack agreeing on what their messages look like.\n\n"
    "Exit codes: 0 ok, 1 a finding (drift, incompatible, invalid), 2 an error (unreachable, bad usage).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# (module under mdp.cli, attribute, command group name or None for top-level commands)
_GROUPS: list[tuple[str, str, str | None]] = [
    ("contracts", "app", "contracts"),
    ("compat", "register", None),
    ("registry", "app", "registry"),
    ("up", "register", None),
    ("validate", "register", None),
    ("pipeline", "app", "pipeline"),
    ("dlq", "app", "dlq"),
    ("drift", "app", "drift"),
    ("schemas", "app", "schemas"),
    ("orchestrator", "app", "orchestrator"),
    ("enforcement", "app", "enforcement"),
]


def _register() -> None:
    for module_name, attribute, group in _GROUPS:
        module = importlib.import_module(f"mdp.cli.{module_name}")
        target = getattr(module, attribute)
        if group is None:
            target(app)
        else:
            app.add_typer(target, name=group)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
    ),
) -> None:
    """Root options."""


_register()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
