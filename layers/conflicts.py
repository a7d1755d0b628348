"""Social conflicts (Defensoría-style records) and how an import links them.

A report names actors and communities by name; inside the import's transaction
:func:`resolve` turns those names into keys: an actor is found by id or name (case and
accents ignored) or created (kind guessed from its name, reported); a community by id or
by name, the district (ubigeo) deciding between namesakes, also when an actor is a
community ("Comunidad Campesina de Ccollana"). A conflict without coordinates is placed on
its first community's point, else inside its district (from the ubigeo, or the district's
name); if neither is known it is stored without a location (listed, not mapped) and the
report says so. Everything is in the import's savepoint: a failure stores nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import geopandas as gpd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo import catalog
from geo.conflict_actors import actor_id, community_name, guess_kind
from geo.errors import bilingual
from geo.vocabulary import normalise_name
from layers import boundaries, communities
from layers.actors import actor
from layers.base import Rows, generic_spec
from layers.versioning import write_snapshot

__all__ = ["SPEC", "resolve", "social_conflict"]

_GENERIC = generic_spec(catalog.CONFLICTS)
social_conflict = _GENERIC.table
_ACTOR_FIELDS = [name for name, _, _ in catalog.CONFLICT_ACTOR_FIELDS]
_SHOWN = 10


class _Communities:
    """Current communities by id and by normalised name (with their district)."""

    def __init__(self, conn: Connection) -> None:
        c = communities.community
        rows = conn.execute(sa.select(c.c.id, c.c.name, c.c.admin_code,
                                      sa.func.ST_X(c.c.location), sa.func.ST_Y(c.c.location),
                                      c.c.sensitivity)
                            .where(c.c.valid_to.is_(None))).all()
        self.points = {r[0]: (r[3], r[4]) for r in rows}
        self.sensitivity = {r[0]: r[5] for r in rows}
        self.by_name: dict[str, list[tuple[str, str | None]]] = {}
        for cid, name, code, *_ in rows:
            for key in _name_keys(name):
                self.by_name.setdefault(key, []).append((cid, code))

    def find(self, name: str, admin_code: str | None) -> tuple[str | None, str]:
        """(id, "") or (None, why): by id, then by name, the district deciding ties."""
        text = name.strip()
        if text in self.points:
            return text, ""
        found = next((self.by_name[k] for k in _name_keys(text) if k in self.by_name), [])
        if admin_code and len(found) > 1:
            found = [f for f in found if f[1] == admin_code] or found
        if len(found) == 1:
            return found[0][0], ""
        return None, "ambiguous" if found else "unknown"


def _name_keys(name: str) -> list[str]:
    """The spellings a community name is matched under: as written, without "Comunidad
    Campesina de", and both without a parenthesised note ("(ficticia)")."""
    bare = re.sub(r"\([^)]*\)", " ", name)
    return _unique(k for k in (normalise_name(name), community_name(name),
                               normalise_name(bare), community_name(bare)) if k)


def _districts(conn: Connection) -> tuple[dict[str, tuple[float, float]], dict[str, list[str]]]:
    """District points (inside each district) by code, and codes by normalised name."""
    b = boundaries.boundary
    point = sa.func.ST_PointOnSurface(b.c.geom)
    rows = conn.execute(sa.select(b.c.code, b.c.name, sa.func.ST_X(point), sa.func.ST_Y(point))
                        .where(b.c.valid_to.is_(None),
                               b.c.level.in_(("district", "municipality")))).all()
    names: dict[str, list[str]] = {}
    for code, name, _, _ in rows:
        names.setdefault(normalise_name(name), []).append(code)
    return {r[0]: (r[2], r[3]) for r in rows}, names


def _actors(conn: Connection) -> tuple[set[str], dict[str, str]]:
    rows = conn.execute(sa.select(actor.c.id, actor.c.name)
                        .where(actor.c.valid_to.is_(None))).all()
    return {r[0] for r in rows}, {normalise_name(r[1]): r[0] for r in rows}


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def resolve(conn: Connection, frame: gpd.GeoDataFrame, batch_id: int, recorded_by: str,
            source: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Names of actors and communities -> keys, new actors created, locations filled."""
    frame = frame.copy()
    known = _Communities(conn)
    district_points, district_codes = _districts(conn)
    actor_ids, actor_names = _actors(conn)
    new: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    unplaced: list[str] = []
    geoms = list(frame.geometry.array)
    for pos, (label, row) in enumerate(frame.iterrows()):
        code = row.get("admin_code")
        if not code and row.get("district"):
            codes = district_codes.get(normalise_name(row["district"]), [])
            if len(codes) == 1:
                code = codes[0]
                frame.at[label, "admin_code"] = code
        linked: list[str] = []
        for field in _ACTOR_FIELDS:
            ids: list[str] = []
            for name in row.get(field) or []:
                aid = name if name in actor_ids or name in new else \
                    actor_names.get(normalise_name(name))
                if aid is None:
                    aid = actor_id(name)
                    if aid not in actor_ids and aid not in new:
                        new[aid] = {"id": aid, "name": name.strip(), "kind": guess_kind(name),
                                    "role": None, "company": None, "holders": [],
                                    "communities": [], "consultations": [], "networks": [],
                                    "sensitivity": "public"}
                    actor_names[normalise_name(name)] = aid
                ids.append(aid)
                kind = new[aid]["kind"] if aid in new else guess_kind(name)
                if kind == "community":
                    cid, _ = known.find(name, code)
                    if cid is not None:
                        linked.append(cid)
                        if aid in new and cid not in new[aid]["communities"]:
                            new[aid]["communities"].append(cid)
                            # an actor that is a community is as sensitive as the community
                            new[aid]["sensitivity"] = known.sensitivity[cid]
            frame.at[label, field] = _unique(ids)
        for item in row.get("communities") or []:
            cid, why = known.find(item, code)
            if cid is None:
                state = "ambigua" if why == "ambiguous" else "no encontrada"
                missing.append(f"{row['id']}: {item} ({state})")
            else:
                linked.append(cid)
        frame.at[label, "communities"] = sorted(set(linked))
        if geoms[pos] is None or shapely.is_empty(geoms[pos]):
            point = next((known.points[c] for c in linked if c in known.points), None) \
                or (district_points.get(code) if code else None)
            if point is None:
                unplaced.append(str(row["id"]))
            else:
                geoms[pos] = shapely.Point(point)
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    if new:
        write_snapshot(conn, actor, "id", list(new.values()), recorded_by=recorded_by,
                       batch_id=batch_id, source=source, close_missing=False)
    return frame, _notes(new, missing, unplaced)


def _notes(new: dict[str, dict[str, Any]], missing: list[str], unplaced: list[str]
           ) -> list[str]:
    notes: list[str] = []
    if new:
        shown = "; ".join(f"{a['id']} ({a['name']})" for a in list(new.values())[:_SHOWN])
        more = f" … (+{len(new) - _SHOWN})" if len(new) > _SHOWN else ""
        notes.append(bilingual(f"{len(new)} actores nuevos creados: {shown}{more}",
                               f"{len(new)} new actors created: {shown}{more}"))
    if missing:
        shown = "; ".join(missing[:_SHOWN])
        notes.append(bilingual(
            f"{len(missing)} comunidades no vinculadas (no encontradas o ambiguas): {shown}",
            f"{len(missing)} communities not linked (not found or ambiguous): {shown}"))
    if unplaced:
        notes.append(bilingual(
            f"{len(unplaced)} conflictos sin ubicación (sin lon/lat, comunidad ni distrito "
            f"conocido; no aparecen en el mapa): {', '.join(unplaced[:_SHOWN])}",
            f"{len(unplaced)} conflicts without a location (no lon/lat, community or known "
            f"district; not on the map): {', '.join(unplaced[:_SHOWN])}"))
    return notes


def to_rows(frame: gpd.GeoDataFrame) -> Rows:
    rows = _GENERIC.to_rows(frame)
    for row in rows:
        for field in (*_ACTOR_FIELDS, "communities"):
            row[field] = list(row[field] or [])
    return rows


SPEC = replace(_GENERIC, to_rows=to_rows, resolve=resolve)
