"""Lighter geometries for maps that travel on phones and USB sticks.

Communities share borders; simplifying each polygon on its own moves the two copies of a
shared border differently (gaps and slivers appear exactly where lawyers look). The
communities are therefore simplified as a COVERAGE (``shapely.coverage_simplify``, GEOS ≥
3.12): every shared edge is simplified once and both neighbours get the same result.
Coordinates are then rounded to 5 decimals (~1 m), identically for shared vertices.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

DECIMALS = 5
#: ~11 m at the equator: invisible at the zoom levels a network map is read at.
DEFAULT_TOLERANCE_DEG = 1e-4


def round_coordinates(geoms: np.ndarray, decimals: int = DECIMALS) -> np.ndarray:
    """Round every coordinate (same input vertex -> same output vertex), repairing what the
    rounding made invalid."""
    out = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    bad = ~shapely.is_valid(out) & ~shapely.is_missing(out)
    if bad.any():
        out[bad] = shapely.make_valid(out[bad])
    return out


def _is_area(geoms: np.ndarray) -> np.ndarray:
    return np.isin(shapely.get_type_id(geoms), (3, 6))


def simplify_coverage(frame: gpd.GeoDataFrame, tolerance: float = DEFAULT_TOLERANCE_DEG,
                      decimals: int = DECIMALS) -> gpd.GeoDataFrame:
    """Topology-preserving simplification of the polygon features of ``frame`` (points and
    lines are only rounded). Overlapping territories (boundary conflicts) are kept: the
    coverage simplifier still simplifies each shared edge once."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    out = geoms.copy()
    area = _is_area(geoms) & ~shapely.is_missing(geoms)
    if area.any():
        try:
            simplified = shapely.coverage_simplify(geoms[area], tolerance,
                                                   simplify_boundary=True)
        except shapely.errors.GEOSException:
            # not a coverage GEOS can node: fall back to per-feature topology-preserving
            simplified = shapely.simplify(geoms[area], tolerance, preserve_topology=True)
        empty = shapely.is_empty(simplified)
        simplified[empty] = geoms[area][empty]  # never lose a territory
        out[area] = simplified
    out = round_coordinates(out, decimals)
    result = frame.copy()
    result.geometry = gpd.GeoSeries(out, index=frame.index, crs=frame.crs)
    return result


def simplify_plain(frame: gpd.GeoDataFrame, tolerance: float = DEFAULT_TOLERANCE_DEG,
                   decimals: int = DECIMALS) -> gpd.GeoDataFrame:
    """Per-feature simplification for layers whose features do not share borders
    (concessions overlap one another, water, consultation areas)."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    out = shapely.simplify(geoms, tolerance, preserve_topology=True)
    keep = shapely.is_empty(out) & ~shapely.is_empty(geoms)
    out[keep] = geoms[keep]
    result = frame.copy()
    result.geometry = gpd.GeoSeries(round_coordinates(out, decimals), index=frame.index,
                                    crs=frame.crs)
    return result


def shared_border_length(a: BaseGeometry, b: BaseGeometry) -> float:
    """Length (degrees) of the border two territories share (for tests and diagnostics)."""
    inter = shapely.intersection(a.boundary, b.boundary)
    return float(shapely.length(inter))
