"""One way to get a throwaway database: fresh, migrated, optionally with the sample, dropped
afterwards. Without PostGIS the tests fail, never skip."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import Engine

from layers import cluster, migrate
from layers.config import Settings
from layers.db import make_engine


@contextmanager
def fresh_database(settings: Settings, suffix: str, *, sample: bool = False) -> Iterator[Engine]:
    name = f"allpa_test_{os.getpid()}_{suffix}"
    try:
        cluster.up(settings)
        cluster.drop_database(settings, name)
        cluster.ensure_database(settings, name)
    except Exception as exc:  # the suite must fail, not skip, without PostGIS
        pytest.fail(f"PostGIS is required for the tests and could not be started: {exc}")
    engine = make_engine(settings, name)
    try:
        migrate.upgrade(engine)
        if sample:
            from layers.sample import load_sample

            with engine.begin() as conn:
                load_sample(conn, recorded_by="pytest")
        yield engine
    finally:
        engine.dispose()
        cluster.drop_database(settings, name)
