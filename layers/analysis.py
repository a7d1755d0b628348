"""Derived layers: load current layers, run ``geo`` overlays and flag rules, store results.

Incremental by default: only communities touched by what changed since the last run are
recomputed (old and new geometries of changed concessions, water sources, consultations and
communities, including neighbours and point-only communities within the search radius).
The result equals a full recompute; ``tests/layers/test_analysis_db.py`` checks that.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import itertools
import json
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import geopandas as gpd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo import flags as flag_engine
from geo.flag_rank import rank_flags, rank_key
from geo.overlay import AnalysisResult
from geo.rule_files import RULE_COUNTRIES, RuleSet, load_rules
from layers import analysis_state, communities, concessions, consultations, raster_analysis, water
from layers.analysis_backend import partition_outputs
from layers.analysis_state import TRACKED_GEOMETRY, RunSummary
from layers.base import read_rows
from layers.config import Settings
from layers.derived_tables import analysis_run, community_stat, flag, overlap
from layers.pgcopy import copy_text


@dataclass
class Inputs:
    """The current layers as canonical GeoDataFrames (what ``geo`` consumes)."""

    communities: gpd.GeoDataFrame
    concessions: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    consultations: gpd.GeoDataFrame


#: The only columns of concessions and water the overlays, rules and raster statistics read
#: (a national run need not hold holders' names and the like in memory).
LEAN_COLUMNS = {"concessions": ["code", "state"], "water": ["id", "kind"]}


def load_inputs(conn: Connection, as_of: dt.date | dt.datetime | None = None, *,
                lean: bool = False) -> Inputs:
    """Read the four input layers (current or as of a date) for analysis or notebooks
    (``lean``: concessions and water with :data:`LEAN_COLUMNS` only)."""
    return Inputs(
        communities=read_rows(conn, communities.SPEC, as_of=as_of,
                              geometry_sql=communities.geometry_expression(),
                              with_lifespan=False),
        concessions=read_rows(conn, concessions.SPEC, as_of=as_of, with_lifespan=False,
                              columns=LEAN_COLUMNS["concessions"] if lean else None),
        water=read_rows(conn, water.SPEC, as_of=as_of, with_lifespan=False,
                        columns=LEAN_COLUMNS["water"] if lean else None),
        consultations=read_rows(conn, consultations.SPEC, as_of=as_of, with_lifespan=False),
    )


def load_selected_inputs(conn: Connection, community_ids: set[str], radius_m: float) -> Inputs:
    """What an incremental run over ``community_ids`` needs, read through the GiST indexes.

    The selected communities and every community whose territory box meets theirs (for
    neighbour overlaps); concessions meeting their territories' boxes, or a box around a
    point-only community that contains the degree box :func:`geo.overlay.analyse` searches
    within ``radius_m``; water meeting their territories' boxes; all consultations. Supersets
    of what the overlays can touch, so the rows equal those of a full load (the layers keep
    their key order).
    """
    ids = sorted(community_ids)
    sel = communities.community.alias("sel")
    chosen = (sel.c.valid_to.is_(None), sel.c.id.in_(ids))
    dlat = radius_m / 110_574.0 * 1.02
    lat = sa.func.abs(sa.func.ST_Y(sel.c.location)) + dlat
    dlon = radius_m / (111_319.0 * sa.func.greatest(sa.func.cos(sa.func.radians(lat)), 1e-6)) * 1.02
    reach = sa.case((sel.c.territory.is_(None), sa.func.ST_Expand(sel.c.location, dlon, dlat)),
                    else_=sel.c.territory)

    def near(table: sa.Table, column: str, box: Any) -> sa.ColumnElement[bool]:
        """Current rows of ``table`` whose ``column`` box meets ``box`` of a selected one."""
        other = table.alias()
        vids = (sa.select(other.c.vid)
                .select_from(sel.join(other, box.op("&&")(other.c[column])))
                .where(*chosen, other.c.valid_to.is_(None)))
        return table.c.vid.in_(vids)

    c = communities.community
    themselves = sa.select(c.c.vid).where(c.c.valid_to.is_(None), c.c.id.in_(ids))
    return Inputs(
        communities=read_rows(conn, communities.SPEC,
                              where=[sa.or_(c.c.vid.in_(themselves),
                                            near(c, "territory", sel.c.territory))],
                              geometry_sql=communities.geometry_expression(),
                              with_lifespan=False),
        concessions=read_rows(conn, concessions.SPEC,
                              where=[near(concessions.concession, "geom", reach)],
                              with_lifespan=False, columns=LEAN_COLUMNS["concessions"]),
        water=read_rows(conn, water.SPEC,
                        where=[near(water.water_source, "geom", sel.c.territory)],
                        with_lifespan=False, columns=LEAN_COLUMNS["water"]),
        consultations=read_rows(conn, consultations.SPEC, with_lifespan=False),
    )


def _query(conn: Connection) -> analysis_state.Query:
    """``analysis_state``'s SQL runner on this SQLAlchemy connection (psycopg paramstyle)."""
    return lambda sql, params: conn.exec_driver_sql(sql, dict(params)).all()


def affected_communities(conn: Connection, since_versions: dict[str, int],
                         since: dt.datetime, radius_m: float) -> set[str]:
    """Communities whose derived rows may differ from the last run's.

    A change is a version inserted after the last run (vid above its recorded maximum) or a
    version closed after it started; both the old and the new geometry count. Changed
    communities are returned even when no current version is left (withdrawn), so that
    their derived rows are closed.
    """
    changed_geoms: list[str] = []
    params: dict[str, Any] = {"since": since}
    for name, geometry in TRACKED_GEOMETRY.items():
        params[f"v_{name}"] = since_versions.get(name, 0)
        # two index scans (primary key range, partial index on closed versions) rather
        # than one sequential scan with OR; a row in both only repeats its geometry
        changed_geoms.append(
            f"SELECT {geometry} AS g FROM {name} WHERE vid > :v_{name} "
            f"UNION ALL SELECT {geometry} AS g FROM {name} "
            f"WHERE valid_to IS NOT NULL AND valid_to >= :since"
        )
    union = " UNION ALL ".join(changed_geoms)
    params["radius"] = radius_m
    params["dlat"] = radius_m / 110_574.0 * 1.02  # degree box around the radius (filter only)
    # driven by the (few) changed geometries through the GiST indexes of community
    sql = f"""
        WITH changed AS MATERIALIZED ({union})
        SELECT id FROM community WHERE vid > :v_community
        UNION
        SELECT id FROM community WHERE valid_to IS NOT NULL AND valid_to >= :since
        UNION
        SELECT c.id FROM changed ch JOIN community c
          ON c.territory && ch.g AND ST_Intersects(ch.g, c.territory)
        WHERE c.valid_to IS NULL
        UNION
        SELECT c.id FROM changed ch JOIN community c
          ON c.location && ST_Expand(ch.g, :radius / (111319.0 * greatest(cos(radians(
                 greatest(abs(ST_YMin(ch.g)), abs(ST_YMax(ch.g))) + :dlat)), 1e-6)) * 1.02,
                 :dlat)
         AND ST_DWithin(ch.g::geography, c.location::geography, :radius)
        WHERE c.valid_to IS NULL AND c.territory IS NULL
    """
    return {str(r[0]) for r in conn.execute(sa.text(sql), params)}


def _load_rulesets() -> dict[str, RuleSet | None]:
    """Every country's rules, parsed ahead (in a thread while the run waits on PostgreSQL);
    a file that fails to load is None here and fails again, as before, where it is used."""
    out: dict[str, RuleSet | None] = {}
    for code in RULE_COUNTRIES:
        try:
            out[code] = load_rules(code)
        except Exception:  # reported again by evaluate_flags where it is used
            out[code] = None
    return out


def _countries(inputs: Inputs) -> list[str]:
    values = inputs.communities.get("country")
    found = {str(c).upper() for c in values.dropna().tolist()} if values is not None else set()
    return sorted(found & {"PE", "BO"}) or ["PE"]


def evaluate_flags(inputs: Inputs, result: AnalysisResult, *, today: dt.date,
                   lead_days: int, community_ids: set[str] | None = None,
                   extra_facts: dict[str, dict[str, Any]] | None = None,
                   rulesets: Mapping[str, RuleSet | None] | None = None,
                   ranked: bool = True) -> list[flag_engine.Flag]:
    """Run each country's rule file over its communities (``rulesets``: already loaded
    rule files by country code; missing or None ones are loaded here), ranked unless
    ``ranked`` is False (a run ranks all its partitions' flags once, at the end)."""
    found: list[flag_engine.Flag] = []
    comms = inputs.communities
    if community_ids is not None:
        comms = comms[comms["id"].astype(str).isin(community_ids)]
    country = comms["country"].fillna("PE").str.upper()
    for code in _countries(inputs):
        subset = comms[country == code]
        if subset.empty:
            continue
        rules = (rulesets or {}).get(code) or load_rules(code)
        found.extend(flag_engine.evaluate(rules, subset, result, inputs.consultations,
                                          today=today, lead_days=lead_days,
                                          extra_facts=extra_facts, ranked=False))
    return rank_flags(found) if ranked else found


def flags_for(conn: Connection, inputs: Inputs, result: AnalysisResult, settings: Settings,
              *, today: dt.date) -> list[flag_engine.Flag]:
    """The flags a full run stores for ``inputs`` analysed as ``result``, ranked: the same
    rules and the same raster facts (DEM, land cover) as :func:`run_analysis`, for
    notebooks and checks that compute outside a run."""
    rasters = raster_analysis.compute_raster_stats(conn, inputs.communities, inputs.concessions)
    return evaluate_flags(inputs, result, today=today, lead_days=settings.statute_lead_days,
                          extra_facts=rasters.facts)


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nan_to_none(v) for v in value]
    return value


_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=str)


def _json_text(value: Any) -> str:
    """JSON for a JSONB column (NaN becomes null; dates and other objects as text)."""
    try:
        return _JSON.encode(value)
    except ValueError:
        return json.dumps(_nan_to_none(value), ensure_ascii=False, default=str)


def _float_or_none(values: list[Any]) -> list[float | None]:
    return [None if v is None or v != v else float(v) for v in values]


_COPY_SPECIAL = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(values: list[str]) -> list[str]:
    """Text fields for COPY's text format (backslash, tab and newlines escaped)."""
    joined = "".join(values)
    if not any(ch in joined for ch in "\\\t\n\r"):
        return values
    return [v.translate(_COPY_SPECIAL) for v in values]


def _copy_float(values: list[Any]) -> list[str]:
    return ["\\N" if v is None or v != v else repr(float(v)) for v in values]


def _overlap_payload(result: AnalysisResult, run_id: int) -> tuple[list[str], str, int]:
    """The overlap rows as one COPY text payload, built column-wise.

    100,000s of rows at national scale: one joined string costs a fraction of row-by-row
    ``write_row`` calls, and sending it leaves the GIL to the flag rules meanwhile.
    """
    frame = result.overlap_rows()
    memo: dict[tuple[Any, ...], str] = {}

    def details(d: dict[str, Any] | None) -> str:
        if not d:
            return "{}"
        try:
            key = tuple(d.items())
            text = memo.get(key)
            if text is None:
                text = memo[key] = _json_text(d)
            return text
        except TypeError:  # unhashable values
            return _json_text(d)

    columns = ["run_id", "community_id", "other_kind", "other_id", "intersection_ha", "share",
               "estimate", "details"]
    n = len(frame)
    fields = [
        [str(run_id)] * n,
        _copy_text(frame["community_id"].astype(str).tolist()),
        _copy_text(frame["other_kind"].astype(str).tolist()),
        _copy_text(frame["other_id"].astype(str).tolist()),
        _copy_float(frame["intersection_ha"].tolist()),
        _copy_float(frame["share"].tolist()),
        ["t" if v else "f" for v in frame["estimate"].tolist()],
        _copy_text([details(d) for d in frame["details"].tolist()]),
    ]
    payload = "".join(line + "\n" for line in map("\t".join, zip(*fields, strict=True)))
    return columns, payload, n


def _copy_payload(conn: Connection, table: sa.Table, data: tuple[list[str], str, int]) -> int:
    """COPY a text-format payload into ``table``; returns the row count."""
    columns, payload, n = data
    if not n:
        return 0
    copy_text(conn, table.name, columns, payload)
    return n


Rows = tuple[list[str], list[tuple[Any, ...]]]
FLAG_COLUMNS = ["run_id", "community_id", "rule_id", "severity", "message_es", "message_en",
                "action_es", "action_en", "legal_ref", "evidence", "due_date", "rank"]
RankedLine = tuple[tuple[Any, ...], str]


def _flag_lines(found: list[flag_engine.Flag], run_id: int) -> list[RankedLine]:
    """Flags as COPY text lines without their rank (the last column), with their rank key.

    ``rank`` is the position within this run's flags, known only when every partition is
    done; the text lines (not the Flag objects) wait for it. A global ranking over all
    current flags is a read-time ordering (:func:`geo.flag_rank.rank_flags`), not a stored
    fact: renumbering unchanged rows after an incremental run would rewrite history.
    Built column by column (the escaping of a column is skipped when nothing needs it).
    """
    n = len(found)
    fields = [
        [str(run_id)] * n,
        *(_copy_texts([getattr(f, name) for f in found]) for name in (
            "community_id", "rule_id", "severity", "message_es", "message_en", "action_es",
            "action_en", "legal_ref")),
        _copy_texts([_json_text(f.evidence) for f in found]),
        ["\\N" if f.due_date is None else _copy_field(f.due_date) for f in found],
    ]
    return list(zip(map(rank_key, found), map("\t".join, zip(*fields, strict=True)),
                    strict=True))


def _copy_texts(values: list[Any]) -> list[str]:
    """:func:`_copy_field` of every value of a column of text (None as NULL)."""
    if all(type(v) is str for v in values):
        return _copy_text(values)
    return [_copy_field(v) for v in values]


def _copy_ranked(conn: Connection, lines: list[RankedLine], chunk: int = 5_000) -> int:
    """COPY flag lines in rank order, numbering them from 1, a chunk at a time."""
    if not lines:
        return 0
    lines.sort(key=lambda kl: kl[0])
    copy_text(conn, flag.name, FLAG_COLUMNS, (
        "".join(f"{text}\t{rank}\n" for rank, (_, text) in enumerate(
            lines[lo:lo + chunk], start=lo + 1)) for lo in range(0, len(lines), chunk)))
    return len(lines)


def _copy_field(value: Any) -> str:
    """One value in COPY's text format (None as NULL, dates in ISO form)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    # str.translate walks the text character by character in Python's mapping protocol:
    # the ~1 KB flag messages rarely need it, and ``in`` scans are C-speed
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_SPECIAL)
    return text


def _tuples_payload(data: Rows) -> tuple[list[str], str, int]:
    """Rows as one COPY text payload (what :func:`_copy_payload` sends)."""
    columns, rows = data
    payload = "".join("\t".join(map(_copy_field, row)) + "\n" for row in rows)
    return columns, payload, len(rows)


def _pressure_rows(result: AnalysisResult, run_id: int) -> list[dict[str, Any]]:
    frame = result.pressure
    names = [str(c) for c in frame.columns if c != "community_id"]
    rows = []
    for cid, *values in zip(frame["community_id"].tolist(),
                            *(frame[c].tolist() for c in names), strict=True):
        stats = {k: (None if isinstance(v, float) and v != v else v)
                 for k, v in zip(names, values, strict=True)}
        rows.append({"run_id": run_id, "community_id": cid, "kind": "pressure",
                     "stats": stats})
    return rows


def _stat_payload(result: AnalysisResult, raster_rows: list[dict[str, Any]],
                  run_id: int) -> tuple[list[str], str, int]:
    """The pressure statistics of ``result``'s communities and their raster statistics
    (``raster_rows``) as one COPY payload."""
    rows = _pressure_rows(result, run_id) + raster_rows
    return _tuples_payload((["run_id", "community_id", "kind", "stats"], [
        (r["run_id"], r["community_id"], r["kind"], _json_text(r["stats"])) for r in rows]))


def _copy_payloads(conn: Connection,
                   payloads: list[tuple[sa.Table, tuple[list[str], str, int]]]) -> int:
    """COPY several payloads in turn; returns the row count of the first (the overlaps)."""
    counts = [_copy_payload(conn, table, data) for table, data in payloads]
    return counts[0]


def _close_current(conn: Connection, ids: set[str] | None) -> None:
    """Close the current derived rows (of ``ids``, or all) of the three tables in one
    statement: one round trip instead of three, which counts in a small incremental run."""
    params: dict[str, Any] = {"kinds": ["pressure", *raster_analysis.STAT_KINDS]}
    where = "valid_to IS NULL"
    if ids is not None:
        where += " AND community_id = ANY(:ids)"
        params["ids"] = sorted(ids)
    conn.execute(sa.text(f"""
        WITH o AS (UPDATE overlap SET valid_to = now() WHERE {where} RETURNING 1),
             f AS (UPDATE flag SET valid_to = now() WHERE {where} RETURNING 1),
             s AS (UPDATE community_stat SET valid_to = now()
                   WHERE {where} AND kind = ANY(:kinds) RETURNING 1)
        SELECT (SELECT count(*) FROM o), (SELECT count(*) FROM f), (SELECT count(*) FROM s)
    """), params)


Payload = tuple[list[str], str, int]


@dataclass
class _PartOutput:
    """One partition's rows as COPY text (overlaps, statistics) and its unranked flags."""

    overlaps: Payload
    stats: Payload
    flags: list[RankedLine]


def _partition_output(result: AnalysisResult, *, inputs: Inputs, run_id: int,
                      today: dt.date, lead_days: int, facts: dict[str, dict[str, Any]],
                      rulesets: Mapping[str, RuleSet | None],
                      raster_rows: Mapping[str, list[dict[str, Any]]]) -> _PartOutput:
    """Flags and COPY text of one partition: pure, so it can run in a forked worker."""
    part_ids = set(result.communities["community_id"].astype(str).tolist())
    found = evaluate_flags(inputs, result, today=today, lead_days=lead_days,
                           community_ids=part_ids, extra_facts=facts, rulesets=rulesets,
                           ranked=False)
    return _PartOutput(
        overlaps=_overlap_payload(result, run_id),
        stats=_stat_payload(result, [r for c in sorted(part_ids)
                                     for r in raster_rows.get(c, [])], run_id),
        flags=_flag_lines(found, run_id))


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Suspend the cyclic garbage collector for the duration of a run.

    A run allocates millions of short-lived, acyclic objects (fact dicts, COPY fields,
    shapely geometries); each allocation burst triggers generation-2 collections that walk
    every live object of the process (the loaded layers included), ~30 % of a full run.
    Reference counting still frees everything; the few cycles left are collected when the
    collector is re-enabled.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_analysis(conn: Connection, settings: Settings, *, recorded_by: str,
                 full: bool = False, today: dt.date | None = None) -> RunSummary:
    """Recompute derived layers (incrementally unless ``full``) inside the caller's transaction."""
    with _no_cyclic_gc(), ThreadPoolExecutor(1) as background:
        return _run_analysis(conn, settings, background, recorded_by=recorded_by, full=full,
                             today=today)


def _run_analysis(conn: Connection, settings: Settings, background: ThreadPoolExecutor, *,
                  recorded_by: str, full: bool, today: dt.date | None) -> RunSummary:
    started = time.perf_counter()
    rules_ahead = background.submit(_load_rulesets)
    today = today or dt.date.today()
    # index-driven queries and bulk COPY: JIT compilation would only add ~0.4 s per query
    jit = conn.execute(sa.text("SELECT current_setting('jit')")).scalar_one()
    conn.execute(sa.text("SELECT set_config('jit', 'off', true)"))
    # every country's rule file (not only those of the current communities): no scan of
    # the communities, and a change to any file still makes the next run a full one
    query = _query(conn)
    fingerprint = analysis_state.fingerprint(query, settings, today)
    last = None if full else analysis_state.last_run(query)
    incremental = last is not None and last["settings"] == fingerprint
    selected: set[str] | None = None
    if incremental and last is not None:
        selected = affected_communities(conn, last["input_versions"], last["started_at"],
                                        settings.point_radius_m)
    # before reading: a commit made while this run reads is seen by the next run
    versions = analysis_state.input_versions(query)
    inputs = (load_inputs(conn, lean=True) if selected is None
              else load_selected_inputs(conn, selected, settings.point_radius_m))
    run_id = int(conn.execute(sa.insert(analysis_run).values(
        mode="incremental" if incremental else "full", recorded_by=recorded_by,
        input_versions=versions, settings=fingerprint).returning(analysis_run.c.id)).scalar_one())
    n_overlaps = n_flags = 0
    if selected is None or selected:
        # everything a partition's flags need is ready before the partitions start (they may
        # run in forked workers, which see the parent as it was when they were forked)
        rasters = raster_analysis.compute_raster_stats(conn, inputs.communities,
                                                       inputs.concessions, selected)
        raster_rows: dict[str, list[dict[str, Any]]] = {}
        for row in rasters.stat_rows(run_id):
            raster_rows.setdefault(str(row["community_id"]), []).append(row)
        finish = partial(_partition_output, inputs=inputs, run_id=run_id, today=today,
                         lead_days=settings.statute_lead_days, facts=rasters.facts,
                         rulesets=rules_ahead.result(), raster_rows=raster_rows)
        outputs = partition_outputs(inputs, settings, selected, finish)
        # the previous rows are closed by PostgreSQL while the first partition is computed
        # (the waiting thread holds no GIL and no lock a forked worker could need; nothing
        # else uses the connection until it is done)
        closing = background.submit(_close_current, conn, selected)
        first = next(outputs, None)
        closing.result()
        flag_lines: list[RankedLine] = []
        with ThreadPoolExecutor(1, thread_name_prefix="allpa-copy") as pool:
            copying: Future[int] | None = None
            for out in itertools.chain([first] if first else [], outputs):
                # PostgreSQL ingests partition k (on another core; the sending thread waits
                # without the GIL) while partition k+1 is computed
                flag_lines += out.flags
                if copying is not None:
                    n_overlaps += copying.result()
                copying = pool.submit(_copy_payloads, conn, [(overlap, out.overlaps),
                                                             (community_stat, out.stats)])
                del out
            if copying is not None:
                n_overlaps += copying.result()
        # ranks are positions within the whole run, so the flags go in once, at the end
        n_flags = _copy_ranked(conn, flag_lines)
    seconds = time.perf_counter() - started
    n_comms = len(inputs.communities) if selected is None else len(selected)
    conn.execute(sa.update(analysis_run).where(analysis_run.c.id == run_id).values(
        finished_at=sa.func.now(), communities=n_comms, seconds=seconds))
    conn.execute(sa.text("SELECT set_config('jit', :jit, true)"), {"jit": jit})
    return RunSummary(run_id=run_id, mode="incremental" if incremental else "full",
                      communities=n_comms, overlaps=n_overlaps, flags=n_flags,
                      seconds=seconds, affected=sorted(selected or []))

