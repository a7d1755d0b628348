"""Overlay analysis of communities against concessions, neighbours, water and consultations.

Everything here is pure: GeoDataFrames in EPSG:4326 with the canonical columns of
``docs/CONTRACT.md`` in, pandas DataFrames out. Intersections are computed on the stored
EPSG:4326 coordinates (as PostGIS ``ST_Intersection(geometry, geometry)`` does) and every
reported hectare or metre is geodesic on WGS84 (as ``::geography``), so the numbers can be
checked against the database.

Why it is fast (the benchmark is a naive ``overlay`` + ``dissolve`` + ``sjoin`` baseline):

* one bulk ``STRtree.query(..., predicate="intersects")`` per relation, no per-row sjoin;
* concessions lying wholly inside a community (the usual case for 100-1,000 ha grid cells
  against 500-15,000 ha territories) are not intersected at all: the piece *is* the
  concession, found with a prepared, vectorised ``contains_properly``;
* the remaining intersections run as vectorised shapely calls split over threads
  (shapely 2 releases the GIL);
* the "union of concessions" per community never unions pieces whose interiors are known to
  be disjoint from every other piece (the area of a union of interior-disjoint pieces is the
  sum of their areas); only the pieces of mutually overlapping concessions are unioned.

Results are deterministic: pairs are processed in (community, concession) position order,
each intersection is computed with the same operand order whatever the selection, and
tables are sorted by their keys. So a run restricted with ``community_ids`` returns exactly
the rows a full run returns for those communities (incremental recompute).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.geodesy import (
    GEOD,
    GeometryArray,
    as_geometry_array,
    geodesic_areas_ha,
    geodesic_distance_m,
    geodesic_lengths_m,
)
from geo.geodesy import (
    workers as _workers,
)

__all__ = [
    "CONCESSION_PAIR_COLUMNS",
    "CONSULTATION_COLUMNS",
    "NEIGHBOUR_COLUMNS",
    "PRESSURE_COLUMNS",
    "PRESSURE_STATES",
    "PROXIMITY_COLUMNS",
    "WATER_AT_RISK_COLUMNS",
    "WATER_COLUMNS",
    "AnalysisResult",
    "analyse",
    "community_community_overlaps",
    "community_concession_overlaps",
    "consultation_membership",
    "point_community_proximity",
    "territory_pressure",
    "water_in_polygons",
]

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]

#: Concession states that put pressure on a territory (extinguished rights do not).
PRESSURE_STATES: frozenset[str] = frozenset({"titled", "in_process", "other", "unknown"})

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


# ---------------------------------------------------------------- community x concession


@dataclass(frozen=True)
class _Pieces:
    """Positive-area community x concession intersections, in (community, concession) order."""

    comm: IntArray
    conc: IntArray
    geoms: GeometryArray
    area_ha: FloatArray


def _concession_pieces(comms: _Communities, concs: _Concessions) -> _Pieces:
    has_t = np.flatnonzero(comms.has_territory)
    terr = comms.territory[has_t]
    if len(terr) == 0 or len(concs.geoms) == 0:
        z = np.zeros(0, dtype=np.intp)
        return _Pieces(z, z, np.zeros(0, dtype=object), np.zeros(0))
    q = concs.tree.query(terr, predicate="intersects")
    ci, cj = _sorted_pairs(has_t[q[0]], q[1].astype(np.intp))
    shapely.prepare(comms.territory[has_t])
    a, b = comms.territory[ci], concs.geoms[cj]
    inside = _threaded(shapely.contains_properly, a, b, keys=ci).astype(bool)
    pieces = np.empty(len(ci), dtype=object)
    pieces[inside] = b[inside]
    cut = ~inside
    if cut.any():
        pieces[cut] = _threaded(shapely.intersection, a[cut], b[cut])
    area = np.zeros(len(ci))
    if inside.any():
        uniq, inv = np.unique(cj[inside], return_inverse=True)
        area[inside] = geodesic_areas_ha(concs.geoms[uniq])[inv]
    if cut.any():
        area[cut] = geodesic_areas_ha(pieces[cut])
    keep = area > 0.0
    return _Pieces(ci[keep], cj[keep], pieces[keep], area[keep])


def _overlapping_concession_pairs(concs: _Concessions, candidates: IntArray) -> IntArray:
    """Pairs (i < j, positions) of candidate concessions whose interiors intersect.

    Concessions normally tile the grid and only touch; where they truly overlap each other
    the union of their pieces must be computed, elsewhere a sum of areas is exact.
    """
    none = np.zeros((0, 2), dtype=np.intp)
    if len(candidates) < 2:
        return none
    sub = concs.geoms[candidates]
    tree = shapely.STRtree(sub)
    q = tree.query(sub)  # boxes only: one DE-9IM test per pair below, not intersects + touches
    m = q[0] < q[1]
    i, j = q[0][m], q[1][m]
    if len(i) == 0:
        return none
    inner = _threaded(_interiors_intersect, sub[i], sub[j]).astype(bool)
    return np.stack([candidates[i[inner]], candidates[j[inner]]], axis=1).astype(np.intp)


def _interiors_intersect(a: GeometryArray, b: GeometryArray) -> npt.NDArray[np.bool_]:
    """Element-wise: the interiors of ``a`` and ``b`` share a point (DE-9IM ``T********``)."""
    return np.asarray(shapely.relate_pattern(a, b, "T********"), dtype=bool)


def _overlap_edges(groups: IntArray, members: IntArray, overlapping: IntArray) -> IntArray:
    """Row pairs (same community) whose concessions overlap each other's interior."""
    if len(overlapping) == 0 or len(groups) < 2:
        return np.zeros((0, 2), dtype=np.intp)
    rows = pd.DataFrame({"g": groups, "k": members, "row": np.arange(len(groups))})
    pairs = pd.DataFrame(overlapping, columns=["a", "b"])
    m = pairs.merge(rows, left_on="a", right_on="k").merge(
        rows, left_on=["b", "g"], right_on=["k", "g"], suffixes=("_a", "_b")
    )
    return np.stack([m["row_a"].to_numpy(), m["row_b"].to_numpy()], axis=1).astype(np.intp)


def _components(n: int, edges: IntArray) -> IntArray:
    """Connected-component label (smallest member row) of each of ``n`` rows."""
    labels = np.arange(n, dtype=np.intp)
    if len(edges) == 0:
        return labels
    a, b = edges[:, 0], edges[:, 1]
    while True:
        low = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]  # pointer jumping
        if np.array_equal(new, labels):
            return labels
        labels = new


def _union_components(
    geoms: GeometryArray, area_ha: FloatArray, labels: IntArray, rows: IntArray
) -> tuple[IntArray, GeometryArray, FloatArray]:
    """Union the pieces ``rows`` per component label; singletons are returned unchanged.

    Returns (label, union geometry, geodesic ha) per component, in label order.
    """
    lab = labels[rows]
    order = np.lexsort((rows, lab))
    rows, lab = rows[order], lab[order]
    starts, ends = _group_spans(lab)
    out = np.empty(len(starts), dtype=object)
    ha = np.empty(len(starts))
    single = (ends - starts) == 1
    out[single] = geoms[rows[starts[single]]]
    ha[single] = area_ha[rows[starts[single]]]
    multi = ~single
    if multi.any():
        out[multi] = _grouped_union(geoms[rows], starts[multi], ends[multi])
        ha[multi] = geodesic_areas_ha(out[multi])
    return lab[starts], out, ha


def _group_spans(groups: IntArray) -> tuple[IntArray, IntArray]:
    if len(groups) == 0:
        z = np.zeros(0, dtype=np.intp)
        return z, z
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]).astype(np.intp)
    ends = np.r_[starts[1:], len(groups)].astype(np.intp)
    return starts, ends


def _pressure_areas(
    pieces: _Pieces, states: npt.NDArray[np.object_], n: int, overlapping: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Union areas per community: all pressure concessions, titled ones, in-process ones.

    The area of a union is never a sum of pairs. Pieces of one community are split into
    connected components of the "concessions overlap" graph: components are
    interior-disjoint, so the union area is the sum of the component union areas, and a
    singleton component (the usual case: grid cells only touch) is just its own area. Only
    components with overlapping concessions are unioned, per state; the total then merges
    the state unions that fall in the same all-state component.
    """
    groups, area, geoms = pieces.comm, pieces.area_ha, pieces.geoms
    m = len(groups)
    edges = _overlap_edges(groups, pieces.conc, overlapping)
    all_labels = _components(m, edges)
    total: FloatArray = np.zeros(n)
    by_state: dict[str, FloatArray] = {}
    parts_lab: list[IntArray] = []
    parts_geom: list[GeometryArray] = []
    parts_ha: list[FloatArray] = []
    for state in ("titled", "in_process", "other"):
        is_state = states == state
        rows = np.flatnonzero(is_state)
        acc: FloatArray = np.zeros(n)
        if len(rows):
            keep = (
                is_state[edges[:, 0]] & is_state[edges[:, 1]] if len(edges) else np.zeros(0, bool)
            )
            labels = _components(m, edges[keep])
            lab, uni, ha = _union_components(geoms, area, labels, rows)
            acc = np.bincount(groups[lab], weights=ha, minlength=n).astype(np.float64)
            parts_lab.append(all_labels[lab])
            parts_geom.append(uni)
            parts_ha.append(ha)
        by_state[state] = acc
    if parts_lab:
        lab = np.concatenate(parts_lab)
        uni = np.concatenate(parts_geom)
        ha = np.concatenate(parts_ha)
        order = np.argsort(lab, kind="stable")  # titled, in_process, other within a component
        lab, uni, ha = lab[order], uni[order], ha[order]
        starts, ends = _group_spans(lab)
        comp_ha = ha[starts].copy()
        multi = (ends - starts) > 1
        if multi.any():
            comp_ha[multi] = geodesic_areas_ha(_grouped_union(uni, starts[multi], ends[multi]))
        total = np.bincount(groups[lab[starts]], weights=comp_ha, minlength=n).astype(np.float64)
    return total, by_state["titled"], by_state["in_process"]


def _grouped_union(geoms: GeometryArray, starts: IntArray, ends: IntArray) -> GeometryArray:
    """Union each [start, end) slice; slices spread over threads (GEOS releases the GIL)."""
    spans = list(zip(starts.tolist(), ends.tolist(), strict=True))

    def run(chunk: list[tuple[int, int]]) -> list[BaseGeometry]:
        return [shapely.union_all(geoms[lo:hi]) for lo, hi in chunk]

    workers = _workers()
    if workers == 1 or len(spans) < 64:
        result = run(spans)
    else:
        chunks = [spans[k::workers] for k in range(workers)]
        with ThreadPoolExecutor(workers) as ex:
            done = list(ex.map(run, chunks))
        result = [shapely.Point()] * len(spans)
        for k, part in enumerate(done):
            result[k::workers] = part
    return np.asarray(result, dtype=object)


def _pairs_frame(
    comms: _Communities, concs: _Concessions, pieces: _Pieces, terr_ha: FloatArray
) -> pd.DataFrame:
    if len(pieces.comm) == 0:
        return _empty(CONCESSION_PAIR_COLUMNS)
    df = pd.DataFrame(
        {
            "community_id": comms.ids[pieces.comm],
            "concession_code": concs.codes[pieces.conc],
            "intersection_ha": pieces.area_ha,
            "share": pieces.area_ha / terr_ha[pieces.comm],
            "state": concs.states[pieces.conc],
        }
    )
    return _sort(df, ["community_id", "concession_code"])


def _sort(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def _pressure_frame(
    comms: _Communities,
    concs: _Concessions,
    pieces: _Pieces,
    terr_ha: FloatArray,
) -> pd.DataFrame:
    n = len(comms.ids)
    pres = concs.pressure[pieces.conc]
    cand = np.unique(pieces.conc[pres])
    overlapping = _overlapping_concession_pairs(concs, cand)
    live = _Pieces(pieces.comm[pres], pieces.conc[pres], pieces.geoms[pres], pieces.area_ha[pres])
    total, titled, in_process = _pressure_areas(live, concs.states[live.conc], n, overlapping)
    count = np.bincount(pieces.comm[pres], minlength=n)
    has_t = comms.has_territory
    with np.errstate(divide="ignore", invalid="ignore"):
        df = pd.DataFrame(
            {
                "community_id": comms.ids,
                "territory_ha": terr_ha,
                "concession_ha_union": total,
                "share_union": np.where(terr_ha > 0, total / terr_ha, 0.0),
                "titled_ha": titled,
                "in_process_ha": in_process,
                "share_titled": np.where(terr_ha > 0, titled / terr_ha, 0.0),
                "share_in_process": np.where(terr_ha > 0, in_process / terr_ha, 0.0),
                "n_concessions": count.astype(np.int64),
            }
        )
    return _sort(df[has_t], ["community_id"])


def _territory_ha(comms: _Communities) -> FloatArray:
    return geodesic_areas_ha(comms.territory)


def community_concession_overlaps(communities: Any, concessions: Any) -> pd.DataFrame:
    """Community x concession intersections with positive area.

    Columns: community_id, concession_code, intersection_ha (geodesic), share (of the
    community's geodesic territory area), state (concession state, extinguished included).
    Point-only communities are not here (see :func:`point_community_proximity`).
    """
    comms, concs = _communities(communities), _concessions(concessions)
    pieces = _concession_pieces(comms, concs)
    return _pairs_frame(comms, concs, pieces, _territory_ha(comms))


def territory_pressure(communities: Any, concessions: Any) -> pd.DataFrame:
    """Per-community share of territory under the *union* of concessions.

    Columns: community_id, territory_ha, concession_ha_union, share_union, titled_ha,
    in_process_ha, share_titled, share_in_process, n_concessions. Extinguished concessions
    are not pressure; ``other`` states count in the total union only. One row per community
    with a territory polygon (zeros when nothing overlaps).
    """
    comms, concs = _communities(communities), _concessions(concessions)
    pieces = _concession_pieces(comms, concs)
    return _pressure_frame(comms, concs, pieces, _territory_ha(comms))


# ----------------------------------------------------------------- community x community


def _neighbours(
    comms_all: _Communities,
    selected: Collection[str] | None,
    min_ha: float,
    terr_ha_all: FloatArray | None = None,
) -> pd.DataFrame:
    has_t = np.flatnonzero(comms_all.has_territory)
    if len(has_t) < 2:
        return _empty(NEIGHBOUR_COLUMNS)
    ids = comms_all.ids[has_t]
    terr = comms_all.territory[has_t]
    tree = shapely.STRtree(terr)
    if selected is None:
        src = np.arange(len(has_t))
    else:
        wanted = {str(s) for s in selected}
        src = np.flatnonzero(np.fromiter((i in wanted for i in ids), dtype=bool, count=len(ids)))
    if len(src) == 0:
        return _empty(NEIGHBOUR_COLUMNS)
    q = tree.query(terr[src], predicate="intersects")
    i, j = src[q[0]], q[1].astype(np.intp)
    m = i != j
    i, j = i[m], j[m]
    # canonical operand order by id, so selections reproduce the full run bit for bit
    swap = ids[i] > ids[j]
    a = np.where(swap, j, i)
    b = np.where(swap, i, j)
    key = np.unique(np.stack([a, b], axis=1), axis=0) if len(a) else np.zeros((0, 2), dtype=np.intp)
    if len(key) == 0:
        return _empty(NEIGHBOUR_COLUMNS)
    a, b = key[:, 0], key[:, 1]
    inter = _threaded(shapely.intersection, terr[a], terr[b])
    area = geodesic_areas_ha(inter)
    keep = (area > 0.0) & (area >= min_ha)
    a, b, area = a[keep], b[keep], area[keep]
    terr_ha = geodesic_areas_ha(terr) if terr_ha_all is None else terr_ha_all[has_t]
    df = pd.DataFrame(
        {
            "community_id": np.concatenate([ids[a], ids[b]]),
            "other_id": np.concatenate([ids[b], ids[a]]),
            "intersection_ha": np.concatenate([area, area]),
            "share": np.concatenate([area / terr_ha[a], area / terr_ha[b]]),
        }
    )
    return _sort(df, ["community_id", "other_id"])


def community_community_overlaps(
    communities: Any, min_ha: float = 0.0, *, community_ids: Collection[str] | None = None
) -> pd.DataFrame:
    """Overlaps between community territories (boundary conflicts), both directions.

    Columns: community_id, other_id, intersection_ha, share (of ``community_id``'s
    territory). With ``community_ids`` only pairs involving those communities are computed
    (both directions kept, so neighbours' rows can be refreshed too).
    """
    return _neighbours(_communities(communities), community_ids, min_ha)


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


# ------------------------------------------------------------------- point proximity

_M_PER_DEG_LAT_MIN = 110_574.0  # meridian degree at the equator (the shortest)
_M_PER_DEG_LON_EQ = 111_319.0  # parallel degree at the equator, times cos(lat) elsewhere


def _local_scales(lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Metres per degree east and north at ``lat`` on WGS84 (radii of curvature N and M)."""
    a, f = GEOD.a, GEOD.f
    e2 = f * (2 - f)
    phi = np.radians(lat)
    s2 = np.sin(phi) ** 2
    n = a / np.sqrt(1 - e2 * s2)
    m = a * (1 - e2) / (1 - e2 * s2) ** 1.5
    return np.radians(1.0) * n * np.cos(phi), np.radians(1.0) * m


def _proximity(
    points: GeometryArray,
    point_ids: npt.NDArray[np.object_],
    concs: _Concessions,
    radius_m: float,
) -> pd.DataFrame:
    ok = ~shapely.is_missing(points) & ~shapely.is_empty(points)
    pos = np.flatnonzero(ok)
    if len(pos) == 0 or len(concs.geoms) == 0:
        return _empty(PROXIMITY_COLUMNS)
    xy = shapely.get_coordinates(points[pos])
    lon, lat = xy[:, 0], xy[:, 1]
    # conservative degree box for the radius (filter only; distances are geodesic below)
    dlat = radius_m / _M_PER_DEG_LAT_MIN * 1.01
    dlon = (
        radius_m
        / (_M_PER_DEG_LON_EQ * np.maximum(np.cos(np.radians(np.abs(lat) + dlat)), 1e-6))
        * 1.01
    )
    boxes = shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)
    q = concs.tree.query(boxes, predicate="intersects")
    pi, kj = _sorted_pairs(q[0].astype(np.intp), q[1].astype(np.intp))
    if len(pi) == 0:
        return _empty(PROXIMITY_COLUMNS)
    # nearest point in a local conformal frame centred on each community point
    kx, ky = _local_scales(lat[pi])
    targets = concs.geoms[kj]
    _, owner = shapely.get_coordinates(targets, return_index=True)
    ox, oy = lon[pi][owner], lat[pi][owner]
    sx, sy = kx[owner], ky[owner]

    def to_local(c: FloatArray) -> FloatArray:
        return np.column_stack([(c[:, 0] - ox) * sx, (c[:, 1] - oy) * sy])

    local = np.asarray(shapely.transform(targets, to_local), dtype=object)
    origin = np.asarray(shapely.points(np.zeros(len(pi)), np.zeros(len(pi))), dtype=object)
    nearest = shapely.get_coordinates(_threaded(shapely.shortest_line, origin, local))
    nx = nearest[1::2, 0] / kx + lon[pi]
    ny = nearest[1::2, 1] / ky + lat[pi]
    dist = geodesic_distance_m(lon[pi], lat[pi], nx, ny)
    keep = dist <= radius_m
    pi, kj, dist = pi[keep], kj[keep], dist[keep]
    df = pd.DataFrame(
        {
            "community_id": point_ids[pos][pi],
            "concession_code": concs.codes[kj],
            "distance_m": dist,
            "estimate": np.ones(len(pi), dtype=bool),
            "state": concs.states[kj],
        }
    )
    return _sort(df, ["community_id", "distance_m", "concession_code"])


def point_community_proximity(
    communities_points: Any, concessions: Any, radius_m: float = 5000.0
) -> pd.DataFrame:
    """Concessions within ``radius_m`` of communities known only by a point (estimates).

    Columns: community_id, concession_code, distance_m (geodesic, to the nearest point of
    the concession; 0 inside), estimate (always True: the territory is unknown), state.
    Rows with a territory polygon in the input are measured from their location point.
    """
    comms = _communities(communities_points)
    return _proximity(comms.location, comms.ids, _concessions(concessions), radius_m)


# -------------------------------------------------------------------- consultations


def _membership(comms: _Communities, consultations: Any) -> pd.DataFrame:
    if consultations is None or len(consultations) == 0 or len(comms.ids) == 0:
        return _empty(CONSULTATION_COLUMNS)
    cids = _ids(consultations, "id")
    areas = _polygonal_only(_geoms(consultations))
    okc = np.flatnonzero(~shapely.is_missing(areas))
    if len(okc) == 0:
        return _empty(CONSULTATION_COLUMNS)
    tree = shapely.STRtree(areas[okc])
    rows: dict[tuple[int, int], list[float | bool]] = {}
    has_t = np.flatnonzero(comms.has_territory)
    if len(has_t):
        q = tree.query(comms.territory[has_t], predicate="intersects")
        ci, kj = _sorted_pairs(has_t[q[0]], okc[q[1]])
        inter = _threaded(shapely.intersection, comms.territory[ci], areas[kj])
        ha = geodesic_areas_ha(inter)
        for c, k, h in zip(ci.tolist(), kj.tolist(), ha.tolist(), strict=True):
            if h > 0.0:
                rows[(c, k)] = [h, False]
    locs = comms.location
    okl = np.flatnonzero(~shapely.is_missing(locs))
    if len(okl):
        q = tree.query(locs[okl], predicate="intersects")
        for c, k in zip(okl[q[0]].tolist(), okc[q[1]].tolist(), strict=True):
            rows.setdefault((c, k), [0.0, False])[1] = True
    if not rows:
        return _empty(CONSULTATION_COLUMNS)
    keys = list(rows)
    df = pd.DataFrame(
        {
            "community_id": [comms.ids[c] for c, _ in keys],
            "consultation_id": [cids[k] for _, k in keys],
            "intersection_ha": [float(rows[key][0]) for key in keys],
            "inside_point": [bool(rows[key][1]) for key in keys],
        }
    )
    return _sort(df, ["community_id", "consultation_id"])


def consultation_membership(communities: Any, consultations: Any) -> pd.DataFrame:
    """Communities concerned by each consultation's area of influence.

    Columns: community_id, consultation_id, intersection_ha (geodesic, 0 for point-only
    communities), inside_point (the community's location lies in the area). A community is
    listed when its territory overlaps the area with positive area or its point is inside.
    """
    return _membership(_communities(communities), consultations)


# -------------------------------------------------------------------------- analyse


@dataclass
class AnalysisResult:
    """Every derived table for a set of communities (what layers.analysis stores).

    All tables are sorted by their keys; ``community_ids`` records a restriction (None for
    a full run).
    """

    communities: pd.DataFrame  # COMMUNITY_COLUMNS
    concession_overlaps: pd.DataFrame  # CONCESSION_PAIR_COLUMNS
    pressure: pd.DataFrame  # PRESSURE_COLUMNS
    neighbour_overlaps: pd.DataFrame  # NEIGHBOUR_COLUMNS
    water_in_communities: pd.DataFrame  # water_id, community_id, kind, measure, unit
    water_in_concessions: pd.DataFrame  # water_id, concession_code, kind, measure, unit
    water_at_risk: pd.DataFrame  # WATER_AT_RISK_COLUMNS
    proximity: pd.DataFrame  # PROXIMITY_COLUMNS
    consultation_membership: pd.DataFrame  # CONSULTATION_COLUMNS
    radius_m: float = 5000.0
    neighbour_min_ha: float = 0.0
    community_ids: frozenset[str] | None = None
    _groups: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict, repr=False)
    _records: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict, repr=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name (for exports, notebooks and equality checks)."""
        return {
            "communities": self.communities,
            "concession_overlaps": self.concession_overlaps,
            "pressure": self.pressure,
            "neighbour_overlaps": self.neighbour_overlaps,
            "water_in_communities": self.water_in_communities,
            "water_in_concessions": self.water_in_concessions,
            "water_at_risk": self.water_at_risk,
            "proximity": self.proximity,
            "consultation_membership": self.consultation_membership,
        }

    def for_community(self, table: str, community_id: str) -> pd.DataFrame:
        """Rows of a community-keyed table for one community (indexed once, then O(1))."""
        if table not in self._groups:
            df = self.tables()[table]
            self._groups[table] = {str(k): g for k, g in df.groupby("community_id", sort=False)}
        got = self._groups[table].get(str(community_id))
        if got is None:
            return self.tables()[table].iloc[0:0]
        return got

    def records(self, table: str, community_id: str) -> list[dict[str, Any]]:
        """Rows of a community-keyed table for one community as plain dicts (table order).

        Built once per table, so evaluating rules for 10,000 communities stays cheap.
        """
        if table not in self._records:
            grouped: dict[str, list[dict[str, Any]]] = {}
            df = self.tables()[table]
            names = [str(k) for k in df.columns]
            # column-wise .tolist() gives the Python scalars to_dict("records") gives, faster
            for values in zip(*(df[k].tolist() for k in df.columns), strict=True):
                rec = dict(zip(names, values, strict=True))
                grouped.setdefault(str(rec["community_id"]), []).append(rec)
            self._records[table] = grouped
        return self._records[table].get(str(community_id), [])

    def overlap_rows(self) -> pd.DataFrame:
        """Rows in the contract's derived ``overlap`` shape.

        Columns: community_id, other_kind (concession|community|consultation|water),
        other_id, intersection_ha, share, estimate, details (dict).
        """
        parts: list[pd.DataFrame] = []
        co = self.concession_overlaps
        parts.append(
            pd.DataFrame(
                {
                    "community_id": co["community_id"],
                    "other_kind": "concession",
                    "other_id": co["concession_code"],
                    "intersection_ha": co["intersection_ha"].astype(float),
                    "share": co["share"].astype(float),
                    "estimate": False,
                    "details": [{"state": s} for s in co["state"]],
                }
            )
        )
        px = self.proximity
        parts.append(
            pd.DataFrame(
                {
                    "community_id": px["community_id"],
                    "other_kind": "concession",
                    "other_id": px["concession_code"],
                    "intersection_ha": np.nan,
                    "share": np.nan,
                    "estimate": True,
                    "details": [
                        {"distance_m": float(d), "state": s, "radius_m": self.radius_m}
                        for d, s in zip(px["distance_m"], px["state"], strict=True)
                    ],
                }
            )
        )
        nb = self.neighbour_overlaps
        parts.append(
            pd.DataFrame(
                {
                    "community_id": nb["community_id"],
                    "other_kind": "community",
                    "other_id": nb["other_id"],
                    "intersection_ha": nb["intersection_ha"].astype(float),
                    "share": nb["share"].astype(float),
                    "estimate": False,
                    "details": [{} for _ in range(len(nb))],
                }
            )
        )
        cm = self.consultation_membership
        terr = dict(
            zip(self.communities["community_id"], self.communities["territory_ha"], strict=True)
        )
        parts.append(
            pd.DataFrame(
                {
                    "community_id": cm["community_id"],
                    "other_kind": "consultation",
                    "other_id": cm["consultation_id"],
                    "intersection_ha": cm["intersection_ha"].astype(float),
                    "share": [
                        (float(h) / terr[c]) if terr.get(c) and terr[c] > 0 else np.nan
                        for c, h in zip(cm["community_id"], cm["intersection_ha"], strict=True)
                    ],
                    "estimate": [not (terr.get(c) or 0) > 0 for c in cm["community_id"]],
                    "details": [{"inside_point": bool(p)} for p in cm["inside_point"]],
                }
            )
        )
        wc = self.water_in_communities
        risk = set(
            zip(self.water_at_risk["community_id"], self.water_at_risk["water_id"], strict=True)
        )
        parts.append(
            pd.DataFrame(
                {
                    "community_id": wc["community_id"],
                    "other_kind": "water",
                    "other_id": wc["water_id"],
                    "intersection_ha": [
                        float(m) if u == "ha" else np.nan
                        for m, u in zip(wc["measure"], wc["unit"], strict=True)
                    ],
                    "share": np.nan,
                    "estimate": False,
                    "details": [
                        {"kind": k, "measure": float(m), "unit": u, "in_concession": (c, w) in risk}
                        for k, m, u, c, w in zip(
                            wc["kind"],
                            wc["measure"],
                            wc["unit"],
                            wc["community_id"],
                            wc["water_id"],
                            strict=True,
                        )
                    ],
                }
            )
        )
        parts = [p for p in parts if len(p)]
        if not parts:
            return _empty(
                [
                    "community_id",
                    "other_kind",
                    "other_id",
                    "intersection_ha",
                    "share",
                    "estimate",
                    "details",
                ]
            )
        return _sort(
            pd.concat(parts, ignore_index=True), ["community_id", "other_kind", "other_id"]
        )


def analyse(
    communities: Any,
    concessions: Any,
    water: Any = None,
    consultations: Any = None,
    *,
    radius_m: float = 5000.0,
    neighbour_min_ha: float = 0.0,
    community_ids: Iterable[str] | None = None,
) -> AnalysisResult:
    """Run every overlay for the communities (all, or only ``community_ids``).

    ``communities`` must be the full community layer even when restricted: neighbour
    overlaps of the selected communities are computed against all of them, and every
    community-keyed table holds rows of the selected communities only (a neighbour's
    mirror row changes too when a territory is edited: include the neighbours in
    ``community_ids`` to refresh it). The concession,
    water and consultation layers are always whole. For the selected communities the tables
    equal those of a full run exactly (same rows, same floats).
    """
    selected = None if community_ids is None else frozenset(str(c) for c in community_ids)
    comms_all = _communities(communities)
    terr_ha_all = _territory_ha(comms_all)
    if selected is None:
        comms, terr_ha = comms_all, terr_ha_all
    else:
        keep = np.fromiter(
            (i in selected for i in comms_all.ids), dtype=bool, count=len(comms_all.ids)
        )
        comms = _Communities(
            ids=comms_all.ids[keep],
            territory=comms_all.territory[keep],
            location=comms_all.location[keep],
        )
        terr_ha = terr_ha_all[keep]
    concs = _concessions(concessions)

    pieces = _concession_pieces(comms, concs)
    pairs = _pairs_frame(comms, concs, pieces, terr_ha)
    pressure = _pressure_frame(comms, concs, pieces, terr_ha)
    neighbours = _neighbours(comms_all, selected, neighbour_min_ha, terr_ha_all)
    if selected is not None:  # every table holds rows of the analysed communities only
        neighbours = neighbours[neighbours["community_id"].isin(selected)].reset_index(drop=True)

    loc_xy = np.full((len(comms.ids), 2), np.nan)
    okl = ~shapely.is_missing(comms.location)
    if okl.any():
        loc_xy[okl] = shapely.get_coordinates(comms.location[okl])
    has_t = comms.has_territory
    summary = _sort(
        pd.DataFrame(
            {
                "community_id": comms.ids,
                "has_territory": has_t,
                "territory_ha": np.where(has_t, terr_ha, np.nan),
                "lon": loc_xy[:, 0],
                "lat": loc_xy[:, 1],
            }
        ),
        ["community_id"],
    )

    water_cols = ["water_id", "community_id", "kind", "measure", "unit"]
    wcc_cols = ["water_id", "concession_code", "kind", "measure", "unit"]
    if water is not None and len(water):
        wgeoms, wids, wkinds = _geoms(water), _ids(water, "id"), _water_kind(water)
        wp = _water_pieces(wgeoms, comms.territory)
        water_comm = _water_frame(wp, wids, wkinds, comms.ids, "community_id")[water_cols]
        at_risk = _water_at_risk(wp, comms, concs, wids, wkinds)
        touched = np.zeros(len(concs.codes), dtype=bool)
        touched[pieces.conc] = True
        wpc = _water_pieces(wgeoms, _masked(concs.geoms, touched))
        water_conc = _water_frame(wpc, wids, wkinds, concs.codes, "concession_code")[wcc_cols]
    else:
        water_comm, at_risk, water_conc = (
            _empty(water_cols),
            _empty(WATER_AT_RISK_COLUMNS),
            _empty(wcc_cols),
        )

    proximity = _proximity(_masked(comms.location, ~has_t), comms.ids, concs, radius_m)
    membership = _membership(comms, consultations)
    return AnalysisResult(
        communities=summary,
        concession_overlaps=pairs,
        pressure=pressure,
        neighbour_overlaps=neighbours,
        water_in_communities=water_comm,
        water_in_concessions=water_conc,
        water_at_risk=at_risk,
        proximity=proximity,
        consultation_membership=membership,
        radius_m=float(radius_m),
        neighbour_min_ha=float(neighbour_min_ha),
        community_ids=selected,
    )
