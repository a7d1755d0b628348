"""Source profiles (value normalisation) and geometry repair, on in-memory frames."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pytest
import shapely

from geo.errors import ProfileError
from geo.geodesy import geodesic_area_ha, geodesic_areas_ha
from geo.profiles import (
    apply_profile,
    detect_profile,
    ingemmet_state,
    parse_bool,
    parse_date,
)
from geo.validity import repair_geometries

SQUARE = shapely.box(-69.80, -15.20, -69.79, -15.19)
BOWTIE = shapely.Polygon([(-69.8, -15.2), (-69.7, -15.1), (-69.7, -15.2), (-69.8, -15.1)])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue Dec 30 2025 00:00:00 GMT-0500 (hora estándar de Perú)", dt.date(2025, 12, 30)),
        ("Mon Sep 02 2002 00:00:00 GMT-0500 (hora estándar de Perú)", dt.date(2002, 9, 2)),
        ("Wed Jan 01 2025 23:30:00 GMT-0500", dt.date(2025, 1, 1)),  # date as written
        ("2025-12-30", dt.date(2025, 12, 30)),
        ("2025-12-30T05:00:00Z", dt.date(2025, 12, 30)),
        ("30/12/2025", dt.date(2025, 12, 30)),
        ("20251230", dt.date(2025, 12, 30)),
        (dt.datetime(2025, 12, 30, 10), dt.date(2025, 12, 30)),
        (dt.date(2025, 12, 30), dt.date(2025, 12, 30)),
        (1767052800000, dt.date(2025, 12, 30)),  # epoch ms, 2025-12-30T00:00Z
        (None, None),
        ("", None),
    ],
)
def test_parse_date(value: object, expected: dt.date | None) -> None:
    assert parse_date(value) == expected


def test_parse_date_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_date("pronto")


def test_parse_bool() -> None:
    assert [parse_bool(v) for v in ["sí", "Si", "x", "1", "true", "no", "0", ""]] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        None,
    ]


def test_ingemmet_states() -> None:
    assert ingemmet_state("TITULADO", None) == "titled"
    assert ingemmet_state("EN TRÁMITE", None) == "in_process"
    assert ingemmet_state("EXTINGUIDO", "T") == "extinguished"  # text wins
    assert ingemmet_state(None, "D") == "in_process"
    assert ingemmet_state(None, "Y") == "extinguished"
    assert ingemmet_state(None, "A") == "other"
    assert ingemmet_state(None, None) is None


def _concessions(**columns: list[object]) -> gpd.GeoDataFrame:
    n = len(next(iter(columns.values())))
    return gpd.GeoDataFrame(columns, geometry=[SQUARE] * n, crs=4326)


def test_codigou_int_is_zero_padded_and_alphanumeric_kept() -> None:
    raw = _concessions(
        CODIGOU=[10461925, 10461926.0, "P0400415", "010000424l"],
        FEC_DENU=["30/12/2025", None, "x", 1767052800000],
    )
    result = apply_profile("ingemmet", raw, layer="concessions")
    assert list(result.frame["code"]) == ["010461925", "010461926", "P0400415", "010000424L"]
    assert list(result.frame["filed_on"]) == [
        dt.date(2025, 12, 30),
        None,
        None,
        dt.date(2025, 12, 30),
    ]
    assert any("filed_on" in w and "'x'" in w for w in result.warnings)


def test_duplicate_codes_are_rejected_after_the_first() -> None:
    raw = _concessions(
        CODIGOU=["010000119", "10000119", "010000219", None], CONCESION=["A", "A bis", "B", "C"]
    )
    result = apply_profile("ingemmet", raw, layer="concessions")
    assert list(result.frame["code"]) == ["010000119", "010000219"]
    reasons = {r.index: r.reason for r in result.rejections}
    assert "duplicado" in reasons[1] and "duplicate" in reasons[1] and "#0" in reasons[1]
    assert reasons[1].startswith("010000119")
    assert "missing 'code'" in reasons[3] and reasons[3].startswith("#3")


def test_ingemmet_full_schema() -> None:
    raw = _concessions(
        CODIGOU=["1"],
        ESTADO=["P"],
        SUSTANCIA=["M"],
        HECTAGIS=[None],
        HASDATUM=["1.000,5"],
        ZONA=["19"],
    )
    row = apply_profile("ingemmet", raw, layer="concessions").frame.iloc[0]
    assert row["state"] == "in_process" and row["state_raw"] == "P"
    assert row["substance"] == "metallic" and row["official_ha"] == 1000.5 and row["zone"] == 19


@pytest.mark.parametrize(
    ("columns", "profile"),
    [
        (["CODIGOU", "CONCESION"], "ingemmet"),
        (["ubigeo", "nombre_distrito"], "inei_boundaries"),
        (["IDDIST", "NOMBDIST", "IDPROV"], "inei_boundaries"),
        (["FIRST_IDPR", "NOMBPROV"], "inei_boundaries"),
        (["FIRST_IDDP", "NOMBDEP"], "inei_boundaries"),
        (["ubigeo", "nombre_provincia", "nombre_departamento"], "inei_boundaries"),
        (["municipio", "nombre_municipio"], "bo_boundaries"),
    ],
)
def test_detect_profile(columns: list[str], profile: str) -> None:
    layer = "concessions" if profile == "ingemmet" else "boundaries"
    assert detect_profile(layer, columns) == profile


def test_detect_template_profiles_in_both_languages() -> None:
    assert detect_profile("communities", ["codigo", "nombre", "tipo"]) == "allpa_community"
    assert detect_profile("communities", ["id", "name", "kind"]) == "allpa_community"
    assert detect_profile("water", ["codigo", "nombre", "tipo", "uso"]) == "allpa_water"
    assert detect_profile("consultations", ["codigo", "nombre", "medida", "etapa"]) == (
        "allpa_consultation"
    )
    assert detect_profile("networks", ["id", "nombre", "miembros"]) == "allpa_network"
    with pytest.raises(ProfileError):
        detect_profile("communities", ["foo", "bar"])


def test_force_boundary_level() -> None:
    raw = gpd.GeoDataFrame(
        {"ubigeo": [210601], "nombre_distrito": ["Huancané"]}, geometry=[SQUARE], crs=4326
    )
    frame = apply_profile("inei_boundaries", raw, layer="boundaries").frame
    assert frame.iloc[0][["code", "level", "parent_code"]].tolist() == [
        "210601",
        "district",
        "2106",
    ]
    province = gpd.GeoDataFrame(
        {"ubigeo": ["2106"], "nombre_provincia": ["Huancané"], "nombre_departamento": ["Puno"]},
        geometry=[SQUARE],
        crs=4326,
    )
    row = apply_profile("inei_boundaries", province, layer="boundaries").frame.iloc[0]
    assert row[["code", "level", "parent_code"]].tolist() == ["2106", "province", "21"]
    forced = apply_profile(
        "inei_boundaries", raw, layer="boundaries", defaults={"level": "provincia"}
    ).frame
    assert forced.iloc[0]["level"] == "province"


def test_consultation_spanish_template() -> None:
    raw = gpd.GeoDataFrame(
        {
            "codigo": ["CP-1"],
            "nombre": ["Consulta Ramis"],
            "medida": ["Exploración"],
            "promotor": ["Minera X"],
            "concesiones": ["10461925; P0400415"],
            "etapa": ["Diálogo"],
            "fecha_inicio": ["2024-01-15"],
            "fecha_dialogo": ["15/06/2024"],
            "fecha_fin": [None],
        },
        geometry=[SQUARE],
        crs=4326,
    )
    result = apply_profile(detect_profile("consultations", raw.columns), raw, layer="consultations")
    row = result.frame.iloc[0]
    assert row["concession_codes"] == ["010461925", "P0400415"]
    assert row["stage"] == "dialogue" and row["dialogue_date"] == dt.date(2024, 6, 15)
    assert row["end_date"] is None


def test_columns_profile_needs_mapping_and_existing_columns() -> None:
    raw = gpd.GeoDataFrame({"a": ["1"]}, geometry=[SQUARE], crs=4326)
    with pytest.raises(ProfileError, match="mapping"):
        apply_profile("columns", raw, layer="communities")
    with pytest.raises(ProfileError, match="'zz'"):
        apply_profile("columns", raw, layer="communities", mapping={"id": "zz"})


def test_unknown_country_is_a_rejection_unless_defaulted() -> None:
    raw = gpd.GeoDataFrame(
        {"id": ["c1"], "name": ["Ayllu"], "kind": ["ayllu"]}, geometry=[SQUARE], crs=4326
    )
    result = apply_profile("allpa_community", raw, layer="communities")
    assert len(result.frame) == 0 and "country" in result.rejections[0].reason
    ok = apply_profile("allpa_community", raw, layer="communities", defaults={"country": "BO"})
    assert ok.frame.iloc[0]["country"] == "BO" and ok.frame.iloc[0]["kind"] == "ayllu"


def test_repair_geometries_polygon_layer() -> None:
    line = shapely.LineString([(-69.8, -15.2), (-69.7, -15.1)])
    z_square = shapely.force_3d(SQUARE)
    frame = gpd.GeoDataFrame(
        {"code": ["a", "b", "c", "d", "e"]},
        geometry=[SQUARE, BOWTIE, line, None, z_square],
        crs=4326,
    )
    out, repairs, rejections = repair_geometries(frame, expected="polygon", id_column="code")
    assert list(out["code"]) == ["a", "b", "e"]
    assert set(out.geometry.geom_type) == {"MultiPolygon"}
    assert shapely.is_valid(out.geometry.array).all()
    assert not shapely.has_z(out.geometry.array).any()
    by_id = {r.feature_id: r for r in repairs}
    assert by_id["b"].action.startswith("make_valid") and "Self-intersection" in by_id["b"].reason
    assert by_id["e"].action == "drop_z"
    reasons = {r.feature_id: r.reason for r in rejections}
    assert "LineString" in reasons["c"] and reasons["c"].startswith("c:")
    assert reasons["d"] == "d: sin geometría / no geometry"


def test_repair_collapsed_polygon_is_rejected_and_missing_allowed() -> None:
    flat = shapely.Polygon([(0, 0), (1, 0), (2, 0), (0, 0)])
    frame = gpd.GeoDataFrame({"id": ["x", "y"]}, geometry=[flat, None], crs=4326)
    out, _, rejections = repair_geometries(
        frame, expected="polygon", id_column="id", allow_missing=True
    )
    assert list(out["id"]) == ["y"]
    assert "no reparable" in rejections[0].reason


def test_point_or_polygon_keeps_points() -> None:
    frame = gpd.GeoDataFrame(
        {"id": ["p", "q"]}, geometry=[shapely.Point(-69.8, -15.2), SQUARE], crs=4326
    )
    out, _, _ = repair_geometries(frame, expected="point_or_polygon", id_column="id")
    assert list(out.geometry.geom_type) == ["Point", "MultiPolygon"]


def test_geodesic_area() -> None:
    square_1km = shapely.box(-69.80, -15.20, -69.80 + 0.0093, -15.20 + 0.009)
    area = geodesic_area_ha(square_1km)
    assert 95 < area < 105
    holed = square_1km.difference(square_1km.buffer(-0.002))
    reversed_ring = shapely.Polygon(list(square_1km.exterior.coords)[::-1])
    areas = geodesic_areas_ha(gpd.GeoSeries([square_1km, reversed_ring, holed, None]))
    assert areas[0] == pytest.approx(areas[1])
    assert 0 < areas[2] < areas[0]
    assert areas[3] == 0  # a missing geometry covers no area
