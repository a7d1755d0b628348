"""The Bolivian shore of the bundled sample: on land (checked against the REAL lake polygon,
read from ../shared/data, never copied), in La Paz, loaded with country BO, analysed with the
Bolivian rule set, with cases before Bolivian authorities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from geo.rule_files import load_rules
from geo.samplegen import LAKE_NAME
from layers.analysis import run_analysis
from layers.config import PROJECT_ROOT, Settings
from layers.sample import bolivia_sample_files
from layers.sample_cases import sample_case_rows

SHARED = PROJECT_ROOT.parent / "shared" / "data"
LAKE = SHARED / "water" / "lago_titicaca_utm19s" / "lago_titicaca_sideteva_puno.shp"
MUNICIPALITIES = SHARED / "bolivia" / "bolivia_municipios_con_nombres.geojson"
DATA = PROJECT_ROOT / "data" / "sample"
UTM = "EPSG:32719"


def _file(layer: str) -> Path:
    return next(f.path for f in bolivia_sample_files() if f.layer == layer)


@pytest.fixture(scope="module")
def lake() -> shapely.Geometry:
    assert LAKE.is_file(), f"the real lake polygon is needed: {LAKE}"
    return shapely.union_all(gpd.read_file(LAKE).to_crs(UTM).geometry.values)


@pytest.fixture(scope="module")
def la_paz() -> gpd.GeoDataFrame:
    m = gpd.read_file(MUNICIPALITIES)
    return m[m["nombre_departamento"] == "La Paz"]


def test_files_hold_the_bolivian_shore(lake: shapely.Geometry,
                                       la_paz: gpd.GeoDataFrame) -> None:
    com = gpd.read_file(_file("communities"))
    assert len(com) >= 20
    assert (com["pais"] == "BO").all()
    assert com["nombre"].str.contains("ficti", regex=False).all()
    kinds = set(com["tipo"])
    assert {"ayllu", "comunidad_campesina", "junta_vecinal", "tioc"} <= kinds
    assert com["nombre"].str.startswith("OTB ").sum() >= 3
    # every community in a real La Paz municipality: its code, and its place in that unit
    codes = set(la_paz["municipio"])
    assert set(com["ubigeo"]) <= codes
    for _, row in com.iterrows():
        unit = la_paz[la_paz["municipio"] == row["ubigeo"]].geometry.iloc[0]
        assert unit.buffer(0.01).contains(row.geometry.representative_point()), row["codigo"]
    # on land: nothing of any Bolivian layer inside the real lake
    for layer in ("communities", "concessions", "water", "consultations"):
        frame = gpd.read_file(_file(layer)).to_crs(UTM)
        wet = [i for i, g in zip(frame.iloc[:, 0], frame.geometry, strict=True)
               if g.intersects(lake)]
        assert not wet, f"{layer} in the lake: {wet}"
    # nor in the fictional lake the Peruvian part of the sample draws
    water = gpd.read_file(DATA / "fuentes_agua.geojson")
    fictional = water[water["name"] == LAKE_NAME].to_crs(UTM).geometry.iloc[0]
    assert not gpd.read_file(_file("communities")).to_crs(UTM).intersects(fictional).any()
    # east / south-east of the lake
    assert com.total_bounds[0] > -69.3 and com.total_bounds[1] > -16.6


@pytest.fixture(scope="module")
def analysed(sample_engine: Engine, settings: Settings) -> Iterator[Connection]:
    """The loaded sample, analysed once inside a transaction that is rolled back."""
    conn = sample_engine.connect()
    trans = conn.begin()
    try:
        run_analysis(conn, settings, recorded_by="pytest", full=True,
                     today=dt.date(2026, 11, 28))
        yield conn
    finally:
        trans.rollback()
        conn.close()


def test_loaded_as_bolivian_communities(analysed: Connection) -> None:
    expected = gpd.read_file(_file("communities"))
    rows = analysed.execute(sa.text(
        "SELECT id, kind, country, admin_code FROM community "
        "WHERE valid_to IS NULL AND id LIKE 'BF-%'")).all()
    assert len(rows) == len(expected) >= 20
    assert {r.country for r in rows} == {"BO"}
    assert all(r.admin_code.startswith("02") for r in rows)  # INE code of La Paz
    assert len({r.kind for r in rows}) >= 4 and "tioc" in {r.kind for r in rows}
    n_rights = analysed.execute(sa.text(
        "SELECT count(*) FROM concession WHERE valid_to IS NULL AND code LIKE 'AJAM-%'"
    )).scalar_one()
    assert n_rights == len(gpd.read_file(_file("concessions")))


def test_bolivian_rules_flag_them(analysed: Connection) -> None:
    flags = analysed.execute(sa.text(
        "SELECT f.community_id, f.rule_id FROM flag f JOIN community c "
        "ON c.id = f.community_id AND c.valid_to IS NULL "
        "WHERE f.valid_to IS NULL AND c.country = 'BO'")).all()
    bo_rules = {r.id for r in load_rules("BO").rules}
    rules = {f.rule_id for f in flags}
    assert rules and rules <= bo_rules, rules - bo_rules
    # a sensible spread: legal personality, statutes, authorities, land and consultation
    for rule in ("BO-PJ-01", "BO-EST-TERR", "BO-EST-CONS", "BO-AUT-VENC", "BO-TERR-TIT",
                 "BO-TERR-GEO", "BO-VEC-SUP"):
        assert rule in rules, rule
    flagged = {f.community_id for f in flags}
    assert len(flagged) >= 10
    # and no Peruvian rule ever reaches a Bolivian community
    peru = analysed.execute(sa.text(
        "SELECT count(*) FROM flag f JOIN community c ON c.id = f.community_id "
        "AND c.valid_to IS NULL WHERE f.valid_to IS NULL AND c.country = 'BO' "
        "AND f.rule_id LIKE 'PE-%'")).scalar_one()
    assert peru == 0


def test_bolivian_cases_before_bolivian_authorities(analysed: Connection) -> None:
    rows = analysed.execute(sa.text(
        "SELECT l.id, l.type, l.authority, l.rule_id, "
        "(SELECT min(d.due) FROM case_deadline d WHERE d.case_id = l.id AND d.state = 'open')"
        " AS deadline FROM legal_case l "
        "JOIN community c ON c.id = l.community_id AND c.valid_to IS NULL "
        "WHERE l.valid_to IS NULL AND c.country = 'BO'")).all()
    expected = [r for r in sample_case_rows(dt.date.today())
                if str(r["community_id"]).startswith("BF-")]
    assert len(rows) == len(expected) >= 4
    authorities = " ".join(r.authority for r in rows)
    for body in ("Gobernación del Departamento de La Paz", "Gobierno Autónomo Municipal",
                 "INRA", "AJAM"):
        assert body in authorities, body
    assert "SUNARP" not in authorities and "INGEMMET" not in authorities
    # deadlines (rows of case_deadline; the earliest open one per case) are set relative to
    # the day the sample was loaded (this test run)
    overdue = [r for r in rows if r.deadline is not None and r.deadline < dt.date.today()]
    assert overdue, "some Bolivian deadline is overdue"
    assert {r.type for r in rows} >= {"legal_personality", "titling", "mining_opposition",
                                      "prior_consultation"}
    # each case answers a flag the Bolivian rules really raise on its community
    flags = {(f.community_id, f.rule_id) for f in analysed.execute(sa.text(
        "SELECT community_id, rule_id FROM flag WHERE valid_to IS NULL"))}
    by_id = {r["id"]: r for r in expected}
    for r in rows:
        if r.rule_id is not None:
            assert r.rule_id.startswith("BO-")
            assert (by_id[r.id]["community_id"], r.rule_id) in flags, r.id
