"""The durable queue of analysis jobs: edits and imports leave a job in PostgreSQL, in the same
transaction as the change, and a worker runs the incremental analysis for them.

Why a table and not a library queue (``procrastinate``): the job must commit or vanish
*together with* the edit it follows, on the edit's own SQLAlchemy connection, and the worker
must hold its jobs while the analysis runs in the *same* transaction, so that flags and
"job done" commit together. A process killed mid-run rolls back, and its jobs are simply
pending again: no job is lost and none is half done. That is twenty lines of SQL
(``FOR UPDATE SKIP LOCKED`` + ``LISTEN/NOTIFY``); a library would add a second schema and a
second connection without removing any of them.

Every analysis run is incremental over *everything* changed since the previous run, so one
run serves every pending job at once; a transaction-level advisory lock keeps two workers
(the service's and ``allpa worker``) from running analyses side by side.

Freshness (:func:`flags_state`): a community's flags are stale while a job that may touch it
is pending, or while its record is newer than the input version the last finished analysis
read. The panel then shows "recalculando…" instead of flags that might contradict the record.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine

from geo.catalog import CATALOG
from layers.config import Settings
from layers.db import metadata

log = logging.getLogger("allpa.worker")

CHANNEL = "allpa_jobs"
#: pg_advisory_xact_lock key of "an analysis is running" (any 64-bit constant of ours).
ANALYSIS_LOCK = 0x616C6C7061  # "allpa"
MAX_ATTEMPTS = 3
#: Layers whose changes the analysis reads (an import of another layer needs no job): the
#: catalog's analysed layers, and rasters.
ANALYSED_LAYERS = (*(layer.name for layer in CATALOG.values() if layer.tracked_by_analysis),
                   "rasters")

analysis_job = sa.Table(
    "analysis_job", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("state", sa.Text, nullable=False, server_default="pending"),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("community_ids", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("requested_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("analysis_run.id")),
    sa.Column("error", sa.Text),
    sa.Index("ix_analysis_job_open", "id",
             postgresql_where=sa.text("state IN ('pending', 'running')")),
)


def enqueue(conn: Connection, *, reason: str, requested_by: str,
            community_ids: Iterable[str] = ()) -> int:
    """Add a job in the caller's transaction (it exists exactly when the change does); the
    NOTIFY is delivered at commit and wakes the worker. No ids = "may touch any community"
    (an import)."""
    job_id = conn.execute(sa.insert(analysis_job).values(
        reason=reason, requested_by=requested_by, community_ids=sorted(set(community_ids)))
        .returning(analysis_job.c.id)).scalar_one()
    conn.execute(sa.text("SELECT pg_notify(:ch, :id)"), {"ch": CHANNEL, "id": str(job_id)})
    return int(job_id)


def enqueue_import(conn: Connection, layer: str, batch_id: int | None, *,
                   requested_by: str) -> int | None:
    """The job of an import that stored a batch of an analysed layer (upload or CLI alike),
    in the import's own transaction; ``None`` when the import changes nothing analysed."""
    if batch_id is None or layer not in ANALYSED_LAYERS:
        return None
    return enqueue(conn, reason=f"import {layer} batch {batch_id}", requested_by=requested_by)


@dataclass(frozen=True)
class Batch:
    jobs: list[int]
    run_id: int | None
    communities: int
    seconds: float


def run_pending(engine: Engine, settings: Settings, *, recorded_by: str = "worker"
                ) -> Batch | None:
    """Run one incremental analysis for every pending job; None when there was nothing to do
    or another worker holds the analysis lock. A failure leaves the jobs pending (retried up
    to :data:`MAX_ATTEMPTS` times, then ``failed`` with the error kept)."""
    from layers.analysis import run_analysis  # heavy: only when there is work

    ids: list[int] = []
    try:
        with engine.begin() as conn:
            if not conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"),
                                {"k": ANALYSIS_LOCK}).scalar_one():
                return None
            ids = [int(i) for i in conn.execute(sa.text(
                "SELECT id FROM analysis_job WHERE state = 'pending' ORDER BY id "
                "FOR UPDATE SKIP LOCKED")).scalars()]
            if not ids:
                return None
            started = conn.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
            summary = run_analysis(conn, settings, recorded_by=recorded_by)
            conn.execute(sa.update(analysis_job).where(analysis_job.c.id.in_(ids)).values(
                state="done", started_at=started, finished_at=sa.func.clock_timestamp(),
                attempts=analysis_job.c.attempts + 1, run_id=summary.run_id, error=None))
        return Batch(jobs=ids, run_id=summary.run_id, communities=summary.communities,
                     seconds=summary.seconds)
    except Exception as exc:  # the analysis failed: keep the jobs, record why
        if not ids:
            raise
        log.exception("analysis jobs %s failed", ids)
        with engine.begin() as conn:
            attempts = analysis_job.c.attempts + 1
            conn.execute(sa.update(analysis_job).where(analysis_job.c.id.in_(ids)).values(
                attempts=attempts, error=f"{type(exc).__name__}: {exc}"[:2000],
                state=sa.case((attempts >= MAX_ATTEMPTS, "failed"), else_="pending")))
        return None


def pending_count(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(analysis_job)
                            .where(analysis_job.c.state == "pending")).scalar_one())


def flags_state(conn: Connection, community_id: str) -> dict[str, Any]:
    """``{"state": "current" | "recalculating" | "failed" | "outdated", "record_vid",
    "analysed_vid"}``
    for a community the caller may already see. Read it in the same snapshot as the flags
    (REPEATABLE READ) so the answer and the flags agree."""
    row = conn.execute(sa.text("""
        SELECT (SELECT vid FROM community WHERE id = :id AND valid_to IS NULL),
               (SELECT (input_versions->>'community')::bigint FROM analysis_run
                 WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1),
               (SELECT string_agg(DISTINCT state, ',') FROM analysis_job
                 WHERE state IN ('pending', 'failed')
                   AND (community_ids = '{}' OR :id = ANY(community_ids)))
    """), {"id": community_id}).one()
    record_vid, analysed_vid, states = row
    states = set((states or "").split(",")) - {""}
    behind = (record_vid is not None and analysed_vid is not None
              and int(record_vid) > int(analysed_vid))
    if "pending" in states:
        state = "recalculating"
    elif behind:
        # changed outside the service (a script, a restore) and nobody queued a job: say so
        state = "failed" if "failed" in states else "outdated"
    else:
        state = "current"
    return {"state": state, "record_vid": record_vid, "analysed_vid": analysed_vid}


class Worker:
    """A thread that runs pending jobs, woken by NOTIFY (and every ``poll_s`` seconds, for
    jobs left by a process that died or a notification that was missed)."""

    def __init__(self, engine: Engine, settings: Settings, *, poll_s: float = 5.0,
                 name: str = "worker") -> None:
        self.engine = engine
        self.settings = settings
        self.poll_s = poll_s
        self.name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.batches = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="allpa-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        import psycopg

        dsn = self.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as listen:
                    listen.execute(f"LISTEN {CHANNEL}")
                    self._loop(listen)
            except Exception:  # database away: retry later, never kill the service
                log.exception("worker loop failed; retrying")
                self._stop.wait(self.poll_s)

    def _loop(self, listen: Any) -> None:
        while not self._stop.is_set():
            while not self._stop.is_set() and self.run_once():
                pass
            deadline = dt.datetime.now() + dt.timedelta(seconds=self.poll_s)
            # wake on the first notification, or check the stop flag every half second
            while not self._stop.is_set() and dt.datetime.now() < deadline:
                if any(True for _ in listen.notifies(timeout=0.5, stop_after=1)):
                    break

    def run_once(self) -> bool:
        batch = run_pending(self.engine, self.settings, recorded_by=self.name)
        if batch is None:
            return False
        self.batches += 1
        log.info("analysis run %s for jobs %s: %d communities in %.2f s", batch.run_id,
                 batch.jobs, batch.communities, batch.seconds)
        return True
