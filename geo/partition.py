"""Spatial partitions of the overlay analysis: the same rows, computed in bounded pieces.

A national (or continental) run does not need every layer's result tables in memory at
once: communities are cut into compact groups along a Hilbert curve, and each group is
analysed with :func:`geo.overlay.analyse` restricted to it (``community_ids``) on the
smallest slice of the layers that can touch it:

* communities: the group and every community whose territory box meets one of theirs
  (neighbour overlaps);
* concessions: those whose box meets a territory of the group, or the conservative degree
  box around a point-only community's location (the radius search);
* water: what meets those territories or those concessions (water inside concessions);
* consultations: all (a handful).

Restricted runs of ``analyse`` return exactly the rows a full run returns for the selected
communities (same operand order, same floats), and the slices keep the layers' row order,
so the union of the partitions' tables equals the single-process result row for row
(``merge_results``; tested, also through Dask). Partitions are independent, which is what
lets ``layers.analysis`` stream them to the store and a Dask cluster run them anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.geodesy import as_geometry_array
from geo.overlay import AnalysisResult, analyse
from geo.overlay_near import _M_PER_DEG_LAT_MIN, _M_PER_DEG_LON_EQ

__all__ = [
    "TABLE_KEYS",
    "Partition",
    "PartitionPlan",
    "analyse_partition",
    "hilbert_order",
    "materialise",
    "merge_results",
    "partition_plans",
    "partitions",
]

IntArray = npt.NDArray[np.intp]

#: Sort keys of each result table (what ``geo.overlay`` sorts them by).
TABLE_KEYS: dict[str, list[str]] = {
    "communities": ["community_id"],
    "concession_overlaps": ["community_id", "concession_code"],
    "pressure": ["community_id"],
    "neighbour_overlaps": ["community_id", "other_id"],
    "water_in_communities": ["community_id", "water_id"],
    "water_in_concessions": ["concession_code", "water_id"],
    "water_at_risk": ["community_id", "water_id", "concession_code"],
    "proximity": ["community_id", "distance_m", "concession_code"],
    "consultation_membership": ["community_id", "consultation_id"],
}


@dataclass(frozen=True)
class Partition:
    """One group of communities and the slices of the layers its rows depend on."""

    community_ids: tuple[str, ...]
    communities: Any
    concessions: Any
    water: Any
    consultations: Any


def hilbert_order(geoms: Any) -> IntArray:
    """Positions of ``geoms`` sorted along a Hilbert curve of their box centres.

    Consecutive positions are close on the ground, so a run of them is a compact group.
    Missing or empty geometries go last.
    """
    arr = as_geometry_array(geoms)
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    ok = ~shapely.is_missing(arr) & ~shapely.is_empty(arr)
    bounds = np.full((n, 4), np.nan)
    if ok.any():
        bounds[ok] = shapely.bounds(arr[ok])
    cx = (bounds[:, 0] + bounds[:, 2]) / 2
    cy = (bounds[:, 1] + bounds[:, 3]) / 2
    level = 16
    side = (1 << level) - 1
    d = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    if ok.any():
        x0, x1 = np.nanmin(cx), np.nanmax(cx)
        y0, y1 = np.nanmin(cy), np.nanmax(cy)
        x = np.round((cx[ok] - x0) / max(x1 - x0, 1e-12) * side).astype(np.int64)
        y = np.round((cy[ok] - y0) / max(y1 - y0, 1e-12) * side).astype(np.int64)
        d[ok] = _hilbert_d(x, y, level)
    return np.argsort(d, kind="stable").astype(np.intp)


def _hilbert_d(x: npt.NDArray[np.int64], y: npt.NDArray[np.int64], level: int
               ) -> npt.NDArray[np.int64]:
    """Distance along the Hilbert curve of order ``level`` (vectorised xy2d)."""
    x, y = x.copy(), y.copy()
    side = (1 << level) - 1
    d = np.zeros(len(x), dtype=np.int64)
    s = 1 << (level - 1)
    while s > 0:
        rx = ((x & s) > 0).astype(np.int64)
        ry = ((y & s) > 0).astype(np.int64)
        d += s * s * ((3 * rx) ^ ry)
        # rotate the quadrant
        flip = ry == 0
        swap_back = flip & (rx == 1)
        x[swap_back] = side - x[swap_back]
        y[swap_back] = side - y[swap_back]
        x[flip], y[flip] = y[flip], x[flip].copy()
        s >>= 1
    return d


def _radius_boxes(points: Any, radius_m: float) -> Any:
    """Degree boxes containing the boxes ``geo.overlay`` searches within ``radius_m``."""
    xy = shapely.get_coordinates(points)
    lon, lat = xy[:, 0], xy[:, 1]
    dlat = radius_m / _M_PER_DEG_LAT_MIN * 1.02
    dlon = radius_m / (_M_PER_DEG_LON_EQ * np.maximum(
        np.cos(np.radians(np.abs(lat) + dlat)), 1e-6)) * 1.02
    return shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)


@dataclass(frozen=True)
class PartitionPlan:
    """Positions (row numbers in the input frames) of one partition: small integer arrays,
    cheap to hand to a forked worker, which slices the layers it already holds."""

    community_ids: tuple[str, ...]
    communities: IntArray
    concessions: IntArray
    water: IntArray | None


def partition_plans(communities: Any, concessions: Any, water: Any = None, *,
                    size: int = 2_000, radius_m: float = 5000.0,
                    community_ids: Sequence[str] | None = None,
                    order: IntArray | None = None) -> Iterator[PartitionPlan]:
    """The positions of every partition of :func:`partitions`, in the same order."""
    ids = np.asarray(communities["id"].astype(str).to_numpy(), dtype=object)
    cgeoms = as_geometry_array(communities.geometry)
    if order is None:
        order = hilbert_order(cgeoms)
    if community_ids is not None:
        wanted = {str(c) for c in community_ids}
        order = order[np.fromiter((ids[i] in wanted for i in order), dtype=bool,
                                  count=len(order))]
    if len(order) == 0:
        return
    present = ~shapely.is_missing(cgeoms) & ~shapely.is_empty(cgeoms)
    is_point = np.zeros(len(cgeoms), dtype=bool)
    is_point[present] = shapely.get_type_id(cgeoms[present]) == 0
    polygons = cgeoms.copy()
    polygons[~present | is_point] = None
    comm_tree = shapely.STRtree(polygons)
    locations = cgeoms.copy()  # what the radius search of a point-only community starts from
    if "location" in communities.columns and communities.geometry.name != "location":
        given = as_geometry_array(communities["location"])
        ok = ~shapely.is_missing(given) & ~shapely.is_empty(given)
        ok[ok] = shapely.get_type_id(given[ok]) == 0
        locations[ok] = given[ok]
    kgeoms = as_geometry_array(concessions.geometry)
    conc_tree = shapely.STRtree(kgeoms)
    wgeoms = as_geometry_array(water.geometry) if water is not None and len(water) else None
    water_tree = shapely.STRtree(wgeoms) if wgeoms is not None else None
    for lo in range(0, len(order), size):
        group = np.sort(order[lo : lo + size])
        terr = group[present[group] & ~is_point[group]]
        pts = group[present[group] & is_point[group]]
        near = comm_tree.query(cgeoms[terr])[1] if len(terr) else np.zeros(0, np.intp)
        comm_pos = np.union1d(group, near)
        reach = np.concatenate([cgeoms[terr], _radius_boxes(locations[pts], radius_m)])
        conc_pos = np.unique(conc_tree.query(reach)[1]) if len(reach) else np.zeros(0, np.intp)
        wpos = None
        if water_tree is not None:
            probes = np.concatenate([cgeoms[terr], kgeoms[conc_pos]])
            wpos = np.unique(water_tree.query(probes)[1]) if len(probes) else np.zeros(0, int)
        yield PartitionPlan(community_ids=tuple(str(i) for i in ids[group]),
                            communities=comm_pos, concessions=conc_pos, water=wpos)


def materialise(plan: PartitionPlan, communities: Any, concessions: Any, water: Any = None,
                consultations: Any = None) -> Partition:
    """The layers' slices a :class:`PartitionPlan` names (layer row order kept)."""
    return Partition(
        community_ids=plan.community_ids,
        communities=communities.iloc[plan.communities],
        concessions=concessions.iloc[plan.concessions],
        water=water if plan.water is None else water.iloc[plan.water],
        consultations=consultations,
    )


def partitions(communities: Any, concessions: Any, water: Any = None,
               consultations: Any = None, *, size: int = 2_000, radius_m: float = 5000.0,
               community_ids: Sequence[str] | None = None,
               order: IntArray | None = None) -> Iterator[Partition]:
    """Yield the partitions of ``communities`` (all, or only ``community_ids``), ``size``
    communities each, in Hilbert order (or in ``order``: positions of the communities)."""
    for plan in partition_plans(communities, concessions, water, size=size,
                                radius_m=radius_m, community_ids=community_ids, order=order):
        yield materialise(plan, communities, concessions, water, consultations)


def analyse_partition(part: Partition, *, radius_m: float = 5000.0,
                      neighbour_min_ha: float = 0.0) -> AnalysisResult:
    """:func:`geo.overlay.analyse` for one partition's communities (pure; runs anywhere)."""
    return analyse(part.communities, part.concessions, part.water, part.consultations,
                   radius_m=radius_m, neighbour_min_ha=neighbour_min_ha,
                   community_ids=part.community_ids)


def _concat(frames: list[pd.DataFrame], keys: list[str], dedupe: bool = False) -> pd.DataFrame:
    full = [f for f in frames if len(f)]
    if not full:
        return frames[0].iloc[0:0].reset_index(drop=True)
    out = pd.concat(full, ignore_index=True) if len(full) > 1 else full[0]
    if dedupe:
        out = out.drop_duplicates(subset=keys)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def merge_results(results: Sequence[AnalysisResult], *,
                  community_ids: Sequence[str] | None = None) -> AnalysisResult:
    """One result from the partitions' results: what a single ``analyse`` call returns.

    Every community-keyed row belongs to exactly one partition; water inside a concession
    is the same row in every partition that touches the concession, so it is kept once.
    """
    if not results:
        raise ValueError("no partition results to merge")
    tables = {
        name: _concat([r.tables()[name] for r in results], keys,
                      dedupe=name == "water_in_concessions")
        for name, keys in TABLE_KEYS.items()
    }
    first = results[0]
    return AnalysisResult(
        communities=tables["communities"],
        concession_overlaps=tables["concession_overlaps"],
        pressure=tables["pressure"],
        neighbour_overlaps=tables["neighbour_overlaps"],
        water_in_communities=tables["water_in_communities"],
        water_in_concessions=tables["water_in_concessions"],
        water_at_risk=tables["water_at_risk"],
        proximity=tables["proximity"],
        consultation_membership=tables["consultation_membership"],
        radius_m=first.radius_m,
        neighbour_min_ha=first.neighbour_min_ha,
        community_ids=None if community_ids is None else frozenset(map(str, community_ids)),
    )
