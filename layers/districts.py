"""Districts (Bolivia: municipalities) as alert scopes: which ones a reader may follow, what a
person calls them, and which one an operator meant by a code or a name.

A district is an admin-code (ubigeo / INE) prefix. A reader may follow a district when it
holds a current community visible to them under the ONE visibility rule
(:func:`layers.visibility.visible`): the same clause answers "may they subscribe" (else 404),
"which districts does the form offer" and "what is this subscription called", so none of
them can reveal a district whose only communities are hidden from the reader. Boundaries
are public reference data; they only give the names (:mod:`geo.admin_units`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo import admin_units
from geo.errors import InputError, bilingual
from geo.vocabulary import normalise_name
from layers import boundaries, communities
from layers.users import Principal
from layers.visibility import visible

#: Digits of a district (Peru) or municipality (Bolivia) code.
DISTRICT_DIGITS = 6
LEVELS = ("district", "municipality")
#: How many candidates an "ambiguous name" message lists.
SHOWN = 8


def _is_code(code: str) -> bool:
    return code.isdigit() and 0 < len(code) <= 12


def _holding(principal: Principal | None, code: str) -> sa.Select[Any]:
    """Countries of the current communities in district ``code`` (``principal``: only those
    they may see; None: all of them, for the operator's command line)."""
    c = communities.community
    query = sa.select(c.c.country).distinct().where(
        c.c.valid_to.is_(None), c.c.admin_code.startswith(code, autoescape=True))
    return query if principal is None else query.where(visible(c, principal))


def _units(conn: Connection, countries: Iterable[str], codes: Iterable[str]
           ) -> dict[str, dict[str, admin_units.Unit]]:
    """Boundaries by country and code: the units asked for and every unit above them."""
    b = boundaries.boundary
    out: dict[str, dict[str, admin_units.Unit]] = defaultdict(dict)
    wanted = set(codes)
    countries = sorted(set(countries))
    while wanted and countries:
        rows = conn.execute(sa.select(b.c.country, b.c.code, b.c.name, b.c.parent_code)
                            .where(b.c.valid_to.is_(None), b.c.country.in_(countries),
                                   b.c.code.in_(sorted(wanted)))
                            .order_by(b.c.level.in_(LEVELS).desc(), b.c.key)).all()
        wanted = set()
        for country, code, name, parent in rows:
            known = out[str(country)]
            if code not in known:
                known[str(code)] = admin_units.Unit(str(code), str(name), parent)
                if parent and parent not in known:
                    wanted.add(str(parent))
    return out


def labels(conn: Connection, scopes: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """What a person calls each (code, country)."""
    scopes = list(scopes)
    units = _units(conn, (country for _, country in scopes), (code for code, _ in scopes))
    return {(code, country): admin_units.label(code, country, units.get(country, {}))
            for code, country in scopes}


def name_of(conn: Connection, principal: Principal | None, code: str) -> str | None:
    """What a person calls district ``code``; None when it holds no community the reader may
    see (an unknown code, a hidden district: the same answer)."""
    if not _is_code(code):
        return None
    countries = sorted(str(c) for c in conn.execute(_holding(principal, code)).scalars()
                       if c is not None)
    if not countries:
        return None
    found = labels(conn, [(code, country) for country in countries])
    return admin_units.joined([found[(code, country)] for country in countries])


def visible_districts(conn: Connection, principal: Principal) -> list[dict[str, str]]:
    """The districts ``principal`` may follow, ``{"id", "name"}``: those of the current
    communities they may see, by name; those the boundaries do not name come last."""
    c = communities.community
    code = sa.func.left(c.c.admin_code, DISTRICT_DIGITS)
    rows = conn.execute(sa.select(code, c.c.country).distinct().where(
        c.c.valid_to.is_(None), c.c.admin_code.regexp_match(f"^[0-9]{{{DISTRICT_DIGITS}}}"),
        c.c.country.is_not(None), visible(c, principal))).all()
    scopes = sorted((str(k), str(country)) for k, country in rows)
    units = _units(conn, (country for _, country in scopes), (k for k, _ in scopes))
    by_code: dict[str, list[str]] = defaultdict(list)
    unnamed: set[str] = set()
    for k, country in scopes:
        known = units.get(country, {})
        by_code[k].append(admin_units.label(k, country, known))
        if k not in known:
            unnamed.add(k)
    options = [{"id": k, "name": admin_units.joined(names)} for k, names in by_code.items()]
    return sorted(options, key=lambda o: (o["id"] in unnamed, normalise_name(o["name"]),
                                          o["id"]))


def resolve(conn: Connection, text: str) -> str:
    """The district code an operator meant: a code (a district, municipality or any prefix
    the communities or boundaries know) or an unambiguous name ("Huancané", or the whole
    "Huancané (Huancané, Puno)"), without regard to case or accents."""
    typed = text.strip()
    if _is_code(typed):
        if name_of(conn, None, typed) is not None or _boundary_countries(conn, typed):
            return typed
        raise _unknown(typed)
    b = boundaries.boundary
    rows = conn.execute(sa.select(b.c.code, b.c.country, b.c.name).where(
        b.c.valid_to.is_(None), b.c.level.in_(LEVELS))).all()
    found = labels(conn, [(str(code), str(country)) for code, country, _ in rows])
    hits = sorted({(str(code), found[(str(code), str(country))])
                   for code, country, name in rows
                   if admin_units.matches(typed, str(name), found[(str(code), str(country))])})
    if len(hits) == 1:
        return hits[0][0]
    if not hits:
        raise _unknown(typed)
    listed = "; ".join(f"{name} = {code}" for code, name in hits[:SHOWN])
    more = f" (+{len(hits) - SHOWN})" if len(hits) > SHOWN else ""
    raise InputError(bilingual(
        f"Hay {len(hits)} distritos llamados '{typed}': {listed}{more}. Indique el código",
        f"{len(hits)} districts are called '{typed}': {listed}{more}. Give the code"),
        code="ambiguous_district")


def _boundary_countries(conn: Connection, code: str) -> list[str]:
    b = boundaries.boundary
    return [str(c) for c in conn.execute(sa.select(b.c.country).distinct().where(
        b.c.valid_to.is_(None), b.c.code == code)).scalars()]


def _unknown(typed: str) -> InputError:
    return InputError(bilingual(
        f"No se conoce el distrito '{typed}' (ni como código de ubigeo/INE ni como nombre)",
        f"Unknown district '{typed}' (neither an ubigeo/INE code nor a name)"),
        code="unknown_district")
