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
        except Exception as exc:
            if not _database_unreachable(exc):
                raise
            typer.secho(f"Error [database_unavailable]: {DATABASE_UNAVAILABLE} "
                        f"({str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r})",
                        fg=typer.colors.RED, err=True)
            sys.exit(2)

    return wrapper


DATABASE_UNAVAILABLE = (
    "No se pudo conectar con la base de datos; ¿está en marcha? (allpa db status, "
    "allpa db up, o ALLPA_DATABASE_URL) / cannot reach the database; is it running? "
    "(allpa db status, allpa db up, or ALLPA_DATABASE_URL)")


def _database_unreachable(exc: BaseException) -> bool:
    """A connection refused or lost (SQLAlchemy's or psycopg's OperationalError), checked
    without importing either library when the command did not."""
    for module, name in (("sqlalchemy.exc", "OperationalError"),
                         ("psycopg", "OperationalError")):
        loaded = sys.modules.get(module)
        if loaded is not None and isinstance(exc, getattr(loaded, name)):
            return True
    return False
