"""The analysis with nothing to do: recorded at once on a plain connection, and never taken
when something did change (an edit, a withdrawal, a new day, a schema behind the code)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from layers import migrate
from layers.analysis import run_analysis
from layers.analysis_state import quick_incremental_run
from layers.config import Settings
from tests.dbutil import fresh_database

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def analysed_db(settings: Settings) -> Iterator[tuple[Engine, Settings]]:
    with fresh_database(settings, "quickrun", sample=True) as engine:
        with engine.begin() as conn:
            run_analysis(conn, settings, recorded_by="pytest", full=True, today=TODAY)
        yield engine, dataclasses.replace(settings, db_name=engine.url.database)


def _runs(engine: Engine) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(sa.text(
            "SELECT mode, communities FROM analysis_run ORDER BY id"))]


def test_head_revision_is_alembics_head() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS))
    assert migrate.head_revision() == ScriptDirectory.from_config(cfg).get_current_head()


def test_nothing_changed_records_an_empty_run(analysed_db: tuple[Engine, Settings]) -> None:
    engine, s = analysed_db
    summary = quick_incremental_run(s, recorded_by="pytest", today=TODAY)
    assert summary is not None and summary.communities == 0 and summary.mode == "incremental"
    with engine.connect() as conn:  # the whole sample: Peruvian and Bolivian communities
        n = conn.execute(sa.text(
            "SELECT count(*) FROM community WHERE valid_to IS NULL")).scalar_one()
    assert n > 72 and _runs(engine) == [("full", n), ("incremental", 0)]
    # the empty run is a proper run: the next one compares against it
    assert quick_incremental_run(s, recorded_by="pytest", today=TODAY) is not None


def test_any_change_goes_to_the_real_analysis(analysed_db: tuple[Engine, Settings]) -> None:
    engine, s = analysed_db
    assert quick_incremental_run(s, recorded_by="pytest", today=TODAY + dt.timedelta(1)) is None
    with engine.begin() as conn:  # a withdrawn concession: a closed version, no new vid
        conn.execute(sa.text("UPDATE concession SET valid_to = now() WHERE valid_to IS NULL "
                             "AND code = (SELECT min(code) FROM concession)"))
    assert quick_incremental_run(s, recorded_by="pytest", today=TODAY) is None
    with engine.begin() as conn:
        summary = run_analysis(conn, s, recorded_by="pytest", today=TODAY)
    assert summary.mode == "incremental" and summary.communities > 0
    assert quick_incremental_run(s, recorded_by="pytest", today=TODAY) is not None


def test_schema_behind_the_code_goes_to_the_real_analysis(
        analysed_db: tuple[Engine, Settings]) -> None:
    engine, s = analysed_db
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    assert quick_incremental_run(s, recorded_by="pytest", today=TODAY) is None


def test_the_empty_run_loads_no_heavy_library(analysed_db: tuple[Engine, Settings]) -> None:
    _, s = analysed_db
    probe = ("import datetime, json, sys\n"
             "from layers.config import load_settings\n"
             "from layers.analysis_state import quick_incremental_run\n"
             f"r = quick_incremental_run(load_settings(), recorded_by='pytest', "
             f"today=datetime.date({TODAY.year}, {TODAY.month}, {TODAY.day}))\n"
             "print(json.dumps([r is not None, sorted(m for m in ('geopandas', 'sqlalchemy', "
             "'alembic', 'shapely', 'pandas') if m in sys.modules)]))")
    env = {**os.environ, "ALLPA_DB_NAME": str(s.db_name)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, check=True,
                         capture_output=True, text=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == [True, []]
