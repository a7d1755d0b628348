"""Shared inputs and helpers of the overlays: canonical frames become position-indexed arrays.

See :mod:`geo.overlay` for the contract (EPSG:4326 in, geodesic hectares out) and why
the helpers look the way they do.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo import vocabulary as V
from geo.geodesy import (
    GeometryArray,
    as_geometry_array,
)
from geo.geodesy import (
    workers as _workers,
)

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]

#: Concession states that put pressure on a territory (extinguished rights do not).
PRESSURE_STATES: frozenset[str] = frozenset(V.STATE.codes) - {"extinguished"}

CONCESSION_PAIR_COLUMNS = ["community_id", "concession_code", "intersection_ha", "share", "state"]
PRESSURE_COLUMNS = [
    "community_id",
    "territory_ha",
    "concession_ha_union",
    "share_union",
    "titled_ha",
    "in_process_ha",
    "share_titled",
    "share_in_process",
    "n_concessions",
]
NEIGHBOUR_COLUMNS = ["community_id", "other_id", "intersection_ha", "share"]
WATER_COLUMNS = ["water_id", "polygon_id", "kind", "measure", "unit"]
WATER_AT_RISK_COLUMNS = [
    "community_id",
    "water_id",
    "concession_code",
    "concession_state",
    "kind",
    "measure",
    "unit",
]
PROXIMITY_COLUMNS = ["community_id", "concession_code", "distance_m", "estimate", "state"]
CONSULTATION_COLUMNS = ["community_id", "consultation_id", "intersection_ha", "inside_point"]
COMMUNITY_COLUMNS = ["community_id", "has_territory", "territory_ha", "lon", "lat"]

_POLYGONAL = (3, 6)  # Polygon, MultiPolygon
_COLLECTION = 7
_THREAD_MIN = 2_000  # below this many items, threads cost more than they save


def _threaded(
    func: Callable[..., Any], *arrays: npt.NDArray[Any], keys: npt.NDArray[Any] | None = None
) -> npt.NDArray[Any]:
    """Apply an element-wise vectorised shapely function over threads.

    Shapely 2 releases the GIL inside GEOS, so a 2-core machine nearly halves the time of
    big intersection batches. Element-wise, so the result is identical to a single call.
    With sorted ``keys`` chunks never split a run of equal keys, so a prepared geometry
    (which GEOS indexes lazily) is only ever used by one thread.
    """
    n = len(arrays[0]) if arrays else 0
    workers = _workers()
    if workers == 1 or n < _THREAD_MIN:
        return np.asarray(func(*arrays))
    bounds = np.linspace(0, n, workers + 1).astype(np.intp)
    if keys is not None:
        inner = bounds[1:-1]
        # move each cut forward to the start of the next run of keys
        inner = np.searchsorted(keys, keys[np.minimum(inner, n - 1)], side="right")
        bounds = np.unique(np.r_[0, np.minimum(inner, n), n])
    chunks = list(itertools.pairwise(bounds.tolist()))
    with ThreadPoolExecutor(workers) as ex:
        parts = list(ex.map(lambda b: np.asarray(func(*(a[b[0] : b[1]] for a in arrays))), chunks))
    return np.concatenate(parts)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


# ----------------------------------------------------------------------------- inputs


def _ids(frame: pd.DataFrame, column: str) -> npt.NDArray[np.object_]:
    if column not in frame.columns:
        raise KeyError(f"frame has no {column!r} column (see docs/CONTRACT.md)")
    return np.asarray(frame[column].astype(str).to_numpy(), dtype=object)


def _geoms(frame: Any) -> GeometryArray:
    return as_geometry_array(frame.geometry)


def _polygonal_only(geoms: GeometryArray) -> GeometryArray:
    """Keep only the polygonal part of each geometry (None if there is none).

    Invalid polygons (should have been repaired at import) are made valid here so one bad
    feature cannot abort a national run with a GEOS TopologyException.
    """
    geoms = geoms.copy()
    invalid = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if invalid.any():
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    out = geoms.copy()
    types = shapely.get_type_id(geoms)
    coll = np.flatnonzero(types == _COLLECTION)
    for i in coll.tolist():
        parts = [p for p in shapely.get_parts(geoms[i]) if shapely.get_type_id(p) in _POLYGONAL]
        out[i] = shapely.union_all(parts) if parts else None
    bad = ~np.isin(types, (*_POLYGONAL, _COLLECTION))
    out[bad] = None
    empty = shapely.is_empty(out) & ~shapely.is_missing(out)
    out[empty] = None
    return out


@dataclass(frozen=True)
class _Communities:
    """Communities split into those with a territory polygon and those known by a point."""

    ids: npt.NDArray[np.object_]
    territory: GeometryArray  # polygonal or None
    location: GeometryArray  # point (given, or the territory's point on surface)

    @property
    def has_territory(self) -> npt.NDArray[np.bool_]:
        return ~shapely.is_missing(self.territory)


def _communities(frame: Any, community_ids: Collection[str] | None = None) -> _Communities:
    ids = _ids(frame, "id")
    geoms = _geoms(frame)
    if community_ids is not None:
        wanted = {str(c) for c in community_ids}
        keep = np.fromiter((i in wanted for i in ids), dtype=bool, count=len(ids))
        ids, geoms = ids[keep], geoms[keep]
        loc_src = _geoms_col(frame, "location")
        loc_given = loc_src[keep] if loc_src is not None else None
    else:
        loc_given = _geoms_col(frame, "location")
    territory = _polygonal_only(geoms)
    location = np.empty(len(ids), dtype=object)
    is_point = shapely.get_type_id(geoms) == 0
    location[is_point] = geoms[is_point]
    has_t = ~shapely.is_missing(territory)
    if has_t.any():
        location[has_t] = shapely.point_on_surface(territory[has_t])
    if loc_given is not None:
        given_ok = (shapely.get_type_id(loc_given) == 0) & ~shapely.is_empty(loc_given)
        location[given_ok] = loc_given[given_ok]
    return _Communities(ids=ids, territory=territory, location=location)


def _geoms_col(frame: Any, column: str) -> GeometryArray | None:
    if column in getattr(frame, "columns", ()) and column != getattr(
        frame, "_geometry_column_name", None
    ):
        return as_geometry_array(frame[column])
    return None


@dataclass(frozen=True)
class _Concessions:
    codes: npt.NDArray[np.object_]
    states: npt.NDArray[np.object_]
    geoms: GeometryArray

    @cached_property
    def tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.geoms)

    @cached_property
    def pressure(self) -> npt.NDArray[np.bool_]:
        return np.isin(self.states, list(PRESSURE_STATES))


def _concessions(frame: Any) -> _Concessions:
    codes = _ids(frame, "code")
    if "state" in frame.columns:
        states = np.asarray(frame["state"].fillna("other").astype(str).to_numpy(), dtype=object)
    else:
        states = np.full(len(codes), "other", dtype=object)
    return _Concessions(codes=codes, states=states, geoms=_polygonal_only(_geoms(frame)))


def _masked(geoms: GeometryArray, keep: npt.NDArray[np.bool_]) -> GeometryArray:
    """Copy of ``geoms`` with None where ``keep`` is False (positions are preserved)."""
    out = np.empty(len(geoms), dtype=object)
    out[keep] = geoms[keep]
    return out


def _sorted_pairs(left: IntArray, right: IntArray) -> tuple[IntArray, IntArray]:
    order = np.lexsort((right, left))
    return left[order], right[order]


def _sort(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.sort_values(keys, kind="stable").reset_index(drop=True)

def _group_spans(groups: IntArray) -> tuple[IntArray, IntArray]:
    if len(groups) == 0:
        z = np.zeros(0, dtype=np.intp)
        return z, z
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]).astype(np.intp)
    ends = np.r_[starts[1:], len(groups)].astype(np.intp)
    return starts, ends
