"""Targets in the database: atomic import, new versions on change (history kept), the sample
programme loaded with the sample."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.programme import TargetFileError
from layers import programme

CSV = ("programa,programa_nombre,indicador,meta,desde,hasta,ambito\n"
       "PX,Programa X,legal_personalities,75,2024-01-01,2025-12-31,todo\n"
       "PX,Programa X,boards_registered,10,2024-01-01,2025-12-31,red:RED-01\n")


def _count(conn: Connection) -> int:
    return int(conn.execute(sa.text("SELECT count(*) FROM programme_target")).scalar_one())


def test_sample_has_the_fictional_programme(sample_conn: Connection) -> None:
    progs = programme.programmes(sample_conn)
    assert [p["id"] for p in progs] == ["PROG-DEMO"]
    assert "FICTICIO" in progs[0]["name"]
    assert len(programme.targets(sample_conn, "PROG-DEMO")) == 16


def test_import_then_change_keeps_history(conn: Connection) -> None:
    counts = programme.import_targets_csv(conn, CSV, recorded_by="pytest", source="a.csv")
    assert counts["inserted"] == 2
    again = programme.import_targets_csv(conn, CSV, recorded_by="pytest", source="a.csv")
    assert again["unchanged"] == 2 and _count(conn) == 2
    changed = programme.import_targets_csv(conn, CSV.replace(",75,", ",80,"),
                                           recorded_by="admin", source="b.csv")
    assert changed["changed"] == 1
    rows = conn.execute(sa.text(
        "SELECT target, valid_to IS NULL FROM programme_target WHERE indicator = "
        "'legal_personalities' ORDER BY vid")).all()
    assert [(r[0], r[1]) for r in rows] == [(75.0, False), (80.0, True)]
    assert programme.programmes(conn)[0]["name"] == "Programa X"


def test_a_bad_row_stores_nothing(conn: Connection) -> None:
    before = _count(conn)
    with pytest.raises(TargetFileError):
        programme.import_targets_csv(conn, CSV + "PX,,x,2024-01-01,2025-12-31,todo\n",
                                     recorded_by="pytest", source="c.csv")
    assert _count(conn) == before
