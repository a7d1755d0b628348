"""Geodesic measures: against pyproj, and against the closed form for a lat/lon box."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

from geo.geodesy import (
    geodesic_area_ha,
    geodesic_areas_ha,
    geodesic_distance_m,
    geodesic_length_m,
    geodesic_lengths_m,
)

GEOD = Geod(ellps="WGS84")
A = 6378137.0
F = 1 / 298.257223563


def ellipsoid_box_m2(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Exact area of a lat/lon rectangle on WGS84 (edges along parallels and meridians).

    Area between the equator and latitude phi per radian of longitude is b^2/2 * q(phi),
    with q the authalic-latitude function q = s/(1-e^2 s^2) + atanh(e s)/e.
    """
    e2 = F * (2 - F)
    e = math.sqrt(e2)
    b2 = A * A * (1 - e2)

    def q(phi_deg: float) -> float:
        s = math.sin(math.radians(phi_deg))
        return s / (1 - e2 * s * s) + math.atanh(e * s) / e

    return abs(b2 / 2 * math.radians(lon2 - lon1) * (q(lat2) - q(lat1)))


def dense_box(lon1: float, lat1: float, lon2: float, lat2: float, step: float = 0.0005) -> Polygon:
    """A lat/lon box whose parallel edges are densified so geodesic edges follow them."""
    return shapely.segmentize(box(lon1, lat1, lon2, lat2), step)


@pytest.mark.parametrize(
    "bounds",
    [
        (-70.10, -15.10, -70.00, -15.00),  # ~11,900 ha in southern Peru
        (-72.05, -15.05, -71.95, -14.95),  # straddles the UTM 18S/19S boundary
        (-66.20, -17.40, -66.19, -17.39),  # ~1.2 km square in Bolivia
        (-75.00, -14.00, -74.00, -13.00),  # 1 degree box
    ],
)
def test_box_area_matches_closed_form(bounds: tuple[float, float, float, float]) -> None:
    expected_ha = ellipsoid_box_m2(*bounds) / 1e4
    got = geodesic_area_ha(dense_box(*bounds, step=min(0.0005, (bounds[2] - bounds[0]) / 50)))
    assert got == pytest.approx(expected_ha, rel=1e-4)  # 0.01 %


def test_areas_equal_pyproj_geometry_area_perimeter() -> None:
    rng = np.random.default_rng(1)
    pts = shapely.points(rng.uniform(-76, -66, 200), rng.uniform(-22, -10, 200))
    geoms = shapely.buffer(pts, rng.uniform(0.001, 0.05, 200), quad_segs=6)
    geoms[3] = shapely.difference(geoms[3], shapely.buffer(shapely.centroid(geoms[3]), 0.0005))
    ours = geodesic_areas_ha(geoms)
    ref = np.array([abs(GEOD.geometry_area_perimeter(g)[0]) / 1e4 for g in geoms])
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_utm_square_area_matches_pyproj() -> None:
    """A 2 km x 2 km square drawn in UTM 19S: the geodesic area of its 4326 image."""
    to_geo = Transformer.from_crs(32719, 4326, always_xy=True)
    e0, n0 = 350_000.0, 8_340_000.0
    xs = np.array([e0, e0 + 2000, e0 + 2000, e0, e0])
    ys = np.array([n0, n0, n0 + 2000, n0 + 2000, n0])
    lon, lat = to_geo.transform(xs, ys)
    square = Polygon(zip(lon, lat, strict=True))
    ref = abs(GEOD.geometry_area_perimeter(square)[0]) / 1e4
    assert geodesic_area_ha(square) == pytest.approx(ref, rel=1e-12)
    # and it is ~400 ha divided by the UTM scale factor squared (k ~ 0.9997 here)
    assert geodesic_area_ha(square) == pytest.approx(400.0, rel=2e-3)


def test_holes_orientation_multi_collections_and_none() -> None:
    outer = dense_box(-70.1, -15.1, -70.0, -15.0)
    hole = dense_box(-70.08, -15.08, -70.06, -15.06)
    with_hole = Polygon(outer.exterior.coords, [hole.exterior.coords])
    clockwise = Polygon(list(outer.exterior.coords)[::-1])
    expected = (
        ellipsoid_box_m2(-70.1, -15.1, -70.0, -15.0)
        - ellipsoid_box_m2(-70.08, -15.08, -70.06, -15.06)
    ) / 1e4
    multi = MultiPolygon([outer, dense_box(-69.0, -15.1, -68.9, -15.0)])
    coll = GeometryCollection([outer, LineString([(0, 0), (1, 1)]), Point(0, 0)])
    got = geodesic_areas_ha([with_hole, clockwise, multi, coll, None, Polygon(), Point(1, 1)])
    assert got[0] == pytest.approx(expected, rel=1e-4)
    assert got[1] == pytest.approx(geodesic_area_ha(outer), rel=1e-12)
    assert got[2] == pytest.approx(
        geodesic_area_ha(outer) + geodesic_area_ha(multi.geoms[1]), rel=1e-12
    )
    assert got[3] == pytest.approx(geodesic_area_ha(outer), rel=1e-12)
    assert list(got[4:]) == [0.0, 0.0, 0.0]
    assert geodesic_areas_ha([]).shape == (0,)


def test_lengths() -> None:
    line = LineString([(-70.1, -15.05), (-70.0, -15.05), (-70.0, -15.0)])
    ref = GEOD.geometry_length(line)
    poly = box(-70.1, -15.1, -70.0, -15.0)
    got = geodesic_lengths_m([line, poly, Point(0, 0), None, shapely.MultiLineString([line, line])])
    assert got[0] == pytest.approx(ref, rel=1e-12)
    assert got[1] == pytest.approx(GEOD.geometry_area_perimeter(poly)[1], rel=1e-12)
    assert got[2] == 0.0 and got[3] == 0.0
    assert got[4] == pytest.approx(2 * ref, rel=1e-12)
    assert geodesic_length_m(line) == pytest.approx(ref, rel=1e-12)


def test_distance_vectorised() -> None:
    d = geodesic_distance_m([-70.0, -70.0], [-15.0, -15.0], [-70.0, -69.9], [-14.9, -15.0])
    ref = [GEOD.inv(-70.0, -15.0, -70.0, -14.9)[2], GEOD.inv(-70.0, -15.0, -69.9, -15.0)[2]]
    np.testing.assert_allclose(d, ref, rtol=1e-12)
