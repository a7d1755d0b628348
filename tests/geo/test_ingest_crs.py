"""CRS decisions and the PSAD56 datum shift."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from pyproj import CRS, Geod

from geo.crs import decide_crs, guess_utm_zones, resolve_crs, select_transformer, to_wgs84
from geo.errors import CRSError

GEOD = Geod(ellps="WGS84")


def _frame(*geoms: shapely.Geometry) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=list(geoms))


UTM19 = _frame(shapely.Point(400000, 8300000), shapely.Point(420000, 8320000))
DEGREES = _frame(shapely.Point(-69.8, -15.2))


@pytest.mark.parametrize("zone", [18, 19])
def test_psad56_to_wgs84_applies_a_real_datum_shift(zone: int) -> None:
    point = _frame(shapely.Point(400000, 8300000))
    psad = to_wgs84(point, CRS.from_epsg(24860 + zone)).geometry.iloc[0]
    wgs = to_wgs84(point, CRS.from_epsg(32700 + zone)).geometry.iloc[0]
    _, _, metres = GEOD.inv(psad.x, psad.y, wgs.x, wgs.y)
    assert 100 < metres < 800
    transformer = select_transformer(
        CRS.from_epsg(24860 + zone), (400000, 8300000, 400001, 8300001)
    )
    assert "ballpark" not in transformer.description.lower()
    assert "PSAD56 to WGS 84" in transformer.description


def test_declared_geographic_but_utm_coordinates_is_a_mismatch() -> None:
    with pytest.raises(CRSError) as info:
        decide_crs(UTM19, CRS.from_epsg(4326), None, source_name="lotes_zona19.geojson")
    assert info.value.code == "crs_mismatch"
    assert "--crs EPSG:32719" in str(info.value)
    assert "EPSG:32717" in str(info.value) and "EPSG:32718" in str(info.value)


def test_zone_hint_and_file_name_rank_candidates() -> None:
    bounds = (500000.0, 8300000.0, 520000.0, 8320000.0)
    assert guess_utm_zones(bounds, "x.geojson", zone_hint=18)[0] == 18
    assert guess_utm_zones(bounds, "catastro_18_2024.geojson")[0] == 18
    assert guess_utm_zones(bounds, "zona19.shp")[0] == 19
    assert guess_utm_zones(bounds, "lotes-17s.geojson")[0] == 17
    assert guess_utm_zones(bounds, "datos_2019.geojson") == [17, 18, 19]  # 2019 is no zone
    with pytest.raises(CRSError) as info:
        decide_crs(UTM19, None, None, source_name="x.geojson", zone_hint=19)
    assert info.value.code == "crs_missing"
    assert "CRS probable: EPSG:32719 (WGS 84 / UTM 19S)" in str(info.value)
    assert "(otras opciones: EPSG:32717 17S, EPSG:32718 18S; PSAD56: EPSG:24877-24879)" in str(
        info.value
    )


def test_nothing_declared_and_degrees_defaults_to_wgs84() -> None:
    decision = decide_crs(DEGREES, None, None, source_name="a.geojson")
    assert decision.used == "EPSG:4326" and decision.defaulted and decision.declared is None


def test_override_is_validated_and_checked_against_coordinates() -> None:
    assert resolve_crs(UTM19, None, "EPSG:32719", source_name="a.geojson").to_epsg() == 32719
    with pytest.raises(CRSError) as info:
        decide_crs(UTM19, None, "EPSG:99999999", source_name="a.geojson")
    assert info.value.code == "crs_invalid"
    with pytest.raises(CRSError) as info:
        decide_crs(DEGREES, None, "EPSG:32719", source_name="a.geojson")
    assert info.value.code == "crs_mismatch" and "EPSG:4326" in str(info.value)
    with pytest.raises(CRSError) as info:  # Andean UTM metres read as Lambert-93 (France)
        decide_crs(UTM19, None, "EPSG:2154", source_name="a.geojson")
    assert info.value.code == "crs_mismatch" and "EPSG:2154" in str(info.value)


def test_no_geometry_needs_no_crs() -> None:
    empty = gpd.GeoDataFrame({"id": ["r1"]}, geometry=[None])
    assert decide_crs(empty, None, None, source_name="redes.csv").defaulted
