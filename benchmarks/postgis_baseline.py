"""Baseline (c) of ``bench_analysis``: the same outputs in plain PostGIS SQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from benchmarks.national import PRESSURE_STATES
from benchmarks.timing import Timer
from layers.config import load_settings
from layers.db import make_engine

STATEMENT_TIMEOUT_S = 420
_CURRENT = "valid_to IS NULL"
POSTGIS_SQL: list[tuple[str, str]] = [
    ("territory areas", f"""
        CREATE TEMP TABLE pg_terr AS
        SELECT id, ST_Area(territory::geography) / 1e4 AS ha FROM community
        WHERE {_CURRENT} AND territory IS NOT NULL"""),
    ("pairs (ST_Intersection)", f"""
        CREATE TEMP TABLE pg_pieces AS
        SELECT c.id, k.code, k.state,
               ST_CollectionExtract(ST_Intersection(c.territory, k.geom), 3) AS g
        FROM community c JOIN concession k ON ST_Intersects(c.territory, k.geom)
        WHERE c.{_CURRENT} AND k.{_CURRENT} AND c.territory IS NOT NULL"""),
    ("pair areas (geography)", """
        CREATE TEMP TABLE pg_pairs AS
        SELECT p.id, p.code, p.state, ST_Area(p.g::geography) / 1e4 AS ha,
               ST_Area(p.g::geography) / 1e4 / t.ha AS share
        FROM pg_pieces p JOIN pg_terr t USING (id) WHERE NOT ST_IsEmpty(p.g)"""),
    ("unions (ST_Union)", """
        CREATE TEMP TABLE pg_union AS
        SELECT id, ST_Area(ST_Union(g)::geography) / 1e4 AS ha FROM pg_pieces
        WHERE state = ANY(:pressure) AND NOT ST_IsEmpty(g) GROUP BY id"""),
    ("unions by state", """
        CREATE TEMP TABLE pg_union_state AS
        SELECT id, state, ST_Area(ST_Union(g)::geography) / 1e4 AS ha FROM pg_pieces
        WHERE state IN ('titled', 'in_process') AND NOT ST_IsEmpty(g) GROUP BY id, state"""),
    ("neighbours", f"""
        CREATE TEMP TABLE pg_neighbours AS
        SELECT * FROM (
            SELECT a.id, b.id AS other_id,
                   ST_Area(ST_Intersection(a.territory, b.territory)::geography) / 1e4 AS ha
            FROM community a JOIN community b
              ON a.id < b.id AND ST_Intersects(a.territory, b.territory)
            WHERE a.{_CURRENT} AND b.{_CURRENT}) n
        WHERE ha > 0 AND ha >= :min_ha"""),
    ("water in communities", f"""
        CREATE TEMP TABLE pg_water_comm AS
        SELECT w.id AS water_id, c.id FROM water_source w
        JOIN community c ON ST_Intersects(w.geom, c.territory)
        WHERE w.{_CURRENT} AND c.{_CURRENT}"""),
    ("water in concessions", f"""
        CREATE TEMP TABLE pg_water_conc AS
        SELECT w.id AS water_id, k.code FROM water_source w
        JOIN concession k ON ST_Intersects(w.geom, k.geom)
        WHERE w.{_CURRENT} AND k.{_CURRENT}"""),
    ("water at risk", """
        CREATE TEMP TABLE pg_water_risk AS
        SELECT c.id, c.water_id, k.code FROM pg_water_comm c JOIN pg_water_conc k USING (water_id)
    """),
    ("point-only (ST_DWithin)", f"""
        CREATE TEMP TABLE pg_near AS
        SELECT c.id, k.code, ST_Distance(c.location::geography, k.geom::geography) AS m
        FROM community c JOIN concession k
          ON k.geom && ST_Expand(c.location, 0.1)
         AND ST_DWithin(c.location::geography, k.geom::geography, :radius)
        WHERE c.{_CURRENT} AND k.{_CURRENT} AND c.territory IS NULL"""),
    ("consultations", f"""
        CREATE TEMP TABLE pg_cons AS
        SELECT c.id, q.id AS consultation_id,
               coalesce(ST_Area(ST_Intersection(c.territory, q.geom)::geography) / 1e4, 0) AS ha
        FROM community c JOIN consultation q
          ON ST_Intersects(coalesce(c.territory, c.location), q.geom)
        WHERE c.{_CURRENT} AND q.{_CURRENT}"""),
]


def postgis(database: str, *, radius_m: float, neighbour_min_ha: float) -> dict[str, Any]:
    timer = Timer()
    engine = make_engine(load_settings(), database)
    params = {"pressure": list(PRESSURE_STATES), "radius": radius_m, "min_ha": neighbour_min_ha}
    out: dict[str, Any] = {}
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT_S}s'"))
            for name, sql in POSTGIS_SQL:
                with timer.step(name):
                    conn.execute(sa.text(sql), params)
            out["pairs"] = conn.execute(sa.text(
                "SELECT count(*) FROM pg_pairs WHERE ha > 0")).scalar_one()
            out["pairs_ha"] = conn.execute(sa.text("SELECT sum(ha) FROM pg_pairs")).scalar_one()
            out["union_ha"] = conn.execute(sa.text("SELECT sum(ha) FROM pg_union")).scalar_one()
            out["neighbours"] = 2 * conn.execute(sa.text(
                "SELECT count(*) FROM pg_neighbours")).scalar_one()
            for table in ("pg_water_comm", "pg_water_conc", "pg_water_risk", "pg_near"):
                out[table] = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            conn.rollback()
    finally:
        engine.dispose()
    out.update(seconds=timer.total, steps=timer.steps)
    return out

