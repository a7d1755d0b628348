"""Community x community overlaps, point-only communities near concessions, consultations."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.geodesy import (
    GEOD,
    GeometryArray,
    geodesic_areas_ha,
    geodesic_distance_m,
)
from geo.overlay_inputs import (
    CONSULTATION_COLUMNS,
    NEIGHBOUR_COLUMNS,
    PROXIMITY_COLUMNS,
    FloatArray,
    _Communities,
    _communities,
    _Concessions,
    _concessions,
    _empty,
    _geoms,
    _ids,
    _polygonal_only,
    _sort,
    _sorted_pairs,
    _threaded,
)

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
