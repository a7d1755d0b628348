"""Derived layers: load current layers, run ``geo`` overlays and flag rules, store results.

Incremental by default: only communities touched by what changed since the last run are
recomputed (old and new geometries of changed concessions, water sources, consultations and
communities, including neighbours and point-only communities within the search radius).
The result equals a full recompute; ``tests/layers/test_analysis_db.py`` checks that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo import flags as flag_engine
from geo.overlay import AnalysisResult, analyse
from layers import communities, concessions, consultations, water
from layers.base import read_rows
from layers.config import Settings
from layers.derived_tables import analysis_run, community_stat, flag, overlap
from layers.versioning import copy_rows

TRACKED = {
    "community": communities.community,
    "concession": concessions.concession,
    "water_source": water.water_source,
    "consultation": consultations.consultation,
}
GEOMETRY_SQL = {
    "community": "coalesce(territory, location)",
    "concession": "geom",
    "water_source": "geom",
    "consultation": "geom",
}


@dataclass
class Inputs:
    """The current layers as canonical GeoDataFrames (what ``geo`` consumes)."""

    communities: gpd.GeoDataFrame
    concessions: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    consultations: gpd.GeoDataFrame


@dataclass
class RunSummary:
    run_id: int
    mode: str
    communities: int
    overlaps: int
    flags: int
    seconds: float
    affected: list[str] = field(default_factory=list)


def load_inputs(conn: Connection, as_of: dt.date | dt.datetime | None = None) -> Inputs:
    """Read the four input layers (current or as of a date) for analysis or notebooks."""
    return Inputs(
        communities=read_rows(conn, communities.SPEC, as_of=as_of,
                              geometry_sql=communities.geometry_expression(),
                              with_lifespan=False),
        concessions=read_rows(conn, concessions.SPEC, as_of=as_of, with_lifespan=False),
        water=read_rows(conn, water.SPEC, as_of=as_of, with_lifespan=False),
        consultations=read_rows(conn, consultations.SPEC, as_of=as_of, with_lifespan=False),
    )


def _rules_fingerprint(countries: list[str]) -> str:
    digest = hashlib.sha256()
    for country in sorted(countries):
        path = flag_engine.rules_path(country)
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def _input_versions(conn: Connection) -> dict[str, int]:
    return {name: int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.vid), 0)))
                      .scalar_one())
            for name, t in TRACKED.items()}


def _last_run(conn: Connection) -> dict[str, Any] | None:
    row = conn.execute(sa.select(analysis_run).where(analysis_run.c.finished_at.is_not(None))
                       .order_by(analysis_run.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def affected_communities(conn: Connection, since_versions: dict[str, int],
                         since: dt.datetime, radius_m: float) -> set[str]:
    """Communities whose derived rows may differ from the last run's.

    A change is a version inserted after the last run (vid above its recorded maximum) or a
    version closed after it started; both the old and the new geometry count.
    """
    changed_geoms: list[str] = []
    params: dict[str, Any] = {"since": since}
    for name in TRACKED:
        params[f"v_{name}"] = since_versions.get(name, 0)
        changed_geoms.append(
            f"SELECT {GEOMETRY_SQL[name]} AS g FROM {name} "
            f"WHERE vid > :v_{name} OR (valid_to IS NOT NULL AND valid_to >= :since)"
        )
    union = " UNION ALL ".join(changed_geoms)
    params["radius"] = radius_m
    sql = f"""
        WITH changed AS ({union}),
        changed_communities AS (
            SELECT id FROM community
            WHERE vid > :v_community OR (valid_to IS NOT NULL AND valid_to >= :since)
        )
        SELECT c.id FROM community c
        WHERE c.valid_to IS NULL AND (
            c.id IN (SELECT id FROM changed_communities)
            OR EXISTS (SELECT 1 FROM changed ch WHERE ch.g && c.territory
                       AND ST_Intersects(ch.g, c.territory))
            OR (c.territory IS NULL AND EXISTS (
                SELECT 1 FROM changed ch
                WHERE ST_DWithin(ch.g::geography, c.location::geography, :radius)))
        )
    """
    return {str(r[0]) for r in conn.execute(sa.text(sql), params)}


def _countries(inputs: Inputs) -> list[str]:
    values = inputs.communities.get("country")
    found = {str(c).upper() for c in values.dropna()} if values is not None else set()
    return sorted(found & {"PE", "BO"}) or ["PE"]


def evaluate_flags(inputs: Inputs, result: AnalysisResult, *, today: dt.date,
                   lead_days: int, community_ids: set[str] | None = None
                   ) -> list[flag_engine.Flag]:
    """Run each country's rule file over its communities."""
    found: list[flag_engine.Flag] = []
    comms = inputs.communities
    if community_ids is not None:
        comms = comms[comms["id"].astype(str).isin(community_ids)]
    country = comms["country"].fillna("PE").str.upper()
    for code in _countries(inputs):
        subset = comms[country == code]
        if subset.empty:
            continue
        rules = flag_engine.load_rules(code)
        found.extend(flag_engine.evaluate(rules, subset, result, inputs.consultations,
                                          today=today, lead_days=lead_days))
    return flag_engine.rank_flags(found)


def _overlap_rows(result: AnalysisResult, run_id: int) -> list[dict[str, Any]]:
    frame = result.overlap_rows()
    rows = []
    for rec in frame.to_dict("records"):
        rows.append({
            "run_id": run_id, "community_id": rec["community_id"],
            "other_kind": rec["other_kind"], "other_id": str(rec["other_id"]),
            "intersection_ha": None if pd.isna(rec["intersection_ha"])
            else float(rec["intersection_ha"]),
            "share": None if pd.isna(rec["share"]) else float(rec["share"]),
            "estimate": bool(rec["estimate"]), "details": rec["details"] or {},
        })
    return rows


def _flag_rows(found: list[flag_engine.Flag], run_id: int) -> list[dict[str, Any]]:
    return [{
        "run_id": run_id, "community_id": f.community_id, "rule_id": f.rule_id,
        "severity": f.severity, "rank": rank, "message_es": f.message_es,
        "message_en": f.message_en, "action_es": f.action_es, "action_en": f.action_en,
        "legal_ref": f.legal_ref, "evidence": json.loads(json.dumps(f.evidence, default=str)),
        "due_date": f.due_date,
    } for rank, f in enumerate(found, start=1)]


def _pressure_rows(result: AnalysisResult, run_id: int) -> list[dict[str, Any]]:
    rows = []
    for rec in result.pressure.to_dict("records"):
        stats = {k: (None if isinstance(v, float) and pd.isna(v) else v)
                 for k, v in rec.items() if k != "community_id"}
        rows.append({"run_id": run_id, "community_id": rec["community_id"],
                     "kind": "pressure", "stats": json.loads(json.dumps(stats, default=float))})
    return rows


def _close_current(conn: Connection, ids: set[str] | None) -> None:
    for table in (overlap, flag, community_stat):
        query = sa.update(table).where(table.c.valid_to.is_(None))
        if table is community_stat:
            query = query.where(table.c.kind == "pressure")
        if ids is not None:
            query = query.where(table.c.community_id.in_(sorted(ids)))
        conn.execute(query.values(valid_to=sa.func.now()))


def run_analysis(conn: Connection, settings: Settings, *, recorded_by: str,
                 full: bool = False, today: dt.date | None = None) -> RunSummary:
    """Recompute derived layers (incrementally unless ``full``) inside the caller's transaction."""
    started = time.perf_counter()
    today = today or dt.date.today()
    inputs = load_inputs(conn)
    countries = _countries(inputs)
    fingerprint = {"rules": _rules_fingerprint(countries), "today": today.isoformat(),
                   "radius_m": settings.point_radius_m,
                   "neighbour_min_ha": settings.neighbour_overlap_min_ha,
                   "lead_days": settings.statute_lead_days}
    last = None if full else _last_run(conn)
    incremental = last is not None and last["settings"] == fingerprint
    selected: set[str] | None = None
    if incremental and last is not None:
        selected = affected_communities(conn, last["input_versions"], last["started_at"],
                                        settings.point_radius_m)
    versions = _input_versions(conn)
    run_id = int(conn.execute(sa.insert(analysis_run).values(
        mode="incremental" if incremental else "full", recorded_by=recorded_by,
        input_versions=versions, settings=fingerprint).returning(analysis_run.c.id)).scalar_one())
    n_overlaps = n_flags = 0
    if selected is None or selected:
        result = analyse(inputs.communities, inputs.concessions, inputs.water,
                         inputs.consultations, radius_m=settings.point_radius_m,
                         neighbour_min_ha=settings.neighbour_overlap_min_ha,
                         community_ids=selected)
        found = evaluate_flags(inputs, result, today=today, lead_days=settings.statute_lead_days,
                               community_ids=selected)
        _close_current(conn, selected)
        overlap_rows = _overlap_rows(result, run_id)
        flag_rows = _flag_rows(found, run_id)
        copy_rows(conn, overlap, overlap_rows, list(overlap_rows[0]) if overlap_rows else [])
        copy_rows(conn, flag, flag_rows, list(flag_rows[0]) if flag_rows else [])
        stat_rows = _pressure_rows(result, run_id)
        copy_rows(conn, community_stat, stat_rows, list(stat_rows[0]) if stat_rows else [])
        n_overlaps, n_flags = len(overlap_rows), len(flag_rows)
    seconds = time.perf_counter() - started
    n_comms = len(inputs.communities) if selected is None else len(selected)
    conn.execute(sa.update(analysis_run).where(analysis_run.c.id == run_id).values(
        finished_at=sa.func.now(), communities=n_comms, seconds=seconds))
    return RunSummary(run_id=run_id, mode="incremental" if incremental else "full",
                      communities=n_comms, overlaps=n_overlaps, flags=n_flags,
                      seconds=seconds, affected=sorted(selected or []))

