"""The one COPY writer: values that need escaping arrive in PostgreSQL exactly as sent."""

from __future__ import annotations

import datetime as dt
import math

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from layers.pgcopy import copy_rows, copy_text, text_column

AWKWARD = ["tab\there", "line\nbreak", "back\\slash", 'quote "x"', "ñandú", "\\N", "", "cr\r"]


def _table(conn: Connection) -> None:
    conn.execute(sa.text(
        "CREATE TEMP TABLE copy_probe (t text, i integer, f double precision, d date, "
        "b boolean, a text[], j jsonb)"))


def test_text_columns_round_trip_every_awkward_value(conn: Connection) -> None:
    _table(conn)
    n = len(AWKWARD)
    ints = [None if k % 3 == 0 else k for k in range(n)]
    floats = [math.nan, 1.5, None, 1e-300, -0.0, 2.0, 3.25, None]
    dates = [dt.date(2020, 1, k + 1) if k % 2 else None for k in range(n)]
    bools = [True, False, None, True, False, True, None, False]
    arrays = [["a", 'b"c', "d\\e", "f,g", "{h}"], [], None, ["x"], ["tab\t"], ["ñ"], ["N"],
              ["NULL", None]]
    docs = [{"k": "v\n"}, None, {"a": [1, 2]}, {}, {"s": "\\"}, {"n": None}, {"ñ": 1},
            {"q": '"'}]
    columns = [AWKWARD, ints, floats, dates, bools, arrays, docs]
    fields = [text_column(c) for c in columns]
    copy_text(conn, "copy_probe", ["t", "i", "f", "d", "b", "a", "j"],
              "".join("\t".join(row) + "\n" for row in zip(*fields, strict=True)))
    got = list(zip(*conn.execute(sa.text(
        "SELECT t, i, f, d, b, a, j FROM copy_probe ORDER BY ctid")).all(), strict=True))
    assert list(got[0]) == AWKWARD  # "\\N" is the text, not NULL
    assert list(got[1]) == ints
    assert got[2][0] is None and list(got[2][1:]) == floats[1:]  # NaN stored as NULL
    assert list(got[3]) == dates and list(got[4]) == bools
    assert list(got[5]) == arrays
    assert list(got[6]) == docs


def test_copy_rows_adapts_python_values(conn: Connection) -> None:
    _table(conn)
    copy_rows(conn, "copy_probe", ["t", "i", "a"], [("x\ty", 3, ["p", "q"]), (None, None, [])])
    assert conn.execute(sa.text("SELECT t, i, a FROM copy_probe ORDER BY i NULLS LAST")).all() \
        == [("x\ty", 3, ["p", "q"]), (None, None, [])]
