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

The work is split by relation: :mod:`geo.overlay_inputs` (frames to arrays, shared
helpers), :mod:`geo.overlay_pressure` (community x concession, union-based pressure),
:mod:`geo.overlay_near` (neighbours, point-only proximity, consultations),
:mod:`geo.overlay_water` (water) and :mod:`geo.overlay_result` (the result bundle);
:mod:`geo.partition` runs :func:`analyse` on spatial partitions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.overlay_inputs import (
    CONCESSION_PAIR_COLUMNS,
    CONSULTATION_COLUMNS,
    NEIGHBOUR_COLUMNS,
    PRESSURE_COLUMNS,
    PRESSURE_STATES,
    PROXIMITY_COLUMNS,
    WATER_AT_RISK_COLUMNS,
    WATER_COLUMNS,
    _Communities,
    _communities,
    _concessions,
    _empty,
    _geoms,
    _ids,
    _masked,
    _sort,
)
from geo.overlay_near import (
    _membership,
    _neighbours,
    _proximity,
    community_community_overlaps,
    consultation_membership,
    point_community_proximity,
)
from geo.overlay_pressure import (
    _concession_pieces,
    _pairs_frame,
    _pressure_frame,
    _territory_ha,
    community_concession_overlaps,
    territory_pressure,
)
from geo.overlay_result import AnalysisResult
from geo.overlay_water import (
    _water_at_risk,
    _water_frame,
    _water_kind,
    _water_pieces,
    water_in_polygons,
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

