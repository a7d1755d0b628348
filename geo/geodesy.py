"""Geodesic measures on the WGS84 ellipsoid for geometries in EPSG:4326.

Reported hectares and metres must be geodesic (DESIGN §3), and they must agree with
PostGIS ``ST_Area(geom::geography)`` / ``ST_Length(geom::geography)``, which use the same
GeographicLib algorithms as :class:`pyproj.Geod`. These helpers are vectorised over arrays:
rings and segments are extracted in bulk with shapely 2, so the only Python loop left is one
cheap C call per polygon ring (areas); lengths are a single vectorised ``Geod.inv`` call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

__all__ = [
    "GEOD",
    "as_geometry_array",
    "geodesic_area_ha",
    "geodesic_areas_ha",
    "geodesic_distance_m",
    "geodesic_length_m",
    "geodesic_lengths_m",
]

#: The single ellipsoid used for every reported measure (same as PostGIS geography).
GEOD = Geod(ellps="WGS84")

_POLYGON = 3
_LINE_TYPES = (1, 2)  # LineString, LinearRing
_MULTI_TYPES = (4, 5, 6, 7)  # MultiPoint, MultiLineString, MultiPolygon, GeometryCollection

GeometryArray = npt.NDArray[np.object_]


def as_geometry_array(geoms: Any) -> GeometryArray:
    """Return a 1-D object array of shapely geometries (None allowed) from any sequence.

    Accepts a GeoSeries, a list, a numpy array or a single geometry, so that every helper
    has one code path.
    """
    if isinstance(geoms, BaseGeometry) or geoms is None:
        return np.array([geoms], dtype=object)
    values = getattr(geoms, "values", geoms)  # GeoSeries -> GeometryArray
    arr = np.asarray(values, dtype=object)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    return arr


def _flat_parts(arr: GeometryArray) -> tuple[GeometryArray, npt.NDArray[np.intp]]:
    """Explode multi-geometries and (nested) collections into single parts with an owner index."""
    parts, owner = shapely.get_parts(arr, return_index=True)
    while len(parts):
        types = shapely.get_type_id(parts)
        nested = np.isin(types, _MULTI_TYPES)
        if not nested.any():
            break
        sub, sub_owner = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        owner = np.concatenate([owner[~nested], owner[nested][sub_owner]])
    return parts, owner


def geodesic_areas_ha(geoms: Sequence[BaseGeometry | None] | Any) -> npt.NDArray[np.float64]:
    """Geodesic area in hectares of each geometry (0 for None, empty, points and lines).

    Polygons inside MultiPolygons and GeometryCollections are summed; holes are subtracted.
    Ring orientation is ignored (absolute value per ring), so clockwise or invalidly
    oriented input still gives the true area.
    """
    arr = as_geometry_array(geoms)
    out = np.zeros(len(arr), dtype=np.float64)
    if len(arr) == 0:
        return out
    parts, owner = _flat_parts(arr)
    if len(parts) == 0:
        return out
    is_poly = shapely.get_type_id(parts) == _POLYGON
    polys, poly_owner = parts[is_poly], owner[is_poly]
    if len(polys) == 0:
        return out
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    if len(rings) == 0:
        return out
    counts = shapely.get_num_coordinates(rings)
    coords = shapely.get_coordinates(rings)
    ends = np.cumsum(counts)
    starts = ends - counts
    exterior = np.ones(len(rings), dtype=bool)
    exterior[1:] = ring_poly[1:] != ring_poly[:-1]
    lons = np.ascontiguousarray(coords[:, 0])
    lats = np.ascontiguousarray(coords[:, 1])
    signed = np.empty(len(rings), dtype=np.float64)
    area_perimeter = GEOD.polygon_area_perimeter
    for i, (lo, hi) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        signed[i] = abs(area_perimeter(lons[lo:hi], lats[lo:hi])[0])
    signed[~exterior] *= -1.0
    out = np.bincount(poly_owner[ring_poly], weights=signed, minlength=len(arr)) / 10_000.0
    np.maximum(out, 0.0, out=out)
    return out


def geodesic_area_ha(geom: BaseGeometry | None) -> float:
    """Geodesic area in hectares of one geometry (0 for None/empty/non-polygonal)."""
    return float(geodesic_areas_ha([geom])[0])


def geodesic_lengths_m(geoms: Sequence[BaseGeometry | None] | Any) -> npt.NDArray[np.float64]:
    """Geodesic length in metres of each geometry.

    Lines are measured along their vertices; polygons give their perimeter (all rings, as
    PostGIS ``ST_Perimeter(geography)``); points, None and empties give 0. One vectorised
    ``Geod.inv`` call over every segment of every geometry.
    """
    arr = as_geometry_array(geoms)
    out = np.zeros(len(arr), dtype=np.float64)
    if len(arr) == 0:
        return out
    parts, owner = _flat_parts(arr)
    if len(parts) == 0:
        return out
    types = shapely.get_type_id(parts)
    is_line = np.isin(types, _LINE_TYPES)
    is_poly = types == _POLYGON
    lines = [parts[is_line]]
    line_owner = [owner[is_line]]
    if is_poly.any():
        rings, ring_poly = shapely.get_rings(parts[is_poly], return_index=True)
        lines.append(rings)
        line_owner.append(owner[is_poly][ring_poly])
    all_lines = np.concatenate(lines)
    all_owner = np.concatenate(line_owner)
    if len(all_lines) == 0:
        return out
    coords, idx = shapely.get_coordinates(all_lines, return_index=True)
    if len(coords) < 2:
        return out
    same = idx[1:] == idx[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    if len(a) == 0:
        return out
    _, _, dist = GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return np.bincount(
        all_owner[idx[:-1][same]], weights=np.asarray(dist, dtype=np.float64), minlength=len(arr)
    ).astype(np.float64)


def geodesic_length_m(geom: BaseGeometry | None) -> float:
    """Geodesic length in metres of one geometry (perimeter for polygons)."""
    return float(geodesic_lengths_m([geom])[0])


def geodesic_distance_m(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Vectorised geodesic distance in metres between point pairs (Karney, WGS84)."""
    _, _, dist = GEOD.inv(
        np.asarray(lon1, dtype=np.float64),
        np.asarray(lat1, dtype=np.float64),
        np.asarray(lon2, dtype=np.float64),
        np.asarray(lat2, dtype=np.float64),
    )
    return np.atleast_1d(np.asarray(dist, dtype=np.float64))
