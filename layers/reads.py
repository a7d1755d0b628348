"""Filtered reads of a collection: the filters every list, count, tile and export accepts,
pages, single features, frames for exports, extents, import batches, data versions.

Every query here is built from :mod:`layers.visibility` (which rows, which coordinates), so
JSON, GeoJSON, OGC items, counts, search and exports share one rule. Route handlers call these
functions and never hold SQL.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from geo.errors import InputError
from layers import batches, derived_tables, networks
from layers.db import SRID, as_of_clause
from layers.layer_collections import (
    LIFESPAN_OUT,
    AsOf,
    BBox,
    Collection,
    FeatureNotFoundError,
    Page,
    Viewer,
    check_paging,
    jsonable,
)
from layers.redaction import derived_alive, flag_severities, redact_features, redaction
from layers.registry import LAYERS
from layers.visibility import margin_deg, scrub, visible

_ACCENTED = "ÁÀÂÄÃÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇáàâäãéèêëíìîïóòôöõúùûüñç"


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
    return sa.exists().where(f.c.community_id == community_id, derived_alive(f, as_of))



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
        if coll.layer.network_scope != "members":
            raise InputError("El filtro 'network' solo aplica a comunidades / "
                             "the 'network' filter applies to communities only")
        n = networks.network
        clauses.append(sa.exists().where(n.c.id == filters.network,
                                         as_of_clause(n, filters.as_of),
                                         t.c.id == sa.any_(n.c.members)))
    if filters.flagged is not None:
        if not coll.layer.flagged:
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
    for field_ in coll.layer.fields:
        other = LAYERS[field_.references] if field_.references else None
        if other is not None and other.layer.has_sensitivity:
            cols.append(_visible_references(t.c[field_.name], other.table, other.key, viewer)
                        .label(field_.name))
        else:
            cols.append(t.c[field_.name])
    return cols


def _visible_references(keys: sa.ColumnElement[Any], other: sa.Table, key: str,
                        viewer: Viewer) -> sa.ColumnElement[Any]:
    """The keys of another layer's records the viewer may see (network members: restricted
    communities are not named)."""
    if viewer.principal.sees_restricted:
        return keys
    member = sa.func.unnest(keys).table_valued("m").render_derived()
    shown = sa.select(other.c[key]).where(other.c.valid_to.is_(None),
                                        visible(other, viewer.principal))
    return sa.func.array(sa.select(member.c.m).where(member.c.m.in_(shown))
                         .order_by(member.c.m).scalar_subquery())



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


def row_feature(coll: Collection, row: RowMapping) -> dict[str, Any]:
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
            or not coll.layer.flagged:
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
    features = redact_features(conn, coll, viewer,
                                [row_feature(coll, r) for r in conn.execute(query).mappings()])
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
    return redact_features(conn, coll, viewer, [row_feature(coll, row)])[0]


def history(conn: Connection, coll: Collection, viewer: Viewer, key: str
            ) -> list[dict[str, Any]]:
    """Every version of one record the viewer may see, oldest first, with who/when/source.

    Each version is judged by its own visibility (a version once restricted stays hidden
    from those who may not see it, even when a later one is public), and references and
    free text are filtered and redacted as in every other read; a record none of whose
    versions the viewer may see answers like a missing one."""
    t = coll.table
    cols = [*_property_columns(coll, viewer), *(t.c[c] for c in LIFESPAN_OUT)]
    display = coll.display_geometry(viewer)
    if display is not None:
        cols.append(sa.func.ST_AsGeoJSON(display, 7).label("__geometry"))
    query = (sa.select(*cols).where(t.c[coll.key] == key, visible(t, viewer.principal))
             .order_by(t.c.vid))
    rows = conn.execute(query).mappings().all()
    if not rows:
        raise FeatureNotFoundError(
            f"No existe '{key}' en {coll.title('es')} (o no tiene permiso para verlo) / "
            f"'{key}' not found in {coll.title('en')}")
    return redact_features(conn, coll, viewer, [row_feature(coll, r) for r in rows])


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
