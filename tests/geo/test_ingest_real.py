"""The import front-end against the real public files in ../shared/data (never skipped)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from geo.errors import CRSError, InputError
from geo.geodesy import geodesic_areas_ha
from geo.ingest import prepare
from geo.io import read_vector
from geo.profiles import apply_profile, detect_profile

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
INGEMMET = "peru/mining/ingemmet_17s_100326.geojson"
INVALID_17S = {
    "030091425",
    "P0100302",
    "P0000205",
    "P0000210",
    "010088423",
    "010000623L",
    "060010524",
}


def data(relative: str) -> Path:
    path = DATA / relative
    if not path.is_file():
        pytest.fail(f"real test data missing: {path}")
    return path


def test_ingemmet_without_crs_is_refused_naming_utm_17s() -> None:
    with pytest.raises(CRSError) as info:
        prepare(data(INGEMMET), layer="concessions")
    err = info.value
    assert err.code == "crs_missing"
    assert isinstance(err, ValueError)
    message = str(err)
    assert "EPSG:32717" in message and "--crs EPSG:32717" in message
    assert "ingemmet_17s_100326.geojson" in message
    assert "EPSG:32718" in message and "EPSG:32719" in message and "24877" in message
    assert err.details["likely"] == "EPSG:32717"


def test_ingemmet_with_crs_prepares_all_and_repairs_the_seven_invalid() -> None:
    p = prepare(data(INGEMMET), layer="concessions", crs="EPSG:32717")
    assert p.profile == "ingemmet"
    assert p.n_read == 9025
    assert len(p.frame) == 9025
    assert p.rejections == []
    assert p.crs_decision.used == "EPSG:32717"
    assert p.crs_decision.declared is None and not p.crs_decision.defaulted
    source_repairs = [r for r in p.repairs if not r.introduced_by_reprojection]
    assert {r.feature_id for r in source_repairs} == INVALID_17S
    assert all(r.action.startswith("make_valid") for r in source_repairs)
    assert all("elf-intersection" in r.reason for r in source_repairs)
    # anything else repaired was only made invalid by the reprojection, and said so
    assert all(r.introduced_by_reprojection for r in p.repairs if r not in source_repairs)
    assert shapely.is_valid(p.frame.geometry.array).all()
    assert set(p.frame.geometry.geom_type) == {"MultiPolygon"}
    assert str(p.frame.crs) == "EPSG:4326"
    median = float(np.median(geodesic_areas_ha(p.frame.geometry)))
    assert median == pytest.approx(200.0, rel=0.01)
    first = p.frame.iloc[0]
    assert first["code"] == "010461925"
    assert str(first["filed_on"]) == "2025-12-30"
    assert first["zone"] == 17 and first["datum"] == "WGS84"
    assert len(p.sha256) == 64


def test_huancane_districts_repair_taraco() -> None:
    p = prepare(data("peru/admin/huancane_distritos_inei2023.geojson"), layer="boundaries")
    assert p.profile == "inei_boundaries"
    assert sorted(p.frame["code"]) == [f"2106{i:02d}" for i in range(1, 9)]
    assert set(p.frame["level"]) == {"district"}
    assert set(p.frame["parent_code"]) == {"2106"}
    assert [r.feature_id for r in p.repairs] == ["210607"]
    assert p.crs_decision.defaulted and p.crs_decision.used == "EPSG:4326"
    lon0, lat0, lon1, lat1 = p.frame.total_bounds
    assert (lon0, lat0, lon1, lat1) == pytest.approx(
        (-70.0947, -15.5364, -69.1196, -14.7629), abs=0.01
    )


def test_ccpp_as_point_communities_with_mapping() -> None:
    p = prepare(
        data("peru/places/ccpp_huancane.geojson"),
        layer="communities",
        mapping={"id": "inei_ccpp", "name": "ccpp", "admin_code": "inei_distrito"},
    )
    assert p.profile == "columns"
    assert len(p.frame) == 749
    assert set(p.frame.geometry.geom_type) == {"Point"}
    assert set(p.frame["country"]) == {"PE"}
    assert set(p.frame["kind"]) == {"otro"}
    assert set(p.frame["sensitivity"]) == {"public"}
    assert p.frame["legal_status"].isna().all()  # unknown stays unknown
    assert p.frame["admin_code"].str.fullmatch(r"2106\d\d").all()


def test_peru_districts_null_geometries_rejected_by_ubigeo() -> None:
    p = prepare(data("peru/admin/peru_distrital_simple.geojson"), layer="boundaries")
    assert p.n_read == 1834
    assert len(p.frame) == 1826
    nulls = [r for r in p.rejections if "no geometry" in r.reason]
    assert len(nulls) == 8
    assert "210103" in {r.feature_id for r in nulls}
    assert all(r.reason.startswith(r.feature_id) for r in nulls)


def test_peru_provinces_and_departments_levels() -> None:
    prov = prepare(data("peru/admin/peru_provincial_simple.geojson"), layer="boundaries")
    assert set(prov.frame["level"]) == {"province"}
    assert prov.frame["code"].str.len().eq(4).all()
    # two provinces come in two features each (one with a misspelt name): merged, not lost
    assert len(prov.frame) == 195 and prov.rejections == []
    assert any("PIURA / PUIRA" in w for w in prov.warnings)
    dep = prepare(data("peru/admin/peru_departamental_simple.geojson"), layer="boundaries")
    assert len(dep.frame) == 25 and set(dep.frame["level"]) == {"department"}
    assert dep.crs_decision.declared == "EPSG:4326" and not dep.crs_decision.defaulted


def test_lake_titicaca_shapefile_reprojected_from_utm19s() -> None:
    p = prepare(
        data("water/lago_titicaca_utm19s/lago_titicaca_sideteva_puno.shp"),
        layer="water",
        mapping={"id": "OBJECTID", "name": "V_NOMB"},
        defaults={"kind": "lake"},
    )
    assert p.crs_decision.declared == "EPSG:32719"
    assert len(p.frame) == 2
    assert "LAGO TITICACA PERÚ" in set(p.frame["name"])
    lon0, lat0, lon1, lat1 = p.frame.total_bounds
    assert -70.2 < lon0 < lon1 < -68.4 and -16.8 < lat0 < lat1 < -15.1
    assert {r.action for r in p.repairs} == {"drop_z"}
    assert not shapely.has_z(p.frame.geometry.array).any()


def test_bolivian_municipalities_detected() -> None:
    raw = read_vector(data("bolivia/bolivia_municipios_con_nombres.geojson"))
    assert detect_profile("boundaries", raw.frame.columns) == "bo_boundaries"
    result = apply_profile("bo_boundaries", raw.frame, layer="boundaries")
    assert set(result.frame["level"]) == {"municipality"}
    assert set(result.frame["country"]) == {"BO"}
    assert "031001" in set(result.frame["code"])
    assert any("Salar de Uyuni" in r.reason for r in result.rejections)


def test_wrong_layer_for_columns_is_a_clear_profile_error() -> None:
    with pytest.raises(InputError) as info:
        prepare(data("peru/places/ccpp_huancane.geojson"), layer="concessions")
    assert "--profile" in str(info.value) and "inei_ccpp" in str(info.value)
