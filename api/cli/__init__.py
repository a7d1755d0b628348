"""The ``allpa`` command line (typer). Only ``api`` knows argv."""

from api.cli.main import app, main

__all__ = ["app", "main"]
