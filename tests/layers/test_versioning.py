"""Versioned writes: nothing is overwritten, every past state stays readable."""

from __future__ import annotations

import datetime as dt
import time

import geopandas as gpd
import sqlalchemy as sa
from shapely.geometry import MultiPolygon, box
from sqlalchemy.engine import Connection

from layers import concessions
from layers.base import history, read_rows
from layers.versioning import row_hash, write_snapshot


def _row(code: str, holder: str, x0: float = -69.8) -> dict[str, object]:
    return {"code": code, "name": f"C {code}", "holder": holder, "state": "titled",
            "state_raw": "T", "substance": "metallic", "filed_on": dt.date(2020, 1, 2),
            "official_ha": 100.0, "zone": 19, "datum": "WGS84",
            "geom": MultiPolygon([box(x0, -15.2, x0 + 0.01, -15.19)])}


def _write(conn: Connection, rows: list[dict[str, object]], close: bool = True
           ) -> dict[str, int]:
    counts = write_snapshot(conn, concessions.concession, "code", rows, recorded_by="tester",
                            batch_id=None, source="unit", close_missing=close)
    return counts.as_dict()


def test_hash_is_content_only() -> None:
    a = _row("000000001", "A")
    assert row_hash(a) == row_hash({**a, "recorded_by": "someone else", "vid": 7})
    assert row_hash(a) != row_hash(_row("000000001", "B"))
    assert row_hash(a) != row_hash(_row("000000001", "A", x0=-69.7))


def test_snapshot_inserts_changes_closes_and_keeps_history(conn: Connection) -> None:
    assert _write(conn, [_row("000000001", "A"), _row("000000002", "B")]) == {
        "inserted": 2, "changed": 0, "unchanged": 0, "closed": 0}
    before = conn.execute(sa.select(sa.func.now())).scalar_one()
    assert _write(conn, [_row("000000001", "A"), _row("000000002", "B")]) == {
        "inserted": 0, "changed": 0, "unchanged": 2, "closed": 0}
    counts = _write(conn, [_row("000000001", "A2"), _row("000000003", "C")])
    assert counts == {"inserted": 1, "changed": 1, "unchanged": 0, "closed": 1}
    current = read_rows(conn, concessions.SPEC)
    assert sorted(current["code"]) == ["000000001", "000000003"]
    assert current.set_index("code").loc["000000001", "holder"] == "A2"
    versions = history(conn, concessions.SPEC, "000000001")
    assert [v["holder"] for v in versions] == ["A", "A2"]
    assert versions[0]["valid_to"] is not None and versions[1]["valid_to"] is None
    closed = history(conn, concessions.SPEC, "000000002")
    assert len(closed) == 1 and closed[0]["valid_to"] is not None
    assert isinstance(before, dt.datetime)


def test_as_of_reads_a_past_state(empty_engine: sa.engine.Engine) -> None:
    """Separate committed transactions, so the two states have different timestamps."""
    codes = ["000000101", "000000102"]
    try:
        with empty_engine.begin() as c:
            _write(c, [_row(codes[0], "Old"), _row(codes[1], "Gone")], close=False)
        with empty_engine.connect() as c:
            middle = c.execute(sa.select(sa.func.now())).scalar_one()
        time.sleep(0.05)
        with empty_engine.begin() as c:
            write_snapshot(c, concessions.concession, "code", [_row(codes[0], "New")],
                           recorded_by="tester", batch_id=None, source="asof",
                           close_missing=True, scope=concessions.concession.c.code.in_(codes))
        with empty_engine.connect() as c:
            past = read_rows(c, concessions.SPEC, as_of=middle,
                             where=[concessions.concession.c.code.in_(codes)])
            now = read_rows(c, concessions.SPEC, where=[concessions.concession.c.code.in_(codes)])
            yesterday = read_rows(c, concessions.SPEC, as_of=dt.date.today() - dt.timedelta(1),
                                  where=[concessions.concession.c.code.in_(codes)])
        assert dict(zip(past["code"], past["holder"], strict=True)) == {
            codes[0]: "Old", codes[1]: "Gone"}
        assert dict(zip(now["code"], now["holder"], strict=True)) == {codes[0]: "New"}
        assert isinstance(now, gpd.GeoDataFrame) and now.crs.to_epsg() == 4326
        assert len(yesterday) == 0
    finally:
        with empty_engine.begin() as c:
            c.execute(sa.delete(concessions.concession).where(
                concessions.concession.c.code.in_(codes)))
