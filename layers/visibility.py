"""Who may see what: the ONE sensitivity rule every read path applies.

JSON, GeoJSON, OGC API items, vector tiles, counts, search, exports and maps all build their
queries from :func:`visible` (which rows) and :func:`display_geometry` (which coordinates),
so a restricted record cannot leak through one door while another is shut.

The rule (DESIGN.md §2), the same for every moment in time:

* a record's **governing sensitivity** is that of its latest version (the current one, or
  the last one of a withdrawn record): reclassifying a community ``restringida`` hides every
  earlier version of it too — in history, ``as_of``, search, OGC, tiles, exports and maps —
  because all of them filter with :func:`visible`;
* ``public`` (anonymous)      sees records governed ``public`` only;
* ``network`` (member)        also sees ``network`` records *of its own networks*: communities
  that are members of one of them, water sources inside the territory of such a community;
* ``editor`` / ``admin``      see everything, ``restricted`` included.

Layers without a sensitivity column (concessions, consultations, boundaries, networks) are
public records. A value we do not recognise counts as ``restricted`` (fail closed). Which
layers carry a sensitivity, how network membership is judged for each (``network_scope``)
and whose points are generalised (``generalise_points``, ``sensitive_point_kinds``) are
fields of the layer's definition in :mod:`geo.catalog`, not branches here.

Sensitive points are generalised for whoever does not see network data: springs (and any
non-public point) are snapped to a deterministic grid of ``grid_deg`` degrees with
``ST_SnapToGrid`` — the same input always gives the same output, so repeated queries cannot
be averaged to recover the true position (unlike random noise). The end points of water
lines are snapped the same way for them: streams start at springs, and an exact first vertex
would give the spring away.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from geo import vocabulary
from geo.catalog import BY_TABLE, Layer
from layers.users import ANONYMOUS, Principal

SENSITIVITY_LEVELS = vocabulary.SENSITIVITY.codes


def _layer(table: sa.Table) -> Layer | None:
    """The catalog layer stored in ``table`` (None for tables that are not layers)."""
    return BY_TABLE.get(table.name)


def allowed_levels(principal: Principal) -> tuple[str, ...]:
    """Sensitivity values the principal may see."""
    if principal.sees_restricted:
        return SENSITIVITY_LEVELS
    if principal.sees_network:
        return ("public", "network")
    return ("public",)


def level_tag(principal: Principal) -> str:
    """A short tag naming the principal's visibility class (for cache keys and ETags)."""
    if principal.sees_restricted:
        return "r"
    if principal.sees_network:
        return "n"
    return "p"


def has_sensitivity(table: sa.Table) -> bool:
    return "sensitivity" in table.c


def governing_sensitivity(table: sa.Table) -> sa.ColumnElement[str]:
    """The sensitivity that governs every version of a row's record: its latest version's.

    A current row is its record's latest version, so only closed rows need the lookup
    (``CASE`` evaluates the subquery lazily; ``ix_<table>_id_vid`` serves it).
    """
    latest = table.alias(f"{table.name}_latest")
    sub = (sa.select(latest.c.sensitivity).where(latest.c.id == table.c.id)
           .order_by(latest.c.vid.desc()).limit(1).scalar_subquery())
    return sa.case((table.c.valid_to.is_(None), table.c.sensitivity), else_=sub)


def in_own_networks(table: sa.Table, principal: Principal) -> sa.ColumnElement[bool]:
    """Whether a row belongs to one of the principal's networks (fail closed otherwise)."""
    from layers import communities, networks

    layer = _layer(table)
    scope = layer.network_scope if layer is not None else None
    if not principal.networks or scope is None:
        return sa.false()
    n = networks.network
    mine = sa.and_(n.c.valid_to.is_(None), n.c.id.in_(list(principal.networks)))
    if scope == "members":
        return sa.exists().where(mine, table.c.id == sa.any_(n.c.members))
    if scope == "territory" and layer is not None:
        c = communities.community
        return sa.exists().where(
            c.c.valid_to.is_(None), c.c.territory.is_not(None),
            sa.func.ST_Intersects(c.c.territory, table.c[_geometry_column(layer)]),
            sa.exists().where(mine, c.c.id == sa.any_(n.c.members)))
    return sa.false()


def visible(table: sa.Table, principal: Principal) -> sa.ColumnElement[bool]:
    """Rows of ``table`` the principal may see (a WHERE clause), judged by the record's
    governing sensitivity, whichever version the row is."""
    if not has_sensitivity(table) or principal.sees_restricted:
        return sa.true()
    governing = governing_sensitivity(table)
    if principal.sees_network:
        return sa.or_(governing == "public",
                      sa.and_(governing == "network", in_own_networks(table, principal)))
    return governing == "public"


def generalises(table: sa.Table, principal: Principal) -> bool:
    """Whether geometries of ``table`` may be generalised for this principal: sensitive
    points for whoever does not see network data, end points of water lines for whoever
    does not see everything (a line may start at a spring hidden from them)."""
    layer = _layer(table)
    return layer is not None and layer.generalise_points and not principal.sees_restricted


def _geometry_column(layer: Layer) -> str:
    return layer.geometry[0].name


def generalise_condition(table: sa.Table, geom: sa.ColumnElement[Any]
                         ) -> sa.ColumnElement[bool]:
    """Which rows carry a sensitive point (every point of a layer whose points are all
    sensitive; else the layer's sensitive kinds, e.g. springs, and any non-public point)."""
    layer = _layer(table)
    kinds = layer.sensitive_point_kinds if layer is not None else ()
    is_point = sa.func.ST_GeometryType(geom).in_(("ST_Point", "ST_MultiPoint"))
    if layer is not None and layer.all_points_sensitive:
        return is_point
    conditions: list[sa.ColumnElement[bool]] = []
    if kinds:
        conditions.append(table.c.kind.in_(kinds))
    if has_sensitivity(table):
        conditions.append(table.c.sensitivity != "public")
    return sa.and_(is_point, sa.or_(*conditions)) if conditions else sa.false()


def display_geometry(table: sa.Table, geom: sa.ColumnElement[Any], principal: Principal,
                     grid_deg: float) -> sa.ColumnElement[Any]:
    """The geometry the principal is shown: exact, or snapped to the public grid (sensitive
    points, and the end points of lines, which may be springs)."""
    if not generalises(table, principal):
        return geom
    grid = sa.literal(float(grid_deg))
    snapped = sa.func.ST_SnapToGrid(geom, grid)
    is_line = sa.func.GeometryType(geom) == "LINESTRING"
    ends_snapped = sa.func.ST_SetPoint(
        sa.func.ST_SetPoint(geom, 0, sa.func.ST_SnapToGrid(sa.func.ST_StartPoint(geom), grid)),
        -1, sa.func.ST_SnapToGrid(sa.func.ST_EndPoint(geom), grid))
    is_multiline = sa.func.GeometryType(geom) == "MULTILINESTRING"
    cases: list[tuple[sa.ColumnElement[bool], sa.ColumnElement[Any]]] = []
    if not principal.sees_network:
        cases.append((generalise_condition(table, geom), snapped))
    cases += [(is_line, ends_snapped), (is_multiline, snapped)]
    return sa.case(*cases, else_=geom)


def margin_deg(table: sa.Table, principal: Principal, grid_deg: float) -> float:
    """How far a displayed geometry may lie from the stored one (for index pre-filters)."""
    return float(grid_deg) if generalises(table, principal) else 0.0


REDACTED = "[reservado]"


def hidden_pattern(hidden: Iterable[str]) -> re.Pattern[str] | None:
    """One regular expression matching any hidden id or name (longest first)."""
    secret = sorted({h for h in hidden if h}, key=len, reverse=True)
    if not secret:
        return None
    return re.compile("|".join(re.escape(s) for s in secret))


def scrub(value: Any, hidden: Iterable[str] | re.Pattern[str] | None) -> Any:
    """Remove every mention of a hidden record from a JSON-like value (flag evidence,
    overlap details, free text such as a procedure description)."""
    pattern = hidden if isinstance(hidden, re.Pattern) or hidden is None \
        else hidden_pattern(hidden)
    if pattern is None:
        return value
    return _scrub(value, pattern)


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        if pattern.fullmatch(value):
            return REDACTED
        return pattern.sub(REDACTED, value)
    if isinstance(value, dict):
        return {k: _scrub(v, pattern) for k, v in value.items() if not pattern.fullmatch(k)}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, pattern) for v in value
                if not (isinstance(v, str) and pattern.fullmatch(v))]
    return value


__all__ = [
    "ANONYMOUS",
    "SENSITIVITY_LEVELS",
    "allowed_levels",
    "display_geometry",
    "generalise_condition",
    "generalises",
    "governing_sensitivity",
    "has_sensitivity",
    "hidden_pattern",
    "in_own_networks",
    "level_tag",
    "margin_deg",
    "scrub",
    "visible",
]
