"""Assemble the ``allpa`` command from one module per command group.

Start-up is what a user waits for on every command (issue 16: ``allpa --help`` and an
``allpa analyze`` with nothing to do within 0.5 s), so :func:`main` builds only the command
that was asked for: Typer turns every registered function's signature into a Click command
before it parses anything, and doing that for all of them cost ~0.2 s. Help is plain text
(``rich_markup_mode=None``): Rich's help panels cost another ~0.1 s to import.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

from api.cli import data, db

app = typer.Typer(
    help="Allpa: territorios comunales, personería jurídica, agua y concesiones mineras.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(db.app, name="db")
app.command("import")(data.import_cmd)
app.command("sample")(data.sample_cmd)
app.command("history")(data.history_cmd)
app.command("batches")(data.batches_cmd)

# Command groups contributed by other modules register themselves on ``app`` when present.
for _module in ("analysis", "web", "maps", "users", "rasters", "exports", "backup",
                "programme", "worker", "cases", "alerts", "delivery", "networks"):
    try:
        importlib.import_module(f"api.cli.{_module}").register(app)
    except ModuleNotFoundError as exc:
        if exc.name != f"api.cli.{_module}":
            raise


def _requested(args: list[str]) -> str | None:
    """The command named on the command line (its first word that is not an option)."""
    return next((a for a in args if not a.startswith("-")), None)


def app_for(args: list[str]) -> typer.Typer:
    """``app`` reduced to the requested command or group, or the whole of it (``--help``,
    no command, or a name it does not know, so that Typer's own message lists them all)."""
    name = _requested(args)
    commands = [c for c in app.registered_commands
                if name is not None and _command_name(c) == name]
    groups = [g for g in app.registered_groups if name is not None and g.name == name]
    if not commands and not groups:
        return app
    lean = typer.Typer(help=app.info.help, no_args_is_help=True,
                       pretty_exceptions_enable=False, rich_markup_mode=None)
    lean.registered_commands = commands
    lean.registered_groups = groups
    # with a single command and no callback Typer would make that command the root
    # (``allpa analyze`` would read "analyze" as an argument): keep it a group
    lean.callback()(_root)
    return lean


def _command_name(info: Any) -> str:
    """The name Typer gives a registered command: its explicit name, else the function's
    name with underscores as dashes."""
    return str(info.name or info.callback.__name__.replace("_", "-"))


def _root() -> None:
    """Allpa: territorios comunales, personería jurídica, agua y concesiones mineras."""


def main() -> None:
    app_for(sys.argv[1:])()
