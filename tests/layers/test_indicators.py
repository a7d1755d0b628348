"""Programme indicators on the sample, as of two dates, against counts written here
independently in plain SQL over the versioned tables.

The sample is loaded "today"; to get a real history the test (inside its rolled-back
transaction) dates the sample's versions back to 2024-01-01, records a second wave of
versions on 2025-06-01 (registrations, statute changes, a case opened and one closed) and
flags from two analysis runs, then asks for 2025-01-01 and 2025-12-31.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from geoalchemy2.shape import to_shape
from sqlalchemy.engine import Connection

from layers import communities, derived_tables, indicators, programme_report
from layers.users import ANONYMOUS, Principal
from layers.versioning import write_snapshot

ADMIN = Principal(name="pytest", role="admin")
FIRST = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
SECOND = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
START, END = dt.date(2022, 1, 1), dt.date(2026, 12, 31)
DATES = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
TABLES = ("community", "consultation", "network", "concession", "water_source", "boundary",
          "programme", "programme_target")


def _current(conn: Connection, cid: str) -> dict[str, Any]:
    c = communities.community
    row = conn.execute(sa.select(c).where(c.c.id == cid, c.c.valid_to.is_(None))).mappings().one()
    out = {k: row[k] for k in communities.ATTRIBUTES}
    for k in ("territory", "location"):
        out[k] = to_shape(row[k]) if row[k] is not None else None
    return out


@pytest.fixture
def history(sample_conn: Connection) -> Connection:
    conn = sample_conn
    for table in TABLES:
        conn.execute(sa.text(f"UPDATE {table} SET valid_from = :t"), {"t": FIRST})
    ids = [r[0] for r in conn.execute(sa.text(
        "SELECT id FROM community WHERE valid_to IS NULL AND sensitivity = 'public' "
        "ORDER BY id"))]
    with_case = conn.execute(sa.text(
        "SELECT id FROM community WHERE valid_to IS NULL AND procedure_what IS NOT NULL "
        "AND sensitivity = 'public' AND NOT id = ANY(:first) ORDER BY id LIMIT 1"),
        {"first": ids[:3]}).scalar_one()
    changed = []
    a = _current(conn, ids[0])
    changed.append({**a, "legal_status": "registered", "registration_date": dt.date(2025, 5, 2)})
    b = _current(conn, ids[1])
    changed.append({**b, "statute_modified": dt.date(2025, 5, 3), "clause_women": True,
                    "clause_territory": True})
    c = _current(conn, ids[2])
    changed.append({**c, "procedure_what": "Inscripción de junta directiva",
                    "procedure_stage": "presentado", "procedure_since": dt.date(2025, 5, 4)})
    d = _current(conn, with_case)
    changed.append({**d, "procedure_what": None, "procedure_stage": None,
                    "procedure_since": None})
    restricted = conn.execute(sa.text(
        "SELECT id FROM community WHERE valid_to IS NULL AND sensitivity = 'restricted' "
        "ORDER BY id LIMIT 1")).scalar_one()
    r = _current(conn, restricted)
    changed.append({**r, "legal_status": "registered", "registration_date": dt.date(2025, 5, 5)})
    now = conn.execute(sa.text("SELECT now()")).scalar_one()
    write_snapshot(conn, communities.community, "id", changed, recorded_by="pytest",
                   batch_id=None, source="pytest", close_missing=False)
    conn.execute(sa.text("UPDATE community SET valid_to = :t WHERE valid_to = :now"),
                 {"t": SECOND, "now": now})
    conn.execute(sa.text("UPDATE community SET valid_from = :t WHERE valid_from = :now"),
                 {"t": SECOND, "now": now})
    # flags: run 1 (2024-03-01) raises three, run 2 (2025-07-01) resolves one, keeps one
    # (closed and re-inserted the same instant, as analyze does) and raises a critical one
    run = conn.execute(sa.insert(derived_tables.analysis_run).values(
        mode="full", recorded_by="pytest").returning(derived_tables.analysis_run.c.id)
    ).scalar_one()
    t1, t2 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC), dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
    common = {"run_id": run, "message_es": "x", "message_en": "x", "severity": "high",
              "valid_to": None}
    in_consultation = conn.execute(sa.text(
        "SELECT c.id FROM community c JOIN consultation k ON k.valid_to IS NULL AND "
        "ST_Intersects(k.geom, coalesce(c.territory, c.location)) WHERE c.valid_to IS NULL "
        "AND c.sensitivity = 'public' AND k.start_date > '2025-12-31' ORDER BY c.id LIMIT 1")
    ).scalar_one()
    conn.execute(sa.insert(derived_tables.flag), [
        {**common, "community_id": ids[0], "rule_id": "R1", "computed_at": t1, "valid_to": t2},
        {**common, "community_id": ids[1], "rule_id": "R2", "computed_at": t1, "valid_to": t2},
        {**common, "community_id": ids[1], "rule_id": "R2", "computed_at": t2},
        {**common, "community_id": ids[3], "rule_id": "R3", "computed_at": t1},
        {**common, "community_id": in_consultation, "rule_id": "R4", "computed_at": t2,
         "severity": "critical"},
        {**common, "community_id": restricted, "rule_id": "R5", "computed_at": t2},
    ])
    return conn


def _independent(conn: Connection, day: dt.date, *, public: bool) -> dict[str, int]:
    """Counts written without layers.indicators: plain SQL on the versioned tables."""
    upper = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    end = min(END, day)
    p = {"upper": upper, "start": START, "end": end, "day": day}
    alive = "valid_from < :upper AND (valid_to IS NULL OR valid_to >= :upper)"
    vis = (" AND id IN (SELECT id FROM community x WHERE x.vid = (SELECT max(vid) FROM "
           "community y WHERE y.id = x.id) AND x.sensitivity = 'public')") if public else ""
    base = f"SELECT * FROM community WHERE {alive}{vis}"

    def one(sql: str) -> int:
        return int(conn.execute(sa.text(sql), p).scalar_one())

    out = {
        "legal_personalities": one(f"SELECT count(*) FROM ({base}) c WHERE legal_status = "
                                   "'registered' AND registration_date BETWEEN :start AND :end"),
        "statutes_modified": one(f"SELECT count(*) FROM ({base}) c WHERE statute_modified "
                                 "BETWEEN :start AND :end"),
        "boards_registered": one(f"SELECT count(*) FROM ({base}) c WHERE board_registered "
                                 "AND board_elected BETWEEN :start AND :end"),
        "cases_opened": one(
            f"SELECT count(*) FROM (SELECT DISTINCT id, procedure_what, procedure_since FROM "
            f"community WHERE valid_from < :upper AND procedure_what IS NOT NULL AND "
            f"procedure_since BETWEEN :start AND :end AND id IN (SELECT id FROM ({base}) b)) q"),
        "cases_closed": one(
            f"SELECT count(*) FROM community o JOIN community n ON n.id = o.id AND n.vid = "
            f"(SELECT min(vid) FROM community z WHERE z.id = o.id AND z.vid > o.vid AND "
            f"z.valid_from < :upper) WHERE o.procedure_what IS NOT NULL AND "
            f"(n.procedure_what, n.procedure_since) IS DISTINCT FROM (o.procedure_what, "
            f"o.procedure_since) AND n.valid_from >= :start AND n.valid_from < :upper AND "
            f"o.id IN (SELECT id FROM ({base}) b)"),
        "flags_open": one(f"SELECT count(*) FROM flag WHERE computed_at < :upper AND "
                          f"(valid_to IS NULL OR valid_to >= :upper) AND community_id IN "
                          f"(SELECT id FROM ({base}) b)"),
    }
    for clause in ("territory", "water", "environment", "consultation", "women"):
        out[f"statutes_modified_{clause}"] = one(
            f"SELECT count(*) FROM ({base}) c WHERE statute_modified BETWEEN :start AND :end "
            f"AND clause_{clause}")
    facing = (f"FROM ({base}) c WHERE EXISTS (SELECT 1 FROM consultation k WHERE "
              f"k.valid_from < :upper AND (k.valid_to IS NULL OR k.valid_to >= :upper) AND "
              f"k.start_date > :day AND ST_Intersects(k.geom, coalesce(c.territory, "
              f"c.location)))")
    out["consultation_communities"] = one(f"SELECT count(*) {facing}")
    out["consultation_ready"] = one(
        f"SELECT count(*) {facing} AND NOT EXISTS (SELECT 1 FROM flag f WHERE f.community_id "
        f"= c.id AND f.severity = 'critical' AND f.computed_at < :upper AND (f.valid_to IS "
        f"NULL OR f.valid_to >= :upper))")
    # flag episodes, counted in Python from the raw rows
    rows = conn.execute(sa.text(
        f"SELECT community_id, rule_id, computed_at, valid_to FROM flag WHERE community_id IN "
        f"(SELECT id FROM ({base}) b)"), p).all()
    lo = dt.datetime.combine(START, dt.time.min, tzinfo=dt.UTC)
    raised = resolved = 0
    for cid, rule, since, until in rows:
        same = [r for r in rows if (r[0], r[1]) == (cid, rule)]
        if lo <= since < upper and not any(
                r[2] < since and (r[3] is None or r[3] >= since) for r in same):
            raised += 1
        if until is not None and lo <= until < upper and not any(
                r is not None and (r[2], r[3]) != (since, until) and r[2] <= until
                and (r[3] is None or r[3] > until) for r in same):
            resolved += 1
    out["flags_raised"], out["flags_resolved"] = raised, resolved
    return out


@pytest.mark.parametrize("public", [False, True])
def test_indicators_as_of_two_dates_match_independent_counts(history: Connection,
                                                             public: bool) -> None:
    principal = ANONYMOUS if public else ADMIN
    values = {}
    for day in DATES:
        data = programme_report.compute(history, principal, as_of=day)
        assert data["programme"]["id"] == "PROG-DEMO"
        got = {i["id"]: i["value"] for i in data["indicators"]}
        assert set(got) == set(indicators.INDICATOR_IDS)
        expected = _independent(history, day, public=public)
        assert got == expected, day
        for i in data["indicators"]:
            assert i["period"]["start"] == START.isoformat()
            assert len(i["evidence"]["versions"]) == i["value"]
        values[day] = got
    early, late = values[DATES[0]], values[DATES[1]]
    # the second wave and the later run move the numbers, and the test saw them move
    # (sample events dated in 2025 count too, hence ">=")
    assert late["legal_personalities"] >= early["legal_personalities"] + (1 if public else 2)
    assert late["statutes_modified_women"] >= early["statutes_modified_women"] + 1
    assert late["cases_opened"] >= early["cases_opened"] + 1
    assert early["cases_closed"] == 0 < late["cases_closed"]  # recorded on 2025-06-01
    assert (early["flags_raised"], late["flags_raised"]) == (3, 4 if public else 5)
    assert (early["flags_resolved"], late["flags_resolved"]) == (0, 1)
    assert late["consultation_ready"] == late["consultation_communities"] - 1


def test_targets_of_the_sample_programme_are_attached(history: Connection) -> None:
    data = programme_report.compute(history, ADMIN, as_of=DATES[1])
    by_id = {i["id"]: i for i in data["indicators"]}
    assert by_id["legal_personalities"]["target"] == 6
    assert by_id["legal_personalities"]["target_record"]["vid"] > 0
    district = programme_report.compute(history, ADMIN, as_of=DATES[1],
                                        scope=indicators.Scope(district="219901"))
    assert {i["id"]: i["target"] for i in district["indicators"]}["legal_personalities"] == 3
    assert all(it["district"].startswith("219901")
               for i in district["indicators"] for it in i["items"])


def test_network_scope_counts_members_only(history: Connection) -> None:
    members = set(history.execute(sa.text(
        "SELECT unnest(members) FROM network WHERE valid_to IS NULL AND id = 'RED-01'")
    ).scalars())
    data = programme_report.compute(history, ADMIN, as_of=DATES[1],
                                    scope=indicators.Scope(network="RED-01"))
    seen = {it["community_id"] for i in data["indicators"] for it in i["items"]}
    assert seen and seen <= members
