"""Raster layers on real PostGIS: import with provenance, refusals, versions, raster statistics
in the analysis, raster-fed flags with exact hectares, clipping through the CLI, map images.

Rasters are generated from numpy in ``tmp_path``; copies go to a temporary ``var`` dir.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import pytest
import rasterio
import shapely
import sqlalchemy as sa
from rasterio.transform import from_origin
from shapely.geometry import box, mapping
from sqlalchemy.engine import Connection, Engine
from typer.testing import CliRunner

from geo.errors import InputError
from geo.raster import RasterError
from geo.terrain import hillshade_image, landcover_rgba
from layers.analysis import run_analysis
from layers.config import Settings, load_settings
from layers.importer import import_file
from layers.rasters import current_raster, get_raster, import_raster
from tests.dbutil import fresh_database

TODAY = dt.date(2026, 11, 23)
GEOD = pyproj.Geod(ellps="WGS84")


# ------------------------------------------------------------------------------ helpers


def write_tif(path: Path, data: np.ndarray, *, crs: str | None, transform: Any,
              nodata: float | None = None) -> Path:
    profile: dict[str, Any] = {"driver": "GTiff", "width": data.shape[1],
                               "height": data.shape[0], "count": 1, "dtype": str(data.dtype)}
    if crs is not None:
        profile["crs"] = crs
    if transform is not None:
        profile["transform"] = transform
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path


def utm_dem(path: Path, offset: int = 0) -> Path:
    """A 200 × 150 px 30 m DEM in UTM 19S near Huancané."""
    rows, cols = np.mgrid[0:150, 0:200]
    data = (4000 + rows * 3 + cols + offset).astype(np.int16)
    return write_tif(path, data, crs="EPSG:32719",
                     transform=from_origin(400_000, 8_320_000, 30, 30), nodata=-32768)


def var_settings(tmp_path: Path) -> Settings:
    return load_settings(var_dir=tmp_path / "var")


def count(conn: Connection, sql: str, **params: Any) -> int:
    return int(conn.execute(sa.text(sql), params).scalar_one())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------ import


def test_import_stores_metadata_file_and_provenance(conn: Connection, tmp_path: Path) -> None:
    s = var_settings(tmp_path)
    src = utm_dem(tmp_path / "dem utm.tif")
    report = import_raster(conn, src, kind="dem", recorded_by="pytest", settings=s,
                           source="IGN prueba")
    assert report.layer == "raster" and report.n_inserted == 1 and report.batch_id is not None
    row = get_raster(conn, "dem")
    digest = sha256(src)
    assert (row["key"], row["kind"], row["crs"], row["width"], row["height"]) == (
        "dem", "dem", "EPSG:32719", 200, 150)
    assert (row["res_x"], row["res_y"], row["nodata"], row["sha256"]) == (30.0, 30.0, -32768.0,
                                                                         digest)
    stored = Path(str(row["file_path"]))
    assert stored == s.var / "rasters" / f"{digest[:16]}_dem_utm.tif"
    assert stored.read_bytes() == src.read_bytes()
    assert row["source"] == "IGN prueba" and row["recorded_by"] == "pytest"
    batch = conn.execute(sa.text("SELECT * FROM import_batch WHERE id = :id"),
                         {"id": report.batch_id}).mappings().one()
    assert (batch["layer"], batch["sha256"], batch["crs_used"], batch["profile"]) == (
        "raster", digest, "EPSG:32719", "dem")
    assert batch["report"]["file_path"] == str(stored) and batch["n_stored"] == 1
    # footprint in EPSG:4326 matches the UTM extent reprojected
    to84 = pyproj.Transformer.from_crs(32719, 4326, always_xy=True)
    centre = shapely.Point(*to84.transform(403_000, 8_317_750))
    inside = count(conn, "SELECT count(*) FROM raster_layer WHERE key = 'dem' AND valid_to IS "
                   "NULL AND ST_SRID(footprint) = 4326 AND ST_Contains(footprint, "
                   "ST_GeomFromText(:p, 4326))", p=centre.wkt)
    assert inside == 1
    assert current_raster(conn, "dem") is not None


def test_identical_reimport_changes_nothing_and_new_version_keeps_old_file(
        conn: Connection, tmp_path: Path) -> None:
    s = var_settings(tmp_path)
    src = utm_dem(tmp_path / "dem.tif")
    first = import_raster(conn, src, kind="dem", key="dem_ign", recorded_by="pytest", settings=s)
    batches = count(conn, "SELECT count(*) FROM import_batch")
    again = import_raster(conn, src, kind="dem", key="dem_ign", recorded_by="pytest", settings=s)
    assert again.identical_to_batch == first.batch_id and again.batch_id is None
    assert count(conn, "SELECT count(*) FROM import_batch") == batches
    assert count(conn, "SELECT count(*) FROM raster_layer WHERE key = 'dem_ign'") == 1
    assert "idéntico" in again.summary("es") and "identical" in again.summary("en")

    old_path = Path(str(get_raster(conn, "dem_ign")["file_path"]))
    changed = utm_dem(tmp_path / "dem.tif", offset=7)  # same name, new pixels
    third = import_raster(conn, changed, kind="dem", key="dem_ign", recorded_by="pytest",
                          settings=s)
    assert third.n_changed == 1
    versions = conn.execute(sa.text("SELECT sha256, file_path, valid_to FROM raster_layer "
                                    "WHERE key = 'dem_ign' ORDER BY vid")).all()
    assert len(versions) == 2 and versions[0].valid_to is not None and versions[1].valid_to is None
    assert versions[1].sha256 == sha256(changed) != versions[0].sha256
    assert old_path.exists() and Path(versions[1].file_path).exists()
    assert Path(versions[0].file_path) == old_path


def test_missing_crs_can_be_supplied_never_overridden(conn: Connection, tmp_path: Path) -> None:
    s = var_settings(tmp_path)
    data = np.full((20, 30), 4100, dtype=np.int16)
    bare = write_tif(tmp_path / "sin_src.tif", data, crs=None,
                     transform=from_origin(400_000, 8_320_000, 30, 30))
    report = import_raster(conn, bare, kind="dem", recorded_by="pytest", settings=s,
                           crs="EPSG:32719")
    assert (report.crs_declared, report.crs_used) == (None, "EPSG:32719")
    row = get_raster(conn, "dem")
    with rasterio.open(str(row["file_path"])) as src:
        assert src.crs.to_epsg() == 32719
    assert report.sha256 == sha256(bare)  # provenance: the user's file
    declared = utm_dem(tmp_path / "utm.tif")
    with pytest.raises(InputError) as err:
        import_raster(conn, declared, kind="dem", key="otro", recorded_by="pytest",
                      settings=s, crs="EPSG:24879")
    assert err.value.code == "crs_conflict"


@pytest.mark.parametrize(("case", "code"), [
    ("no_crs", "raster_no_crs"),
    ("no_georef", "raster_no_georef"),
    ("not_a_raster", "raster_unreadable"),
    ("float_landcover", "raster_bad_classes"),
    ("utm_as_degrees", "crs_mismatch"),
])
def test_bad_raster_is_refused_and_nothing_written(
        conn: Connection, tmp_path: Path, case: str, code: str) -> None:
    s = var_settings(tmp_path)
    data = np.ones((10, 10), dtype=np.uint8)
    kind = "landcover"
    path = tmp_path / f"{case}.tif"
    if case == "no_crs":
        write_tif(path, data, crs=None, transform=from_origin(400_000, 8_320_000, 30, 30))
    elif case == "no_georef":
        write_tif(path, data, crs=None, transform=None)
    elif case == "not_a_raster":
        path.write_text("esto no es un GeoTIFF", encoding="utf-8")
    elif case == "float_landcover":
        write_tif(path, data.astype(np.float32), crs="EPSG:32719",
                  transform=from_origin(400_000, 8_320_000, 30, 30))
    else:
        write_tif(path, data, crs="EPSG:4326", transform=from_origin(400_000, 8_320_000, 30, 30))
    before = count(conn, "SELECT count(*) FROM import_batch")
    with pytest.raises(InputError) as err:
        import_raster(conn, path, kind=kind, recorded_by="pytest", settings=s)
    assert err.value.code == code
    assert isinstance(err.value, ValueError)
    if case != "utm_as_degrees":
        assert isinstance(err.value, RasterError)
    message = str(err.value)
    assert " / " in message and len(message) > 40  # Spanish / English, with a fix
    assert count(conn, "SELECT count(*) FROM import_batch") == before
    assert count(conn, "SELECT count(*) FROM raster_layer") == 0
    stored = s.var / "rasters"
    assert not stored.exists() or not list(stored.iterdir())


def test_unknown_kind_is_refused(conn: Connection, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="dem"):
        import_raster(conn, utm_dem(tmp_path / "d.tif"), kind="ndvi", recorded_by="pytest",
                      settings=var_settings(tmp_path))


# ------------------------------------------------------------------- sample analysis


def test_sample_analysis_has_raster_stats_and_flags(sample_conn: Connection,
                                                    settings: Settings) -> None:
    summary = run_analysis(sample_conn, settings, recorded_by="pytest", full=True, today=TODAY)
    assert summary.mode == "full"
    run = sample_conn.execute(sa.text("SELECT settings, input_versions FROM analysis_run "
                                      "WHERE id = :id"), {"id": summary.run_id}).one()
    assert run.settings["rasters"]["dem"]["key"] == "dem"
    assert run.input_versions["raster_layer"] >= 2
    territories = {r[0] for r in sample_conn.execute(sa.text(
        "SELECT c.id FROM community c JOIN raster_layer r ON r.kind = 'dem' AND r.valid_to IS "
        "NULL WHERE c.valid_to IS NULL AND c.territory IS NOT NULL "
        "AND ST_Intersects(c.territory, r.footprint)"))}
    points = {r[0] for r in sample_conn.execute(sa.text(
        "SELECT id FROM community WHERE valid_to IS NULL AND territory IS NULL"))}
    assert len(territories) >= 20 and points
    stats: dict[str, dict[str, dict[str, Any]]] = {}
    for cid, kind, st in sample_conn.execute(sa.text(
            "SELECT community_id, kind, stats FROM community_stat WHERE valid_to IS NULL "
            "AND kind IN ('dem', 'landcover', 'landcover_in_concessions')")):
        stats.setdefault(cid, {})[kind] = st
    assert set(stats) == territories
    assert not set(stats) & points
    for cid in territories:
        dem, lc = stats[cid]["dem"], stats[cid]["landcover"]
        assert 3700 < dem["elev_min"] <= dem["elev_mean"] <= dem["elev_max"] < 6800, cid
        assert dem["raster"]["sha256"] == get_raster(sample_conn, "dem")["sha256"]
        assert sum(lc["ha"].values()) == pytest.approx(lc["ha_valid"], rel=1e-9)
    # land cover hectares agree with the PostGIS geodesic territory area (pixel discretisation)
    areas = dict(sample_conn.execute(sa.text(
        "SELECT id, ST_Area(territory::geography) / 1e4 FROM community "
        "WHERE valid_to IS NULL AND territory IS NOT NULL")).all())
    big = [c for c in territories
           if areas[c] > 2000 and stats[c]["landcover"]["coverage"] == pytest.approx(1.0)]
    assert big
    for cid in big:
        assert stats[cid]["landcover"]["ha_valid"] == pytest.approx(areas[cid], rel=0.05), cid
    flags = {(r[0], r[1]) for r in sample_conn.execute(sa.text(
        "SELECT community_id, rule_id FROM flag WHERE valid_to IS NULL"))}
    raster_rules = {r for _c, r in flags if r.endswith(("AGUA-BOF", "AGUA-CAB"))}
    assert {"PE-AGUA-BOF", "PE-AGUA-CAB"} <= raster_rules
    for cid, rule in flags:
        if rule == "PE-AGUA-BOF":
            assert stats[cid]["landcover_in_concessions"]["ha"]["bofedal"] > 1


def test_map_images_from_the_imported_sample(sample_conn: Connection) -> None:
    dem = current_raster(sample_conn, "dem")
    lc = current_raster(sample_conn, "landcover")
    assert dem is not None and lc is not None
    assert Path(str(dem["file_path"])).exists() and Path(str(lc["file_path"])).exists()
    bounds = (-69.9, -15.3, -69.6, -15.0)
    shade, extent = hillshade_image(str(dem["file_path"]), bounds, max_size=256)
    assert shade.shape[2] == 4 and shade[..., 3].any() and extent.west >= -69.91
    rgba, _ = landcover_rgba(str(lc["file_path"]), bounds, max_size=256)
    assert rgba[..., 3].any()


# ------------------------------------------------- constructed case: bofedal in a concession

W, N, PX = -69.80, -15.10, 0.001  # grid origin and pixel size (degrees): 100 × 100 px


def cell_box(c0: int, r0: int, c1: int, r1: int) -> shapely.Polygon:
    """Lat/lon box of pixel columns c0..c1-1 and rows r0..r1-1 (edges on pixel edges)."""
    return box(W + c0 * PX, N - r1 * PX, W + c1 * PX, N - r0 * PX)


def geodesic_ha(poly: shapely.Polygon) -> float:
    """Independent reference: pyproj Geod on a densified box (edges ≈ parallels/meridians)."""
    dense = shapely.segmentize(poly, PX / 200)
    return abs(GEOD.geometry_area_perimeter(dense)[0]) / 1e4


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


@pytest.fixture
def bofedal_case(conn: Connection, tmp_path: Path) -> dict[str, Any]:
    s = var_settings(tmp_path)
    lc = np.full((100, 100), 4, dtype=np.uint8)  # pajonal
    lc[30:50, 20:60] = 1  # bofedal: rows 30-49, cols 20-59
    lc[12:16, 80:86] = 2  # glaciar, outside the concession
    rows = np.arange(100)[:, None] + np.zeros((1, 100), dtype=int)
    dem = (4700 - 5 * rows).astype(np.int16)  # row 10: 4650 m, row 25: 4575 m
    t = from_origin(W, N, PX, PX)
    write_tif(tmp_path / "cobertura.tif", lc, crs="EPSG:4326", transform=t, nodata=0)
    write_tif(tmp_path / "dem.tif", dem, crs="EPSG:4326", transform=t, nodata=-32768)
    territory = cell_box(10, 10, 90, 90)
    comms = [
        {"type": "Feature", "geometry": mapping(territory),
         "properties": {"id": "C-BOF", "name": "Comunidad del Bofedal", "country": "PE",
                        "kind": "comunidad_campesina", "legal_status": "registered",
                        "title_status": "titled"}},
        {"type": "Feature", "geometry": mapping(cell_box(92, 92, 99, 99)),
         "properties": {"id": "C-SIN", "name": "Comunidad sin concesión", "country": "PE"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [W + 0.05, N - 0.05]},
         "properties": {"id": "C-PUNTO", "name": "Comunidad sin polígono", "country": "PE"}},
    ]
    concs = [
        {"type": "Feature", "geometry": mapping(cell_box(40, 25, 100, 61)),
         "properties": {"CODIGOU": "010000001", "CONCESION": "VIGENTE", "ESTADO": "T"}},
        {"type": "Feature", "geometry": mapping(cell_box(20, 30, 40, 50)),
         "properties": {"CODIGOU": "010000002", "CONCESION": "EXTINGUIDA", "ESTADO": "F"}},
    ]
    import_file(conn, "communities", write_geojson(tmp_path / "c.geojson", comms),
                recorded_by="pytest")
    import_file(conn, "concessions", write_geojson(tmp_path / "k.geojson", concs),
                recorded_by="pytest")
    import_raster(conn, tmp_path / "cobertura.tif", kind="landcover", recorded_by="pytest",
                  settings=s)
    import_raster(conn, tmp_path / "dem.tif", kind="dem", recorded_by="pytest", settings=s)
    return {"settings": s, "tmp": tmp_path, "lc": lc, "transform": t,
            "wetland_ha": geodesic_ha(cell_box(20, 30, 60, 50)),
            "wetland_in_concession_ha": geodesic_ha(cell_box(40, 30, 60, 50)),
            "glacier_ha": geodesic_ha(cell_box(80, 12, 86, 16))}


def _current_stats(conn: Connection, cid: str) -> dict[str, dict[str, Any]]:
    return {k: st for k, st in conn.execute(sa.text(
        "SELECT kind, stats FROM community_stat WHERE valid_to IS NULL AND community_id = :c"),
        {"c": cid})}


def test_bofedal_under_concession_fires_with_exact_hectares(
        conn: Connection, bofedal_case: dict[str, Any]) -> None:
    s = bofedal_case["settings"]
    run_analysis(conn, s, recorded_by="pytest", today=TODAY)
    st = _current_stats(conn, "C-BOF")
    assert set(st) == {"pressure", "dem", "landcover", "landcover_in_concessions"}
    assert st["landcover"]["ha"]["bofedal"] == pytest.approx(bofedal_case["wetland_ha"], rel=1e-6)
    assert st["landcover"]["ha"]["glaciar"] == pytest.approx(bofedal_case["glacier_ha"], rel=1e-6)
    assert st["landcover"]["coverage"] == pytest.approx(1.0)
    under = st["landcover_in_concessions"]
    # only the titled concession counts: the extinguished one covers the other half
    assert under["ha"]["bofedal"] == pytest.approx(bofedal_case["wetland_in_concession_ha"],
                                                   rel=1e-6)
    assert set(under["by_concession"]) == {"010000001"}
    assert "glaciar" not in under["ha"]
    assert (st["dem"]["elev_max"], st["dem"]["elev_min"]) == (4650.0, 4255.0)
    assert st["dem"]["in_concessions"]["elev_max"] == 4575.0
    flags = {r.rule_id: r for r in conn.execute(sa.text(
        "SELECT rule_id, message_es, evidence FROM flag WHERE valid_to IS NULL "
        "AND community_id = 'C-BOF'"))}
    assert {"PE-AGUA-BOF", "PE-AGUA-CAB"} <= set(flags)
    ev = flags["PE-AGUA-BOF"].evidence
    assert ev["wetland_in_concession_ha"] == pytest.approx(
        bofedal_case["wetland_in_concession_ha"], rel=1e-6)
    assert ev["wetland_in_concession_codes"] == ["010000001"]
    assert any(src.startswith("landcover:landcover v") for src in ev["raster_sources"])
    assert "010000001" in flags["PE-AGUA-BOF"].message_es
    assert flags["PE-AGUA-CAB"].evidence["concession_max_elevation_m"] == 4575.0
    assert "4575 m" in flags["PE-AGUA-CAB"].message_es
    others = {r[0] for r in conn.execute(sa.text(
        "SELECT DISTINCT community_id FROM flag WHERE valid_to IS NULL "
        "AND rule_id LIKE 'PE-AGUA-%'"))}
    assert others == {"C-BOF"}
    assert "dem" in _current_stats(conn, "C-SIN")
    assert "landcover_in_concessions" not in _current_stats(conn, "C-SIN")
    assert set(_current_stats(conn, "C-PUNTO")) <= {"pressure"}


def test_new_raster_triggers_full_recompute(conn: Connection,
                                           bofedal_case: dict[str, Any]) -> None:
    s = bofedal_case["settings"]
    first = run_analysis(conn, s, recorded_by="pytest", today=TODAY)
    assert first.mode == "full"
    lc = bofedal_case["lc"].copy()
    lc[lc == 1] = 4  # the bofedal was mapped wrongly: now grassland
    path = write_tif(bofedal_case["tmp"] / "cobertura_v2.tif", lc, crs="EPSG:4326",
                     transform=bofedal_case["transform"], nodata=0)
    report = import_raster(conn, path, kind="landcover", recorded_by="pytest", settings=s)
    assert report.n_changed == 1
    second = run_analysis(conn, s, recorded_by="pytest", today=TODAY)
    assert second.mode == "full"
    st = _current_stats(conn, "C-BOF")
    assert "bofedal" not in st["landcover"]["ha"]
    assert st["landcover"]["raster"]["vid"] == int(str(get_raster(conn, "landcover")["vid"]))
    rules = {r[0] for r in conn.execute(sa.text(
        "SELECT rule_id FROM flag WHERE valid_to IS NULL AND community_id = 'C-BOF'"))}
    assert "PE-AGUA-BOF" not in rules and "PE-AGUA-CAB" in rules
    assert count(conn, "SELECT count(*) FROM community_stat WHERE valid_to IS NULL "
                       "AND community_id = 'C-BOF' AND kind = 'landcover'") == 1


# ------------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def cli_db(settings: Settings) -> Iterator[Engine]:
    """An empty database of its own: the CLI commits."""
    with fresh_database(settings, "rasters_cli") as engine:
        yield engine


def _cli(engine: Engine, var: Path, *args: str) -> Any:
    from api.cli.main import app

    env = {"ALLPA_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "ALLPA_VAR_DIR": str(var)}
    return CliRunner().invoke(app, list(args), env=env)


def test_cli_import_export_raster(cli_db: Engine, tmp_path: Path) -> None:
    var = tmp_path / "var"
    bad = tmp_path / "roto.tif"
    bad.write_bytes(b"II*\x00 no es un tiff")
    res = _cli(cli_db, var, "import", "raster", str(bad), "--kind", "dem")
    assert res.exit_code == 2 and "Error [raster_unreadable]" in res.output, res.output
    res = _cli(cli_db, var, "import", "raster", str(bad))
    assert res.exit_code == 2 and "--kind" in res.output

    dem = utm_dem(tmp_path / "dem.tif")
    res = _cli(cli_db, var, "import", "raster", str(dem), "--kind", "dem", "--key", "dem_prueba",
               "--source", "prueba")
    assert res.exit_code == 0, res.output
    assert "dem.tif → raster" in res.output and "EPSG:32719" in res.output
    res = _cli(cli_db, var, "import", "raster", str(dem), "--kind", "dem", "--key", "dem_prueba")
    assert res.exit_code == 0 and "idéntico" in res.output
    res = _cli(cli_db, var, "rasters")
    assert "dem_prueba" in res.output

    to84 = pyproj.Transformer.from_crs(32719, 4326, always_xy=True)
    x0, y0, x1, y1 = 401_000, 8_317_000, 403_000, 8_318_500  # 2 km × 1.5 km inside the DEM
    utm_territory = shapely.segmentize(box(x0, y0, x1, y1), 100)
    territory = shapely.transform(
        utm_territory, lambda xy: np.column_stack(to84.transform(xy[:, 0], xy[:, 1])))
    feats = [{"type": "Feature", "geometry": mapping(territory),
              "properties": {"id": "C-CLIP", "name": "Recorte", "country": "PE",
                             "kind": "comunidad_campesina"}},
             {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-69.9, -15.2]},
              "properties": {"id": "C-PT", "name": "Punto", "country": "PE",
                             "kind": "ayllu"}}]
    with cli_db.begin() as c:
        import_file(c, "communities", write_geojson(tmp_path / "c.geojson", feats),
                    recorded_by="pytest")
    out = tmp_path / "recorte.tif"
    res = _cli(cli_db, var, "export", "raster", "dem_prueba", "--community", "C-CLIP", "-o",
               str(out))
    assert res.exit_code == 0, res.output
    with rasterio.open(out) as clip, rasterio.open(dem) as src:
        assert clip.crs.to_epsg() == 32719 and clip.nodata == -32768
        assert 60 <= clip.width <= 70 and 45 <= clip.height <= 55
        data = clip.read(1)
        valid = data != -32768
        assert valid.sum() == pytest.approx(66 * 50, rel=0.05)
        # pixel values are the source's at the same place
        r, c = np.argwhere(valid)[len(np.argwhere(valid)) // 2]
        x, y = clip.xy(int(r), int(c))
        sr, sc = src.index(x, y)
        assert data[r, c] == src.read(1)[sr, sc]
    res = _cli(cli_db, var, "export", "raster", "dem_prueba", "--community", "C-PT", "-o",
               str(tmp_path / "x.tif"))
    assert res.exit_code == 2 and "no_territory" in res.output
    res = _cli(cli_db, var, "export", "raster", "no_existe", "--community", "C-CLIP", "-o",
               str(tmp_path / "x.tif"))
    assert res.exit_code == 2 and "not_found" in res.output
