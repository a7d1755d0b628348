"""Geometry checks and repairs, reported feature by feature.

Users must be able to see what the importer changed (a repaired boundary can move a
community's area) and what it dropped, so every repair and rejection names the feature and
keeps GEOS's reason from *before* the repair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.errors import bilingual

__all__ = ["Expected", "Rejection", "Repair", "feature_label", "repair_geometries"]

Expected = Literal["polygon", "point", "line", "point_or_polygon", "any"]

NO_GEOMETRY = "sin geometría / no geometry"

_ALLOWED: dict[str, frozenset[str]] = {
    "polygon": frozenset({"Polygon", "MultiPolygon"}),
    "point": frozenset({"Point", "MultiPoint"}),
    "line": frozenset({"LineString", "MultiLineString", "LinearRing"}),
    "point_or_polygon": frozenset({"Point", "MultiPoint", "Polygon", "MultiPolygon"}),
}
_LABEL_ES = {
    "polygon": "polígono",
    "point": "punto",
    "line": "línea",
    "point_or_polygon": "punto o polígono",
    "any": "cualquiera",
}


@dataclass(frozen=True)
class Repair:
    """A feature that was changed to make it usable; ``reason`` is the pre-repair diagnosis.

    ``introduced_by_reprojection`` marks geometries that were valid in the source CRS and
    only became invalid when reprojected (set by :func:`geo.ingest.prepare`).
    """

    index: Any
    feature_id: str
    reason: str
    action: str
    introduced_by_reprojection: bool = False


@dataclass(frozen=True)
class Rejection:
    """A feature left out of the import, with a reason that names it."""

    index: Any
    feature_id: str
    reason: str
    action: str = "reject"


def feature_label(index: Any, value: Any) -> str:
    """Stable human id of a feature: its id value, else ``#<row>`` (0-based row of the file)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return f"#{index}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or f"#{index}"


def repair_geometries(
    frame: gpd.GeoDataFrame,
    *,
    expected: Expected,
    id_column: str | None,
    allow_missing: bool = False,
) -> tuple[gpd.GeoDataFrame, list[Repair], list[Rejection]]:
    """Validate, repair and normalise geometries for a layer; drop the unusable ones.

    Polygon layers come back as MultiPolygon; Z is dropped (recorded as ``drop_z``).
    ``expected='any'`` accepts every geometry type; missing geometry is only accepted with
    ``allow_missing`` (for tables such as networks, or point-optional imports).
    """
    geoms = np.asarray(frame.geometry.array, dtype=object)
    ids = frame[id_column].tolist() if id_column and id_column in frame.columns else None
    out = geoms.copy()
    repairs: list[Repair] = []
    rejections: list[Rejection] = []
    keep = np.ones(len(geoms), dtype=bool)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    invalid = ~missing & ~shapely.is_valid(geoms)
    has_z = ~missing & shapely.has_z(geoms)
    ready = _already_canonical(geoms, expected, ~missing & ~invalid & ~has_z)
    if expected in ("polygon", "point_or_polygon"):
        single = np.flatnonzero(ready & (shapely.get_type_id(geoms) == _POLYGON_ID))
        if len(single):  # what _normalise does one by one: a Polygon becomes a MultiPolygon
            out[single] = shapely.multipolygons(geoms[single], indices=np.arange(len(single)))
    for pos in np.flatnonzero(~ready).tolist():
        index = frame.index[pos]
        fid = feature_label(index, ids[pos] if ids is not None else None)
        if missing[pos]:
            out[pos] = None
            if not allow_missing:
                keep[pos] = False
                rejections.append(Rejection(index, fid, f"{fid}: {NO_GEOMETRY}"))
            continue
        geom, reason = _fix_one(
            geoms[pos], expected, fid, bool(invalid[pos]), bool(has_z[pos]), index, repairs
        )
        if geom is None:
            keep[pos] = False
            rejections.append(Rejection(index, fid, reason))
        else:
            out[pos] = geom
    result = frame.copy()
    result = result.set_geometry(gpd.GeoSeries(out, index=frame.index, crs=frame.crs))
    return result.loc[keep], repairs, rejections


_POINT_ID, _POLYGON_ID, _MULTIPOLYGON_ID = 0, 3, 6


def _already_canonical(geoms: npt.NDArray[np.object_], expected: Expected,
                       candidates: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Rows that :func:`_fix_one` would pass through untouched (or, for a Polygon in an
    area layer, only wrap in a MultiPolygon), found with vectorised tests.

    Valid, 2-D, finite Points in point layers and Polygons / MultiPolygons whose every part
    has a positive area in area layers: the bulk of a real file, which then skips the
    per-feature Python path. Everything else (invalid, Z, collections, MultiPoints, wrong
    types) still goes through it, so reports and repairs are unchanged.
    """
    ready = np.zeros(len(geoms), dtype=bool)
    types = np.full(len(geoms), -1)
    types[candidates] = shapely.get_type_id(geoms[candidates])
    if expected in ("polygon", "point_or_polygon"):
        # a Polygon is its own only part: its area decides, no part objects to build
        single = np.flatnonzero(types == _POLYGON_ID)
        ready[single[shapely.area(geoms[single]) > 0]] = True
        area = np.flatnonzero(types == _MULTIPOLYGON_ID)
        if len(area):
            parts, owner = shapely.get_parts(geoms[area], return_index=True)
            tiny = np.zeros(len(area), dtype=bool)
            tiny[owner[~(shapely.area(parts) > 0)]] = True
            empty_multi = shapely.get_num_geometries(geoms[area]) == 0
            ready[area[~tiny & ~empty_multi]] = True
    if expected in ("point", "point_or_polygon"):
        ready[types == _POINT_ID] = True
    pos = np.flatnonzero(ready)
    if len(pos):
        coords, owner = shapely.get_coordinates(geoms[pos], return_index=True)
        bad = owner[~np.isfinite(coords).all(axis=1)]
        ready[pos[np.unique(bad)]] = False
    return ready


def _fix_one(
    geom: BaseGeometry,
    expected: Expected,
    fid: str,
    invalid: bool,
    has_z: bool,
    index: Any,
    repairs: list[Repair],
) -> tuple[BaseGeometry | None, str]:
    """Return (usable geometry, "") or (None, rejection reason) for one feature."""
    if has_z:
        geom = shapely.force_2d(geom)
        repairs.append(Repair(index, fid, "coordenadas Z / Z coordinates", "drop_z"))
    if not _finite(geom):
        return None, f"{fid}: " + bilingual(
            "coordenadas no finitas (¿CRS equivocado?)", "non-finite coordinates (wrong CRS?)"
        )
    kind = geom.geom_type
    if expected != "any" and kind not in _ALLOWED[expected] and kind != "GeometryCollection":
        return None, f"{fid}: " + bilingual(
            f"geometría {kind} no admitida en una capa de tipo {_LABEL_ES[expected]}",
            f"{kind} geometry not allowed in a {expected} layer",
        )
    if invalid:
        reason = shapely.is_valid_reason(geom)
        fixed = shapely.make_valid(geom)
        action = "make_valid"
        if expected in ("polygon", "point_or_polygon") and kind in ("Polygon", "MultiPolygon"):
            polygonal = _polygonal(fixed)
            if polygonal is not None and not polygonal.equals(fixed):
                action = "make_valid+drop_degenerate"
            if polygonal is None:
                return None, f"{fid}: " + bilingual(
                    f"geometría inválida no reparable ({reason})",
                    f"invalid geometry, not repairable ({reason})",
                )
            fixed = polygonal
        if fixed is None or fixed.is_empty:
            return None, f"{fid}: " + bilingual(
                f"geometría inválida no reparable ({reason})",
                f"invalid geometry, not repairable ({reason})",
            )
        repairs.append(Repair(index, fid, reason, action))
        geom = fixed
    elif kind == "GeometryCollection" and expected in ("polygon", "point_or_polygon"):
        repairs.append(Repair(index, fid, "GeometryCollection", "extract_polygons"))
    return _normalise(geom, expected, fid)


def _normalise(geom: BaseGeometry, expected: Expected, fid: str) -> tuple[BaseGeometry | None, str]:
    """Coerce to the layer's canonical type: MultiPolygon for areas, Point for locations."""
    kind = geom.geom_type
    wants_area = expected == "polygon" or (
        expected == "point_or_polygon" and kind not in ("Point", "MultiPoint")
    )
    if wants_area:
        poly = _polygonal(geom)
        if poly is None:
            return None, f"{fid}: " + bilingual(
                f"geometría {kind} sin partes poligonales", f"{kind} geometry has no polygon parts"
            )
        return poly, ""
    if expected in ("point", "point_or_polygon") and kind == "MultiPoint":
        parts = shapely.get_parts(geom)
        if len(parts) == 1:
            return Point(parts[0]), ""
        return None, f"{fid}: " + bilingual(
            f"MultiPoint con {len(parts)} puntos: se espera un solo punto",
            f"MultiPoint with {len(parts)} points: a single point is expected",
        )
    if expected == "point" and kind == "GeometryCollection":
        return None, f"{fid}: " + bilingual(
            "colección de geometrías en una capa de puntos",
            "geometry collection in a point layer",
        )
    return geom, ""


def _polygonal(geom: BaseGeometry) -> MultiPolygon | None:
    """Polygonal parts of any geometry as a MultiPolygon; lines, points, slivers dropped."""
    polys: list[Polygon] = []
    stack = [geom]
    while stack:
        g = stack.pop()
        if isinstance(g, Polygon):
            if not g.is_empty and g.area > 0:
                polys.append(g)
        elif hasattr(g, "geoms"):
            stack.extend(g.geoms)
    if not polys:
        return None
    polys.reverse()  # restore input order of parts
    return MultiPolygon(polys)


def _finite(geom: BaseGeometry) -> bool:
    coords = shapely.get_coordinates(geom)
    return bool(np.isfinite(coords).all())


def rejected_ids(rejections: list[Rejection]) -> pd.Index:
    """Index labels of rejected rows (handy to subset the raw frame for a report)."""
    return pd.Index([r.index for r in rejections])
