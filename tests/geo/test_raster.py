"""Raster core: areas must be right on the ellipsoid, bad files must fail with stable codes."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio.transform import from_origin

from geo.pixel_area import geodesic_row_areas
from geo.raster import LAND_COVER_CLASSES, RasterError, clip_raster, inspect_raster
from geo.rastersample import LAKE_LEVEL_M, write_sample_rasters
from geo.terrain import hillshade, hillshade_image, landcover_rgba
from geo.zonal import landcover_in_pieces, zonal_stats, zonal_stats_in_overlap

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563
GEOD = pyproj.Geod(ellps="WGS84")


def _write(
    path: Path,
    arr: np.ndarray,
    transform: Affine | None,
    crs: str | None,
    nodata: float | None = None,
    colormap: dict[int, tuple[int, int, int, int]] | None = None,
) -> Path:
    profile: dict[str, object] = {
        "driver": "GTiff", "width": arr.shape[1], "height": arr.shape[0], "count": 1,
        "dtype": arr.dtype.name, "nodata": nodata,
    }
    if transform is not None:
        profile["transform"] = transform
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
        if colormap:
            dst.write_colormap(1, colormap)
    return path


def _authalic_band_area(lat1: float, lat2: float, dlon_deg: float) -> float:
    """Ellipsoidal area of a lat/lon rectangle: R_q² · Δλ · |sin β₂ − sin β₁| (authalic)."""
    e = math.sqrt(WGS84_F * (2 - WGS84_F))

    def q(phi: float) -> float:
        s = math.sin(phi)
        return (1 - e * e) * (
            s / (1 - e * e * s * s) - 1 / (2 * e) * math.log((1 - e * s) / (1 + e * s))
        )

    qp = q(math.pi / 2)
    rq2 = WGS84_A**2 * qp / 2
    beta1 = math.asin(q(math.radians(lat1)) / qp)
    beta2 = math.asin(q(math.radians(lat2)) / qp)
    return rq2 * math.radians(dlon_deg) * abs(math.sin(beta2) - math.sin(beta1))


def _gdf(geoms: list[shapely.Geometry], crs: str, ids: list[str] | None = None) -> gpd.GeoDataFrame:
    ids = ids or [f"c{i}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"id": ids}, geometry=geoms, crs=crs)


# ------------------------------------------------------------------------------ areas


def test_geographic_whole_raster_area_matches_authalic_closed_form(tmp_path: Path) -> None:
    west, north, res = -70.0, -14.8, 0.0025
    arr = np.full((200, 300), 4, dtype=np.uint8)
    path = _write(tmp_path / "lc.tif", arr, from_origin(west, north, res, res), "EPSG:4326", 0)
    south, east = north - 200 * res, west + 300 * res
    res_df = zonal_stats(
        path, _gdf([shapely.box(west, south, east, north)], "EPSG:4326"), "id", kind="landcover"
    )
    expected_ha = _authalic_band_area(south, north, east - west) / 1e4
    got = float(res_df["ha_pajonal_pastizal"].iloc[0])
    assert got == pytest.approx(expected_ha, rel=1e-4)
    assert got == pytest.approx(expected_ha, rel=1e-9)  # it is the same closed form
    assert float(res_df["coverage"].iloc[0]) == pytest.approx(1.0)
    assert int(res_df["count"].iloc[0]) == arr.size


def test_row_area_equals_geod_on_densified_pixel() -> None:
    t = from_origin(-69.5, -15.0, 0.0025, 0.0025)
    rows = geodesic_row_areas(t, 3)
    # pixel row 2: edges along parallels, densified so geodesic edges follow them
    top, bottom = -15.0 - 2 * 0.0025, -15.0 - 3 * 0.0025
    cell = shapely.segmentize(shapely.box(-69.5, bottom, -69.5025 + 0.005, top), 0.00005)
    geod_area = abs(GEOD.geometry_area_perimeter(cell)[0])
    assert rows[2] == pytest.approx(geod_area, rel=1e-6)
    assert rows[0] > rows[2]  # southern hemisphere: cells shrink towards the pole


def test_utm_square_grid_and_geodesic_hectares(tmp_path: Path) -> None:
    """UTM 19S, 30 m pixels, 200×200 px square aligned to pixel edges.

    geodesic=False reports grid area exactly (40,000 px × 900 m²); geodesic=True divides by the
    areal scale k² (≈0.9994 here, west of the central meridian) and must match the ellipsoidal
    area of the square computed by pyproj.Geod within 0.01 %.
    """
    x0, y0 = 380_000.0, 8_330_000.0
    arr = np.full((500, 500), 1, dtype=np.uint8)
    path = _write(tmp_path / "utm.tif", arr, from_origin(x0, y0, 30, 30), "EPSG:32719", 0)
    sq = shapely.box(x0 + 30 * 100, y0 - 30 * 300, x0 + 30 * 300, y0 - 30 * 100)
    gdf = _gdf([sq], "EPSG:32719")
    grid = zonal_stats(path, gdf, "id", kind="landcover", geodesic=False)
    assert float(grid["ha_bofedal"].iloc[0]) == pytest.approx(200 * 200 * 900 / 1e4, rel=1e-12)
    geo = zonal_stats(path, gdf, "id", kind="landcover")
    sq4326 = gpd.GeoSeries([shapely.segmentize(sq, 30)], crs="EPSG:32719").to_crs(4326).iloc[0]
    geod_ha = abs(GEOD.geometry_area_perimeter(sq4326)[0]) / 1e4
    assert float(geo["ha_bofedal"].iloc[0]) == pytest.approx(geod_ha, rel=1e-4)
    assert float(geo["ha_bofedal"].iloc[0]) != pytest.approx(3600.0, rel=1e-5)  # corrected


def test_polygons_in_wgs84_are_reprojected_to_raster_crs(tmp_path: Path) -> None:
    x0, y0 = 380_000.0, 8_330_000.0
    arr = np.full((400, 400), 5, dtype=np.uint8)
    path = _write(tmp_path / "utm.tif", arr, from_origin(x0, y0, 30, 30), "EPSG:32719", 0)
    sq = shapely.segmentize(shapely.box(x0 + 600, y0 - 6600, x0 + 6600, y0 - 600), 30)
    g4326 = gpd.GeoSeries([sq], crs="EPSG:32719").to_crs(4326)
    a = zonal_stats(path, _gdf([sq], "EPSG:32719"), "id", kind="landcover")
    b = zonal_stats(path, _gdf([g4326.iloc[0]], "EPSG:4326"), "id", kind="landcover")
    assert float(b["ha_cultivo"].iloc[0]) == pytest.approx(float(a["ha_cultivo"].iloc[0]), rel=1e-3)


def test_nodata_is_excluded_and_lowers_coverage(tmp_path: Path) -> None:
    arr = np.full((100, 100), 4, dtype=np.uint8)
    arr[:50, :] = 0  # northern half nodata
    arr[60:70, 10:20] = 1
    t = from_origin(300_000, 8_300_000, 10, 10)
    path = _write(tmp_path / "lc.tif", arr, t, "EPSG:32719", 0)
    box = shapely.box(300_000, 8_299_000, 301_000, 8_300_000)  # whole raster
    r = zonal_stats(path, _gdf([box], "EPSG:32719"), "id", kind="landcover", geodesic=False)
    assert int(r["count"].iloc[0]) == 5000
    assert float(r["ha_bofedal"].iloc[0]) == pytest.approx(100 * 100 / 1e4)
    assert float(r["ha_pajonal_pastizal"].iloc[0]) == pytest.approx(4900 * 100 / 1e4)
    assert float(r["ha_other"].iloc[0]) == 0.0
    assert float(r["coverage"].iloc[0]) == pytest.approx(0.5)


def test_community_crossing_raster_edge(tmp_path: Path) -> None:
    west, north, res = -69.9, -15.1, 0.001
    arr = np.full((100, 100), 4, dtype=np.uint8)
    path = _write(tmp_path / "lc.tif", arr, from_origin(west, north, res, res), "EPSG:4326", 0)
    # square from lon -69.85 to -69.75 while the raster ends at -69.8: half outside (east)
    comm = shapely.box(-69.85, -15.17, -69.75, -15.12)
    r = zonal_stats(path, _gdf([comm], "EPSG:4326"), "id", kind="landcover")
    inside_ha = _authalic_band_area(-15.17, -15.12, 0.05) / 1e4
    assert float(r["ha_pajonal_pastizal"].iloc[0]) == pytest.approx(inside_ha, rel=1e-6)
    assert float(r["coverage"].iloc[0]) == pytest.approx(0.5, rel=1e-3)
    outside = zonal_stats(
        path, _gdf([shapely.box(-69.0, -15.0, -68.9, -14.9)], "EPSG:4326"), "id", kind="landcover"
    )
    assert float(outside["coverage"].iloc[0]) == 0.0
    assert int(outside["count"].iloc[0]) == 0


def test_dem_ramp_min_mean_max_exact(tmp_path: Path) -> None:
    rows, cols = np.mgrid[0:100, 0:120]
    dem = (3800 + 10 * rows + cols).astype(np.int16)
    path = _write(tmp_path / "dem.tif", dem, from_origin(400_000, 8_300_000, 30, 30),
                  "EPSG:32719", -32768)
    # pixels rows 20..39, cols 50..79
    poly = shapely.box(400_000 + 30 * 50, 8_300_000 - 30 * 40, 400_000 + 30 * 80,
                       8_300_000 - 30 * 20)
    r = zonal_stats(path, _gdf([poly], "EPSG:32719"), "id", kind="dem").iloc[0]
    sub = dem[20:40, 50:80].astype(float)
    assert int(r["count"]) == 600
    assert r["elev_min"] == sub.min() == 3800 + 200 + 50
    assert r["elev_max"] == sub.max() == 3800 + 390 + 79
    assert r["elev_mean"] == pytest.approx(sub.mean(), abs=1e-9)


def test_strip_size_does_not_change_results(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    dem = rng.integers(3800, 5000, size=(300, 260)).astype(np.int16)
    dem[rng.random(dem.shape) < 0.05] = -32768
    path = _write(tmp_path / "dem.tif", dem, from_origin(-69.8, -15.0, 0.0005, 0.0005),
                  "EPSG:4326", -32768)
    pts = shapely.points(rng.uniform(-69.8, -69.67, 25), rng.uniform(-15.15, -15.0, 25))
    polys = list(shapely.buffer(pts, rng.uniform(0.002, 0.04, 25), quad_segs=6))
    gdf = _gdf(polys, "EPSG:4326")
    big = zonal_stats(path, gdf, "id", kind="dem")
    small = zonal_stats(path, gdf, "id", kind="dem", strip_pixels=1)  # 1-row strips
    np.testing.assert_allclose(big["ha_valid"], small["ha_valid"], rtol=1e-12)
    np.testing.assert_array_equal(big["count"], small["count"])
    np.testing.assert_allclose(big["elev_mean"], small["elev_mean"], rtol=1e-12)
    np.testing.assert_array_equal(big["elev_max"], small["elev_max"])
    # pixel-centre rule, checked against a direct full-array mask for one polygon
    from rasterio.features import geometry_mask

    with rasterio.open(path) as src:
        m = geometry_mask([polys[3]], dem.shape, src.transform, invert=True)
    vals = dem[m & (dem != -32768)]
    assert int(big["count"].iloc[3]) == vals.size
    assert float(big["elev_min"].iloc[3]) == float(vals.min())


def test_odd_geometries_and_float_dem(tmp_path: Path) -> None:
    dem = np.full((50, 50), 4000.0, dtype=np.float32)
    dem[:, :10] = np.nan  # NaN nodata in a float DEM
    dem[0, 40] = 5000.0
    path = _write(tmp_path / "dem.tif", dem, from_origin(400_000, 8_300_000, 30, 30),
                  "EPSG:32719", float("nan"))
    full = shapely.box(400_000, 8_298_500, 401_500, 8_300_000)
    bowtie = shapely.Polygon([(400_000, 8_300_000), (401_500, 8_298_500),
                              (401_500, 8_300_000), (400_000, 8_298_500)])
    gdf = gpd.GeoDataFrame(
        {"id": ["full", "bowtie", "point", "none"]},
        geometry=[full, bowtie, shapely.Point(400_500, 8_299_500), None], crs="EPSG:32719",
    )
    r = zonal_stats(path, gdf, "id", kind="dem", workers=2).set_index("id").to_dict("index")
    assert r["full"]["count"] == 40 * 50
    assert r["full"]["elev_max"] == 5000.0
    assert r["full"]["coverage"] == pytest.approx(0.8)
    assert 0 < r["bowtie"]["count"] < 40 * 50  # repaired, not rejected
    for bad in ("point", "none"):
        assert r[bad]["count"] == 0 and r[bad]["coverage"] == 0.0
        assert math.isnan(r[bad]["elev_mean"])


def test_landcover_in_pieces_and_overlap(tmp_path: Path) -> None:
    arr = np.full((100, 100), 4, dtype=np.uint8)
    arr[:, :50] = 1  # western half bofedal
    t = from_origin(300_000, 8_300_000, 10, 10)
    path = _write(tmp_path / "lc.tif", arr, t, "EPSG:32719", 0)
    comm = shapely.box(300_000, 8_299_000, 301_000, 8_300_000)
    conc_a = shapely.box(300_200, 8_299_000, 300_600, 8_300_000)  # 200 m bofedal + 100 m grass
    conc_b = shapely.box(300_400, 8_299_000, 300_700, 8_300_000)  # overlaps A
    communities = gpd.GeoDataFrame({"id": ["C1"]}, geometry=[comm], crs="EPSG:32719").to_crs(4326)
    concessions = gpd.GeoDataFrame(
        {"code": ["010000101", "010000102"]}, geometry=[conc_a, conc_b], crs="EPSG:32719"
    ).to_crs(4326)
    lc = zonal_stats_in_overlap(path, communities, concessions, kind="landcover")
    by = dict(zip(lc["class_key"], lc["ha"], strict=True))
    assert set(lc["community_id"]) == {"C1"}
    assert by["bofedal"] == pytest.approx(30.0, rel=2e-3)  # 300 m × 1000 m of bofedal
    assert by["pajonal_pastizal"] == pytest.approx(20.0, rel=2e-3)  # union, no double count
    pieces = gpd.GeoDataFrame(
        {"community_id": ["C1", "C1"]}, geometry=[conc_a, conc_b], crs="EPSG:32719"
    )
    again = landcover_in_pieces(path, pieces)
    assert again["ha"].sum() == pytest.approx(lc["ha"].sum())
    dem = zonal_stats_in_overlap(path, communities, concessions, kind="dem")
    assert list(dem["community_id"]) == ["C1"]
    assert float(dem["elev_max"].iloc[0]) == 4.0


# ------------------------------------------------------------------------------ bad rasters


def test_bad_rasters_raise_stable_codes(tmp_path: Path) -> None:
    arr = np.ones((10, 10), dtype=np.uint8)
    no_crs = _write(tmp_path / "nocrs.tif", arr, from_origin(300_000, 8_300_000, 30, 30), None)
    with pytest.raises(RasterError) as ei:
        inspect_raster(no_crs)
    assert ei.value.code == "raster_no_crs"
    assert str(ei.value).startswith("El raster")
    assert "gdal_edit.py -a_srs" in str(ei.value) and " / " in str(ei.value)

    no_geo = _write(tmp_path / "nogeo.tif", arr, None, None)
    with pytest.raises(RasterError) as ei:
        inspect_raster(no_geo)
    assert ei.value.code == "raster_no_georef"

    text = tmp_path / "mapa.tif"
    text.write_text("esto no es un raster\n", encoding="utf-8")
    with pytest.raises(RasterError) as ei:
        inspect_raster(text)
    assert ei.value.code == "raster_unreadable"
    assert isinstance(ei.value, ValueError)

    with pytest.raises(RasterError) as ei:
        inspect_raster(tmp_path / "missing.tif")
    assert ei.value.code == "raster_unreadable"

    flt = _write(tmp_path / "f.tif", arr.astype(np.float32), from_origin(0, 0, 1, 1), "EPSG:32719")
    assert inspect_raster(flt).dtype == "float32"  # fine as a DEM
    with pytest.raises(RasterError) as ei:
        inspect_raster(flt, kind="landcover")
    assert ei.value.code == "raster_bad_classes"
    with pytest.raises(RasterError) as ei:
        zonal_stats(flt, _gdf([shapely.box(0, -5, 5, 0)], "EPSG:32719"), "id", kind="landcover")
    assert ei.value.code == "raster_bad_classes"


# ------------------------------------------------------------------------------ clip


def test_clip_raster_keeps_crs_nodata_colormap(tmp_path: Path) -> None:
    arr = np.full((100, 100), 4, dtype=np.uint8)
    cmap = {0: (0, 0, 0, 0), 4: (217, 199, 126, 255)}
    src = _write(tmp_path / "lc.tif", arr, from_origin(300_000, 8_300_000, 30, 30),
                 "EPSG:32719", 0, colormap=cmap)
    tri = shapely.Polygon([(300_300, 8_298_500), (301_500, 8_298_500), (300_300, 8_299_700)])
    geom = gpd.GeoSeries([tri], crs="EPSG:32719").to_crs(4326).iloc[0]
    out = clip_raster(src, geom, tmp_path / "clip.tif")
    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() == 32719
        assert ds.nodata == 0
        left, bottom, right, top = ds.bounds
        assert left == pytest.approx(300_300, abs=30)
        assert right == pytest.approx(301_500, abs=30)
        assert bottom == pytest.approx(8_298_500, abs=30)
        assert top == pytest.approx(8_299_700, abs=30)
        data = ds.read(1)
        assert (data == 0).any() and (data == 4).any()  # masked outside the triangle
        assert ds.colormap(1)[4][:3] == (217, 199, 126)
    with pytest.raises(RasterError) as ei:
        clip_raster(src, shapely.box(10, 10, 11, 11), tmp_path / "none.tif")
    assert ei.value.code == "raster_no_overlap"


# ------------------------------------------------------------------------------ terrain


def test_hillshade_flat_uniform_and_aspect() -> None:
    t = from_origin(300_000, 8_300_000, 30, 30)
    flat = np.full((20, 20), 4000.0)
    hs = hillshade(flat, t, "EPSG:32719")
    assert hs.dtype == np.uint8 and np.unique(hs).size == 1
    assert int(hs[0, 0]) == round(255 * math.sin(math.radians(45)))
    rows, cols = np.mgrid[0:20, 0:20]
    faces_nw = 4000.0 + 5.0 * cols + 5.0 * rows  # rises to the SE, so it faces the NW light
    faces_se = 4000.0 - 5.0 * cols - 5.0 * rows
    assert hillshade(faces_nw, t, "EPSG:32719").mean() > hillshade(faces_se, t, "EPSG:32719").mean()
    tg = from_origin(-69.8, -15.0, 0.00027, 0.00027)  # ~30 m in degrees
    assert np.unique(hillshade(flat, tg, "EPSG:4326")).size == 1
    assert hillshade(faces_nw, tg, "EPSG:4326").mean() > hillshade(faces_se, tg, "EPSG:4326").mean()


def test_images_for_overlays() -> None:
    bounds = (-69.9, -15.4, -69.5, -15.0)
    rgba, ext = hillshade_image(SAMPLE / "dem_ficticio.tif", bounds, max_size=100)
    assert rgba.dtype == np.uint8 and rgba.shape[2] == 4 and max(rgba.shape[:2]) <= 100
    assert ext.west == pytest.approx(-69.9, abs=0.01)
    assert ext.north == pytest.approx(-15.0, abs=0.01)
    lc, ext2 = landcover_rgba(SAMPLE / "cobertura_ficticia.tif", bounds, max_size=100)
    assert lc.shape[2] == 4 and (lc[..., 3] == 255).all()
    hexcol = LAND_COVER_CLASSES[3].color.lstrip("#")
    lake = tuple(int(hexcol[i : i + 2], 16) for i in (0, 2, 4))
    assert (lc[..., :3] == lake).all(axis=2).any()
    assert ext2.folium_bounds()[0][0] == pytest.approx(ext2.south)


# ------------------------------------------------------------------------------ sample files


def test_sample_rasters_are_deterministic_and_plausible(tmp_path: Path) -> None:
    written = write_sample_rasters(tmp_path)
    for name in ("dem_ficticio.tif", "cobertura_ficticia.tif"):
        fresh = (tmp_path / name).read_bytes()
        committed = (SAMPLE / name).read_bytes()
        assert fresh == committed, f"{name} differs; rerun python -m geo.rastersample"
        assert len(committed) < 600 * 1024
    info = inspect_raster(written["dem"], kind="dem")
    assert info.crs == "EPSG:4326" and info.dtype == "int16" and info.is_cog
    assert info.sha256 == hashlib.sha256((SAMPLE / "dem_ficticio.tif").read_bytes()).hexdigest()
    with rasterio.open(written["dem"]) as ds:
        assert ds.tags()["NOTA"] == "Datos FICTICIOS generados por Allpa"
        dem = ds.read(1)
        lake_row, lake_col = ds.index(-69.35, -15.45)
        assert int(dem[lake_row, lake_col]) == LAKE_LEVEL_M == 3810
        assert int(dem.min()) == 3810
        assert 5000 < int(dem.max()) < 6000
        assert int(dem[:40].mean()) > int(dem[-40:].mean())  # north is higher
    lc_info = inspect_raster(written["landcover"], kind="landcover")
    assert lc_info.has_colormap and lc_info.nodata == 0
    with rasterio.open(written["landcover"]) as ds:
        lc = ds.read(1)
        assert int(lc[lake_row, lake_col]) == 3
        assert set(np.unique(lc)) <= set(LAND_COVER_CLASSES)
        assert (lc[dem > 5100] == 2).mean() > 0.5  # high peaks carry glaciers
        assert ds.tags(1)["CLASE_1"].startswith("bofedal|")


def test_images_of_bounds_wholly_outside_the_raster_are_transparent() -> None:
    """The sample rasters cover the Peruvian province only: a map of the Bolivian shore gets
    an empty transparent image, not an error (it used to crash the advocacy map)."""
    from rasterio.warp import transform_bounds

    bolivia = (-68.9, -16.2, -68.5, -15.8)  # Omasuyos, east of the rasters
    for path, image in ((SAMPLE / "dem_ficticio.tif", hillshade_image),
                        (SAMPLE / "cobertura_ficticia.tif", landcover_rgba)):
        with rasterio.open(path) as src:
            covered = shapely.box(*transform_bounds(src.crs, "EPSG:4326", *src.bounds))
        assert not covered.intersects(shapely.box(*bolivia))
        rgba, ext = image(path, bolivia, max_size=256)
        assert rgba.shape == (1, 1, 4) and not rgba[..., 3].any()
        assert tuple(ext) == bolivia
