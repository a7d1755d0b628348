"""Community x concession: intersection pieces, pair rows and the union-based pressure.

The share of a territory under concessions is the area of the *union* of the overlapping
concessions, never a sum of pairs; only pieces of concessions that overlap each other are
unioned (see :func:`_pressure_areas`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.geodesy import (
    GeometryArray,
    geodesic_areas_ha,
)
from geo.geodesy import (
    workers as _workers,
)
from geo.overlay_inputs import (
    CONCESSION_PAIR_COLUMNS,
    FloatArray,
    IntArray,
    _Communities,
    _communities,
    _Concessions,
    _concessions,
    _empty,
    _group_spans,
    _sort,
    _sorted_pairs,
    _threaded,
)

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
    # interiors lie inside the open boxes: boxes meeting in a line or point (grid neighbours)
    # cannot share an interior point, so those pairs skip the costly DE-9IM test
    box = shapely.bounds(sub)
    solid = ((np.minimum(box[i, 2], box[j, 2]) > np.maximum(box[i, 0], box[j, 0]))
             & (np.minimum(box[i, 3], box[j, 3]) > np.maximum(box[i, 1], box[j, 1])))
    i, j = i[solid], j[solid]
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
