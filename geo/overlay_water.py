"""Water sources (points, lines, polygons) inside communities and concessions, and at risk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.geodesy import (
    GeometryArray,
    geodesic_areas_ha,
    geodesic_lengths_m,
)
from geo.overlay_inputs import (
    _COLLECTION,
    WATER_AT_RISK_COLUMNS,
    FloatArray,
    IntArray,
    _Communities,
    _Concessions,
    _empty,
    _geoms,
    _ids,
    _polygonal_only,
    _sort,
    _sorted_pairs,
    _threaded,
)

# ----------------------------------------------------------------------------- water


@dataclass(frozen=True)
class _WaterPieces:
    water: IntArray
    poly: IntArray
    geoms: GeometryArray  # the water part inside the polygon
    dim: npt.NDArray[np.int64]
    measure: FloatArray


_UNITS = {0: "point", 1: "m", 2: "ha"}


def _measure(geoms: GeometryArray, dim: npt.NDArray[np.int64]) -> FloatArray:
    out = np.zeros(len(geoms))
    d0, d1, d2 = dim == 0, dim == 1, dim == 2
    if d0.any():
        pts = shapely.get_parts(geoms[d0], return_index=True)[1]
        out[d0] = np.bincount(pts, minlength=int(d0.sum()))
    if d1.any():
        out[d1] = geodesic_lengths_m(geoms[d1])
    if d2.any():
        out[d2] = geodesic_areas_ha(geoms[d2])
    return out


def _water_pieces(water_geoms: GeometryArray, polys: GeometryArray) -> _WaterPieces:
    ok = ~shapely.is_missing(polys)
    idx = np.flatnonzero(ok)
    wdim = shapely.get_dimensions(water_geoms)
    if len(idx) == 0 or len(water_geoms) == 0:
        z = np.zeros(0, dtype=np.intp)
        return _WaterPieces(
            z, z, np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64), np.zeros(0)
        )
    tree = shapely.STRtree(polys[idx])
    q = tree.query(water_geoms, predicate="intersects")
    wi, pj = _sorted_pairs(q[0].astype(np.intp), idx[q[1]])
    dim = wdim[wi].astype(np.int64)
    geoms = water_geoms[wi].copy()
    simple_point = shapely.get_type_id(geoms) == 0
    cut = ~simple_point
    if cut.any():
        geoms[cut] = _threaded(shapely.intersection, water_geoms[wi[cut]], polys[pj[cut]])
        # keep only the part of the water's own dimension (a river touching a boundary
        # at a point is not "in" the polygon)
        geoms[cut] = _of_dimension(geoms[cut], dim[cut])
    measure = _measure(geoms, dim)
    keep = measure > 0.0
    return _WaterPieces(wi[keep], pj[keep], geoms[keep], dim[keep], measure[keep])


def _of_dimension(geoms: GeometryArray, dim: npt.NDArray[np.int64]) -> GeometryArray:
    out = geoms.copy()
    mixed = shapely.get_type_id(geoms) == _COLLECTION
    for k in np.flatnonzero(mixed).tolist():
        parts = [p for p in shapely.get_parts(geoms[k]) if shapely.get_dimensions(p) == dim[k]]
        out[k] = shapely.union_all(parts) if parts else None
    return out


def _water_kind(water: Any) -> npt.NDArray[np.object_]:
    if "kind" in water.columns:
        return np.asarray(water["kind"].astype(object).to_numpy(), dtype=object)
    return np.asarray(shapely.get_type_id(_geoms(water)).astype(str), dtype=object)


def _water_frame(
    wp: _WaterPieces,
    water_ids: npt.NDArray[np.object_],
    kinds: npt.NDArray[np.object_],
    poly_ids: npt.NDArray[np.object_],
    id_name: str,
) -> pd.DataFrame:
    cols = ["water_id", id_name, "kind", "measure", "unit"]
    if len(wp.water) == 0:
        return _empty(cols)
    df = pd.DataFrame(
        {
            "water_id": water_ids[wp.water],
            id_name: poly_ids[wp.poly],
            "kind": kinds[wp.water],
            "measure": wp.measure,
            "unit": np.asarray([_UNITS[int(d)] for d in wp.dim], dtype=object),
        }
    )
    return _sort(df, [id_name, "water_id"])


def water_in_polygons(water: Any, polygons: Any, polygon_id_col: str) -> pd.DataFrame:
    """Water sources (or their parts) inside polygons (communities or concessions).

    Columns: water_id, polygon_id, kind (the water source kind), measure, unit. Points count
    1 each (unit ``point``; a MultiPoint counts its points inside), lines their geodesic
    length inside (``m``), polygons their geodesic area inside (``ha``). Zero measures
    (a river only touching a boundary) are dropped.
    """
    wp = _water_pieces(_geoms(water), _polygonal_only(_geoms(polygons)))
    return _water_frame(
        wp, _ids(water, "id"), _water_kind(water), _ids(polygons, polygon_id_col), "polygon_id"
    )


def _water_at_risk(
    wp: _WaterPieces,
    comms: _Communities,
    concs: _Concessions,
    water_ids: npt.NDArray[np.object_],
    kinds: npt.NDArray[np.object_],
) -> pd.DataFrame:
    """Water inside a community that also lies inside a concession (the part in both)."""
    if len(wp.water) == 0 or len(concs.geoms) == 0:
        return _empty(WATER_AT_RISK_COLUMNS)
    q = concs.tree.query(wp.geoms, predicate="intersects")
    pi, kj = _sorted_pairs(q[0].astype(np.intp), q[1].astype(np.intp))
    dim = wp.dim[pi]
    geoms = wp.geoms[pi].copy()
    cut = shapely.get_type_id(geoms) != 0
    if cut.any():
        geoms[cut] = _of_dimension(
            _threaded(shapely.intersection, wp.geoms[pi[cut]], concs.geoms[kj[cut]]), dim[cut]
        )
    measure = _measure(geoms, dim)
    keep = measure > 0.0
    pi, kj, dim, measure = pi[keep], kj[keep], dim[keep], measure[keep]
    if len(pi) == 0:
        return _empty(WATER_AT_RISK_COLUMNS)
    df = pd.DataFrame(
        {
            "community_id": comms.ids[wp.poly[pi]],
            "water_id": water_ids[wp.water[pi]],
            "concession_code": concs.codes[kj],
            "concession_state": concs.states[kj],
            "kind": kinds[wp.water[pi]],
            "measure": measure,
            "unit": np.asarray([_UNITS[int(d)] for d in dim], dtype=object),
        }
    )
    return _sort(df, ["community_id", "water_id", "concession_code"])
