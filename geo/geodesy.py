"""Geodesic measures on the WGS84 ellipsoid for geometries in EPSG:4326.

Reported hectares and metres must be geodesic (DESIGN §3), and they must agree with
PostGIS ``ST_Area(geom::geography)`` / ``ST_Length(geom::geography)``, which use the same
GeographicLib algorithms as :class:`pyproj.Geod`. These helpers are vectorised over arrays:
rings and segments are extracted in bulk with shapely 2, so the only Python loop left is one
cheap C call per polygon ring (areas); lengths are a single vectorised ``Geod.inv`` call.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
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
    "workers",
]

#: The single ellipsoid used for every reported measure (same as PostGIS geography).
GEOD = Geod(ellps="WGS84")

_POLYGON = 3
_LINE_TYPES = (1, 2)  # LineString, LinearRing
_MULTI_TYPES = (4, 5, 6, 7)  # MultiPoint, MultiLineString, MultiPolygon, GeometryCollection

GeometryArray = npt.NDArray[np.object_]

_THREAD_MIN_VERTICES = 50_000


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
    types = shapely.get_type_id(arr)
    multi = np.isin(types, _MULTI_TYPES)
    single = np.flatnonzero((types >= 0) & ~multi)  # singles need no (cloning) get_parts
    if multi.any():
        sub, sub_owner = shapely.get_parts(arr[multi], return_index=True)
        parts = np.concatenate([arr[single], sub])
        owner = np.concatenate([single, np.flatnonzero(multi)[sub_owner]]).astype(np.intp)
        order = np.argsort(owner, kind="stable")
        parts, owner = parts[order], owner[order]
    else:
        parts, owner = arr[single], single.astype(np.intp)
    while len(parts):
        types = shapely.get_type_id(parts)
        nested = np.isin(types, _MULTI_TYPES)
        if not nested.any():
            break
        sub, sub_owner = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        owner = np.concatenate([owner[~nested], owner[nested][sub_owner]])
    return parts, owner


def _ring_layout(
    polys: GeometryArray,
) -> tuple[
    npt.NDArray[np.intp],
    npt.NDArray[np.intp],
    npt.NDArray[np.bool_],
    npt.NDArray[np.intp],
    npt.NDArray[np.float64],
]:
    """Coordinates of every ring of ``polys`` with [start, end) spans, exterior flags, owners.

    Polygons without holes (nearly all) skip ``get_rings``, which clones every ring.
    """
    holes = shapely.get_num_interior_rings(polys) > 0
    if holes.any():
        rings, ring_poly = shapely.get_rings(polys, return_index=True)
        counts = shapely.get_num_coordinates(rings)
        coords = shapely.get_coordinates(rings)
        exterior = np.ones(len(rings), dtype=bool)
        exterior[1:] = ring_poly[1:] != ring_poly[:-1]
    else:
        counts = shapely.get_num_coordinates(polys)
        coords = shapely.get_coordinates(polys)
        ring_poly = np.arange(len(polys))
        keep = counts > 0
        counts, ring_poly = counts[keep], ring_poly[keep]
        exterior = np.ones(len(counts), dtype=bool)
    ends = np.cumsum(counts).astype(np.intp)
    starts = (ends - counts).astype(np.intp)
    return starts, ends, exterior, ring_poly.astype(np.intp), coords


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
    starts, ends, exterior, ring_poly, coords = _ring_layout(polys)
    if len(starts) == 0:
        return out
    lons = np.ascontiguousarray(coords[:, 0])
    lats = np.ascontiguousarray(coords[:, 1])
    signed = _ring_areas_m2(lons, lats, starts, ends)
    signed[~exterior] *= -1.0
    out = np.bincount(poly_owner[ring_poly], weights=signed, minlength=len(arr)) / 10_000.0
    np.maximum(out, 0.0, out=out)
    return out


def _ring_areas_chunk(
    lons: npt.NDArray[np.float64],
    lats: npt.NDArray[np.float64],
    starts: list[int],
    ends: list[int],
    out: npt.NDArray[np.float64],
    offset: int,
) -> None:
    # GeographicLib's polygon area runs without the GIL; calling the buffer-level method
    # skips pyproj's per-call copies (public method as fallback for other pyproj versions).
    area_perimeter = getattr(GEOD, "_polygon_area_perimeter", None) or GEOD.polygon_area_perimeter
    for k, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
        out[offset + k] = abs(area_perimeter(lons[lo:hi], lats[lo:hi])[0])


def _ring_areas_m2(
    lons: npt.NDArray[np.float64],
    lats: npt.NDArray[np.float64],
    starts: npt.NDArray[np.intp],
    ends: npt.NDArray[np.intp],
) -> npt.NDArray[np.float64]:
    """Absolute geodesic area (m²) of each ring [start, end), spread over threads.

    The geodesic work is compute-bound C code that releases the GIL, so big batches are
    split across cores; every ring is computed by the same call whatever the split.
    """
    n = len(starts)
    out = np.empty(n, dtype=np.float64)
    n_workers = workers()
    total = int(ends[-1]) if n else 0
    if n_workers == 1 or total < _THREAD_MIN_VERTICES:
        _ring_areas_chunk(lons, lats, starts.tolist(), ends.tolist(), out, 0)
        return out
    # split by vertex count so threads get equal work
    cuts = np.searchsorted(ends, np.linspace(0, total, n_workers + 1)[1:-1])
    bounds = [0, *cuts.tolist(), n]
    with ThreadPoolExecutor(n_workers) as ex:
        futures = [
            ex.submit(
                _ring_areas_chunk,
                lons,
                lats,
                starts[lo:hi].tolist(),
                ends[lo:hi].tolist(),
                out,
                lo,
            )
            for lo, hi in itertools.pairwise(bounds)
            if hi > lo
        ]
        for f in futures:
            f.result()
    return out


def workers() -> int:
    """Threads for GIL-free batches: the usable cores (max 8), or ``ALLPA_GEO_THREADS``."""
    env = os.environ.get("ALLPA_GEO_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


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
