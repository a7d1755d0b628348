"""Geodesic measures on WGS84 geometries.

Areas are computed on the ellipsoid (pyproj ``Geod``), not in a projected CRS, because
Allpa layers span three UTM zones and a single equal-area projection would need choosing;
the geodesic area is exact wherever the data is.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

__all__ = ["GEOD", "geodesic_area_ha", "geodesic_areas_ha"]

GEOD = Geod(ellps="WGS84")
_POLYGONAL = ("Polygon", "MultiPolygon", "GeometryCollection")


def geodesic_area_ha(geom: BaseGeometry | None) -> float:
    """Area in hectares of a lon/lat geometry; 0 for points and lines, NaN for None/empty."""
    if geom is None or geom.is_empty:
        return float("nan")
    if geom.geom_type not in _POLYGONAL:
        return 0.0
    # Orientation decides the sign in pyproj; orient shells CCW and take the magnitude.
    oriented = shapely.orient_polygons(geom) if geom.geom_type != "GeometryCollection" else geom
    area, _ = GEOD.geometry_area_perimeter(oriented)
    return abs(float(area)) / 10_000.0


def geodesic_areas_ha(geoms: Iterable[BaseGeometry | None] | np.ndarray) -> np.ndarray:
    """Vectorised-friendly :func:`geodesic_area_ha` over a GeoSeries, array or list."""
    values = np.asarray(getattr(geoms, "array", geoms), dtype=object)
    return np.fromiter((geodesic_area_ha(g) for g in values), dtype=float, count=len(values))
