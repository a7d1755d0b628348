"""The fact catalogue: every fact a rule condition, evidence list or message may name.

One entry per fact, with its type and (for codes) its allowed values, so a rule file is
type-checked when it is loaded (:mod:`geo.rule_files`) and ``docs/ADDING_A_RULE.md`` can
point lawyers at one list. The values themselves are computed by
:func:`geo.community_facts.community_facts`.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo import vocabulary as V

__all__ = ["FACTS", "RASTER_FACTS", "FactSpec"]


@dataclass(frozen=True)
class FactSpec:
    """A fact rules may use: its type (for load-time checks), allowed values, meaning."""

    type: str  # bool | number | str | date | list
    doc: str
    values: tuple[str, ...] | None = None


_LEGAL = V.LEGAL_STATUS.codes
_TITLE = V.TITLE_STATUS.codes
_KIND = V.KIND.codes
_STAGE = V.STAGE.codes

#: Every fact a rule condition, evidence list or message template may name.
FACTS: dict[str, FactSpec] = {
    # identity
    "community_id": FactSpec("str", "stable community id"),
    "name": FactSpec("str", "community name"),
    "kind": FactSpec("str", "kind of community", _KIND),
    "country": FactSpec("str", "PE or BO", ("PE", "BO")),
    "today": FactSpec("date", "evaluation date"),
    # land and title
    "title_status": FactSpec("str", "title status", _TITLE),
    "title_status_es": FactSpec("str", "title status in Spanish (for messages)"),
    "title_status_en": FactSpec("str", "title status in English (for messages)"),
    "official_area_ha": FactSpec("number", "official area (ha) as recorded"),
    "georeferenced": FactSpec("bool", "a territory polygon is known (not only a point)"),
    "estimate": FactSpec("bool", "figures are radius estimates (point-only community)"),
    "territory_ha": FactSpec("number", "geodesic territory area (ha); none if point-only"),
    # legal personality and statute
    "legal_status": FactSpec("str", "legal personality status", _LEGAL),
    "legal_status_es": FactSpec("str", "legal personality status in Spanish (for messages)"),
    "legal_status_en": FactSpec("str", "legal personality status in English (for messages)"),
    "registry_entry": FactSpec("str", "registry entry (SUNARP partida)"),
    "registration_date": FactSpec("date", "registration date"),
    "statute_known": FactSpec("bool", "a statute adoption date is on record"),
    "statute_adopted": FactSpec("date", "statute adopted on"),
    "statute_modified": FactSpec("date", "statute last modified on"),
    "clause_territory": FactSpec("bool", "statute protects the territory (none = no consta)"),
    "clause_water": FactSpec("bool", "statute covers water / natural resources"),
    "clause_environment": FactSpec("bool", "statute covers the environment"),
    "clause_consultation": FactSpec("bool", "statute rules representation in consultations"),
    "clause_women": FactSpec("bool", "statute guarantees women's participation"),
    # board
    "board_elected": FactSpec("date", "board elected on"),
    "board_term_end": FactSpec("date", "board term ends on"),
    "board_registered": FactSpec("bool", "board registered in the registry"),
    "board_days_left": FactSpec("number", "days from today to the end of the board term"),
    "board_term_expired": FactSpec("bool", "board term ended before today"),
    "board_term_end_days_before_consultation": FactSpec(
        "number", "days by which the board term ends before the consultation starts (>0 = before)"
    ),
    # concessions
    "concession_count": FactSpec(
        "number", "non-extinguished concessions overlapping the territory"
    ),
    "concession_codes": FactSpec("list", "their codes"),
    "titled_count": FactSpec("number", "titled concessions overlapping"),
    "in_process_count": FactSpec("number", "concessions in process overlapping"),
    "concession_ha_union": FactSpec("number", "ha of territory under the union of concessions"),
    "share_union": FactSpec("number", "share (0..1) of territory under the union of concessions"),
    "titled_ha": FactSpec("number", "ha under titled concessions (union)"),
    "in_process_ha": FactSpec("number", "ha under concessions in process (union)"),
    "share_titled": FactSpec("number", "share under titled concessions"),
    "share_in_process": FactSpec("number", "share under concessions in process"),
    "nearby_concession_count": FactSpec("number", "point-only: concessions within the radius"),
    "nearby_concession_codes": FactSpec("list", "their codes"),
    "nearest_concession_m": FactSpec(
        "number", "point-only: distance to the nearest concession (m)"
    ),
    "radius_m": FactSpec("number", "radius used for point-only communities (m)"),
    "radius_km": FactSpec("number", "the same in km"),
    "under_pressure": FactSpec("bool", "overlapped by, or (point-only) near, a concession"),
    # consultations
    "in_consultation": FactSpec("bool", "inside the area of an open consultation"),
    "consultation_count": FactSpec("number", "open consultations concerning the community"),
    "consultation_id": FactSpec("str", "the next (or current) consultation"),
    "consultation_name": FactSpec("str", "its name"),
    "consultation_stage": FactSpec("str", "its stage", _STAGE),
    "consultation_start": FactSpec("date", "its start date"),
    "consultation_ids": FactSpec("list", "all open consultations concerning the community"),
    "days_to_consultation": FactSpec("number", "days from today to its start (negative: started)"),
    # water
    "water_count": FactSpec("number", "water sources inside the territory"),
    "water_ids": FactSpec("list", "their ids"),
    "water_in_concession_count": FactSpec(
        "number", "of those, inside a non-extinguished concession"
    ),
    "water_in_concession_ids": FactSpec("list", "their ids"),
    "water_in_concession_codes": FactSpec("list", "the concessions holding them"),
    # neighbours
    "neighbour_overlap_ha": FactSpec(
        "number", "largest overlap with a neighbouring community (ha)"
    ),
    "neighbour_overlap_total_ha": FactSpec("number", "sum of overlaps with neighbours (ha)"),
    "neighbour_count": FactSpec("number", "neighbours overlapping"),
    "neighbour_ids": FactSpec("list", "their ids"),
    "neighbour_max_id": FactSpec("str", "neighbour with the largest overlap"),
}

#: Facts from raster layers (DEM, land cover), supplied per community through
#: ``extra_facts`` by the caller (``layers.raster_analysis``); none when no raster covers
#: the territory, so rules on them stay silent.
RASTER_FACTS: dict[str, FactSpec] = {
    "raster_available": FactSpec(
        "bool", "a DEM or land-cover raster covers (part of) the territory"
    ),
    "raster_sources": FactSpec("list", "rasters used (key, version, SHA-256 prefix)"),
    "dem_coverage": FactSpec("number", "share (0..1) of the territory with DEM data"),
    "landcover_coverage": FactSpec("number", "share (0..1) of the territory with land cover"),
    "territory_min_elevation_m": FactSpec("number", "lowest DEM value in the territory (m)"),
    "territory_mean_elevation_m": FactSpec("number", "mean DEM value in the territory (m)"),
    "territory_max_elevation_m": FactSpec("number", "highest DEM value in the territory (m)"),
    "wetland_ha": FactSpec("number", "wetland (bofedal) in the territory (ha, land cover)"),
    "glacier_ha": FactSpec("number", "glacier / snow in the territory (ha, land cover)"),
    "wetland_in_concession_ha": FactSpec(
        "number", "wetland (bofedal) under the union of non-extinguished concessions (ha)"
    ),
    "glacier_in_concession_ha": FactSpec(
        "number", "glacier / snow under the union of non-extinguished concessions (ha)"
    ),
    "wetland_in_concession_codes": FactSpec("list", "concessions holding wetland (bofedal)"),
    "concession_max_elevation_m": FactSpec(
        "number", "highest DEM value of the territory under non-extinguished concessions (m)"
    ),
}
FACTS.update(RASTER_FACTS)

