"""What an analysis run depends on, and the run that has nothing to do.

An analysis run records a *fingerprint* (rule files, evaluation day, settings, rasters) and
the highest version of every input table. When neither has moved and no version was closed
since the last run, the derived layers are already right: ``allpa analyze`` then records a
run of zero communities straight away, with plain SQL on one psycopg connection, without
loading geopandas, SQLAlchemy or the rule engine (issue: start-up dominated the incremental
run a user waits for).

Everything here takes a ``Query`` (SQL with ``%(name)s`` parameters → rows) so that the full
analysis, on its SQLAlchemy connection, and the fast path compute the same fingerprint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from geo.catalog import CATALOG
from geo.rule_files import RULE_COUNTRIES, country_rule_file

if TYPE_CHECKING:
    from layers.config import Settings

#: SQL (``%(name)s`` parameters) → result rows.
Query = Callable[[str, Mapping[str, Any]], Sequence[Sequence[Any]]]

#: Input tables whose changes make communities' derived rows stale (table → geometry SQL).
#: From the catalog (``tracked_by_analysis``).
TRACKED_GEOMETRY = {
    layer.table: layer.tracked_geometry_sql for layer in CATALOG.values()
    if layer.tracked_by_analysis
}


@dataclass
class RunSummary:
    run_id: int
    mode: str
    communities: int
    overlaps: int
    flags: int
    seconds: float
    affected: list[str] = field(default_factory=list)


def rules_fingerprint() -> str:
    """SHA-256 over every country's rule file: an edited rule makes the next run a full one."""
    digest = hashlib.sha256()
    for country in sorted(RULE_COUNTRIES):
        path = country_rule_file(country)
        assert path is not None
        digest.update(path.read_bytes())
    return digest.hexdigest()


def raster_versions(query: Query) -> dict[str, dict[str, Any]]:
    """The current raster of each kind (key, version, SHA-256)."""
    rows = query("SELECT DISTINCT ON (kind) kind, key, vid, sha256 FROM raster_layer "
                 "WHERE valid_to IS NULL ORDER BY kind, vid DESC", {})
    return {str(kind): {"key": str(key), "vid": int(vid), "sha256": str(sha)}
            for kind, key, vid, sha in rows}


def fingerprint(query: Query, settings: Settings, today: dt.date) -> dict[str, Any]:
    """Everything besides the input rows that a run's results depend on."""
    return {"rules": rules_fingerprint(), "today": today.isoformat(),
            "radius_m": settings.point_radius_m,
            "neighbour_min_ha": settings.neighbour_overlap_min_ha,
            "lead_days": settings.statute_lead_days,
            "rasters": raster_versions(query)}


def input_versions(query: Query) -> dict[str, int]:
    """Highest vid of each input table, in one round trip (each max() is an index probe)."""
    names = [*TRACKED_GEOMETRY, "raster_layer"]
    sql = "SELECT " + ", ".join(f"(SELECT coalesce(max(vid), 0) FROM {n})" for n in names)
    row = query(sql, {})[0]
    return {name: int(row[i]) for i, name in enumerate(names)}


def last_run(query: Query) -> dict[str, Any] | None:
    """The newest finished run: id, start, input versions and fingerprint."""
    rows = query("SELECT id, started_at, input_versions, settings FROM analysis_run "
                 "WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1", {})
    if not rows:
        return None
    run_id, started_at, versions, fp = rows[0]
    return {"id": run_id, "started_at": started_at, "input_versions": _json(versions),
            "settings": _json(fp)}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def closed_since(query: Query, since: dt.datetime) -> bool:
    """Was any input version closed (a withdrawal, an edit) after ``since``?"""
    probes = " OR ".join(
        f"EXISTS (SELECT 1 FROM {name} WHERE valid_to IS NOT NULL AND valid_to >= %(since)s)"
        for name in TRACKED_GEOMETRY)
    return bool(query(f"SELECT {probes}", {"since": since})[0][0])


def record_empty_run(query: Query, *, recorded_by: str, versions: Mapping[str, int],
                     fp: Mapping[str, Any], seconds: float) -> int:
    rows = query(
        "INSERT INTO analysis_run (mode, recorded_by, input_versions, settings, finished_at, "
        "communities, seconds) VALUES ('incremental', %(by)s, %(versions)s::jsonb, "
        "%(fp)s::jsonb, now(), 0, %(seconds)s) RETURNING id",
        {"by": recorded_by, "versions": json.dumps(versions), "fp": json.dumps(fp),
         "seconds": seconds})
    return int(rows[0][0])


def run_if_nothing_to_do(query: Query, settings: Settings, *, recorded_by: str,
                         today: dt.date) -> RunSummary | None:
    """Record and return an empty incremental run when nothing changed since the last one;
    None when there is work (or no earlier run), for the full machinery to do."""
    started = time.perf_counter()
    last = last_run(query)
    if last is None:
        return None
    fp = fingerprint(query, settings, today)
    versions = input_versions(query)
    if fp != last["settings"] or versions != last["input_versions"]:
        return None
    if closed_since(query, last["started_at"]):
        return None
    seconds = time.perf_counter() - started
    run_id = record_empty_run(query, recorded_by=recorded_by, versions=versions, fp=fp,
                              seconds=seconds)
    return RunSummary(run_id=run_id, mode="incremental", communities=0, overlaps=0, flags=0,
                      seconds=seconds)


def quick_incremental_run(settings: Settings, *, recorded_by: str,
                          today: dt.date) -> RunSummary | None:
    """The empty run on a plain psycopg connection, when the schema is current and nothing
    changed; None otherwise (the caller then runs the real analysis, which migrates first)."""
    import psycopg

    from layers import cluster, migrate

    cluster.up(settings)
    with psycopg.connect(cluster.settings_admin_dsn(settings, settings.db_name)) as conn:
        def query(sql: str, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
            cur = conn.execute(sql, dict(params))
            return cur.fetchall() if cur.description else []

        try:
            schema = query("SELECT version_num FROM alembic_version", {})
        except psycopg.errors.UndefinedTable:
            return None
        if [r[0] for r in schema] != [migrate.head_revision()]:
            return None
        return run_if_nothing_to_do(query, settings, recorded_by=recorded_by, today=today)
