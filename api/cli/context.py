"""Shared CLI plumbing: settings, engine, language, errors printed in Spanish first.

Every ``allpa`` command imports its heavy libraries (SQLAlchemy, Alembic, geopandas…) inside
the function that needs them, so ``allpa --help`` and a mistyped option answer at once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer

from geo.errors import AllpaError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from layers.config import Settings

P = ParamSpec("P")
R = TypeVar("R")


def settings() -> Settings:
    from layers.config import load_settings

    return load_settings()


def ready_engine(s: Settings | None = None) -> Engine:
    """Start the private cluster if needed and bring the schema up to date."""
    from layers import cluster, migrate
    from layers.db import make_engine

    s = s or settings()
    cluster.up(s)
    engine = make_engine(s)
    migrate.upgrade(engine)
    return engine


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Domain errors become one clear message and exit code 2, never a traceback."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except AllpaError as exc:
            typer.secho(f"Error [{exc.code}]: {exc.message}", fg=typer.colors.RED, err=True)
            sys.exit(2)

    return wrapper
