"""Shared CLI plumbing: settings, engine, language, errors printed in Spanish first."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from sqlalchemy.engine import Engine

from geo.errors import AllpaError
from layers import cluster, migrate
from layers.config import Settings, load_settings
from layers.db import make_engine

P = ParamSpec("P")
R = TypeVar("R")


def settings() -> Settings:
    return load_settings()


def ready_engine(s: Settings | None = None) -> Engine:
    """Start the private cluster if needed and bring the schema up to date."""
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
