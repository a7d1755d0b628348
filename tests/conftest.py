"""Shared fixtures: a real private PostGIS (never mocked, never skipped) and the sample.

Each run creates fresh databases in the project's own cluster and drops them at the end;
each test runs inside a transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from layers.config import Settings, load_settings
from tests.dbutil import fresh_database

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"../shared/data is required by the real-data tests: {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def empty_engine(settings: Settings) -> Iterator[Engine]:
    """A database with the schema and no data."""
    with fresh_database(settings, "empty") as engine:
        yield engine


@pytest.fixture(scope="session")
def sample_engine(settings: Settings) -> Iterator[Engine]:
    """A database with the bundled sample loaded (committed once per run)."""
    with fresh_database(settings, "sample", sample=True) as engine:
        yield engine


def _rolled_back(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    trans = conn.begin()
    try:
        yield conn
    finally:
        trans.rollback()
        conn.close()


@pytest.fixture
def conn(empty_engine: Engine) -> Iterator[Connection]:
    """A connection to the empty database; everything it does is rolled back."""
    yield from _rolled_back(empty_engine)


@pytest.fixture
def sample_conn(sample_engine: Engine) -> Iterator[Connection]:
    """A connection to the sample database; everything it does is rolled back."""
    yield from _rolled_back(sample_engine)


def count_current(conn: Connection, table: str) -> int:
    return int(conn.execute(sa.text(f'SELECT count(*) FROM "{table}" WHERE valid_to IS NULL'))
               .scalar_one())


_SKIPPED: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _SKIPPED.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test is a test that did not run: the suite fails rather than hide it."""
    if _SKIPPED and exitstatus == 0:
        print(f"\n{len(_SKIPPED)} test(s) skipped, which this suite treats as failure: "
              + ", ".join(_SKIPPED[:10]))
        session.exitstatus = 1
