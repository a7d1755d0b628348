"""Who may see what: the ONE sensitivity rule every read path applies.

JSON, GeoJSON, OGC API items, vector tiles, counts, search, exports and maps all build their
queries from :func:`visible` (which rows) and :func:`display_geometry` (which coordinates),
so a restricted record cannot leak through one door while another is shut.

The rule (DESIGN.md §2):

* ``public`` (anonymous)      sees rows with sensitivity ``public`` only;
* ``network`` (member)        sees ``public`` and ``network`` rows;
* ``editor`` / ``admin``      see everything, ``restricted`` included.

Layers without a sensitivity column (concessions, consultations, boundaries, networks) are
public records. A value we do not recognise counts as ``restricted`` (fail closed).

Sensitive points are generalised for whoever does not see network data: springs (and any
non-public point) are snapped to a deterministic grid of ``grid_deg`` degrees with
``ST_SnapToGrid`` — the same input always gives the same output, so repeated queries cannot
be averaged to recover the true position (unlike random noise).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from layers.users import ANONYMOUS, Principal

SENSITIVITY_LEVELS = ("public", "network", "restricted")

#: Water-source kinds whose points are generalised on public views.
SENSITIVE_POINT_KINDS = ("spring",)


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


def visible(table: sa.Table, principal: Principal) -> sa.ColumnElement[bool]:
    """Rows of ``table`` the principal may see (a WHERE clause)."""
    if not has_sensitivity(table) or principal.sees_restricted:
        return sa.true()
    return table.c.sensitivity.in_(allowed_levels(principal))


def generalises(table: sa.Table, principal: Principal) -> bool:
    """Whether point geometries of ``table`` may be generalised for this principal."""
    return table.name == "water_source" and not principal.sees_network


def generalise_condition(table: sa.Table, geom: sa.ColumnElement[Any]
                         ) -> sa.ColumnElement[bool]:
    """Which rows carry a sensitive point (springs and any non-public point)."""
    is_point = sa.func.ST_GeometryType(geom).in_(("ST_Point", "ST_MultiPoint"))
    sensitive = sa.or_(table.c.kind.in_(SENSITIVE_POINT_KINDS), table.c.sensitivity != "public")
    return sa.and_(is_point, sensitive)


def display_geometry(table: sa.Table, geom: sa.ColumnElement[Any], principal: Principal,
                     grid_deg: float) -> sa.ColumnElement[Any]:
    """The geometry the principal is shown: exact, or snapped to the public grid."""
    if not generalises(table, principal):
        return geom
    snapped = sa.func.ST_SnapToGrid(geom, sa.literal(float(grid_deg)))
    return sa.case((generalise_condition(table, geom), snapped), else_=geom)


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
    "has_sensitivity",
    "hidden_pattern",
    "level_tag",
    "margin_deg",
    "scrub",
    "visible",
]
