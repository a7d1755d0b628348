"""Overlay core: analytic hectares, union not sum, UTM straddle, radius, water, incremental."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, MultiPoint, Point, box

from geo.geodesy import geodesic_area_ha
from geo.overlay import (
    CONCESSION_PAIR_COLUMNS,
    PRESSURE_COLUMNS,
    analyse,
    community_community_overlaps,
    community_concession_overlaps,
    consultation_membership,
    point_community_proximity,
    territory_pressure,
    water_in_polygons,
)

GEOD = Geod(ellps="WGS84")
A, F = 6378137.0, 1 / 298.257223563


def box_ha(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Closed-form area (ha) of a lat/lon rectangle on WGS84 (authalic latitude)."""
    e2 = F * (2 - F)
    e = math.sqrt(e2)

    def q(phi: float) -> float:
        s = math.sin(math.radians(phi))
        return s / (1 - e2 * s * s) + math.atanh(e * s) / e

    return abs(A * A * (1 - e2) / 2 * math.radians(lon2 - lon1) * (q(lat2) - q(lat1))) / 1e4


def dbox(lon1: float, lat1: float, lon2: float, lat2: float) -> shapely.Polygon:
    return shapely.segmentize(box(lon1, lat1, lon2, lat2), 0.0005)


def gdf(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


COMMUNITY = (-70.10, -15.10, -70.00, -15.00)


@pytest.fixture()
def community() -> gpd.GeoDataFrame:
    return gdf([{"id": "C1", "geometry": dbox(*COMMUNITY)}])


def test_pair_hectares_and_share_are_geodesic(community: gpd.GeoDataFrame) -> None:
    inside = (-70.08, -15.08, -70.06, -15.06)
    half_out = (-70.02, -15.05, -69.98, -15.03)  # half outside the community
    touching = (-70.00, -15.05, -69.98, -15.03)  # shares an edge only: no overlap
    conc = gdf(
        [
            {"code": "000000001", "state": "titled", "geometry": dbox(*inside)},
            {"code": "000000002", "state": "extinguished", "geometry": dbox(*half_out)},
            {"code": "000000003", "state": "titled", "geometry": dbox(*touching)},
        ]
    )
    pairs = community_concession_overlaps(community, conc)
    assert list(pairs.columns) == CONCESSION_PAIR_COLUMNS
    assert list(pairs["concession_code"]) == ["000000001", "000000002"]
    terr = box_ha(*COMMUNITY)
    assert pairs["intersection_ha"].iloc[0] == pytest.approx(box_ha(*inside), rel=1e-4)
    assert pairs["intersection_ha"].iloc[1] == pytest.approx(
        box_ha(-70.02, -15.05, -70.0, -15.03), rel=1e-4
    )
    assert pairs["share"].iloc[0] == pytest.approx(box_ha(*inside) / terr, rel=1e-4)
    assert list(pairs["state"]) == ["titled", "extinguished"]
    # extinguished concessions are listed but are not pressure
    pres = territory_pressure(community, conc)
    assert list(pres.columns) == PRESSURE_COLUMNS
    row = pres.iloc[0]
    assert row["n_concessions"] == 1
    assert row["concession_ha_union"] == pytest.approx(box_ha(*inside), rel=1e-4)
    assert row["territory_ha"] == pytest.approx(terr, rel=1e-4)


def test_union_not_sum_of_pairs(community: gpd.GeoDataFrame) -> None:
    a = (-70.08, -15.08, -70.04, -15.04)
    b = (-70.06, -15.06, -70.02, -15.02)  # overlaps a on [-70.06,-70.04] x [-15.06,-15.04]
    c = (-70.09, -15.02, -70.08, -15.01)  # alone, in process
    conc = gdf(
        [
            {"code": "A", "state": "titled", "geometry": dbox(*a)},
            {"code": "B", "state": "titled", "geometry": dbox(*b)},
            {"code": "C", "state": "in_process", "geometry": dbox(*c)},
        ]
    )
    pairs = community_concession_overlaps(community, conc)
    row = territory_pressure(community, conc).iloc[0]
    overlap = box_ha(-70.06, -15.06, -70.04, -15.04)
    union_ab = box_ha(*a) + box_ha(*b) - overlap
    assert pairs["intersection_ha"].sum() == pytest.approx(
        union_ab + overlap + box_ha(*c), rel=1e-4
    )
    assert row["titled_ha"] == pytest.approx(union_ab, rel=1e-4)
    assert row["in_process_ha"] == pytest.approx(box_ha(*c), rel=1e-4)
    assert row["concession_ha_union"] == pytest.approx(union_ab + box_ha(*c), rel=1e-4)
    assert row["concession_ha_union"] < pairs["intersection_ha"].sum()
    terr = box_ha(*COMMUNITY)
    assert row["share_union"] == pytest.approx((union_ab + box_ha(*c)) / terr, rel=1e-4)
    assert row["share_titled"] == pytest.approx(union_ab / terr, rel=1e-4)
    assert row["n_concessions"] == 3
    # and against shapely's own union measured geodesically (same construction): 1e-9
    u = shapely.union_all([dbox(*a), dbox(*b), dbox(*c)])
    assert row["concession_ha_union"] == pytest.approx(geodesic_area_ha(u), rel=1e-9)


def test_identical_and_nested_concessions_count_once(community: gpd.GeoDataFrame) -> None:
    a = (-70.08, -15.08, -70.04, -15.04)
    conc = gdf(
        [
            {"code": "A", "state": "titled", "geometry": dbox(*a)},
            {"code": "A2", "state": "titled", "geometry": dbox(*a)},
            {"code": "A3", "state": "in_process", "geometry": dbox(-70.07, -15.07, -70.05, -15.05)},
        ]
    )
    row = territory_pressure(community, conc).iloc[0]
    assert row["concession_ha_union"] == pytest.approx(box_ha(*a), rel=1e-4)
    assert row["titled_ha"] == pytest.approx(box_ha(*a), rel=1e-4)
    assert row["in_process_ha"] == pytest.approx(box_ha(-70.07, -15.07, -70.05, -15.05), rel=1e-4)


def test_community_straddling_utm_18s_19s_is_geodesic() -> None:
    bounds = (-72.05, -15.05, -71.95, -14.95)  # lon -72 is the 18S/19S boundary
    comm = gdf([{"id": "S", "geometry": dbox(*bounds)}])
    west = (-72.05, -15.05, -72.00, -14.95)
    east = (-72.00, -15.00, -71.95, -14.95)
    conc = gdf(
        [
            {"code": "W", "state": "titled", "geometry": dbox(*west)},
            {"code": "E", "state": "in_process", "geometry": dbox(*east)},
        ]
    )
    row = territory_pressure(comm, conc).iloc[0]
    assert row["territory_ha"] == pytest.approx(box_ha(*bounds), rel=1e-4)
    assert row["concession_ha_union"] == pytest.approx(box_ha(*west) + box_ha(*east), rel=1e-4)
    assert row["share_union"] == pytest.approx(0.75, rel=1e-3)


def test_community_community_overlaps_both_directions() -> None:
    a, b = (-70.10, -15.10, -70.00, -15.00), (-70.02, -15.10, -69.95, -15.00)
    comm = gdf(
        [
            {"id": "A", "geometry": dbox(*a)},
            {"id": "B", "geometry": dbox(*b)},
            {"id": "P", "geometry": Point(-70.05, -15.05)},  # point-only: never a neighbour
        ]
    )
    nb = community_community_overlaps(comm)
    ov = box_ha(-70.02, -15.10, -70.00, -15.00)
    assert list(zip(nb["community_id"], nb["other_id"], strict=True)) == [("A", "B"), ("B", "A")]
    np.testing.assert_allclose(nb["intersection_ha"], [ov, ov], rtol=1e-4)
    np.testing.assert_allclose(nb["share"], [ov / box_ha(*a), ov / box_ha(*b)], rtol=1e-4)
    assert community_community_overlaps(comm, min_ha=ov * 1.01).empty


def test_point_only_radius_search() -> None:
    lon0, lat0 = -70.0, -15.0
    m_per_deg_lon = GEOD.inv(lon0, lat0, lon0 + 0.01, lat0)[2] / 0.01
    near_lon = lon0 + 3000 / m_per_deg_lon  # a concession 3 km east
    far_lon = lon0 + 7000 / m_per_deg_lon  # and one 7 km east
    comm = gdf(
        [{"id": "P", "geometry": Point(lon0, lat0)}, {"id": "Q", "geometry": Point(-60.0, -15.0)}]
    )
    conc = gdf(
        [
            {
                "code": "N",
                "state": "titled",
                "geometry": dbox(near_lon, -15.02, near_lon + 0.02, -14.98),
            },
            {
                "code": "F",
                "state": "titled",
                "geometry": dbox(far_lon, -15.02, far_lon + 0.02, -14.98),
            },
            {"code": "U", "state": "in_process", "geometry": dbox(-70.01, -15.01, -69.99, -14.99)},
        ]
    )
    prox = point_community_proximity(comm, conc, radius_m=5000)
    assert list(prox["concession_code"]) == ["U", "N"]  # nearest first
    assert prox["estimate"].all()
    assert prox["distance_m"].iloc[0] == 0.0  # the point lies inside U
    assert prox["distance_m"].iloc[1] == pytest.approx(3000.0, abs=0.5)
    wide = point_community_proximity(comm, conc, radius_m=7500)
    assert set(wide["concession_code"]) == {"U", "N", "F"}
    assert wide.loc[wide["concession_code"] == "F", "distance_m"].iloc[0] == pytest.approx(
        7000.0, abs=0.5
    )


def test_point_radius_diagonal_uses_nearest_corner() -> None:
    lon0, lat0 = -70.0, -15.0
    _, _, d = GEOD.inv(lon0, lat0, -69.98, -14.98)  # nearest corner, NE
    comm = gdf([{"id": "P", "geometry": Point(lon0, lat0)}])
    conc = gdf([{"code": "K", "state": "titled", "geometry": box(-69.98, -14.98, -69.96, -14.96)}])
    prox = point_community_proximity(comm, conc, radius_m=5000)
    assert prox["distance_m"].iloc[0] == pytest.approx(d, abs=0.5)


def test_water_points_lines_polygons(community: gpd.GeoDataFrame) -> None:
    lake = (-70.02, -15.09, -69.98, -15.07)  # half inside
    water = gdf(
        [
            {"id": "w1", "kind": "spring", "geometry": Point(-70.05, -15.05)},
            {
                "id": "w2",
                "kind": "river",
                "geometry": LineString([(-70.2, -15.05), (-70.05, -15.05)]),
            },
            {"id": "w3", "kind": "lake", "geometry": dbox(*lake)},
            {"id": "w4", "kind": "spring", "geometry": Point(-69.5, -15.05)},  # outside
            {
                "id": "w5",
                "kind": "stream",
                "geometry": LineString([(-70.0, -15.2), (-70.0, -15.1)]),
            },  # touches
            {
                "id": "w6",
                "kind": "well",
                "geometry": MultiPoint([(-70.05, -15.05), (-70.06, -15.06), (-69, -15)]),
            },
        ]
    )
    got = water_in_polygons(water, community, "id").set_index("water_id")
    assert set(got.index) == {"w1", "w2", "w3", "w6"}
    assert (got.loc["w1", "measure"], got.loc["w1", "unit"], got.loc["w1", "kind"]) == (
        1.0,
        "point",
        "spring",
    )
    assert got.loc["w2", "unit"] == "m"
    assert got.loc["w2", "measure"] == pytest.approx(
        GEOD.inv(-70.10, -15.05, -70.05, -15.05)[2], rel=1e-9
    )
    assert got.loc["w3", "unit"] == "ha"
    assert got.loc["w3", "measure"] == pytest.approx(
        box_ha(-70.02, -15.09, -70.00, -15.07), rel=1e-4
    )
    assert got.loc["w6", "measure"] == 2.0
    assert (got["polygon_id"] == "C1").all()


def test_consultation_membership(community: gpd.GeoDataFrame) -> None:
    comm = pd.concat(
        [
            community,
            gdf(
                [
                    {"id": "P", "geometry": Point(-70.5, -15.5)},
                    {"id": "Q", "geometry": Point(-60, -15)},
                ]
            ),
        ],
        ignore_index=True,
    )
    area = (-70.6, -15.6, -70.05, -15.05)  # covers the SW quarter of C1 and the point P
    cons = gdf([{"id": "K1", "name": "Consulta", "geometry": dbox(*area)}])
    got = consultation_membership(comm, cons).set_index("community_id")
    assert set(got.index) == {"C1", "P"}
    assert got.loc["C1", "intersection_ha"] == pytest.approx(
        box_ha(-70.10, -15.10, -70.05, -15.05), rel=1e-4
    )
    assert got.loc["P", "intersection_ha"] == 0.0
    assert bool(got.loc["P", "inside_point"]) is True


def _random_world(seed: int = 7) -> tuple[gpd.GeoDataFrame, ...]:
    rng = np.random.default_rng(seed)
    n_comm, n_conc = 120, 700
    cx, cy = rng.uniform(-71, -70, n_comm), rng.uniform(-16, -15, n_comm)
    r = rng.uniform(0.01, 0.05, n_comm)
    geoms = list(shapely.buffer(shapely.points(cx, cy), r, quad_segs=5))
    for i in range(0, n_comm, 10):  # some communities known only by a point
        geoms[i] = Point(cx[i], cy[i])
    comm = gdf([{"id": f"C{i:03d}", "geometry": g} for i, g in enumerate(geoms)])
    kx, ky = rng.uniform(-71, -70, n_conc), rng.uniform(-16, -15, n_conc)
    gx, gy = np.round(kx, 2), np.round(ky, 2)  # grid aligned, often overlapping
    w, h = rng.integers(1, 4, n_conc) * 0.01, rng.integers(1, 4, n_conc) * 0.01
    states = rng.choice(["titled", "in_process", "extinguished", "other"], n_conc)
    conc = gdf(
        [
            {
                "code": f"{i:09d}",
                "state": states[i],
                "geometry": box(gx[i], gy[i], gx[i] + w[i], gy[i] + h[i]),
            }
            for i in range(n_conc)
        ]
    )
    water = gdf(
        [
            {"id": f"W{i}", "kind": "spring", "geometry": Point(x, y)}
            for i, (x, y) in enumerate(
                zip(rng.uniform(-71, -70, 400), rng.uniform(-16, -15, 400), strict=True)
            )
        ]
        + [{"id": "R1", "kind": "river", "geometry": LineString([(-71, -15.5), (-70, -15.45)])}]
    )
    cons = gdf([{"id": "K1", "geometry": box(-70.8, -15.8, -70.4, -15.4)}])
    return comm, conc, water, cons


def test_incremental_equals_full_for_selected_communities() -> None:
    comm, conc, water, cons = _random_world()
    full = analyse(comm, conc, water, cons, radius_m=3000)
    assert len(full.concession_overlaps) > 100 and len(full.water_at_risk) > 0
    assert len(full.proximity) > 0 and len(full.neighbour_overlaps) > 0
    selected = {"C000", "C003", "C017", "C040", "C041", "C077", "C110", "C119"}
    part = analyse(comm, conc, water, cons, radius_m=3000, community_ids=selected)
    assert part.community_ids == frozenset(selected)
    for name, table in full.tables().items():
        if name == "water_in_concessions":
            codes = set(part.water_in_concessions["concession_code"])
            want = table[table["concession_code"].isin(codes)].reset_index(drop=True)
            pd.testing.assert_frame_equal(part.water_in_concessions, want, check_exact=True)
            continue
        want = table[table["community_id"].isin(selected)].reset_index(drop=True)
        got = part.tables()[name]
        assert got["community_id"].isin(selected).all(), name  # only the analysed ones
        pd.testing.assert_frame_equal(got, want, check_exact=True, check_dtype=False)


def test_pressure_union_matches_brute_force_on_random_world() -> None:
    comm, conc, _water, _cons = _random_world(seed=11)
    pres = territory_pressure(comm, conc).set_index("community_id")
    geom = dict(zip(comm["id"], comm.geometry, strict=True))
    live = conc[conc["state"] != "extinguished"]
    tree = shapely.STRtree(live.geometry.values)
    for cid, row in pres.iterrows():
        hits = tree.query(geom[cid], predicate="intersects")
        ref = geodesic_area_ha(
            shapely.intersection(geom[cid], shapely.union_all(live.geometry.values[hits]))
        )
        # Same planar region; collinear vertices differ between the two constructions and
        # a geodesic edge through an extra vertex bends slightly: a few m² on 100 ha.
        assert row["concession_ha_union"] == pytest.approx(ref, rel=2e-5, abs=1e-6)


def test_analyse_bundles_tables_and_overlap_rows() -> None:
    comm, conc, water, cons = _random_world()
    res = analyse(comm, conc, water, cons)
    assert set(res.communities.columns) == {
        "community_id",
        "has_territory",
        "territory_ha",
        "lon",
        "lat",
    }
    assert len(res.communities) == len(comm)
    rows = res.overlap_rows()
    assert set(rows["other_kind"]) == {"concession", "community", "consultation", "water"}
    est = rows[rows["estimate"] & (rows["other_kind"] == "concession")]
    assert len(est) == len(res.proximity)
    # water at risk is a subset of water in the community and in a concession
    wc = set(
        zip(
            res.water_in_communities["community_id"],
            res.water_in_communities["water_id"],
            strict=True,
        )
    )
    assert (
        set(zip(res.water_at_risk["community_id"], res.water_at_risk["water_id"], strict=True))
        <= wc
    )


def test_empty_inputs() -> None:
    comm = gdf([{"id": "P", "geometry": Point(-70, -15)}])
    conc = gdf([{"code": "X", "state": "titled", "geometry": box(0, 0, 1, 1)}])
    res = analyse(comm, conc, None, None)
    assert res.concession_overlaps.empty and res.pressure.empty and res.water_at_risk.empty
    assert res.proximity.empty and res.consultation_membership.empty


def test_invalid_geometry_is_repaired_not_fatal() -> None:
    bowtie = shapely.Polygon([(-70.1, -15.1), (-70.0, -15.0), (-70.0, -15.1), (-70.1, -15.0)])
    comm = gdf([{"id": "X", "geometry": bowtie}])
    conc = gdf([{"code": "K", "state": "titled", "geometry": dbox(-70.1, -15.1, -70.0, -15.0)}])
    row = territory_pressure(comm, conc).iloc[0]
    assert row["territory_ha"] == pytest.approx(row["concession_ha_union"], rel=1e-6)
    assert row["share_union"] == pytest.approx(1.0, rel=1e-6)
