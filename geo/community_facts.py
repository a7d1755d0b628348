"""The facts one community presents to the rules, computed from its record and an analysis.

Turns a community row (legal personality, statute, board, title), the overlay results of
:class:`~geo.overlay.AnalysisResult` and the consultations into the plain dict that rule
conditions test; the names, types and meanings are those of :data:`geo.rule_facts.FACTS`.
Unknown source values stay None ("no consta") instead of being guessed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from geo import vocabulary as V
from geo.overlay import PRESSURE_STATES, AnalysisResult
from geo.rule_facts import RASTER_FACTS

__all__ = ["Consultation", "as_str", "community_facts", "consultation_index"]


def _none(v: Any) -> Any:
    """Normalise pandas/numpy missing values to None and numpy scalars to Python."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item") and not isinstance(v, list | tuple | dict | str):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            return v
        if isinstance(v, float) and math.isnan(v):
            return None
    return v


def _as_date(v: Any) -> date | None:
    v = _none(v)
    if v is None:
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date()
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, int):  # numpy datetime64[ns] .item() gives nanoseconds
        return pd.Timestamp(v).date()
    if isinstance(v, str):
        s = v.strip()
        if not s:
            return None
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(s[:10], fmt).date()
            except ValueError:
                continue
    return None


def _as_bool(v: Any) -> bool | None:
    v = _none(v)
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return bool(v)
    if isinstance(v, str):
        s = v.strip().lower()
        if s in ("true", "1", "si", "sí", "x", "yes"):
            return True
        if s in ("false", "0", "no"):
            return False
    return None


def as_str(v: Any) -> str | None:
    """A source value as text, None when missing."""
    v = _none(v)
    return None if v is None else str(v)


def _as_float(v: Any) -> float | None:
    v = _none(v)
    if v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None




@dataclass(frozen=True)
class Consultation:
    """An open or closed consultation as the deadline rules read it."""

    id: str
    name: str | None
    stage: str | None
    start: date | None
    end: date | None


def consultation_index(consultations: Any) -> dict[str, Consultation]:
    """Consultations by id from a frame with ``id`` and optional name/stage/dates."""
    out: dict[str, Consultation] = {}
    if consultations is None or len(consultations) == 0:
        return out
    cols = set(consultations.columns)
    for rec in consultations.to_dict("records"):
        cid = str(rec["id"])
        out[cid] = Consultation(
            id=cid,
            name=as_str(rec.get("name")) if "name" in cols else None,
            stage=as_str(rec.get("stage")) if "stage" in cols else None,
            start=_as_date(rec.get("start_date")) if "start_date" in cols else None,
            end=_as_date(rec.get("end_date")) if "end_date" in cols else None,
        )
    return out


def _open(c: Consultation, today: date) -> bool:
    if c.stage == "closed":
        return False
    return not (c.end is not None and c.end < today)


def _start_key(c: Consultation) -> tuple[date, str]:
    return (c.start or date.min, c.id)


def _primary(cons: list[Consultation], today: date) -> Consultation | None:
    """The consultation that sets deadlines: the next to start, else the latest started."""
    if not cons:
        return None
    upcoming = sorted((c for c in cons if c.start is not None and c.start >= today), key=_start_key)
    if upcoming:
        return upcoming[0]
    started = sorted((c for c in cons if c.start is not None), key=_start_key, reverse=True)
    if started:
        return started[0]
    return sorted(cons, key=lambda c: c.id)[0]


def community_facts(
    community_row: Mapping[str, Any] | pd.Series,
    analysis: AnalysisResult,
    consultations: Any = None,
    *,
    today: date,
    extra: Mapping[str, Any] | None = None,
    _consultations: Mapping[str, Consultation] | None = None,
) -> dict[str, Any]:
    """The facts rules see for one community (names and meanings in :data:`FACTS`).

    Unknown source values stay None ("no consta"); counts and areas from the analysis are
    0 when nothing overlaps. Extinguished concessions never count as pressure.
    ``extra`` supplies this community's raster facts (:data:`RASTER_FACTS`; other keys are
    ignored); missing ones are None.
    """
    get = community_row.get
    cid = str(get("id"))
    cindex = _consultations if _consultations is not None else consultation_index(consultations)

    legal = as_str(get("legal_status"))
    title = as_str(get("title_status"))
    f: dict[str, Any] = {
        "community_id": cid,
        "name": as_str(get("name")) or cid,
        "kind": as_str(get("kind")),
        "country": as_str(get("country")),
        "today": today,
        "title_status": title,
        "title_status_es": V.TITLE_STATUS.in_sentence(title, "es"),
        "title_status_en": V.TITLE_STATUS.in_sentence(title, "en"),
        "official_area_ha": _as_float(get("official_area_ha")),
        "legal_status": legal,
        "legal_status_es": V.LEGAL_STATUS.in_sentence(legal, "es"),
        "legal_status_en": V.LEGAL_STATUS.in_sentence(legal, "en"),
        "registry_entry": as_str(get("registry_entry")),
        "registration_date": _as_date(get("registration_date")),
        "statute_adopted": _as_date(get("statute_adopted")),
        "statute_modified": _as_date(get("statute_modified")),
    }
    f["statute_known"] = f["statute_adopted"] is not None
    for clause in (
        "clause_territory",
        "clause_water",
        "clause_environment",
        "clause_consultation",
        "clause_women",
    ):
        f[clause] = _as_bool(get(clause))
    f["board_elected"] = _as_date(get("board_elected"))
    term_end = _as_date(get("board_term_end"))
    f["board_term_end"] = term_end
    f["board_registered"] = _as_bool(get("board_registered"))
    f["board_days_left"] = None if term_end is None else (term_end - today).days
    f["board_term_expired"] = None if term_end is None else term_end < today

    # territory and concessions
    rec = analysis.records
    summ = rec("communities", cid)
    georef = bool(summ[0]["has_territory"]) if summ else False
    f["georeferenced"] = georef
    f["estimate"] = not georef
    f["territory_ha"] = _as_float(summ[0]["territory_ha"]) if summ and georef else None
    live = [r for r in rec("concession_overlaps", cid) if r["state"] in PRESSURE_STATES]
    f["concession_codes"] = [str(r["concession_code"]) for r in live]
    f["concession_count"] = len(live)
    f["titled_count"] = sum(1 for r in live if r["state"] == "titled")
    f["in_process_count"] = sum(1 for r in live if r["state"] == "in_process")
    pres = rec("pressure", cid)
    for key in (
        "concession_ha_union",
        "share_union",
        "titled_ha",
        "in_process_ha",
        "share_titled",
        "share_in_process",
    ):
        f[key] = float(pres[0][key]) if pres else 0.0
    near = [r for r in rec("proximity", cid) if r["state"] in PRESSURE_STATES]
    f["nearby_concession_codes"] = [str(r["concession_code"]) for r in near]
    f["nearby_concession_count"] = len(near)
    f["nearest_concession_m"] = min((float(r["distance_m"]) for r in near), default=None)
    f["radius_m"] = float(analysis.radius_m)
    f["radius_km"] = float(analysis.radius_m) / 1000.0
    f["under_pressure"] = f["concession_count"] > 0 or f["nearby_concession_count"] > 0

    # consultations
    mem = [str(r["consultation_id"]) for r in rec("consultation_membership", cid)]
    # membership without consultation attributes still means "in consultation"
    cons = [cindex.get(k) or Consultation(k, None, None, None, None) for k in mem]
    cons = [c for c in cons if _open(c, today)]
    prim = _primary(cons, today)
    f["in_consultation"] = bool(cons)
    f["consultation_count"] = len(cons)
    f["consultation_ids"] = sorted(c.id for c in cons)
    f["consultation_id"] = prim.id if prim else None
    f["consultation_name"] = (prim.name or prim.id) if prim else None
    f["consultation_stage"] = prim.stage if prim else None
    f["consultation_start"] = prim.start if prim else None
    f["days_to_consultation"] = (prim.start - today).days if prim and prim.start else None
    f["board_term_end_days_before_consultation"] = (
        (prim.start - term_end).days if prim and prim.start and term_end else None
    )

    # water
    f["water_ids"] = sorted({str(r["water_id"]) for r in rec("water_in_communities", cid)})
    f["water_count"] = len(f["water_ids"])
    risk = [r for r in rec("water_at_risk", cid) if r["concession_state"] in PRESSURE_STATES]
    f["water_in_concession_ids"] = sorted({str(r["water_id"]) for r in risk})
    f["water_in_concession_codes"] = sorted({str(r["concession_code"]) for r in risk})
    f["water_in_concession_count"] = len(f["water_in_concession_ids"])

    # neighbours
    nb = rec("neighbour_overlaps", cid)
    if nb:
        top = min(nb, key=lambda r: (-float(r["intersection_ha"]), str(r["other_id"])))
        f["neighbour_overlap_ha"] = float(top["intersection_ha"])
        f["neighbour_max_id"] = str(top["other_id"])
        f["neighbour_overlap_total_ha"] = float(sum(float(r["intersection_ha"]) for r in nb))
        f["neighbour_ids"] = [str(r["other_id"]) for r in nb]
    else:
        f["neighbour_overlap_ha"] = 0.0
        f["neighbour_max_id"] = None
        f["neighbour_overlap_total_ha"] = 0.0
        f["neighbour_ids"] = []
    f["neighbour_count"] = len(f["neighbour_ids"])

    # rasters (computed outside geo.overlay; unknown unless supplied)
    extra = extra or {}
    for name in RASTER_FACTS:
        f[name] = _none(extra.get(name))
    return f

