"""What the browser map page needs before its first tile, read through the ONE visibility rule:
the first view (extent of the visible communities), the reference layer drawn from the
project's own data (district and lake names, so the map can be read without a basemap), and
search results that say where a community is (district, country).

Everything here is embedded in the page or answered as small JSON, so a phone on a slow
link gets the first view in the same round trip as the HTML.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from layers import boundaries, water
from layers.queries import COLLECTIONS, Filters, Viewer, extent, page, where_clauses

#: The most labels the reference layer carries (largest areas first): enough to orient by,
#: few enough to stay a few kilobytes at national scale.
MAX_REFERENCE_LABELS = 300


def first_view(conn: Connection, viewer: Viewer) -> list[float] | None:
    """[west, south, east, north] of the communities the viewer may see."""
    box = extent(conn, COLLECTIONS["communities"], viewer)
    return [round(v, 5) for v in box] if box else None


def country_views(conn: Connection, viewer: Viewer) -> dict[str, list[float]]:
    """Per country code: [west, south, east, north] of the communities the viewer may see
    there (the map's "Perú · Bolivia · Todo" buttons fit the view to one of them)."""
    coll = COLLECTIONS["communities"]
    display = coll.display_geometry(viewer)
    if display is None:
        return {}
    agg = sa.func.ST_Extent(display)
    country = coll.table.c.country
    rows = conn.execute(
        sa.select(country, sa.func.ST_XMin(agg), sa.func.ST_YMin(agg), sa.func.ST_XMax(agg),
                  sa.func.ST_YMax(agg))
        .where(*where_clauses(coll, viewer, Filters()), country.is_not(None))
        .group_by(country).order_by(country))
    return {str(r[0]): [round(float(v), 5) for v in r[1:]] for r in rows if r[1] is not None}


def reference_labels(conn: Connection, viewer: Viewer, bbox: list[float] | None
                     ) -> list[dict[str, Any]]:
    """District names (at a point inside each district) and lake names within ``bbox``:
    ``{"kind": "district"|"lake", "name", "lon", "lat"}``."""
    if bbox is None:
        return []
    env = sa.func.ST_MakeEnvelope(*bbox, 4326)
    b = boundaries.boundary
    bnd_where = where_clauses(COLLECTIONS["boundaries"], viewer, Filters())
    pt = sa.func.ST_PointOnSurface(b.c.geom)
    rows: list[dict[str, Any]] = [
        {"kind": "district", "name": r.name, "lon": round(r.x, 5), "lat": round(r.y, 5)}
        for r in conn.execute(
            sa.select(b.c.name, sa.func.ST_X(pt).label("x"), sa.func.ST_Y(pt).label("y"))
            .where(*bnd_where, b.c.level.in_(("district", "municipality")),
                   b.c.geom.intersects(env))
            .order_by(sa.func.ST_Area(b.c.geom).desc()).limit(MAX_REFERENCE_LABELS))]
    w = water.water_source
    coll = COLLECTIONS["water"]
    display = coll.display_geometry(viewer)
    assert display is not None
    wpt = sa.func.ST_PointOnSurface(display)
    rows += [
        {"kind": "lake", "name": r.name, "lon": round(r.x, 5), "lat": round(r.y, 5)}
        for r in conn.execute(
            sa.select(w.c.name, sa.func.ST_X(wpt).label("x"), sa.func.ST_Y(wpt).label("y"))
            .where(*where_clauses(coll, viewer, Filters()), w.c.kind == "lake",
                   w.c.name.is_not(None), w.c.geom.intersects(env),
                   sa.func.GeometryType(w.c.geom).in_(("POLYGON", "MULTIPOLYGON")))
            .order_by(sa.func.ST_Area(w.c.geom).desc()).limit(MAX_REFERENCE_LABELS))]
    return rows


def district_names(conn: Connection, codes: set[str]) -> dict[str, str]:
    """Current names of the administrative units with these codes (public reference data)."""
    if not codes:
        return {}
    b = boundaries.boundary
    rows = conn.execute(sa.select(b.c.code, b.c.name).where(
        b.c.valid_to.is_(None), b.c.code.in_(sorted(codes))))
    return {str(code): str(name) for code, name in rows}


def search(conn: Connection, viewer: Viewer, q: str, *, limit: int = 10
           ) -> list[dict[str, Any]]:
    """Communities matching ``q`` (the API's own search and visibility), each with its
    district name and country so that namesakes can be told apart."""
    found = page(conn, COLLECTIONS["communities"], viewer, Filters(q=q), limit=limit,
                 offset=0)
    items = [f.get("properties", f) for f in found.features]
    names = district_names(conn, {str(i["admin_code"]) for i in items if i.get("admin_code")})
    return [{"id": i.get("id"), "name": i.get("name"), "country": i.get("country"),
             "admin_code": i.get("admin_code"),
             "district": names.get(str(i.get("admin_code")))} for i in items]
