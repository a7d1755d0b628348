"""The source line of the advocacy and print maps, derived from the data a map draws.

Mining rights come from each country's cadastre: INGEMMET in Peru, the AJAM (Autoridad
Jurisdiccional Administrativa Minera) in Bolivia. A map credits the cadastre of every country
whose communities it draws (their rights were looked up there, found or not) and of every
country whose mining rights it draws (located by the administrative units drawn with them),
so a Bolivian map never names only Peru's cadastre, and a map near the border names both.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd

from geo.maps import labels as L
from geo.maps.map_input import MapInput

#: Who publishes the mining cadastre of each country (ISO 3166 code, as ``community.country``).
CADASTRES = {"PE": "INGEMMET", "BO": "AJAM"}
#: Order of the countries in the line: Peru first (the larger register), then Bolivia.
_ORDER = tuple(CADASTRES)


def _codes(values: Iterable[object]) -> set[str]:
    return {str(v).upper() for v in values if isinstance(v, str) and v}


def _rights_countries(concessions: gpd.GeoDataFrame, units: gpd.GeoDataFrame | None
                      ) -> set[str]:
    """Countries of the administrative units that hold a point of each drawn right."""
    if (concessions is None or concessions.empty or units is None or units.empty
            or "country" not in units.columns):
        return set()
    geoms = concessions.geometry[concessions.geometry.notna() & ~concessions.geometry.is_empty]
    if geoms.empty:
        return set()
    points = gpd.GeoDataFrame(geometry=geoms.representative_point(), crs=concessions.crs)
    areas = units[["country", units.geometry.name]]
    if areas.crs != points.crs and areas.crs is not None and points.crs is not None:
        areas = areas.to_crs(points.crs)
    joined = gpd.sjoin(points, areas, how="inner", predicate="within")
    return _codes(joined["country"])


def countries_drawn(inp: MapInput) -> list[str]:
    """The countries of the communities and mining rights a map draws, Peru first."""
    found = _codes(inp.communities["country"]) if "country" in inp.communities.columns \
        else set()
    units = inp.boundaries if inp.locator is None or inp.locator.empty else inp.locator
    found |= _rights_countries(inp.concessions, units)
    return sorted(found, key=lambda c: (_ORDER.index(c) if c in _ORDER else len(_ORDER), c))


def cadastre_text(inp: MapInput, lang: str) -> str:
    """"catastro minero (AJAM)"; with several countries each cadastre says whose it is:
    "catastros mineros (INGEMMET, Perú; AJAM, Bolivia)"."""
    known = [c for c in countries_drawn(inp) if c in CADASTRES]
    if not known:
        return L.t(lang, "source_cadastre_none")
    if len(known) == 1:
        return L.t(lang, "source_cadastre_one").format(agency=CADASTRES[known[0]])
    agencies = "; ".join(f"{CADASTRES[c]}, {L.value_label('country', c, lang)}" for c in known)
    return L.t(lang, "source_cadastre_many").format(agencies=agencies)


def source_line(inp: MapInput, lang: str) -> str:
    """The whole "Fuentes: ..." line of a map (without the file list and date)."""
    return L.t(lang, "source_line").format(cadastre=cadastre_text(inp, lang))
