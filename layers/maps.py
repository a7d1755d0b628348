"""What the maps and dossiers show, read from the database through the ONE visibility rule.

Every read goes through :mod:`layers.queries` (``where_clauses``/``frame``/``overlaps``/
``flags``), which build on :mod:`layers.visibility`: restricted records never appear for the
public, sensitive points come back already generalised, and free text naming hidden records
is scrubbed. ``geo.maps`` then draws what it is given and knows nothing of roles.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import re
from collections import defaultdict
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.errors import NotFoundError
from geo.flag_rank import most_severe
from geo.maps import labels as L
from geo.maps.map_input import MapInput, MapKind
from layers import (
    base,
    batches,
    communities,
    concessions,
    derived_tables,
    evidence,
    networks,
    water,
)
from layers.db import SRID
from layers.map_page import district_names
from layers.queries import (
    COLLECTIONS,
    Filters,
    Viewer,
    community_detail,
    flag_severities,
    frame,
    jsonable,
    redaction,
    where_clauses,
)
from layers.queries import flags as flag_page
from layers.queries import overlaps as overlap_list
from layers.visibility import scrub

#: The source note every batch of the bundled sample starts with (see layers.sample).
SAMPLE_SOURCE_PREFIX = "Muestra FICTICIA"
#: Margin (degrees, ~9 km) around the communities for the other layers of a map: covers a
#: point-only community's search radius and the page's wider-than-tall frame.
MAP_MARGIN_DEG = 0.08


class NetworkNotFoundError(NotFoundError):
    code = "network_not_found"


def software_version() -> str:
    try:
        return importlib.metadata.version("allpa")
    except importlib.metadata.PackageNotFoundError:  # running from a bare checkout
        return "0+unknown"


def resolve_network(conn: Connection, viewer: Viewer, name_or_id: str) -> dict[str, Any]:
    """A current network by id or (case-insensitive) name."""
    n = networks.network
    row = conn.execute(
        sa.select(n.c.id, n.c.name, n.c.description)
        .where(n.c.valid_to.is_(None),
               sa.or_(n.c.id == name_or_id, sa.func.lower(n.c.name) == name_or_id.lower()))
        .order_by(n.c.id).limit(1)).mappings().first()
    if row is None:
        raise NetworkNotFoundError(f"No existe la red '{name_or_id}' / network "
                                   f"'{name_or_id}' not found")
    return dict(row)


def _severity_of(items: list[dict[str, Any]]) -> str:
    return most_severe(str(f["severity"]) for f in items) or "none"


def _pressure(conn: Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    s = derived_tables.community_stat
    rows = conn.execute(sa.select(s.c.community_id, s.c.stats).where(
        s.c.valid_to.is_(None), s.c.kind == "pressure", s.c.community_id.in_(ids)))
    return {str(r[0]): dict(r[1] or {}) for r in rows}


def _frame_where(conn: Connection, name: str, viewer: Viewer,
                 extra: list[sa.ColumnElement[bool]], filters: Filters | None = None
                 ) -> gpd.GeoDataFrame:
    """``queries.frame`` plus extra WHERE clauses (same visibility and display geometry)."""
    coll = COLLECTIONS[name]
    display = coll.display_geometry(viewer)
    assert display is not None
    cols = [coll.table.c[p] for p in coll.properties]
    query = (sa.select(*cols, sa.func.ST_AsBinary(display).label("__geometry"))
             .where(*where_clauses(coll, viewer, filters or Filters()), *extra)
             .order_by(coll.table.c[coll.key]))
    result = conn.execute(query)
    df = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    wkb = [bytes(g) if g is not None else None for g in df.pop("__geometry")]
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries.from_wkb(wkb, crs=SRID), crs=SRID)


def _around(communities_frame: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    if communities_frame.empty:
        return (-180.0, -90.0, 180.0, 90.0)
    x0, y0, x1, y1 = communities_frame.total_bounds
    m = MAP_MARGIN_DEG
    return (max(-180.0, x0 - m), max(-90.0, y0 - m), min(180.0, x1 + m), min(90.0, y1 + m))


def _sources(conn: Connection, batch_ids: set[int]) -> tuple[list[str], bool]:
    """The files a map draws from, and whether any of them is the bundled fictional sample."""
    out = []
    fictional = False
    for bid in sorted(batch_ids):
        b = batches.get_batch(conn, bid)
        if b:
            out.append(f"{b['file_name']} ({b['created_at']:%Y-%m-%d})")
            fictional = fictional or is_sample_source(b.get("source_note"))
    return out, fictional


def is_sample_source(note: object) -> bool:
    """Batches loaded by ``allpa sample`` carry the sample's source note."""
    return str(note or "").startswith(SAMPLE_SOURCE_PREFIX)


def sample_loaded(conn: Connection) -> bool:
    """Whether any import batch of the bundled FICTIONAL sample is in the database (the map
    page then says so on screen)."""
    b = batches.import_batch
    return bool(conn.execute(sa.select(sa.exists().where(
        b.c.source_note.like(SAMPLE_SOURCE_PREFIX + "%")))).scalar())


def _batch_ids(conn: Connection, table: sa.Table, key: str, keys: list[str]) -> set[int]:
    if not keys:
        return set()
    rows = conn.execute(sa.select(table.c.import_batch_id).distinct().where(
        table.c.valid_to.is_(None), table.c[key].in_(keys),
        table.c.import_batch_id.is_not(None)))
    return {int(r[0]) for r in rows}


def _raster_path(conn: Connection, kind: str = "dem") -> str | None:
    from layers.rasters import current_raster

    try:
        row = current_raster(conn, kind)
    except sa.exc.SQLAlchemyError:
        return None
    return str(row["file_path"]) if row else None


def _subtitle(kind: MapKind, n_communities: int, lang: str) -> str:
    if kind != "network":
        return L.t(lang, "community_map_title")
    members = L.t(lang, "members" if n_communities != 1 else "member")
    return f"{L.t(lang, 'network_map_title')} · {n_communities} {members}"


def map_data(conn: Connection, viewer: Viewer, *, network: str | None = None,
             community: str | None = None, lang: str = "es") -> MapInput:
    """What a network map (``network``: id or name) or a community map draws, for every
    map generator of :mod:`geo.maps`."""
    if (network is None) == (community is None):
        raise ValueError("give exactly one of network / community")
    kind: MapKind
    if network is not None:
        net = resolve_network(conn, viewer, network)
        comms = frame(conn, COLLECTIONS["communities"], viewer, Filters(network=net["id"]))
        kind, key, title = "network", str(net["id"]), str(net["name"])
    else:
        assert community is not None
        detail = community_detail(conn, viewer, community)  # 404 when not visible
        c = communities.community
        comms = _frame_where(conn, "communities", viewer, [c.c.id == community])
        kind, key, title = "community", community, str(detail["properties"]["name"])
    ids = [str(i) for i in comms["id"]]
    hidden = redaction(conn, viewer)
    flags_by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    overlaps_by: dict[str, list[dict[str, Any]]] = {}
    for cid in ids:
        overlaps_by[cid] = overlap_list(conn, viewer, cid, hidden=hidden)
        flags_by[cid] = flag_page(conn, viewer, lang=lang, community_id=cid, limit=1000,
                                  hidden=hidden).features
    comms = comms.copy()
    comms["severity"] = [_severity_of(flags_by.get(i, [])) for i in ids]
    comms["n_flags"] = [len(flags_by.get(i, [])) for i in ids]
    comms["point_only"] = [g is not None and g.geom_type == "Point" for g in comms.geometry]
    bbox = _around(comms)
    conc = frame(conn, COLLECTIONS["concessions"], viewer, Filters(bbox=bbox))
    wat = frame(conn, COLLECTIONS["water"], viewer, Filters(bbox=bbox))
    cons = frame(conn, COLLECTIONS["consultations"], viewer, Filters(bbox=bbox))
    bnd = frame(conn, COLLECTIONS["boundaries"], viewer, Filters(bbox=bbox))
    batch_ids = (_batch_ids(conn, communities.community, "id", ids)
                 | _batch_ids(conn, concessions.concession, "code", [str(x) for x in conc["code"]])
                 | _batch_ids(conn, water.water_source, "id", [str(x) for x in wat["id"]]))
    sources, fictional = _sources(conn, batch_ids)
    locator = frame(conn, COLLECTIONS["boundaries"], viewer, Filters())
    if not locator.empty:
        locator = locator.set_geometry(locator.geometry.simplify(0.002))
    return MapInput(kind=kind, key=key, title=title, subtitle=_subtitle(kind, len(comms), lang),
                    communities=comms, concessions=conc, water=wat, consultations=cons,
                    boundaries=bnd, flags=dict(flags_by), overlaps=overlaps_by,
                    pressure=_pressure(conn, ids), sources=sources, fictional=fictional,
                    locator=locator, dem_path=_raster_path(conn, "dem"),
                    landcover_path=_raster_path(conn, "landcover"),
                    public=not viewer.principal.sees_network)


# --- the community panel of the browser map and the dossier ---------------------------------


def _rows_by_key(conn: Connection, name: str, viewer: Viewer, keys: list[str]
                 ) -> dict[str, dict[str, Any]]:
    if not keys:
        return {}
    coll = COLLECTIONS[name]
    t = coll.table
    cols = [t.c[p] for p in coll.properties] + [t.c.import_batch_id]
    query = sa.select(*cols).where(*where_clauses(coll, viewer, Filters()),
                                   t.c[coll.key].in_(keys))
    return {str(r[coll.key]): dict(r) for r in conn.execute(query).mappings()}


def community_file(conn: Connection, viewer: Viewer, community_id: str, *,
                   lang: str = "es") -> dict[str, Any]:
    """A community's legal file for the side panel and the dossier: legal personality,
    board, overlapping concessions with their cadastre data, water at risk, flags (with
    action, legal reference, due date), share of the territory under concessions (union)."""
    detail = community_detail(conn, viewer, community_id, lang=lang)
    props = detail["properties"]
    ovs = detail["overlaps"]
    conc_ids = [o["other_id"] for o in ovs if o["other_kind"] == "concession"]
    water_ids = [o["other_id"] for o in ovs if o["other_kind"] == "water"]
    cons_ids = [o["other_id"] for o in ovs if o["other_kind"] == "consultation"]
    conc_rows = _rows_by_key(conn, "concessions", viewer, conc_ids)
    water_rows = _rows_by_key(conn, "water", viewer, water_ids)
    cons_rows = _rows_by_key(conn, "consultations", viewer, cons_ids)
    concessions_out = []
    for o in ovs:
        if o["other_kind"] != "concession":
            continue
        row = conc_rows.get(o["other_id"], {})
        concessions_out.append({
            "code": o["other_id"], "name": row.get("name"), "holder": row.get("holder"),
            "state": row.get("state") or (o["details"] or {}).get("state"),
            "filed_on": row.get("filed_on"), "official_ha": row.get("official_ha"),
            "overlap_ha": o["intersection_ha"], "share": o["share"],
            "estimate": o["estimate"], "import_batch_id": row.get("import_batch_id"),
        })
    water_out = []
    for o in ovs:
        if o["other_kind"] != "water":
            continue
        row = water_rows.get(o["other_id"], {})
        det = o["details"] or {}
        water_out.append({
            "id": o["other_id"], "name": row.get("name"), "kind": row.get("kind") or
            det.get("kind"), "use": row.get("use"), "in_concession": det.get("in_concession"),
            "measure": det.get("measure"), "unit": det.get("unit"),
            "import_batch_id": row.get("import_batch_id"),
        })
    consultations_out = [{"id": o["other_id"], "name": cons_rows.get(o["other_id"], {})
                          .get("name"), "stage": cons_rows.get(o["other_id"], {}).get("stage"),
                          "start_date": cons_rows.get(o["other_id"], {}).get("start_date"),
                          "share": o["share"], "import_batch_id": cons_rows.get(
                              o["other_id"], {}).get("import_batch_id")}
                         for o in ovs if o["other_kind"] == "consultation"]
    neighbours = [{"id": o["other_id"], "name": (o["details"] or {}).get("name"),
                   "overlap_ha": o["intersection_ha"]}
                  for o in ovs if o["other_kind"] == "community"]
    pressure = _pressure(conn, [community_id]).get(community_id, {})
    bbox = conn.execute(sa.select(
        sa.func.ST_XMin(g := communities.geometry_expression()), sa.func.ST_YMin(g),
        sa.func.ST_XMax(g), sa.func.ST_YMax(g)).where(
        communities.community.c.id == community_id,
        communities.community.c.valid_to.is_(None))).first()
    flags_out = [L.with_due_status(dict(f), lang) for f in detail["flags"]]
    return jsonable({
        "id": community_id,
        "name": props.get("name"),
        "kind": props.get("kind"),
        "country": props.get("country"),
        "admin_code": props.get("admin_code"),
        "district": district_names(conn, {str(props.get("admin_code"))}).get(
            str(props.get("admin_code"))),
        "title_status": props.get("title_status"),
        "official_area_ha": props.get("official_area_ha"),
        "sensitivity": props.get("sensitivity"),
        "vid": detail["vid"],
        "import_batch_id": props.get("import_batch_id"),
        "legal_personality": detail["legal_personality"],
        "statute": detail["statute"],
        "board": detail["board"],
        "procedure": detail["procedure"],
        "severity": _severity_of(flags_out),
        "flags": flags_out,
        "concessions": concessions_out,
        "water": water_out,
        "consultations": consultations_out,
        "neighbours": neighbours,
        "share_union": pressure.get("share_union"),
        "territory_ha": pressure.get("territory_ha"),
        "concession_ha_union": pressure.get("concession_ha_union"),
        # only a location is known (an official area in hectares does not draw a territory)
        "point_only": detail["geometry"] is not None
        and detail["geometry"].get("type") == "Point",
        "bbox": list(bbox) if bbox and bbox[0] is not None else None,
        "run_id": flags_out[0]["run_id"] if flags_out else None,
    })


def severities(conn: Connection, viewer: Viewer) -> dict[str, str]:
    """Highest current flag severity of every visible flagged community (for map colours),
    among the flags this viewer may read: a flag that exists only because of a hidden
    record colours no map for them."""
    return flag_severities(conn, viewer)


_VERSION_FIELDS = ["vid", "valid_from", "valid_to", "recorded_by", "source", "change_note",
                   "import_batch_id", *communities.LEGAL_FIELDS]


def dossier(conn: Connection, viewer: Viewer, community_id: str, *, lang: str = "es"
            ) -> dict[str, Any]:
    """Everything a lawyer's dossier shows, including the full version history and the
    evidence block (files, SHA-256, import dates, CRS, analysis time, software version)."""
    info = community_file(conn, viewer, community_id, lang=lang)
    hidden: re.Pattern[str] | None = redaction(conn, viewer)
    versions = [scrub(jsonable({k: v.get(k) for k in _VERSION_FIELDS}), hidden)
                for v in base.history(conn, communities.SPEC, community_id)
                if v.get("sensitivity") in _allowed(viewer)]
    batch_ids: set[int] = set()
    for v in versions:
        if v.get("import_batch_id") is not None:
            batch_ids.add(int(v["import_batch_id"]))
    for item in (*info["concessions"], *info["water"], *info["consultations"]):
        if item.get("import_batch_id") is not None:
            batch_ids.add(int(item["import_batch_id"]))
    r = derived_tables.analysis_run
    cols = (r.c.id, r.c.mode, r.c.started_at, r.c.finished_at, r.c.seconds, r.c.settings)
    row = None
    if info.get("run_id") is not None:
        row = conn.execute(sa.select(*cols).where(r.c.id == info["run_id"])).mappings().first()
    if row is None:
        row = conn.execute(sa.select(*cols).order_by(r.c.id.desc()).limit(1)).mappings().first()
    run_settings: dict[str, Any] = dict(row["settings"] or {}) if row else {}
    run = jsonable({k: v for k, v in dict(row).items() if k != "settings"}) if row else None
    if run is not None:
        run["rules_sha256"] = run_settings.get("rules")
        run["evaluated_on"] = run_settings.get("today")
    batch_ids |= evidence.raster_batch_ids(conn, run_settings)
    radius = float(run_settings.get("radius_m") or 5000.0)
    return {**info, "history": versions, "evidence": evidence.batch_rows(conn, batch_ids),
            "analysis_run": run, "rule_files": evidence.rule_files(),
            "versions": evidence.software_versions(conn, software_version()),
            "coverage": evidence.cadastre_coverage(conn, community_id, radius),
            "software_version": software_version(),
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def _allowed(viewer: Viewer) -> tuple[str, ...]:
    from layers.visibility import allowed_levels

    return allowed_levels(viewer.principal)
