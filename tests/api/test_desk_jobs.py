"""Consequences at once, and no job lost: an edit leaves an analysis job in PostgreSQL; while
it waits the panel withholds the flags ("recalculando…"); a worker killed in the middle of
the run leaves the job pending (its transaction rolls back), and the next service start
runs it; then the flag that contradicted the record is gone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.app import create_app
from layers import users
from layers.analysis import run_analysis
from layers.config import Settings, load_settings
from tests.dbutil import fresh_database

ROOT = Path(__file__).resolve().parents[2]
RULE = "PE-EST-CONS"  # statute without consultation-representation clause


@dataclass(frozen=True)
class JobWorld:
    engine: Engine
    url: str
    token: str


@pytest.fixture(scope="module")
def job_world(settings: Settings) -> Iterator[JobWorld]:
    with fresh_database(settings, "jobs", sample=True) as engine:
        url = engine.url.render_as_string(hide_password=False)
        with engine.begin() as conn:
            run_analysis(conn, load_settings(database_url=url), recorded_by="pytest", full=True)
            users.create_user(conn, "abogada", "editor")
            token = users.issue_token(conn, "abogada")
        yield JobWorld(engine, url, token)


def _one(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).one()


def _wait(check: Any, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail("timed out")


def test_edit_job_survives_a_killed_worker_and_a_restart(job_world: JobWorld) -> None:
    engine = job_world.engine
    cid = _one(engine, "SELECT community_id FROM flag WHERE valid_to IS NULL AND rule_id = :r "
                       "ORDER BY community_id LIMIT 1", r=RULE)[0]
    runs_before = _one(engine, "SELECT count(*) FROM analysis_run")[0]

    # 1. a service without a worker takes the edit, then stops before anything runs it
    with TestClient(create_app(load_settings(database_url=job_world.url, worker=False))) as c:
        vid = c.get(f"/api/communities/{cid}").json()["vid"]
        r = c.patch(f"/api/communities/{cid}", json={"clause_consultation": True,
                                                      "change_note": "acta de asamblea"},
                    headers={"Authorization": f"Bearer {job_world.token}",
                             "If-Match": f'"{vid}"'})
        assert r.status_code == 200, r.text
        panel = c.get(f"/map/panel/{cid}.json").json()
        # the record says "clause: yes"; the old flag saying it is missing is not shown
        assert panel["statute"]["clauses"]["consultation"] is True
        assert panel["analysis"]["state"] == "recalculating" and panel["flags"] == []
    job_id, state, attempts = _one(
        engine, "SELECT id, state, attempts FROM analysis_job WHERE :c = ANY(community_ids)",
        c=cid)
    assert (state, attempts) == ("pending", 0)

    # 2. a worker process takes the job and is killed in the middle of the analysis
    with engine.connect() as blocker:
        blocker.execute(sa.text("LOCK TABLE flag IN EXCLUSIVE MODE"))  # the run waits here
        env = {**os.environ, "ALLPA_DATABASE_URL": job_world.url}
        allpa = str(Path(sys.executable).with_name("allpa"))
        proc = subprocess.Popen([allpa, "worker", "--once"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            waiting = _wait(lambda: _waiting_on_flag(engine))
            proc.kill()
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        blocker.rollback()  # the orphaned backend resumes, cannot answer, and rolls back
    _wait(lambda: not _backend_alive(engine, waiting))
    assert _one(engine, "SELECT state, attempts FROM analysis_job WHERE id = :i",
                i=job_id) == ("pending", 0)
    assert _one(engine, "SELECT count(*) FROM analysis_run")[0] == runs_before
    assert _one(engine, "SELECT count(*) FROM flag WHERE valid_to IS NULL AND rule_id = :r "
                        "AND community_id = :c", r=RULE, c=cid)[0] == 1

    # 3. the service starts again (with its worker): the job runs, no command needed
    with TestClient(create_app(load_settings(database_url=job_world.url))) as c:
        _wait(lambda: _one(engine, "SELECT state = 'done' FROM analysis_job WHERE id = :i",
                           i=job_id)[0])
        panel = c.get(f"/map/panel/{cid}.json").json()
        assert panel["analysis"]["state"] == "current"
        assert RULE not in {f["rule_id"] for f in panel["flags"]}
    run_id = _one(engine, "SELECT run_id FROM analysis_job WHERE id = :i", i=job_id)[0]
    mode = _one(engine, "SELECT mode FROM analysis_run WHERE id = :i", i=run_id)[0]
    assert mode == "incremental"


def _waiting_on_flag(engine: Engine) -> int | None:
    """The backend of a session waiting for a lock on ``flag`` (the worker's), if any."""
    with engine.connect() as conn:
        pid = conn.execute(sa.text(
            "SELECT l.pid FROM pg_locks l WHERE NOT l.granted "
            "AND l.relation = 'flag'::regclass LIMIT 1")).scalar()
    return int(pid) if pid is not None else None


def _backend_alive(engine: Engine, pid: int) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity "
                                         "WHERE pid = :p"), {"p": pid}).scalar_one())


def test_cli_import_leaves_a_job_for_the_service(job_world: JobWorld, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``allpa import`` on the server leaves the same job as an upload (a running service's
    worker recalculates the flags); a dry run leaves none."""
    import json

    from typer.testing import CliRunner

    from api.cli.main import app

    doc = json.loads((ROOT / "data" / "sample" / "consultas.geojson").read_text())
    doc["features"][0]["properties"]["stage"] = "dialogue"
    changed = tmp_path / "consultas.geojson"
    changed.write_text(json.dumps(doc), encoding="utf-8")
    monkeypatch.setenv("ALLPA_DATABASE_URL", job_world.url)
    count = "SELECT count(*) FROM analysis_job WHERE reason LIKE 'import consultations%'"
    before = _one(job_world.engine, count)[0]
    runner = CliRunner()
    dry = runner.invoke(app, ["import", "consultations", str(changed), "--dry-run",
                              "--by", "cli-abogada"])
    assert dry.exit_code == 0, dry.output
    assert _one(job_world.engine, count)[0] == before
    done = runner.invoke(app, ["import", "consultas", str(changed), "--by", "cli-abogada"])
    assert done.exit_code == 0, done.output
    job = _one(job_world.engine, "SELECT reason, requested_by, state FROM analysis_job "
                                 "WHERE reason LIKE 'import consultations%' "
                                 "ORDER BY id DESC LIMIT 1")
    assert _one(job_world.engine, count)[0] == before + 1
    assert job.requested_by == "cli-abogada" and job.state in ("pending", "running", "done")
