"""Migration 0009_casefiles moves the single deadline of every version of every case into
``case_deadline`` without losing history: the current version's deadline stays open, a
replaced or removed one is kept as cancelled by whoever recorded the change, when they did;
the downgrade puts the earliest open deadline back."""

from __future__ import annotations

import datetime as dt
import os

import sqlalchemy as sa

from layers import cluster, migrate
from layers.config import Settings
from layers.db import make_engine

_INSERT = sa.text(
    "INSERT INTO legal_case (valid_from, valid_to, recorded_by, row_hash, id, community_id, "
    "type, stage, deadline, deadline_what) VALUES (:f, :t, :by, 'x', :id, 'C-1', 'titling', "
    "'filed', :d, :w)")


def test_deadlines_of_every_version_are_moved(settings: Settings) -> None:
    name = f"allpa_test_{os.getpid()}_mig0009"
    cluster.up(settings)
    cluster.drop_database(settings, name)
    cluster.ensure_database(settings, name)
    engine = make_engine(settings, name)
    try:
        migrate.upgrade(engine, "0008_delivery")
        t1, t2, t3 = (dt.datetime(2026, 1, d, tzinfo=dt.UTC) for d in (1, 2, 3))
        a, b = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
        with engine.begin() as conn:
            for row in (
                # TR-1: deadline A, replaced by B (v2), unchanged B (v3, current)
                {"f": t1, "t": t2, "by": "ana", "id": "TR-1", "d": a, "w": "Subsanar"},
                {"f": t2, "t": t3, "by": "beto", "id": "TR-1", "d": b, "w": "Apelar"},
                {"f": t3, "t": None, "by": "ana", "id": "TR-1", "d": b, "w": "Apelar"},
                # TR-2: a deadline that a later version removed
                {"f": t1, "t": t2, "by": "ana", "id": "TR-2", "d": a, "w": None},
                {"f": t2, "t": None, "by": "carla", "id": "TR-2", "d": None, "w": None},
                # TR-3: never had one
                {"f": t1, "t": None, "by": "ana", "id": "TR-3", "d": None, "w": None},
            ):
                conn.execute(_INSERT, row)
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT case_id, due, what, state, created_by, created_at, closed_by, "
                "closed_at FROM case_deadline ORDER BY case_id, due")).mappings().all()
            columns = {c["name"] for c in sa.inspect(conn).get_columns("legal_case")}
        assert [(r["case_id"], r["due"], r["what"], r["state"], r["created_by"],
                 r["closed_by"]) for r in rows] == [
            ("TR-1", a, "Subsanar", "cancelled", "ana", "beto"),
            ("TR-1", b, "Apelar", "open", "beto", None),
            ("TR-2", a, "Plazo del trámite", "cancelled", "ana", "carla")]
        assert rows[0]["created_at"] == t1 and rows[0]["closed_at"] == t2
        assert rows[1]["created_at"] == t2 and rows[1]["closed_at"] is None
        assert "deadline" not in columns and {"intake_channel", "alert_ids"} <= columns
        # back down: the open deadline returns to the current version
        from alembic import command

        cfg = migrate.alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008_delivery")
        with engine.connect() as conn:
            back = conn.execute(sa.text(
                "SELECT id, deadline, deadline_what FROM legal_case WHERE valid_to IS NULL "
                "ORDER BY id")).all()
        assert [tuple(r) for r in back] == [("TR-1", b, "Apelar"), ("TR-2", None, None),
                                            ("TR-3", None, None)]
    finally:
        engine.dispose()
        cluster.drop_database(settings, name)
