"""Raster statistics per community for ``layers.analysis``: terrain and land cover.

For the communities of a run (all, or the incremental selection) and the current DEM and
land-cover rasters (``layers.rasters.current_raster``) this computes, with
:mod:`geo.zonal` (geodesic pixel areas, pixel-centre rule):

* ``dem``: elevation min / mean / max of the territory, and of the part of the territory
  under the union of non-extinguished concessions (``in_concessions``);
* ``landcover``: hectares per land-cover class of the territory;
* ``landcover_in_concessions``: hectares per class under the union of non-extinguished
  concessions, and per concession.

Each becomes a ``community_stat`` row (kind ``dem`` / ``landcover`` /
``landcover_in_concessions``) carrying the raster's key, version and SHA-256, and the
per-community raster facts of :data:`geo.rule_facts.RASTER_FACTS` for the rule engine. Point-only
communities and territories outside the rasters get no rows; their facts stay unknown.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy.engine import Connection

from geo.overlay import PRESSURE_STATES
from geo.raster import LAND_COVER_CLASSES, RasterError
from geo.zonal import concession_pieces, landcover_in_pieces, zonal_stats
from layers.rasters import current_raster

__all__ = ["STAT_KINDS", "RasterStats", "compute_raster_stats"]

STAT_KINDS = ("dem", "landcover", "landcover_in_concessions")
WETLAND, GLACIER = "bofedal", "glaciar"  # keys of geo.raster.LAND_COVER_CLASSES


@dataclass
class RasterStats:
    """What the raster step produced for the communities of one run."""

    rows: list[dict[str, Any]] = field(default_factory=list)  # community_id, kind, stats
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)  # community_id -> facts

    def stat_rows(self, run_id: int) -> list[dict[str, Any]]:
        """``community_stat`` rows of this run (stats JSON-clean)."""
        return [{"run_id": run_id, "community_id": r["community_id"], "kind": r["kind"],
                 "stats": json.loads(json.dumps(r["stats"]))} for r in self.rows]


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f


def _raster_path(row: Mapping[str, Any]) -> Path:
    path = Path(str(row["file_path"]))
    if not path.exists():
        raise RasterError(
            "raster_file_missing",
            f"Falta el archivo del raster «{row['key']}» ({path}); vuelva a importarlo con "
            f"`allpa import raster ARCHIVO --kind {row['kind']} --key {row['key']}`.",
            f"The file of raster '{row['key']}' is missing ({path}); import it again with "
            f"`allpa import raster FILE --kind {row['kind']} --key {row['key']}`.",
        )
    return path


def _provenance(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"key": str(row["key"]), "vid": int(row["vid"]), "sha256": str(row["sha256"])}


def _source_label(row: Mapping[str, Any]) -> str:
    return f"{row['kind']}:{row['key']} v{row['vid']} sha256 {str(row['sha256'])[:12]}"


def _territories(communities: gpd.GeoDataFrame, ids: set[str] | None) -> gpd.GeoDataFrame:
    """Communities with a polygon territory (point-only ones have nothing to measure)."""
    comms = communities
    if ids is not None:
        comms = comms[comms["id"].astype(str).isin(ids)]
    poly = comms.geometry.notna() & comms.geom_type.isin(["Polygon", "MultiPolygon"])
    out = comms.loc[poly, ["id", comms.geometry.name]].copy()
    out["id"] = out["id"].astype(str)
    return gpd.GeoDataFrame(out, geometry=comms.geometry.name, crs=comms.crs or "EPSG:4326")


def _live_concessions(concessions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if concessions.empty:
        return concessions
    state = concessions["state"].fillna("unknown") if "state" in concessions else None
    live = concessions if state is None else concessions[state.isin(list(PRESSURE_STATES))]
    return live[live.geometry.notna() & ~live.geometry.is_empty]


def _pair_pieces(terr: gpd.GeoDataFrame, conc: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Territory ∩ each concession, one row per (community, concession) that overlaps."""
    geoms = np.asarray(conc.geometry.array)
    codes = conc["code"].astype(str).to_numpy()
    tree = shapely.STRtree(geoms)
    cids: list[str] = []
    kcodes: list[str] = []
    parts: list[Any] = []
    for cid, g in zip(terr["id"], terr.geometry, strict=True):
        for j in tree.query(g, predicate="intersects"):
            piece = g.intersection(geoms[j])
            if piece.is_empty or piece.area == 0:
                continue
            cids.append(str(cid))
            kcodes.append(str(codes[j]))
            parts.append(piece)
    frame = gpd.GeoDataFrame({"community_id": cids, "code": kcodes}, geometry=parts,
                             crs="EPSG:4326")
    frame["pair"] = [f"{c}\x1f{k}" for c, k in zip(cids, kcodes, strict=True)]
    return frame


def _class_ha(rec: Mapping[Any, Any]) -> dict[str, float]:
    keys = [cls.key for cls in LAND_COVER_CLASSES.values()] + ["other"]
    return {k: float(rec[f"ha_{k}"]) for k in keys if float(rec.get(f"ha_{k}", 0.0)) > 0}


def compute_raster_stats(conn: Connection, communities: gpd.GeoDataFrame,
                         concessions: gpd.GeoDataFrame,
                         community_ids: set[str] | None = None) -> RasterStats:
    """Raster rows and facts for ``community_ids`` (all communities when None)."""
    out = RasterStats()
    dem = current_raster(conn, "dem")
    lc = current_raster(conn, "landcover")
    if dem is None and lc is None:
        return out
    terr = _territories(communities, community_ids)
    sources = [_source_label(r) for r in (dem, lc) if r is not None]
    wanted = community_ids if community_ids is not None else set(
        communities["id"].astype(str))
    for cid in wanted:
        out.facts[cid] = {"raster_available": False}
    if terr.empty:
        return out
    conc = _live_concessions(concessions)
    union_pieces = (concession_pieces(terr, conc) if not conc.empty
                    else gpd.GeoDataFrame({"community_id": []}, geometry=[], crs="EPSG:4326"))
    has_pieces = set(union_pieces["community_id"].astype(str))

    def facts(cid: str) -> dict[str, Any]:
        return out.facts.setdefault(cid, {"raster_available": False})

    if dem is not None:
        path = _raster_path(dem)
        prov = _provenance(dem)
        zs = zonal_stats(path, terr, "id", kind="dem")
        under: dict[str, dict[str, Any]] = {}
        if not union_pieces.empty:
            zc = zonal_stats(path, union_pieces, "community_id", kind="dem")
            for rec in zc.to_dict("records"):
                if int(rec["count"]) > 0:
                    under[str(rec["community_id"])] = {
                        "elev_min": _num(rec["elev_min"]), "elev_mean": _num(rec["elev_mean"]),
                        "elev_max": _num(rec["elev_max"]), "ha_valid": _num(rec["ha_valid"]),
                        "coverage": _num(rec["coverage"])}
        for rec in zs.to_dict("records"):
            cid = str(rec["id"])
            if int(rec["count"]) == 0:
                continue
            stats = {"raster": prov, "count": int(rec["count"]), "ha_valid": _num(rec["ha_valid"]),
                     "coverage": _num(rec["coverage"]), "elev_min": _num(rec["elev_min"]),
                     "elev_mean": _num(rec["elev_mean"]), "elev_max": _num(rec["elev_max"]),
                     "in_concessions": under.get(cid)}
            out.rows.append({"community_id": cid, "kind": "dem", "stats": stats})
            f = facts(cid)
            f.update(raster_available=True, raster_sources=sources,
                     dem_coverage=stats["coverage"], territory_min_elevation_m=stats["elev_min"],
                     territory_mean_elevation_m=stats["elev_mean"],
                     territory_max_elevation_m=stats["elev_max"],
                     concession_max_elevation_m=(under[cid]["elev_max"] if cid in under
                                                 else None))

    if lc is not None:
        path = _raster_path(lc)
        prov = _provenance(lc)
        zs = zonal_stats(path, terr, "id", kind="landcover")
        covered: set[str] = set()
        for rec in zs.to_dict("records"):
            cid = str(rec["id"])
            if int(rec["count"]) == 0:
                continue
            covered.add(cid)
            ha = _class_ha(rec)
            stats = {"raster": prov, "count": int(rec["count"]), "ha_valid": _num(rec["ha_valid"]),
                     "coverage": _num(rec["coverage"]), "ha": ha}
            out.rows.append({"community_id": cid, "kind": "landcover", "stats": stats})
            f = facts(cid)
            f.update(raster_available=True, raster_sources=sources,
                     landcover_coverage=stats["coverage"], wetland_ha=ha.get(WETLAND, 0.0),
                     glacier_ha=ha.get(GLACIER, 0.0), wetland_in_concession_ha=0.0,
                     glacier_in_concession_ha=0.0, wetland_in_concession_codes=[])
        pieces = union_pieces[union_pieces["community_id"].astype(str).isin(covered)]
        if not pieces.empty:
            long = landcover_in_pieces(path, pieces)
            union_ha: dict[str, dict[str, float]] = {}
            for rec in long.to_dict("records"):
                d = union_ha.setdefault(str(rec["community_id"]), {})
                key = "other" if rec["class_key"] == "otro" else str(rec["class_key"])
                d[key] = d.get(key, 0.0) + float(rec["ha"])
            pairs = _pair_pieces(terr[terr["id"].isin(pieces["community_id"].astype(str))],
                                 conc)
            by_code: dict[str, dict[str, dict[str, float]]] = {}
            if not pairs.empty:
                zp = zonal_stats(path, pairs, "pair", kind="landcover")
                for (cid, code), rec in zip(zip(pairs["community_id"], pairs["code"],
                                                strict=True),
                                            zp.to_dict("records"), strict=True):
                    ha = _class_ha(rec)
                    if ha:
                        by_code.setdefault(str(cid), {})[str(code)] = ha
            for cid in sorted(has_pieces & covered):
                ha = union_ha.get(cid, {})
                stats = {"raster": prov, "ha": ha, "by_concession": by_code.get(cid, {})}
                out.rows.append({"community_id": cid, "kind": "landcover_in_concessions",
                                 "stats": stats})
                f = facts(cid)
                f.update(wetland_in_concession_ha=ha.get(WETLAND, 0.0),
                         glacier_in_concession_ha=ha.get(GLACIER, 0.0),
                         wetland_in_concession_codes=sorted(
                             k for k, v in by_code.get(cid, {}).items() if v.get(WETLAND)))
    out.rows.sort(key=lambda r: (r["community_id"], r["kind"]))
    return out


def stats_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Flat view of raster rows (notebooks): one row per community and kind."""
    return pd.json_normalize(rows)
