"""Read queries behind the HTTP service: collections, filters, pages, details, history.

Every query here is built from :mod:`layers.visibility` (which rows, which coordinates), so
JSON, GeoJSON, OGC items, counts, search and exports share one rule. Route handlers call these
functions and never hold SQL.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from geo.errors import InputError, NotFoundError
from geo.flag_rank import most_severe
from layers import (
    batches,
    boundaries,
    communities,
    concessions,
    consultations,
    derived_tables,
    networks,
    water,
)
from layers.base import LayerSpec
from layers.db import SRID, as_of_clause
from layers.flag_order import flag_order_by
from layers.flag_queries import flag_for_viewer
from layers.users import Principal
from layers.visibility import (
    display_geometry,
    hidden_pattern,
    margin_deg,
    scrub,
    visible,
)

AsOf = dt.date | dt.datetime | None
BBox = tuple[float, float, float, float]

LIFESPAN_OUT = ("vid", "valid_from", "valid_to", "recorded_by", "import_batch_id", "source",
                "change_note")

_ACCENTED = "ÁÀÂÄÃÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇáàâäãéèêëíìîïóòôöõúùûüñç"


@dataclass(frozen=True)
class Viewer:
    """Who reads, and how coarse public sensitive points are."""

    principal: Principal
    grid_deg: float = 0.01


@dataclass(frozen=True)
class Collection:
    """A layer as the service exposes it."""

    name: str
    spec: LayerSpec
    properties: tuple[str, ...]
    tile_properties: tuple[str, ...]
    equals: tuple[str, ...] = ()
    prefix_column: str | None = None
    geometry_type: str | None = None
    free_text: tuple[str, ...] = ()
    description_es: str = ""
    description_en: str = ""

    @property
    def table(self) -> sa.Table:
        return self.spec.table

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def has_geometry(self) -> bool:
        return self.geometry() is not None

    def title(self, lang: str) -> str:
        return self.spec.title_en if lang == "en" else self.spec.title_es

    def description(self, lang: str) -> str:
        return self.description_en if lang == "en" else self.description_es

    def geometry(self) -> sa.ColumnElement[Any] | None:
        """The stored geometry (communities: territory, else location point)."""
        if self.name == "communities":
            return communities.geometry_expression()
        if self.spec.geometry_column:
            return self.table.c[self.spec.geometry_column]
        return None

    def index_filter(self, envelope: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """An ``&&`` test on the indexed 4326 column(s) (the envelope is transformed, not
        the column, so the GiST index is used)."""
        t = self.table
        if self.name == "communities":
            return sa.or_(t.c.territory.op("&&")(envelope),
                          sa.and_(t.c.territory.is_(None), t.c.location.op("&&")(envelope)))
        assert self.spec.geometry_column
        return t.c[self.spec.geometry_column].op("&&")(envelope)

    def display_geometry(self, viewer: Viewer) -> sa.ColumnElement[Any] | None:
        geom = self.geometry()
        if geom is None:
            return None
        return display_geometry(self.table, geom, viewer.principal, viewer.grid_deg)


COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        Collection(
            name="communities", spec=communities.SPEC,
            properties=tuple(communities.ATTRIBUTES),
            tile_properties=("id", "name", "kind", "country", "admin_code", "title_status",
                             "legal_status", "sensitivity"),
            equals=("legal_status", "kind", "title_status", "country", "sensitivity"),
            prefix_column="admin_code", geometry_type="geometry",
            free_text=("procedure_what", "procedure_stage", "registry_office"),
            description_es="Comunidades campesinas y nativas, ayllus y otras organizaciones "
                           "con su territorio (o punto), personería jurídica, estatuto y junta.",
            description_en="Communities with territory (or point), legal personality, statute "
                           "and board.",
        ),
        Collection(
            name="concessions", spec=concessions.SPEC,
            properties=("code", "name", "holder", "state", "state_raw", "substance",
                        "filed_on", "official_ha", "zone", "datum"),
            tile_properties=("code", "name", "holder", "state", "substance", "official_ha"),
            equals=("state", "substance", "holder"), geometry_type="polygon",
            description_es="Derechos mineros (catastro INGEMMET).",
            description_en="Mining rights (INGEMMET cadastre).",
        ),
        Collection(
            name="water", spec=water.SPEC,
            properties=("id", "name", "kind", "use", "sensitivity"),
            tile_properties=("id", "name", "kind", "use"),
            equals=("kind", "use", "sensitivity"), geometry_type="geometry",
            description_es="Manantiales, ríos, quebradas, lagunas, bofedales, pozos, canales.",
            description_en="Springs, rivers, streams, lakes, wetlands, wells, canals.",
        ),
        Collection(
            name="consultations", spec=consultations.SPEC,
            properties=("id", "name", "measure", "promoter", "concession_codes", "stage",
                        "start_date", "dialogue_date", "end_date"),
            tile_properties=("id", "name", "measure", "promoter", "stage", "start_date"),
            equals=("stage", "promoter"), geometry_type="polygon", free_text=("measure",),
            description_es="Procesos de consulta previa y su área de influencia.",
            description_en="Prior consultation processes and their area of influence.",
        ),
        Collection(
            name="boundaries", spec=boundaries.SPEC,
            properties=("key", "code", "level", "name", "parent_code", "country"),
            tile_properties=("code", "level", "name", "parent_code"),
            equals=("level", "country", "parent_code"), prefix_column="code",
            geometry_type="polygon",
            description_es="Límites administrativos (departamentos, provincias, distritos).",
            description_en="Administrative boundaries (departments, provinces, districts).",
        ),
        Collection(
            name="networks", spec=networks.SPEC,
            properties=("id", "name", "description", "members"),
            tile_properties=(), free_text=("description",),
            description_es="Redes de comunidades y sus miembros.",
            description_en="Community networks and their members.",
        ),
    )
}

GEOMETRY_COLLECTIONS = tuple(n for n, c in COLLECTIONS.items() if c.has_geometry)


class UnknownCollectionError(NotFoundError):
    code = "unknown_collection"


class FeatureNotFoundError(NotFoundError):
    code = "feature_not_found"


class PagingError(InputError):
    """``limit``/``offset`` outside what a query can take (guarded here for every caller)."""

    code = "invalid_paging"


#: Largest offset any read accepts (also well inside PostgreSQL's bigint).
MAX_OFFSET = 10_000_000


def check_paging(limit: int, offset: int) -> None:
    if not (0 <= offset <= MAX_OFFSET) or not (0 <= limit <= 2**31 - 1):
        raise PagingError(
            f"limit/offset fuera de rango (offset 0..{MAX_OFFSET}) / limit/offset out of range "
            f"(offset 0..{MAX_OFFSET})")


def get_collection(name: str, *, geometry: bool = False) -> Collection:
    coll = COLLECTIONS.get(name)
    if coll is None or (geometry and not coll.has_geometry):
        names = ", ".join(GEOMETRY_COLLECTIONS if geometry else COLLECTIONS)
        raise UnknownCollectionError(
            f"Capa desconocida '{name}'; use una de: {names} / unknown layer '{name}'; "
            f"use one of: {names}")
    return coll


def collection_among(name: str, allowed: Iterable[str], what_es: str, what_en: str
                     ) -> Collection:
    """A geometry collection that one interface (OGC, tiles) publishes, or a clear 404."""
    allowed = list(allowed)
    if name not in allowed:
        names = ", ".join(allowed)
        raise UnknownCollectionError(
            f"{what_es} desconocida '{name}'; use una de: {names} / unknown {what_en} "
            f"'{name}'; use one of: {names}")
    return get_collection(name, geometry=True)


@dataclass(frozen=True)
class Filters:
    """The filters every list, count, tile and export accepts."""

    bbox: BBox | None = None
    as_of: AsOf = None
    q: str | None = None
    equals: Mapping[str, str] = field(default_factory=dict)
    prefix: str | None = None
    network: str | None = None
    flagged: bool | None = None
    #: Extra WHERE predicates built elsewhere with bound parameters (OGC geometry-type views,
    #: CQL2 filters); visibility and lifespan still apply.
    extra: tuple[sa.ColumnElement[bool], ...] = ()


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a search string (matches :func:`_fold_sql`)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().strip()


_PLAIN = "".join(fold(ch) for ch in _ACCENTED)


def _fold_sql(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    return sa.func.lower(sa.func.translate(column, _ACCENTED, _PLAIN))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def bbox_envelope(bbox: BBox) -> sa.ColumnElement[Any]:
    return sa.func.ST_MakeEnvelope(*(float(v) for v in bbox), SRID)


def _current_flag_exists(community_id: sa.ColumnElement[Any], as_of: AsOf
                         ) -> sa.ColumnElement[bool]:
    f = derived_tables.flag
    return sa.exists().where(f.c.community_id == community_id, _derived_alive(f, as_of))


def _derived_alive(table: sa.Table, as_of: AsOf) -> sa.ColumnElement[bool]:
    """Derived rows (overlaps, flags) computed by ``as_of`` and not yet superseded."""
    if as_of is None:
        return table.c.valid_to.is_(None)
    moment = _moment(as_of)
    return sa.and_(table.c.computed_at <= moment,
                   sa.or_(table.c.valid_to.is_(None), table.c.valid_to > moment))


def _moment(as_of: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(as_of, dt.datetime):
        return as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC)
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def where_clauses(coll: Collection, viewer: Viewer, filters: Filters
                  ) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses for a collection: lifespan (as of), visibility and the user's filters."""
    t = coll.table
    clauses: list[sa.ColumnElement[bool]] = [as_of_clause(t, filters.as_of),
                                             visible(t, viewer.principal)]
    for name, value in filters.equals.items():
        if name not in coll.equals:
            raise InputError(f"Filtro desconocido '{name}' para {coll.name} / "
                             f"unknown filter '{name}' for {coll.name}")
        clauses.append(t.c[name] == value)
    if filters.prefix:
        if coll.prefix_column is None:
            raise InputError(f"{coll.name} no admite filtro por distrito / "
                             f"{coll.name} has no district filter")
        clauses.append(t.c[coll.prefix_column].like(_like_escape(filters.prefix) + "%",
                                                    escape="\\"))
    if filters.q:
        column = t.c.name if "name" in t.c else t.c[coll.key]
        pattern = "%" + _like_escape(fold(filters.q)) + "%"
        key_match = t.c[coll.key].ilike(pattern, escape="\\")
        clauses.append(sa.or_(_fold_sql(column).like(pattern, escape="\\"), key_match))
    if filters.network:
        if coll.name != "communities":
            raise InputError("El filtro 'network' solo aplica a comunidades / "
                             "the 'network' filter applies to communities only")
        n = networks.network
        clauses.append(sa.exists().where(n.c.id == filters.network,
                                         as_of_clause(n, filters.as_of),
                                         t.c.id == sa.any_(n.c.members)))
    if filters.flagged is not None:
        if coll.name != "communities":
            raise InputError("El filtro 'flagged' solo aplica a comunidades / "
                             "the 'flagged' filter applies to communities only")
        exists = _current_flag_exists(t.c.id, filters.as_of)
        clauses.append(exists if filters.flagged else sa.not_(exists))
    if filters.bbox is not None:
        display = coll.display_geometry(viewer)
        if display is None:
            raise InputError(f"{coll.name} no tiene geometría / has no geometry")
        env = bbox_envelope(filters.bbox)
        margin = margin_deg(t, viewer.principal, viewer.grid_deg)
        pre = sa.func.ST_Expand(env, margin) if margin else env
        clauses.append(coll.index_filter(pre))
        clauses.append(sa.func.ST_Intersects(display, env))
    clauses.extend(filters.extra)
    return clauses


def _property_columns(coll: Collection, viewer: Viewer) -> list[sa.ColumnElement[Any]]:
    t = coll.table
    cols: list[sa.ColumnElement[Any]] = []
    for name in coll.properties:
        if coll.name == "networks" and name == "members":
            cols.append(_visible_members(viewer).label("members"))
        else:
            cols.append(t.c[name])
    return cols


def _visible_members(viewer: Viewer) -> sa.ColumnElement[Any]:
    """Network members the viewer may see (restricted communities are not named)."""
    n = networks.network
    if viewer.principal.sees_restricted:
        return n.c.members
    c = communities.community
    member = sa.func.unnest(n.c.members).table_valued("m").render_derived()
    shown = sa.select(c.c.id).where(c.c.valid_to.is_(None), visible(c, viewer.principal))
    return sa.func.array(sa.select(member.c.m).where(member.c.m.in_(shown))
                         .order_by(member.c.m).scalar_subquery())


def jsonable(value: Any) -> Any:
    """Database values as JSON values (dates as ISO 8601 strings)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


@dataclass
class Page:
    """One page of features plus the total matching the filters."""

    features: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


def _select(coll: Collection, viewer: Viewer, filters: Filters, *, lifespan: bool = True,
            geometry: str = "geojson") -> sa.Select[Any]:
    t = coll.table
    cols = _property_columns(coll, viewer)
    if lifespan:
        cols += [t.c[c] for c in LIFESPAN_OUT]
    display = coll.display_geometry(viewer)
    if display is not None:
        if geometry == "geojson":
            cols.append(sa.func.ST_AsGeoJSON(display, 7).label("__geometry"))
        else:
            cols.append(sa.func.ST_AsBinary(display).label("__geometry"))
    return sa.select(*cols).where(*where_clauses(coll, viewer, filters))


def _feature(coll: Collection, row: RowMapping) -> dict[str, Any]:
    data = dict(row)
    geometry = data.pop("__geometry", None)
    props = {k: jsonable(v) for k, v in data.items()}
    return {"id": props.get(coll.key), "properties": props,
            "geometry": json.loads(geometry) if geometry else None}


def _flagged_for_viewer(conn: Connection, coll: Collection, viewer: Viewer, filters: Filters
                        ) -> tuple[Filters, list[sa.ColumnElement[bool]]]:
    """The ``flagged`` filter as this viewer reads flags: a community flagged only because
    of records hidden from them is not "flagged" for them (nor counted as such)."""
    if filters.flagged is None or viewer.principal.sees_restricted \
            or coll.name != "communities":
        return filters, []
    ids = sorted(flag_severities(conn, viewer, as_of=filters.as_of))
    key = coll.table.c[coll.key]
    clause = key.in_(ids) if filters.flagged else key.not_in(ids)
    return replace(filters, flagged=None), [clause]


def count(conn: Connection, coll: Collection, viewer: Viewer, filters: Filters) -> int:
    filters, extra = _flagged_for_viewer(conn, coll, viewer, filters)
    query = sa.select(sa.func.count()).select_from(coll.table).where(
        *where_clauses(coll, viewer, filters), *extra)
    return int(conn.execute(query).scalar_one())


def page(conn: Connection, coll: Collection, viewer: Viewer, filters: Filters, *,
         limit: int, offset: int) -> Page:
    """Visible features matching ``filters``, ordered by key, with the total count."""
    check_paging(limit, offset)
    own, extra = _flagged_for_viewer(conn, coll, viewer, filters)
    query = (_select(coll, viewer, own).where(*extra).order_by(coll.table.c[coll.key])
             .limit(limit).offset(offset))
    features = _redact_features(conn, coll, viewer,
                                [_feature(coll, r) for r in conn.execute(query).mappings()])
    total = count(conn, coll, viewer, filters)
    return Page(features=features, total=total, limit=limit, offset=offset)


def feature(conn: Connection, coll: Collection, viewer: Viewer, key: str, *,
            as_of: AsOf = None) -> dict[str, Any]:
    """One visible feature by key; invisible and missing look the same (no existence leak)."""
    query = _select(coll, viewer, Filters(as_of=as_of)).where(coll.table.c[coll.key] == key)
    row = conn.execute(query).mappings().first()
    if row is None:
        raise FeatureNotFoundError(
            f"No existe '{key}' en {coll.title('es')} (o no tiene permiso para verlo) / "
            f"'{key}' not found in {coll.title('en')}")
    return _redact_features(conn, coll, viewer, [_feature(coll, row)])[0]


def frame(conn: Connection, coll: Collection, viewer: Viewer, filters: Filters, *,
          lifespan: bool = False) -> gpd.GeoDataFrame:
    """All visible features matching ``filters`` as a GeoDataFrame (for exports; with
    ``lifespan`` the provenance columns the OGC items carry)."""
    own, extra = _flagged_for_viewer(conn, coll, viewer, filters)
    query = _select(coll, viewer, own, lifespan=lifespan, geometry="wkb").where(*extra).order_by(
        coll.table.c[coll.key])
    result = conn.execute(query)
    df = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    texts = [c for c in coll.free_text if c in df.columns and df[c].notna().any()]
    if texts and not viewer.principal.sees_restricted:
        pattern = redaction(conn, viewer)
        for c in texts:
            df[c] = df[c].map(lambda v: scrub(v, pattern) if isinstance(v, str) else v)
    if "__geometry" not in df.columns:
        return gpd.GeoDataFrame(df)
    wkb = [bytes(g) if g is not None else None for g in df.pop("__geometry")]
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries.from_wkb(wkb, crs=SRID), crs=SRID)


def extent(conn: Connection, coll: Collection, viewer: Viewer,
           filters: Filters | None = None) -> BBox | None:
    """Bounding box of the features the viewer may see."""
    display = coll.display_geometry(viewer)
    if display is None:
        return None
    agg = sa.func.ST_Extent(display)
    query = sa.select(sa.func.ST_XMin(agg), sa.func.ST_YMin(agg), sa.func.ST_XMax(agg),
                      sa.func.ST_YMax(agg)).where(*where_clauses(coll, viewer,
                                                                 filters or Filters()))
    row = conn.execute(query).first()
    if row is None or row[0] is None:
        return None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


# --- hidden names (used to scrub free-form JSON such as flag evidence) ----------------------


def redaction(conn: Connection, viewer: Viewer) -> re.Pattern[str] | None:
    """A pattern matching every hidden id/name (None when nothing is hidden)."""
    if viewer.principal.sees_restricted:
        return None
    return hidden_pattern(hidden_names(conn, viewer))


def _redact_features(conn: Connection, coll: Collection, viewer: Viewer,
                     features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Free text of visible records may name hidden ones ("lindero con HF-033"): redact."""
    if viewer.principal.sees_restricted or not coll.free_text:
        return features
    if not any(f["properties"].get(c) for f in features for c in coll.free_text):
        return features
    pattern = redaction(conn, viewer)
    if pattern is None:
        return features
    for f in features:
        for c in coll.free_text:
            if f["properties"].get(c):
                f["properties"][c] = scrub(f["properties"][c], pattern)
    return features


def hidden_names(conn: Connection, viewer: Viewer) -> set[str]:
    """Ids and names of records the viewer may not see (never shown in evidence/details)."""
    if viewer.principal.sees_restricted:
        return set()
    out: set[str] = set()
    shown: set[str] = set()
    for table in (communities.community, water.water_source):
        vis = visible(table, viewer.principal)
        for key, name, ok in conn.execute(sa.select(table.c.id, table.c.name, vis)):
            (shown if ok else out).update(v for v in (key, name) if v)
    return out - shown


def _other_visible(viewer: Viewer, as_of: AsOf) -> sa.ColumnElement[bool]:
    o = derived_tables.overlap
    if viewer.principal.sees_restricted:
        return sa.true()
    c, w = communities.community, water.water_source
    community_ok = sa.exists().where(c.c.id == o.c.other_id, as_of_clause(c, as_of),
                                     visible(c, viewer.principal))
    water_ok = sa.exists().where(w.c.id == o.c.other_id, as_of_clause(w, as_of),
                                 visible(w, viewer.principal))
    return sa.case((o.c.other_kind == "community", community_ok),
                   (o.c.other_kind == "water", water_ok), else_=sa.true())


def overlaps(conn: Connection, viewer: Viewer, community_id: str, *, as_of: AsOf = None,
             hidden: re.Pattern[str] | None = None) -> list[dict[str, Any]]:
    o = derived_tables.overlap
    query = (sa.select(o.c.other_kind, o.c.other_id, o.c.intersection_ha, o.c.share,
                       o.c.estimate, o.c.details, o.c.computed_at)
             .where(o.c.community_id == community_id, _derived_alive(o, as_of),
                    _other_visible(viewer, as_of))
             .order_by(o.c.other_kind, sa.desc(o.c.intersection_ha), o.c.other_id))
    hidden = redaction(conn, viewer) if hidden is None else hidden
    return [jsonable({**dict(r), "details": scrub(r["details"] or {}, hidden)})
            for r in conn.execute(query).mappings()]


def flags(conn: Connection, viewer: Viewer, *, lang: str = "es", community_id: str | None = None,
          severity: str | None = None, rule_id: str | None = None, as_of: AsOf = None,
          limit: int = 100, offset: int = 0, hidden: re.Pattern[str] | None = None) -> Page:
    """Current (or as-of) flags of communities the viewer may see, most severe first."""
    check_paging(limit, offset)
    f, c = derived_tables.flag, communities.community
    conds: list[sa.ColumnElement[bool]] = [
        _derived_alive(f, as_of),
        sa.exists().where(c.c.id == f.c.community_id, as_of_clause(c, as_of),
                          visible(c, viewer.principal)),
    ]
    if community_id:
        conds.append(f.c.community_id == community_id)
    if severity:
        conds.append(f.c.severity == severity)
    if rule_id:
        conds.append(f.c.rule_id == rule_id)
    message = f.c.message_en if lang == "en" else f.c.message_es
    action = f.c.action_en if lang == "en" else f.c.action_es
    query = (sa.select(f.c.id, f.c.community_id, f.c.rule_id, f.c.severity, f.c.rank,
                       message.label("message"), action.label("action"), f.c.legal_ref,
                       f.c.evidence, f.c.due_date, f.c.computed_at, f.c.run_id)
             .where(*conds)
             .order_by(*flag_order_by(f), f.c.id))
    hidden = redaction(conn, viewer) if hidden is None else hidden
    if hidden is None:
        items = [jsonable(dict(r)) for r in
                 conn.execute(query.limit(limit).offset(offset)).mappings()]
        total = int(conn.execute(sa.select(sa.func.count()).select_from(f).where(*conds))
                    .scalar_one())
        return Page(features=items, total=total, limit=limit, offset=offset)
    # something is hidden from this viewer: every flag is read as the viewer may read it
    # (re-rendered, or left out when it exists only because of hidden records), and the
    # total counts what the viewer is shown
    rows = [dict(r) for r in conn.execute(query).mappings()]
    names = hidden_names(conn, viewer)
    community_rows = {str(r["id"]): dict(r) for r in conn.execute(
        sa.select(c).where(c.c.valid_to.is_(None),
                           c.c.id.in_({str(r["community_id"]) for r in rows}))).mappings()}
    shown = [jsonable(v) for r in rows
             if (v := flag_for_viewer(r, hidden=names, pattern=hidden, lang=lang,
                                      community=community_rows.get(str(r["community_id"]))))
             is not None]
    return Page(features=shown[offset:offset + limit], total=len(shown), limit=limit,
                offset=offset)


def flag_severities(conn: Connection, viewer: Viewer, *, as_of: AsOf = None) -> dict[str, str]:
    """Highest severity per visible community among the flags *this viewer* may read (a flag
    that exists only because of hidden records does not colour a map for them)."""
    shown = flags(conn, viewer, as_of=as_of, limit=2**31 - 1).features
    by_community: dict[str, list[str]] = {}
    for item in shown:
        by_community.setdefault(str(item["community_id"]), []).append(str(item["severity"]))
    return {cid: sev for cid, sevs in by_community.items() if (sev := most_severe(sevs))}


# --- communities ---------------------------------------------------------------------------


def _group(props: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "legal_personality": {
            "status": props.get("legal_status"),
            "registry_office": props.get("registry_office"),
            "registry_entry": props.get("registry_entry"),
            "registration_date": props.get("registration_date"),
        },
        "statute": {
            "adopted": props.get("statute_adopted"),
            "modified": props.get("statute_modified"),
            "clauses": {k: props.get(f"clause_{k}") for k in
                        ("territory", "water", "environment", "consultation", "women")},
        },
        "board": {
            "elected": props.get("board_elected"),
            "term_end": props.get("board_term_end"),
            "registered": props.get("board_registered"),
        },
        "procedure": {
            "what": props.get("procedure_what"),
            "stage": props.get("procedure_stage"),
            "since": props.get("procedure_since"),
        },
    }


def community_history(conn: Connection, viewer: Viewer, community_id: str
                      ) -> list[dict[str, Any]]:
    """Every version of a community the viewer may see, oldest first, with who/when/source."""
    coll = COLLECTIONS["communities"]
    t = coll.table
    display = coll.display_geometry(viewer)
    assert display is not None
    cols = [*(t.c[n] for n in coll.properties), *(t.c[n] for n in LIFESPAN_OUT),
            sa.func.ST_AsGeoJSON(display, 7).label("__geometry")]
    query = (sa.select(*cols)
             .where(t.c.id == community_id, visible(t, viewer.principal))
             .order_by(t.c.vid))
    feats = _redact_features(conn, coll, viewer,
                             [_feature(coll, r) for r in conn.execute(query).mappings()])
    return [{"vid": f["properties"]["vid"], **f} for f in feats]


def community_detail(conn: Connection, viewer: Viewer, community_id: str, *,
                     as_of: AsOf = None, lang: str = "es") -> dict[str, Any]:
    """A community with its legal file, overlaps, current flags and full history."""
    coll = COLLECTIONS["communities"]
    feat = feature(conn, coll, viewer, community_id, as_of=as_of)
    hidden = redaction(conn, viewer)
    props = feat["properties"]
    return {
        **feat,
        "vid": props["vid"],
        **_group(props),
        "overlaps": overlaps(conn, viewer, community_id, as_of=as_of, hidden=hidden),
        "flags": flags(conn, viewer, lang=lang, community_id=community_id, as_of=as_of,
                       limit=1000, hidden=hidden).features,
        "history": [
            {k: v["properties"].get(k) for k in
             ("vid", "valid_from", "valid_to", "recorded_by", "source", "import_batch_id",
              "change_note")}
            for v in community_history(conn, viewer, community_id)
        ],
    }


# --- batches -------------------------------------------------------------------------------


#: Import-batch columns only editors and admins see.
BATCH_FIELDS_FOR_EDITORS = ("file_name", "source_note", "recorded_by", "report")


def batch_list(conn: Connection, viewer: Viewer, *, layer: str | None = None,
               batch_id: int | None = None, limit: int = 50, offset: int = 0) -> Page:
    """Import batches. Below editor level only what and when: no file names, source notes,
    people or per-feature report (they name lawyers, clients and hidden keys)."""
    check_paging(limit, offset)
    b = batches.import_batch
    conds: list[sa.ColumnElement[bool]] = []
    if layer:
        conds.append(b.c.layer == layer)
    if batch_id is not None:
        conds.append(b.c.id == batch_id)
    cols = [c for c in b.c
            if viewer.principal.sees_restricted or c.name not in BATCH_FIELDS_FOR_EDITORS]
    query = (sa.select(*cols).where(*conds).order_by(b.c.id.desc()).limit(limit)
             .offset(offset))
    items = [jsonable(dict(r)) for r in conn.execute(query).mappings()]
    total = int(conn.execute(sa.select(sa.func.count()).select_from(b).where(*conds))
                .scalar_one())
    return Page(features=items, total=total, limit=limit, offset=offset)


def data_version(conn: Connection, tables: Sequence[sa.Table]) -> str:
    """A cheap token that changes whenever any of ``tables`` gets a new or closed version."""
    parts = []
    for t in tables:
        row = conn.execute(sa.select(sa.func.max(t.c.vid),
                                     sa.func.count().filter(t.c.valid_to.is_not(None)))).one()
        parts.append(f"{t.name}:{row[0] or 0}:{row[1] or 0}")
    return "|".join(parts)
