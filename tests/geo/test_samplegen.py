"""The bundled sample is exactly what ``geo.samplegen`` writes, and has what the product needs.

Regenerating into a temporary folder must reproduce the committed files byte for byte: that
proves the sample is our own (fictional) output and not edited or copied data.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geo import samplegen

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
UTM = "EPSG:32719"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return samplegen.write_sample(tmp_path_factory.mktemp("sample"))


def _committed(path: Path) -> Path:
    return DATA / path.parent.name / path.name


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_committed_sample_is_byte_identical_to_the_generator(generated: dict[str, Path]) -> None:
    assert set(generated) == {
        "distritos",
        "provincia",
        "comunidades",
        "comunidades_csv",
        "concesiones",
        "fuentes_agua",
        "consultas",
        "redes",
        # the Bolivian shore (geo.samplegen_bolivia; tests/layers/test_sample_bolivia.py)
        "bo_comunidades",
        "bo_derechos_mineros",
        "bo_fuentes_agua",
        "bo_consultas",
        "bo_redes",
    }
    for path in generated.values():
        committed = _committed(path)
        assert committed.is_file(), f"missing {committed}: run python -m geo.samplegen"
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} differs from the generator output: run python -m geo.samplegen"
        )


def test_generator_is_deterministic(generated: dict[str, Path], tmp_path: Path) -> None:
    again = samplegen.write_sample(tmp_path)
    for key, path in generated.items():
        assert again[key].read_bytes() == path.read_bytes(), key


def test_sample_is_small_and_labelled_fictional(generated: dict[str, Path]) -> None:
    assert sum(p.stat().st_size for p in generated.values()) < 3_000_000
    for path in generated.values():
        if path.suffix == ".geojson":
            doc = json.loads(path.read_text(encoding="utf-8"))
            assert "FICTICIOS" in doc["nota"]
            assert all("FICTICIOS" in f["properties"]["nota"] for f in doc["features"])
            assert "crs" not in doc  # RFC 7946: EPSG:4326 implied
        elif path.suffix == ".csv":
            rows = _csv_rows(path)
            assert rows and all("FICTICIOS" in r["nota"] for r in rows)
    shp = gpd.read_file(generated["concesiones"])
    assert shp["NOTA"].str.contains("FICTICIOS").all()


def test_districts_tile_the_province(generated: dict[str, Path]) -> None:
    districts = gpd.read_file(generated["distritos"])
    province = gpd.read_file(generated["provincia"])
    assert len(districts) == 8 and len(province) == 1
    assert list(districts.columns[:5]) == [
        "ubigeo",
        "nombre_distrito",
        "nombre_provincia",
        "nombre_departamento",
        "capital",
    ]
    assert districts["ubigeo"].tolist() == [f"2199{i:02d}" for i in range(1, 9)]
    assert districts["ficticio"].all() and province["ficticio"].all()
    assert province["ubigeo"].iloc[0] == "2199"
    assert districts.is_valid.all() and province.is_valid.all()
    d_utm = districts.to_crs(UTM)
    p_utm = province.to_crs(UTM)
    p_area = float(p_utm.area.iloc[0])
    assert abs(float(d_utm.area.sum()) - p_area) / p_area < 1e-6
    for a, b in itertools.combinations(d_utm.geometry, 2):
        assert a.intersection(b).area <= 1.0
    union = shapely.union_all(d_utm.geometry.values)
    assert union.symmetric_difference(p_utm.geometry.iloc[0]).area <= 10.0
    # inside the rough extent of the real province, on the north shore of the lake
    w, s, e, n = province.total_bounds
    assert w >= -70.1 and s >= -15.55 and e <= -69.11 and n <= -14.75


def test_communities(generated: dict[str, Path]) -> None:
    com = gpd.read_file(generated["comunidades"])
    assert len(com) >= 60
    assert list(com.columns[: len(samplegen.COMMUNITY_COLUMNS)]) == samplegen.COMMUNITY_COLUMNS
    assert com["codigo"].is_unique
    assert com["nombre"].str.contains("(ficticia)", regex=False).all()
    types = com.geom_type.value_counts()
    assert types["Point"] >= 10 and types["Polygon"] >= 45
    assert set(com["personeria"]) == {"ninguna", "en_tramite", "inscrita"}
    assert set(com["estado_titulo"]) == {"titulada", "reconocida_sin_titulo", "no_reconocida"}
    assert set(com["sensibilidad"]) == {"publica", "red", "restringida"}
    assert {"comunidad_campesina", "asociacion", "junta_vecinal"} <= set(com["tipo"])
    assert (com["tipo"] == "comunidad_campesina").sum() > len(com) / 2
    districts = set(gpd.read_file(generated["distritos"])["ubigeo"])
    assert set(com["ubigeo"]) <= districts
    assert com.is_valid.all()

    # board terms: expired, ending in 2027 and later ones relative to the fixed reference date
    ends = [date.fromisoformat(str(v)[:10]) for v in com["junta_fin_mandato"].dropna()]
    assert any(d < samplegen.REFERENCE_DATE for d in ends)
    assert any(d.year == 2027 for d in ends)
    assert any(d.year > 2027 for d in ends)
    assert com["tramite"].notna().sum() >= 10

    polys = com[com.geom_type == "Polygon"].to_crs(UTM)
    ha = polys.area / 1e4
    assert ha.min() >= 300 and ha.max() <= 6000
    overlaps = [
        a.intersection(b).area / 1e4
        for a, b in itertools.combinations(polys.geometry, 2)
        if a.intersects(b)
    ]
    conflicts = [o for o in overlaps if o > 1.0]
    assert 3 <= len(conflicts) <= 6
    assert all(o < 100.0 for o in conflicts)

    rows = _csv_rows(generated["comunidades_csv"])
    assert list(rows[0])[: len(samplegen.COMMUNITY_COLUMNS)] == samplegen.COMMUNITY_COLUMNS
    assert len(rows) == len(com)
    assert all(r["wkt"].startswith(("POLYGON", "POINT")) for r in rows)
    assert {r["clausula_agua"] for r in rows} == {"si", "no", ""}


def test_concessions(generated: dict[str, Path]) -> None:
    path = generated["concesiones"]
    with zipfile.ZipFile(path) as zf:
        names = sorted(zf.namelist())
        stem = "concesiones_ingemmet_19s"
        assert names == sorted(f"{stem}.{e}" for e in ("shp", "shx", "dbf", "prj", "cpg"))
        assert zf.read(f"{stem}.cpg") == b"ISO-8859-1"
        dbf = zf.read(f"{stem}.dbf")
        assert "ÑUÑOA".encode("latin-1") in dbf and "ÑUÑOA".encode() not in dbf
    conc = gpd.read_file(path)
    assert conc.crs is not None and conc.crs.to_epsg(min_confidence=20) == 32719
    assert len(conc) >= 200
    assert conc["CODIGOU"].str.fullmatch(r"\d{9}").all() and conc["CODIGOU"].is_unique
    assert (conc["ZONA"] == 19).all()
    assert conc["TIT_CONCES"].str.contains("COMPAÑÍA MINERA ÑUÑOA", regex=False).any()
    assert set(conc["SUSTANCIA"]) == {"M", "N"}
    assert {"T", "P", "F", "A"} <= set(conc["ESTADO"])
    assert conc["D_ESTADO"].isna().any()  # some rows only carry the code
    assert ((conc.area / 1e4).round(4) == conc["HECTAGIS"]).all()
    assert conc["HECTAGIS"].between(100, 1000).all()
    assert (conc.geom_type == "MultiPolygon").sum() >= 1
    fec = conc["FEC_DENU"]
    assert fec.str.contains("GMT-0500 (hora estándar de Perú)", regex=False).any()
    assert fec.str.fullmatch(r"\d{4}-\d{2}-\d{2}").any()
    assert fec.str.fullmatch(r"\d{2}/\d{2}/\d{4}").any()
    # corners on the 100 m grid (most on the 1 km grid)
    xy = shapely.get_coordinates(conc.geometry.values)
    assert (xy % 100 == 0).all()
    overlapping = sum(
        1 for a, b in itertools.combinations(conc.geometry, 2) if a.intersection(b).area > 1.0
    )
    assert overlapping >= 10

    # pressure on communities: several heavily covered, some untouched, none in the lake
    com = gpd.read_file(generated["comunidades"]).to_crs(UTM)
    terr = com[com.geom_type == "Polygon"].geometry
    union = shapely.union_all(conc.geometry.values)
    shares = [g.intersection(union).area / g.area for g in terr]
    assert sum(s > 0.3 for s in shares) >= 5
    assert sum(s == 0 for s in shares) >= 3
    province = gpd.read_file(generated["provincia"]).to_crs(UTM).geometry.iloc[0]
    assert conc.within(province.buffer(1.0)).all()
    water = gpd.read_file(generated["fuentes_agua"])
    lake = water[water["name"] == samplegen.LAKE_NAME].to_crs(UTM).geometry.iloc[0]
    assert not conc.intersects(lake.buffer(-1.0)).any()


def test_water_sources(generated: dict[str, Path]) -> None:
    water = gpd.read_file(generated["fuentes_agua"])
    assert len(water) >= 150
    assert water["id"].is_unique
    assert list(water.columns[:5]) == ["id", "name", "kind", "use", "sensitivity"]
    kinds = water["kind"].value_counts()
    assert set(kinds.index) == {"spring", "river", "stream", "lake", "wetland", "well", "canal"}
    assert kinds["spring"] >= 100 and kinds["stream"] >= 20 and kinds["wetland"] >= 20
    assert set(water["sensitivity"]) == {"public", "network", "restricted"}
    assert set(water["use"].dropna()) <= {"human", "irrigation", "livestock", "mixed"}
    geom_of = {"spring": "Point", "well": "Point", "river": "LineString"}
    for kind, gtype in geom_of.items():
        assert (water.loc[water["kind"] == kind].geom_type == gtype).all()
    assert (water.loc[water["kind"].isin(["lake", "wetland"])].geom_type == "Polygon").all()
    assert water.is_valid.all()

    springs = water[water["kind"] == "spring"].to_crs(UTM)
    com = gpd.read_file(generated["comunidades"]).to_crs(UTM)
    conc = gpd.read_file(generated["concesiones"])
    terr = shapely.union_all(com[com.geom_type == "Polygon"].geometry.values)
    claims = shapely.union_all(conc.geometry.values)
    both = springs.within(terr) & springs.within(claims)
    assert both.sum() >= 5


def test_consultations(generated: dict[str, Path]) -> None:
    cons = gpd.read_file(generated["consultas"])
    assert len(cons) >= 2
    codes = set(gpd.read_file(generated["concesiones"])["CODIGOU"])
    for _, row in cons.iterrows():
        listed = str(row["concession_codes"]).split(";")
        assert len(listed) >= 2 and set(listed) <= codes
        start = date.fromisoformat(str(row["start_date"])[:10])
        dialogue = date.fromisoformat(str(row["dialogue_date"])[:10])
        end = date.fromisoformat(str(row["end_date"])[:10])
        assert start < dialogue < end
    assert (cons.geom_type == "MultiPolygon").all()
    stages = dict(zip(cons["id"], cons["stage"], strict=True))
    assert "closed" in stages.values()
    starts = [date.fromisoformat(str(v)[:10]) for v in cons["start_date"]]
    assert any(s > samplegen.REFERENCE_DATE for s in starts)
    assert any(s < samplegen.REFERENCE_DATE for s in starts)


def test_networks(generated: dict[str, Path]) -> None:
    rows = _csv_rows(generated["redes"])
    assert len(rows) >= 2
    assert list(rows[0]) == ["id", "nombre", "descripcion", "miembros", "nota"]
    codes = set(gpd.read_file(generated["comunidades"])["codigo"])
    sizes = []
    for r in rows:
        members = r["miembros"].split(";")
        assert set(members) <= codes and len(set(members)) == len(members)
        sizes.append(len(members))
    assert max(sizes) >= 50
    assert any(10 <= s <= 20 for s in sizes)


def test_codes_do_not_look_like_real_ubigeos(generated: dict[str, Path]) -> None:
    com = gpd.read_file(generated["comunidades"])
    assert all(re.fullmatch(r"2199\d\d", u) for u in com["ubigeo"])
