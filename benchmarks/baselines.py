"""Analyst baselines for ``bench_analysis``: the naive one and the careful one.

Both work on the in-memory frames (no database read, no flags, no storage: that favours
them) and use Allpa's geodesic area function so the totals compare.

* naive: ``geopandas.overlay`` (intersection) for the community x concession pairs and the
  neighbour overlaps (all pairs, both ways), ``dissolve`` per community for the union
  under concessions (all, titled, in process), ``sjoin`` for water, a per-UTM-zone buffer +
  ``sjoin`` for point-only communities, ``overlay`` / ``sjoin`` for consultation areas.
* careful: what a competent shapely user writes by hand: ``sindex.query`` with a predicate,
  one vectorised ``shapely.intersection`` over the index hits, neighbours in one direction
  (``i < j``, mirrored), ``shapely.union_all`` per community over its pieces, index
  ``dwithin`` queries in UTM for point-only communities.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from benchmarks.national import PRESSURE_STATES, NationalData
from benchmarks.timing import Timer
from geo.geodesy import geodesic_areas_ha


def naive(data: NationalData, *, radius_m: float, neighbour_min_ha: float) -> dict[str, Any]:
    """What an analyst writes with geopandas: overlay, dissolve, sjoin."""
    timer = Timer()
    comms = data.communities
    is_point = (comms.geom_type == "Point").to_numpy()
    poly = comms.loc[~is_point, ["id", "geometry"]].reset_index(drop=True)
    pts = comms.loc[is_point, ["id", "geometry"]].reset_index(drop=True)
    conc = data.concessions[["code", "state", "geometry"]]
    out: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with timer.step("territory areas"):
            terr_ha = pd.Series(geodesic_areas_ha(poly.geometry.values), index=poly["id"])
        with timer.step("overlay pairs"):
            pairs = gpd.overlay(poly, conc, how="intersection", keep_geom_type=True)
            pairs["intersection_ha"] = geodesic_areas_ha(pairs.geometry.values)
            pairs = pairs[pairs["intersection_ha"] > 0]
            pairs["share"] = pairs["intersection_ha"].to_numpy() / terr_ha.loc[
                pairs["id"]].to_numpy()
        with timer.step("dissolve unions"):
            live = pairs[pairs["state"].isin(PRESSURE_STATES)][["id", "state", "geometry"]]
            union = live[["id", "geometry"]].dissolve(by="id")
            union_ha = pd.Series(geodesic_areas_ha(union.geometry.values), index=union.index)
            by_state = {}
            for state in ("titled", "in_process"):
                part = live[live["state"] == state][["id", "geometry"]].dissolve(by="id")
                by_state[state] = pd.Series(geodesic_areas_ha(part.geometry.values),
                                            index=part.index)
            pressure = pd.DataFrame({"territory_ha": terr_ha})
            pressure["concession_ha_union"] = union_ha.reindex(terr_ha.index).fillna(0.0)
            pressure["share_union"] = pressure["concession_ha_union"] / pressure["territory_ha"]
            for state, ha in by_state.items():
                pressure[f"{state}_ha"] = ha.reindex(terr_ha.index).fillna(0.0)
        with timer.step("overlay neighbours"):
            nb = gpd.overlay(poly, poly.rename(columns={"id": "other_id"}),
                             how="intersection", keep_geom_type=True)
            nb = nb[nb["id"] != nb["other_id"]]
            nb["intersection_ha"] = geodesic_areas_ha(nb.geometry.values)
            nb = nb[(nb["intersection_ha"] > 0) & (nb["intersection_ha"] >= neighbour_min_ha)]
        with timer.step("sjoin water"):
            wat = data.water[["id", "kind", "geometry"]].rename(columns={"id": "water_id"})
            w_comm = gpd.sjoin(wat, poly, predicate="intersects")[["water_id", "id", "kind"]]
            w_conc = gpd.sjoin(wat, conc, predicate="intersects")[
                ["water_id", "code", "state"]]
            w_risk = w_comm.merge(w_conc, on="water_id")
        with timer.step("radius sjoin (point-only)"):
            near = []
            lon = pts.geometry.x.to_numpy()
            for zone, sel in ((18, lon < -72.0), (19, lon >= -72.0)):
                crs = 32700 + zone
                p = pts[sel].to_crs(crs)
                k = conc.to_crs(crs)
                buf = p.set_geometry(p.buffer(radius_m))
                j = gpd.sjoin(buf, k, predicate="intersects")
                dist = p.geometry.loc[j.index].distance(
                    k.geometry.loc[j["index_right"]], align=False).to_numpy()
                near.append(pd.DataFrame({"id": j["id"].to_numpy(),
                                          "code": j["code"].to_numpy(), "distance_m": dist}))
            proximity = pd.concat(near, ignore_index=True)
            proximity = proximity[proximity["distance_m"] <= radius_m]
        with timer.step("consultations"):
            cons = data.consultations[["id", "geometry"]].rename(columns={"id": "cons_id"})
            c_poly = gpd.overlay(poly, cons, how="intersection", keep_geom_type=True)
            c_poly["intersection_ha"] = geodesic_areas_ha(c_poly.geometry.values)
            c_pts = gpd.sjoin(pts, cons, predicate="intersects")
    out.update(pairs=len(pairs), pairs_ha=float(pairs["intersection_ha"].sum()),
               union_ha=float(pressure["concession_ha_union"].sum()),
               titled_ha=float(pressure["titled_ha"].sum()),
               in_process_ha=float(pressure["in_process_ha"].sum()),
               neighbours=len(nb), water_in_communities=len(w_comm),
               water_in_concessions=len(w_conc), water_at_risk=len(w_risk),
               proximity=len(proximity), consultation=len(c_poly) + len(c_pts),
               seconds=timer.total, steps=timer.steps)
    return out



def _group_union_ha(groups: npt.NDArray[np.intp], pieces: npt.NDArray[np.object_]
                    ) -> pd.Series:
    """Geodesic hectares of the union of ``pieces`` per group (``shapely.union_all``)."""
    if len(groups) == 0:
        return pd.Series(dtype=float)
    order = np.argsort(groups, kind="stable")
    groups, pieces = groups[order], pieces[order]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    ends = np.r_[starts[1:], len(groups)]
    unions = [shapely.union_all(pieces[lo:hi]) for lo, hi in zip(starts, ends, strict=True)]
    return pd.Series(geodesic_areas_ha(np.asarray(unions, dtype=object)), index=groups[starts])


def careful(data: NationalData, *, radius_m: float, neighbour_min_ha: float
            ) -> dict[str, Any]:
    """Run the careful analyst's overlays; returns counts, totals and per-step seconds."""
    steps: dict[str, float] = {}

    def lap(name: str, t0: float) -> float:
        now = time.perf_counter()
        steps[name] = now - t0
        return now

    cpu0 = time.process_time()
    comms = data.communities
    is_point = (comms.geom_type == "Point").to_numpy()
    poly = comms.loc[~is_point, ["id", "geometry"]].reset_index(drop=True)
    pts = comms.loc[is_point, ["id", "geometry"]].reset_index(drop=True)
    conc = data.concessions[["code", "state", "geometry"]].reset_index(drop=True)
    terr = poly.geometry.values
    kgeo = conc.geometry.values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        terr_ha = geodesic_areas_ha(terr)
        t = lap("territory areas", t)

        ci, kj = conc.sindex.query(terr, predicate="intersects")
        pieces = shapely.intersection(np.asarray(terr)[ci], np.asarray(kgeo)[kj])
        ha = geodesic_areas_ha(pieces)
        keep = ha > 0
        ci, kj, pieces, ha = ci[keep], kj[keep], pieces[keep], ha[keep]
        share = ha / terr_ha[ci]
        t = lap("index query + intersection pairs", t)

        states = conc["state"].to_numpy()[kj]
        live = np.isin(states, PRESSURE_STATES)
        union_ha = _group_union_ha(ci[live], pieces[live])
        titled = _group_union_ha(ci[states == "titled"], pieces[states == "titled"])
        in_process = _group_union_ha(ci[states == "in_process"], pieces[states == "in_process"])
        t = lap("union_all per community", t)

        a, b = poly.sindex.query(terr, predicate="intersects")
        one_way = a < b
        a, b = a[one_way], b[one_way]
        nb_ha = geodesic_areas_ha(shapely.intersection(np.asarray(terr)[a], np.asarray(terr)[b]))
        ok = (nb_ha > 0) & (nb_ha >= neighbour_min_ha)
        n_neighbours = 2 * int(ok.sum())  # both directions, mirrored
        t = lap("neighbours (one direction)", t)

        wgeo = data.water.geometry.values
        wc_w, wc_c = poly.sindex.query(wgeo, predicate="intersects")
        wk_w, wk_k = conc.sindex.query(wgeo, predicate="intersects")
        w_comm = pd.DataFrame({"w": wc_w, "c": wc_c})
        w_conc = pd.DataFrame({"w": wk_w, "k": wk_k})
        w_risk = w_comm.merge(w_conc, on="w")
        t = lap("water (index queries)", t)

        near = 0
        lon = pts.geometry.x.to_numpy()
        for zone, sel in ((18, lon < -72.0), (19, lon >= -72.0)):
            crs = 32700 + zone
            p = pts[sel].to_crs(crs)
            k = conc.to_crs(crs)
            pi, pk = k.sindex.query(p.geometry.values, predicate="dwithin", distance=radius_m)
            dist = shapely.distance(p.geometry.values[pi], k.geometry.values[pk])
            near += int((dist <= radius_m).sum())
        t = lap("point-only (sindex dwithin)", t)

        cons = data.consultations.reset_index(drop=True)
        qa, qb = cons.sindex.query(terr, predicate="intersects")
        c_ha = geodesic_areas_ha(shapely.intersection(np.asarray(terr)[qa],
                                                      cons.geometry.values[qb]))
        pa, _ = cons.sindex.query(pts.geometry.values, predicate="intersects")
        lap("consultations", t)
    return {
        "cpu_s": time.process_time() - cpu0,
        "pairs": len(ci), "pairs_ha": float(ha.sum()), "share_sum": float(share.sum()),
        "union_ha": float(union_ha.sum()), "titled_ha": float(titled.sum()),
        "in_process_ha": float(in_process.sum()), "neighbours": n_neighbours,
        "water_in_communities": len(w_comm), "water_in_concessions": len(w_conc),
        "water_at_risk": len(w_risk), "proximity": near,
        "consultation": int((c_ha > 0).sum()) + len(pa),
        "seconds": sum(steps.values()), "steps": steps,
    }

