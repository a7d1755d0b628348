"""Derived layers on real PostGIS: believable flags, PostGIS agreement, incremental == full, CLI.

The sample is analysed inside a rolled-back transaction for the read-only checks. The
incremental test needs distinct ``now()`` timestamps per step (change detection compares
``valid_to`` with the last run's start), so it commits each step in a database of its own,
created and dropped here; the CLI tests read committed flags from another such database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from pyproj import Transformer
from shapely.geometry import MultiPolygon, box
from sqlalchemy.engine import Connection, Engine
from typer.testing import CliRunner

from geo.overlay import analyse
from layers.analysis import (
    RunSummary,
    _copy_float,
    _copy_payload,
    _copy_text,
    load_inputs,
    run_analysis,
)
from layers.communities import ATTRIBUTES, community
from layers.config import PROJECT_ROOT, Settings
from layers.derived_tables import overlap
from layers.importer import import_file
from layers.sample import SOURCE
from layers.versioning import close_versions, write_snapshot
from tests.dbutil import fresh_database

TODAY = dt.date(2026, 11, 23)
#: Global rank of current flags as geo.flag_rank.rank_flags orders them (severity, due date,
#: share under concessions, community, rule), computed at read time.
READ_RANK = """row_number() OVER (ORDER BY
    CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2
                  WHEN 'low' THEN 1 ELSE 0 END DESC,
    due_date ASC NULLS LAST,
    CASE WHEN jsonb_typeof(evidence->'share_union') = 'number'
         THEN (evidence->>'share_union')::float8 ELSE 0 END DESC,
    community_id COLLATE "C", rule_id COLLATE "C") AS read_rank"""
PRESSURE = ("titled", "in_process", "other", "unknown")
SAMPLE_CONCESSIONS = PROJECT_ROOT / "data" / "sample" / "concesiones_ingemmet_19s.zip"
CONCESSION_SOURCE = f"{SOURCE} · {SAMPLE_CONCESSIONS.name}"


def _analyse(conn: Connection, settings: Settings, *, full: bool = False) -> RunSummary:
    return run_analysis(conn, settings, recorded_by="pytest", full=full, today=TODAY)


@pytest.fixture
def analysed(sample_conn: Connection, settings: Settings) -> Connection:
    """The sample analysed in full, inside the rolled-back test transaction."""
    summary = _analyse(sample_conn, settings)
    assert summary.mode == "full" and summary.flags > 0 and summary.overlaps > 0
    return sample_conn


def _close(a: float, b: float, *, rel: float = 1e-4, abs_tiny: float = 1e-4) -> bool:
    """Within 0.01 % (relative); pieces under 0.01 ha compared absolutely."""
    if max(abs(a), abs(b)) < 0.01:
        return abs(a - b) <= abs_tiny
    return abs(a - b) <= rel * max(abs(a), abs(b))


# ------------------------------------------------------------------ (1) believable flags


def test_flags_are_believable(analysed: Connection) -> None:
    rows = [dict(r) for r in analysed.execute(sa.text(
        f"SELECT *, {READ_RANK} FROM flag WHERE valid_to IS NULL ORDER BY rank")).mappings()]
    rules = {r["rule_id"] for r in rows}
    assert len(rules) >= 6, rules
    assert {"PE-PJ-01", "PE-EST-TERR", "PE-EST-AGUA"} <= rules
    # a full run stores geo.flag_rank.rank_flags' order, which the read-time order reproduces
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["read_rank"] for r in rows] == [r["rank"] for r in rows]
    severities = {r["severity"] for r in rows}
    assert severities <= {"info", "low", "medium", "high", "critical"}
    assert {"critical", "high", "medium"} <= severities
    for r in rows:
        for key in ("message_es", "message_en", "action_es", "action_en", "legal_ref"):
            assert isinstance(r[key], str) and len(r[key].strip()) > 20, (r["rule_id"], key)
        assert r["message_es"] != r["message_en"]
        assert "{" not in r["message_es"] and "{" not in r["message_en"]
    # severity ranks: most urgent first
    order = ["critical", "high", "medium", "low", "info"]
    sev_pos = [order.index(r["severity"]) for r in rows]
    assert sev_pos == sorted(sev_pos)

    pairs = {(c, k) for c, k in analysed.execute(sa.text(
        "SELECT community_id, other_id FROM overlap WHERE valid_to IS NULL "
        "AND other_kind = 'concession' AND NOT estimate"))}
    water = {(c, w) for c, w in analysed.execute(sa.text(
        "SELECT community_id, other_id FROM overlap WHERE valid_to IS NULL "
        "AND other_kind = 'water' AND (details->>'in_concession')::boolean"))}
    codes = {str(c) for (c,) in analysed.execute(sa.text(
        "SELECT code FROM concession WHERE valid_to IS NULL"))}
    for r in rows:
        ev = r["evidence"]
        if r["rule_id"] == "PE-EST-TERR":
            assert ev["concession_codes"], r
            assert all((r["community_id"], c) in pairs for c in ev["concession_codes"])
            assert ev["concession_ha_union"] > 0 and 0 < ev["share_union"] <= 1
        if r["rule_id"] == "PE-EST-AGUA":
            assert ev["water_in_concession_ids"] and ev["water_in_concession_codes"]
            assert set(ev["water_in_concession_codes"]) <= codes
            assert all((r["community_id"], w) in water for w in ev["water_in_concession_ids"])
        if r["rule_id"] == "PE-PJ-01":
            assert ev["legal_status"] != "registered"
            assert ev["concession_codes"] or ev["nearby_concession_codes"] or ev["consultation_ids"]
        if r["due_date"] is not None:  # due = consultation start - lead time
            start = dt.date.fromisoformat(ev["consultation_start"])
            assert r["due_date"] == start - dt.timedelta(days=ev["lead_days"])
    # a Spanish message speaks Spanish, an English one English
    terr = next(r for r in rows if r["rule_id"] == "PE-EST-TERR")
    assert "estatuto" in terr["message_es"].lower() and "statute" in terr["message_en"].lower()


def test_stored_rows_are_exactly_what_geo_computed(analysed: Connection,
                                                   settings: Settings) -> None:
    inputs = load_inputs(analysed)
    result = analyse(inputs.communities, inputs.concessions, inputs.water, inputs.consultations,
                     radius_m=settings.point_radius_m,
                     neighbour_min_ha=settings.neighbour_overlap_min_ha)
    expected = result.overlap_rows()
    stored = pd.DataFrame([tuple(r) for r in analysed.execute(sa.text(
        "SELECT community_id, other_kind, other_id, intersection_ha, share, estimate, details "
        "FROM overlap WHERE valid_to IS NULL ORDER BY community_id, other_kind, other_id"
    ))], columns=list(expected.columns))
    assert len(stored) == len(expected)
    for col in ("community_id", "other_kind", "other_id", "estimate"):
        assert stored[col].tolist() == expected[col].astype(type(stored[col][0])).tolist()
    for col in ("intersection_ha", "share"):  # bit for bit, NULL for NaN
        assert [None if v != v else v for v in expected[col].tolist()] == [
            None if v is None or v != v else v for v in stored[col].tolist()]
    assert stored["details"].tolist() == expected["details"].tolist()
    stats = {cid: s for cid, s in analysed.execute(sa.text(
        "SELECT community_id, stats FROM community_stat WHERE valid_to IS NULL "
        "AND kind = 'pressure'"))}
    for rec in result.pressure.to_dict("records"):
        assert stats[rec["community_id"]]["share_union"] == rec["share_union"]
        assert stats[rec["community_id"]]["n_concessions"] == rec["n_concessions"]


def test_copy_payload_escapes_text(conn: Connection) -> None:
    run_id = conn.execute(sa.text("INSERT INTO analysis_run (mode, recorded_by) "
                                  "VALUES ('full', 'pytest') RETURNING id")).scalar_one()
    odd = "a\\b\tc\nd\re"
    fields = ["run_id", "community_id", "other_kind", "other_id", "intersection_ha", "share",
              "estimate", "details"]
    rows = [str(run_id), *_copy_text([odd]), "concession", "X", *_copy_float([float("nan")]),
            *_copy_float([0.1 + 0.2]), "t", *_copy_text([json.dumps({"k": odd})])]
    assert _copy_payload(conn, overlap, (fields, "\t".join(rows) + "\n", 1)) == 1
    got = conn.execute(sa.text("SELECT community_id, intersection_ha, share, details FROM overlap "
                               "WHERE run_id = :r"), {"r": run_id}).one()
    assert got == (odd, None, 0.1 + 0.2, {"k": odd})


def test_reverse_overlap_index_holds_current_rows_only(analysed: Connection,
                                                      settings: Settings) -> None:
    """Migration 0012: closing a run's overlaps writes no entries into ix_overlap_other."""
    indexdef = analysed.execute(sa.text(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_overlap_other'")).scalar_one()
    assert indexdef.endswith("(other_kind, other_id) WHERE (valid_to IS NULL)")
    before = analysed.execute(sa.text("SELECT count(*) FROM overlap WHERE valid_to IS NULL")
                              ).scalar_one()
    _analyse(analysed, settings, full=True)  # closes the first run's rows
    current, closed = analysed.execute(sa.text(
        "SELECT count(*) FILTER (WHERE valid_to IS NULL), count(*) FILTER (WHERE valid_to "
        "IS NOT NULL) FROM overlap")).one()
    assert current == before and closed >= before
    # a current reverse lookup through the partial index finds exactly the current rows
    other = analysed.execute(sa.text("SELECT other_kind, other_id FROM overlap "
                                     "WHERE valid_to IS NULL LIMIT 1")).one()
    found = analysed.execute(sa.text(
        "SELECT count(*) FROM overlap WHERE other_kind = :k AND other_id = :i "
        "AND valid_to IS NULL"), {"k": other[0], "i": other[1]}).scalar_one()
    assert found >= 1


# -------------------------------------------------------- (2) agreement with ST_Area(geography)


def test_pair_hectares_agree_with_postgis_geography(analysed: Connection) -> None:
    rows = analysed.execute(sa.text("""
        SELECT o.community_id, o.other_id, o.intersection_ha, o.share,
               ST_Area(ST_Intersection(c.territory, k.geom)::geography) / 1e4 AS pg_ha,
               ST_Area(c.territory::geography) / 1e4 AS pg_territory
        FROM overlap o
        JOIN community c ON c.id = o.community_id AND c.valid_to IS NULL
        JOIN concession k ON k.code = o.other_id AND k.valid_to IS NULL
        WHERE o.valid_to IS NULL AND o.other_kind = 'concession' AND NOT o.estimate
    """)).all()
    assert len(rows) > 100
    for cid, code, ha, share, pg_ha, pg_terr in rows:
        assert _close(ha, pg_ha), (cid, code, ha, pg_ha)
        assert _close(share * pg_terr, pg_ha), (cid, code, share, pg_ha / pg_terr)
    # nothing PostGIS finds (above 0.01 ha) is missing from the stored overlaps
    stored = {(c, k) for c, k, *_ in rows}
    found = analysed.execute(sa.text("""
        SELECT c.id, k.code FROM community c JOIN concession k
          ON c.territory && k.geom AND ST_Intersects(c.territory, k.geom)
        WHERE c.valid_to IS NULL AND k.valid_to IS NULL
          AND ST_Area(ST_Intersection(c.territory, k.geom)::geography) / 1e4 > 0.01
    """)).all()
    assert {(c, k) for c, k in found} <= stored


def test_territory_and_neighbour_hectares_agree_with_postgis(analysed: Connection) -> None:
    terr = analysed.execute(sa.text("""
        SELECT s.community_id, (s.stats->>'territory_ha')::float8,
               ST_Area(c.territory::geography) / 1e4
        FROM community_stat s JOIN community c ON c.id = s.community_id AND c.valid_to IS NULL
        WHERE s.valid_to IS NULL AND s.kind = 'pressure'
    """)).all()
    n_territories = analysed.execute(sa.text(
        "SELECT count(*) FROM community WHERE valid_to IS NULL AND territory IS NOT NULL"
    )).scalar_one()
    assert len(terr) == n_territories > 40
    for cid, ha, pg in terr:
        assert _close(ha, pg), (cid, ha, pg)
    nb = analysed.execute(sa.text("""
        SELECT o.community_id, o.other_id, o.intersection_ha,
               ST_Area(ST_Intersection(a.territory, b.territory)::geography) / 1e4
        FROM overlap o
        JOIN community a ON a.id = o.community_id AND a.valid_to IS NULL
        JOIN community b ON b.id = o.other_id AND b.valid_to IS NULL
        WHERE o.valid_to IS NULL AND o.other_kind = 'community'
    """)).all()
    assert nb
    for cid, other, ha, pg in nb:
        assert _close(ha, pg), (cid, other, ha, pg)


# -------------------------------------------------------------------- (3) union, not sum


def test_share_under_concessions_is_a_union_not_a_sum(analysed: Connection) -> None:
    rows = analysed.execute(sa.text("""
        WITH pairs AS (
            SELECT community_id, sum(share) AS sum_share, count(*) AS n
            FROM overlap WHERE valid_to IS NULL AND other_kind = 'concession' AND NOT estimate
              AND details->>'state' = ANY(:pressure)
            GROUP BY community_id
        )
        SELECT p.community_id, p.sum_share, p.n, (s.stats->>'share_union')::float8 AS share_union,
               (s.stats->>'concession_ha_union')::float8 AS union_ha,
               (s.stats->>'n_concessions')::int AS n_stat
        FROM pairs p JOIN community_stat s ON s.community_id = p.community_id
             AND s.valid_to IS NULL AND s.kind = 'pressure'
        ORDER BY p.sum_share - (s.stats->>'share_union')::float8 DESC
    """), {"pressure": list(PRESSURE)}).all()
    assert rows
    for _cid, sum_share, n, share_union, _union_ha, n_stat in rows:
        assert n == n_stat
        # never above the sum (a union of merely touching pieces may differ by < 0.01 %:
        # the merged outline has extra vertices, and edges are geodesics)
        assert share_union <= sum_share * (1 + 1e-4)
    overlapped = [r for r in rows if r.sum_share > r.share_union * (1 + 1e-3)]
    assert overlapped, "the sample must have a community with mutually overlapping concessions"
    for cid, sum_share, _n, share_union, union_ha, _ in overlapped:
        pg_union, pg_terr = analysed.execute(sa.text("""
            SELECT ST_Area(ST_Union(ST_Intersection(c.territory, k.geom))::geography) / 1e4,
                   ST_Area(c.territory::geography) / 1e4
            FROM community c
            JOIN overlap o ON o.community_id = c.id AND o.valid_to IS NULL
                 AND o.other_kind = 'concession' AND NOT o.estimate
                 AND o.details->>'state' = ANY(:pressure)
            JOIN concession k ON k.code = o.other_id AND k.valid_to IS NULL
            WHERE c.id = :cid AND c.valid_to IS NULL
            GROUP BY c.territory
        """), {"cid": cid, "pressure": list(PRESSURE)}).one()
        assert _close(union_ha, pg_union), (cid, union_ha, pg_union)
        assert _close(share_union, pg_union / pg_terr), (cid, share_union, pg_union / pg_terr)
        assert share_union < sum_share


# ------------------------------------------------------------- (4) incremental == full

_DERIVED_SQL = {
    "overlap": """SELECT community_id, other_kind, other_id, intersection_ha, share, estimate,
                         details::text FROM overlap WHERE valid_to IS NULL""",
    # the stored rank is the position within the run that computed the flag; the global
    # order over all current flags is read-time (READ_RANK), and must agree too
    "flag": f"""SELECT community_id, rule_id, severity, {READ_RANK}, message_es, message_en,
                      action_es, action_en, legal_ref, evidence::text, due_date
               FROM flag WHERE valid_to IS NULL""",
    "community_stat": """SELECT community_id, kind, stats::text FROM community_stat
                         WHERE valid_to IS NULL""",
}


def _current_derived(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Current derived rows without ids, run ids and timestamps, in a canonical order."""
    with engine.connect() as conn:
        return {name: sorted((tuple(r) for r in conn.execute(sa.text(sql))), key=repr)
                for name, sql in _DERIVED_SQL.items()}


@pytest.fixture
def scratch_engine(settings: Settings) -> Iterator[Engine]:
    with fresh_database(settings, "incremental", sample=True) as engine:
        yield engine


def _modified_concessions(engine: Engine, path: Path) -> dict[str, Any]:
    """The sample's INGEMMET file with 3 new, 1 re-holdered, 1 moved and 1 removed concession.

    New concessions are 1 km UTM 19S cells (two each) snapped on the grid over the
    representative points of three georeferenced communities.
    """
    frame = gpd.read_file(SAMPLE_CONCESSIONS)
    assert frame.crs is not None and frame.crs.to_epsg() == 32719
    with engine.connect() as conn:
        targets = conn.execute(sa.text("""
            SELECT id, ST_X(ST_PointOnSurface(territory)), ST_Y(ST_PointOnSurface(territory))
            FROM community WHERE valid_to IS NULL AND territory IS NOT NULL
            ORDER BY id LIMIT 3 OFFSET 5
        """)).all()
    to_utm = Transformer.from_crs(4326, 32719, always_xy=True)
    new_rows = []
    for n, (cid, lon, lat) in enumerate(targets):
        x, y = to_utm.transform(lon, lat)
        x0, y0 = 1000.0 * (x // 1000), 1000.0 * (y // 1000)
        new_rows.append({
            **{c: None for c in frame.columns if c != "geometry"},
            "CODIGOU": f"01999900{n}", "CONCESION": f"NUEVA PRUEBA {n}",
            "TIT_CONCES": "MINERA DE PRUEBA S.A.C. (ficticia)", "D_ESTADO": "EN TRAMITE",
            "ESTADO": "P", "SUSTANCIA": "M", "HECTAGIS": 200.0, "FEC_DENU": "2026-11-20",
            "ZONA": 19, "geometry": MultiPolygon([box(x0, y0, x0 + 2000, y0 + 1000)]),
            "_community": cid,
        })
    changed = frame.copy()
    holder_code, moved_code, removed_code = (str(c) for c in changed["CODIGOU"].iloc[[0, 1, 2]])
    changed.loc[changed["CODIGOU"] == holder_code, "TIT_CONCES"] = "NUEVO TITULAR S.A. (ficticio)"
    moved = changed["CODIGOU"] == moved_code
    changed.loc[moved, "geometry"] = shapely.transform(
        changed.loc[moved, "geometry"].values, lambda xy: xy + np.array([1000.0, 0.0]))
    changed = changed[changed["CODIGOU"] != removed_code]
    extra = gpd.GeoDataFrame(new_rows, geometry="geometry", crs=frame.crs)
    out = gpd.GeoDataFrame(
        [*changed.to_dict("records"), *extra.drop(columns="_community").to_dict("records")],
        geometry="geometry", crs=frame.crs)
    out["geometry"] = [g if g.geom_type == "MultiPolygon" else MultiPolygon([g])
                       for g in out.geometry]
    out.to_file(path, driver="GPKG")
    return {"new": [r["CODIGOU"] for r in new_rows], "new_communities": [t[0] for t in targets],
            "holder": holder_code, "moved": moved_code, "removed": removed_code}


def _community_row(conn: Connection, cid: str) -> dict[str, Any]:
    cols = ", ".join(ATTRIBUTES)
    row = conn.execute(sa.text(
        f"SELECT {cols}, ST_AsBinary(territory) AS territory, ST_AsBinary(location) AS location "
        "FROM community WHERE id = :id AND valid_to IS NULL"), {"id": cid}).mappings().one()
    out = dict(row)
    out["territory"] = shapely.from_wkb(bytes(row["territory"])) if row["territory"] else None
    out["location"] = shapely.from_wkb(bytes(row["location"]))
    return out


def test_incremental_equals_full_after_real_imports_and_edits(
    scratch_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    engine = scratch_engine
    with engine.begin() as conn:
        first = _analyse(conn, settings)
    assert first.mode == "full"
    n_communities = first.communities

    # one day of cadastre changes, through the real import path (same source: a full snapshot)
    changes = _modified_concessions(engine, tmp_path / "concesiones_ingemmet_19s.gpkg")
    with engine.begin() as conn:
        report = import_file(conn, "concessions", tmp_path / "concesiones_ingemmet_19s.gpkg",
                             recorded_by="pytest", source=CONCESSION_SOURCE)
    assert (report.n_inserted, report.n_changed, report.n_closed) == (3, 2, 1), report.summary()

    # a lawyer redraws one territory (grown by ~500 m) and another community is withdrawn
    with engine.begin() as conn:
        edited_id, removed_id = conn.execute(sa.text("""
            SELECT (SELECT id FROM community c WHERE valid_to IS NULL AND territory IS NOT NULL
                    AND EXISTS (SELECT 1 FROM community d WHERE d.valid_to IS NULL
                                AND d.id <> c.id AND ST_Intersects(d.territory, c.territory))
                    ORDER BY id LIMIT 1),
                   (SELECT id FROM community c WHERE valid_to IS NULL AND territory IS NOT NULL
                    AND EXISTS (SELECT 1 FROM concession k WHERE k.valid_to IS NULL
                                AND ST_Intersects(k.geom, c.territory))
                    ORDER BY id DESC LIMIT 1)
        """)).one()
        row = _community_row(conn, edited_id)
        grown = shapely.buffer(row["territory"], 0.005, quad_segs=4)
        row["territory"] = MultiPolygon([grown]) if grown.geom_type == "Polygon" else grown
        row["location"] = shapely.point_on_surface(row["territory"])
        counts = write_snapshot(conn, community, "id", [row], recorded_by="pytest",
                                batch_id=None, source="pytest edit", close_missing=False)
        assert counts.changed == [edited_id]
        assert close_versions(conn, community, "id", [removed_id]) == 1

    with engine.begin() as conn:
        inc = _analyse(conn, settings)
    assert inc.mode == "incremental"
    affected = set(inc.affected)
    assert 0 < len(affected) < n_communities
    assert {edited_id, removed_id, *changes["new_communities"]} <= affected
    incremental = _current_derived(engine)
    with engine.connect() as conn:
        ids = {i for (i,) in conn.execute(sa.text(
            "SELECT DISTINCT community_id FROM flag WHERE valid_to IS NULL"))}
        codes = {k for (k,) in conn.execute(sa.text(
            "SELECT other_id FROM overlap WHERE valid_to IS NULL AND other_kind='concession'"))}
    assert removed_id not in ids
    assert set(changes["new"]) <= codes and changes["removed"] not in codes

    with engine.begin() as conn:
        full = _analyse(conn, settings, full=True)
    assert full.mode == "full"
    recomputed = _current_derived(engine)
    for table in _DERIVED_SQL:
        assert len(incremental[table]) == len(recomputed[table]), table
        missing = set(recomputed[table]) - set(incremental[table])
        extra = set(incremental[table]) - set(recomputed[table])
        assert not missing and not extra, (table, sorted(missing, key=repr)[:3],
                                           sorted(extra, key=repr)[:3])
        assert incremental[table] == recomputed[table], table

    # nothing changed since: the next incremental run recomputes nobody
    with engine.begin() as conn:
        idle = _analyse(conn, settings)
    assert idle.mode == "incremental" and idle.affected == []
    assert _current_derived(engine) == recomputed


# ------------------------------------------------------------------------ (5) allpa flags


@pytest.fixture(scope="module")
def flags_db(settings: Settings) -> Iterator[str]:
    """URL of a database with the sample loaded and analysed (committed) for the CLI."""
    with fresh_database(settings, "cli_flags", sample=True) as engine:
        with engine.begin() as conn:
            _analyse(conn, settings)
        yield engine.url.render_as_string(hide_password=False)


def _flags(url: str, *args: str) -> str:
    from api.cli.main import app

    result = CliRunner().invoke(app, ["flags", *args], env={"ALLPA_DATABASE_URL": url})
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_cli_flags_table_in_spanish_and_english(flags_db: str) -> None:
    es = _flags(flags_db)
    en = _flags(flags_db, "--lang", "en")
    assert es.splitlines()[0].split()[:3] == ["#", "Comunidad", "Distrito"]
    assert en.splitlines()[0].split()[:3] == ["#", "Community", "District"]
    n = int(es.strip().splitlines()[-1].split()[0])
    assert n > 50 and es.strip().endswith(f"{n} alertas") and en.strip().endswith(f"{n} flags")
    # severities as labels from the vocabulary, never the code in Spanish
    assert "Crítica" in es and "Critical" in en


def test_cli_flags_csv_json_geojson(flags_db: str) -> None:
    rows_es = list(csv.DictReader(io.StringIO(_flags(flags_db, "--format", "csv"))))
    rows_en = list(csv.DictReader(io.StringIO(_flags(flags_db, "--format", "csv",
                                                     "--lang", "en"))))
    assert rows_es and len(rows_es) == len(rows_en)
    assert "message_es" in rows_es[0] and "action_es" in rows_es[0]
    assert "message_en" in rows_en[0] and "message_es" not in rows_en[0]
    assert [r["rank"] for r in rows_es] == [str(i) for i in range(1, len(rows_es) + 1)]
    assert all(r["legal_ref"] for r in rows_es)

    data = json.loads(_flags(flags_db, "--format", "json"))
    assert len(data) == len(rows_es)
    assert {"community_id", "rule_id", "severity", "message_es", "message_en", "evidence",
            "due_date"} <= set(data[0])
    assert [d["rule_id"] for d in data] == [r["rule_id"] for r in rows_es]

    for lang in ("es", "en"):
        gj = json.loads(_flags(flags_db, "--format", "geojson", "--lang", lang))
        assert gj["type"] == "FeatureCollection" and len(gj["features"]) == len(data)
        for feat in gj["features"]:
            lon, lat = feat["geometry"]["coordinates"]
            assert -71 < lon < -68 and -17 < lat < -14
            assert feat["properties"]["message"] == feat["properties"][f"message_{lang}"]


def test_cli_flags_filters(flags_db: str) -> None:
    everything = json.loads(_flags(flags_db, "--format", "json"))
    engine = sa.create_engine(flags_db)
    try:
        with engine.connect() as conn:
            district_code, district_name = conn.execute(sa.text("""
                SELECT b.code, b.name FROM boundary b JOIN community c ON c.admin_code = b.code
                JOIN flag f ON f.community_id = c.id AND f.valid_to IS NULL
                WHERE b.valid_to IS NULL AND c.valid_to IS NULL
                GROUP BY b.code, b.name ORDER BY count(*) DESC LIMIT 1""")).one()
            net_id, net_name, members = conn.execute(sa.text(
                "SELECT id, name, members FROM network WHERE valid_to IS NULL ORDER BY id "
                "OFFSET 1 LIMIT 1")).one()
    finally:
        engine.dispose()

    by_code = json.loads(_flags(flags_db, "--format", "json", "--district", district_code))
    by_name = json.loads(_flags(flags_db, "--format", "json", "--district", district_name))
    assert 0 < len(by_code) < len(everything)
    assert {r["admin_code"] for r in by_code} == {district_code}
    assert [r["rule_id"] for r in by_code] == [r["rule_id"] for r in by_name]

    for key in (net_id, net_name):
        net = json.loads(_flags(flags_db, "--format", "json", "--network", key))
        assert 0 < len(net) < len(everything)
        assert {r["community_id"] for r in net} <= set(members)
        expected = sorted((r["community_id"], r["rule_id"]) for r in everything
                          if r["community_id"] in members)
        assert sorted((r["community_id"], r["rule_id"]) for r in net) == expected

    high = json.loads(_flags(flags_db, "--format", "json", "--severity", "high"))
    assert high and {r["severity"] for r in high} <= {"critical", "high"}
    assert len(high) == sum(r["severity"] in ("critical", "high") for r in everything)
    combo = _flags(flags_db, "--severity", "critical", "--district", district_code,
                   "--lang", "en")
    assert combo.strip().endswith("flags")

    runner = CliRunner()
    from api.cli.main import app

    bad = runner.invoke(app, ["flags", "--severity", "urgentísima"],
                        env={"ALLPA_DATABASE_URL": flags_db})
    assert bad.exit_code == 2
    assert "Severidad desconocida" in bad.output


def test_cli_and_api_list_flags_in_the_one_ranking(flags_db: str) -> None:
    """``allpa flags`` and ``GET /api/flags`` (an editor sees every flag the CLI lists) give
    the same flags in the same order, and that order is geo.flag_rank.rank_flags'."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from geo.flag_rank import rank_flags
    from geo.flags import Flag
    from layers import users
    from layers.config import load_settings

    cli = [(r["community_id"], r["rule_id"]) for r in json.loads(_flags(flags_db, "--format",
                                                                        "json"))]
    engine = sa.create_engine(flags_db)
    try:
        with engine.begin() as conn:
            users.create_user(conn, "abogada-orden", "editor")
            token = users.issue_token(conn, "abogada-orden")
            stored = [Flag(**{k: r[k] for k in Flag.__dataclass_fields__})
                      for r in conn.execute(sa.text(
                          "SELECT * FROM flag WHERE valid_to IS NULL ORDER BY id")).mappings()]
    finally:
        engine.dispose()
    with TestClient(create_app(load_settings(database_url=flags_db))) as client:
        resp = client.get("/api/flags", params={"limit": 1000},
                          headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["total"] == len(stored) < 1000
    api = [(r["community_id"], r["rule_id"]) for r in resp.json()["items"]]
    ranked = [(f.community_id, f.rule_id) for f in rank_flags(stored)]
    # ties below severity and due date are common, so the order is a real test of them
    assert len({(f.severity, f.due_date) for f in stored}) < len(stored) > 100
    assert cli == ranked
    assert api == ranked
