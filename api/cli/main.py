"""Assemble the ``allpa`` command from one module per command group."""

from __future__ import annotations

import importlib

import typer

from api.cli import data, db

app = typer.Typer(
    help="Allpa: territorios comunales, personería jurídica, agua y concesiones mineras.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
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


def main() -> None:
    app()
