"""The facts one community presents to the rules, computed from its record and an analysis.

Turns a community row (legal personality, statute, board, title), the overlay results of
:class:`~geo.overlay.AnalysisResult` and the consultations into the plain dict that rule
conditions test; the names, types and meanings are those of :data:`geo.rule_facts.FACTS`.
Unknown source values stay None ("no consta") instead of being guessed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from geo import vocabulary as V
from geo.overlay import PRESSURE_STATES, AnalysisResult
from geo.rule_facts import RASTER_FACTS

__all__ = [
    "Consultation",
    "FactColumns",
    "FactRow",
    "as_str",
    "community_facts",
    "consultation_index",
    "fact_columns",
    "frame_source",
]


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
    if v is None or type(v) is date:  # the usual cases first (a run converts 100,000s)
        return v
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
    if v is None or type(v) is bool:
        return v
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
    if v is None or type(v) is str:
        return v
    v = _none(v)
    return None if v is None else str(v)


def _as_float(v: Any) -> float | None:
    if type(v) is float:
        return None if math.isnan(v) else v
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


class FactColumns:
    """The facts of many communities as columns (fact name -> one value per row), with
    :meth:`row`, a read-only mapping view of one row (what a single community's rules see).

    Built in bulk by :func:`fact_columns`: one pass per analysis table instead of a dict and
    a dozen table look-ups per community.
    """

    __slots__ = ("columns", "n")

    def __init__(self, columns: dict[str, list[Any]], n: int) -> None:
        self.columns, self.n = columns, n

    def row(self, i: int) -> FactRow:
        return FactRow(self.columns, i)


class FactRow(Mapping[str, Any]):
    """One community's facts: a view of row ``i`` of a :class:`FactColumns`."""

    __slots__ = ("_columns", "_i")

    def __init__(self, columns: Mapping[str, list[Any]], i: int) -> None:
        self._columns, self._i = columns, i

    def __getitem__(self, name: str) -> Any:
        return self._columns[name][self._i]

    def get(self, name: str, default: Any = None) -> Any:
        col = self._columns.get(name)
        return default if col is None else col[self._i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


#: Source column name -> that column's values for the rows (None when the column is absent).
Source = Callable[[str], "list[Any] | None"]


def frame_source(frame: Any, positions: Sequence[int] | None = None) -> tuple[int, Source]:
    """Row count and column reader of a DataFrame (optionally only the rows at
    ``positions``): ``tolist()`` gives the Python scalars ``to_dict("records")`` gives."""
    cols = set(frame.columns)
    n = len(frame) if positions is None else len(positions)

    def get(name: str) -> list[Any] | None:
        if name not in cols:
            return None
        values = frame[name].tolist()
        return values if positions is None else [values[i] for i in positions]

    return n, get


def _table(analysis: AnalysisResult, name: str, columns: Sequence[str]
           ) -> tuple[list[str], list[list[Any]]]:
    """Community ids (as text) and the given columns of an analysis table, as lists."""
    df = analysis.tables()[name]
    if len(df) == 0:
        return [], [[] for _ in columns]
    return [str(c) for c in df["community_id"].tolist()], [df[c].tolist() for c in columns]


def _grouped(ids: list[str], *values: list[Any]) -> dict[str, list[tuple[Any, ...]]]:
    """Rows of a table by community id, in table order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for cid, *rest in zip(ids, *values, strict=True):
        out.setdefault(cid, []).append(tuple(rest))
    return out


def fact_columns(
    n: int,
    source: Source,
    analysis: AnalysisResult,
    *,
    today: date,
    extra_facts: Mapping[str, Mapping[str, Any]] | None = None,
    consultations: Mapping[str, Consultation] | None = None,
) -> FactColumns:
    """The facts rules see for ``n`` communities whose source columns ``source`` reads
    (names and meanings in :data:`FACTS`).

    Unknown source values stay None ("no consta"); counts and areas from the analysis are
    0 when nothing overlaps. Extinguished concessions never count as pressure.
    ``extra_facts`` maps a community id to its raster facts (:data:`RASTER_FACTS`; other
    keys are ignored); missing ones are None.
    """
    def col(name: str, convert: Callable[[Any], Any]) -> list[Any]:
        values = source(name)
        if values is None:
            return [convert(None)] * n
        return [convert(v) for v in values]

    raw_ids = source("id")
    ids = [str(v) for v in raw_ids] if raw_ids is not None else ["None"] * n
    names = col("name", as_str)
    f: dict[str, list[Any]] = {
        "community_id": ids,
        "name": [nm or cid for nm, cid in zip(names, ids, strict=True)],
        "kind": col("kind", as_str),
        "country": col("country", as_str),
        "today": [today] * n,
    }
    title = f["title_status"] = col("title_status", as_str)
    f["official_area_ha"] = col("official_area_ha", _as_float)
    legal = f["legal_status"] = col("legal_status", as_str)
    for key, codes, vocab in (("title_status", title, V.TITLE_STATUS),
                              ("legal_status", legal, V.LEGAL_STATUS)):
        for lang in ("es", "en"):
            memo = {c: vocab.in_sentence(c, lang) for c in set(codes)}
            f[f"{key}_{lang}"] = [memo[c] for c in codes]
    f["registry_entry"] = col("registry_entry", as_str)
    for key in ("registration_date", "statute_adopted", "statute_modified"):
        f[key] = col(key, _as_date)
    f["statute_known"] = [d is not None for d in f["statute_adopted"]]
    for clause in ("clause_territory", "clause_water", "clause_environment",
                   "clause_consultation", "clause_women"):
        f[clause] = col(clause, _as_bool)
    f["board_elected"] = col("board_elected", _as_date)
    term_end = f["board_term_end"] = col("board_term_end", _as_date)
    f["board_registered"] = col("board_registered", _as_bool)
    f["board_days_left"] = [None if t is None else (t - today).days for t in term_end]
    f["board_term_expired"] = [None if t is None else t < today for t in term_end]

    _territory_facts(f, ids, analysis)
    _consultation_facts(f, ids, analysis, today, consultations or {})
    _water_and_neighbour_facts(f, ids, analysis)

    # rasters (computed outside geo.overlay; unknown unless supplied)
    extras = [(extra_facts.get(cid) if extra_facts else None) or {} for cid in ids]
    for name in RASTER_FACTS:
        f[name] = [_none(e.get(name)) for e in extras]
    return FactColumns(f, n)


def _territory_facts(f: dict[str, list[Any]], ids: list[str], analysis: AnalysisResult) -> None:
    """Territory, concessions over it and concessions near a point-only community."""
    summ: dict[str, tuple[Any, Any]] = {}
    for cid, has_t, ha in zip(*_flat(_table(analysis, "communities",
                                            ["has_territory", "territory_ha"])), strict=True):
        summ.setdefault(cid, (has_t, ha))
    georef = [bool(summ[c][0]) if c in summ else False for c in ids]
    f["georeferenced"] = georef
    f["estimate"] = [not g for g in georef]
    f["territory_ha"] = [_as_float(summ[c][1]) if g else None
                         for c, g in zip(ids, georef, strict=True)]
    cid_list, (codes, states) = _table(analysis, "concession_overlaps",
                                       ["concession_code", "state"])
    live = _grouped(cid_list, codes, states)
    pressure_codes = [[str(k) for k, s in live.get(c, ()) if s in PRESSURE_STATES] for c in ids]
    f["concession_codes"] = pressure_codes
    f["concession_count"] = [len(k) for k in pressure_codes]
    for key, state in (("titled_count", "titled"), ("in_process_count", "in_process")):
        f[key] = [sum(1 for _k, s in live.get(c, ()) if s == state) for c in ids]
    keys = ["concession_ha_union", "share_union", "titled_ha", "in_process_ha", "share_titled",
            "share_in_process"]
    pres: dict[str, tuple[Any, ...]] = {}
    for cid, *values in zip(*_flat(_table(analysis, "pressure", keys)), strict=True):
        pres.setdefault(cid, tuple(values))
    for k, key in enumerate(keys):
        f[key] = [float(pres[c][k]) if c in pres else 0.0 for c in ids]
    cid_list, (codes, states, dist) = _table(analysis, "proximity",
                                             ["concession_code", "state", "distance_m"])
    near_rows = _grouped(cid_list, codes, states, dist)
    near = [[r for r in near_rows.get(c, ()) if r[1] in PRESSURE_STATES] for c in ids]
    f["nearby_concession_codes"] = [[str(r[0]) for r in rows] for rows in near]
    f["nearby_concession_count"] = [len(rows) for rows in near]
    f["nearest_concession_m"] = [min((float(r[2]) for r in rows), default=None) for rows in near]
    radius = float(analysis.radius_m)
    f["radius_m"] = [radius] * len(ids)
    f["radius_km"] = [radius / 1000.0] * len(ids)
    f["under_pressure"] = [a > 0 or b > 0 for a, b in zip(
        f["concession_count"], f["nearby_concession_count"], strict=True)]


def _flat(table: tuple[list[str], list[list[Any]]]) -> list[list[Any]]:
    ids, cols = table
    return [ids, *cols]


def _consultation_facts(f: dict[str, list[Any]], ids: list[str], analysis: AnalysisResult,
                        today: date, cindex: Mapping[str, Consultation]) -> None:
    """The consultations a community is in and the one that sets its deadlines."""
    cid_list, (members,) = _table(analysis, "consultation_membership", ["consultation_id"])
    mem = _grouped(cid_list, members)
    names = ("in_consultation", "consultation_count", "consultation_ids", "consultation_id",
             "consultation_name", "consultation_stage", "consultation_start",
             "days_to_consultation", "board_term_end_days_before_consultation")
    out: dict[str, list[Any]] = {k: [] for k in names}
    for cid, term_end in zip(ids, f["board_term_end"], strict=True):
        # membership without consultation attributes still means "in consultation"
        cons = [cindex.get(k) or Consultation(k, None, None, None, None)
                for k in (str(r[0]) for r in mem.get(cid, ()))]
        cons = [c for c in cons if _open(c, today)]
        prim = _primary(cons, today)
        out["in_consultation"].append(bool(cons))
        out["consultation_count"].append(len(cons))
        out["consultation_ids"].append(sorted(c.id for c in cons))
        out["consultation_id"].append(prim.id if prim else None)
        out["consultation_name"].append((prim.name or prim.id) if prim else None)
        out["consultation_stage"].append(prim.stage if prim else None)
        out["consultation_start"].append(prim.start if prim else None)
        out["days_to_consultation"].append(
            (prim.start - today).days if prim and prim.start else None)
        out["board_term_end_days_before_consultation"].append(
            (prim.start - term_end).days if prim and prim.start and term_end else None)
    f.update(out)


def _water_and_neighbour_facts(f: dict[str, list[Any]], ids: list[str],
                               analysis: AnalysisResult) -> None:
    """Water sources in the territory (and inside concessions); overlapping neighbours."""
    cid_list, (water,) = _table(analysis, "water_in_communities", ["water_id"])
    wat = _grouped(cid_list, water)
    f["water_ids"] = [sorted({str(r[0]) for r in wat.get(c, ())}) for c in ids]
    f["water_count"] = [len(w) for w in f["water_ids"]]
    cid_list, (wid, codes, states) = _table(analysis, "water_at_risk",
                                            ["water_id", "concession_code", "concession_state"])
    risk_rows = _grouped(cid_list, wid, codes, states)
    risk = [[r for r in risk_rows.get(c, ()) if r[2] in PRESSURE_STATES] for c in ids]
    f["water_in_concession_ids"] = [sorted({str(r[0]) for r in rows}) for rows in risk]
    f["water_in_concession_codes"] = [sorted({str(r[1]) for r in rows}) for rows in risk]
    f["water_in_concession_count"] = [len(w) for w in f["water_in_concession_ids"]]

    cid_list, (other, ha) = _table(analysis, "neighbour_overlaps", ["other_id", "intersection_ha"])
    nbs = _grouped(cid_list, other, ha)
    top_ha: list[float] = []
    top_id: list[str | None] = []
    total: list[float] = []
    nb_ids: list[list[str]] = []
    for c in ids:
        nb = nbs.get(c)
        if nb:
            top = min(nb, key=lambda r: (-float(r[1]), str(r[0])))
            top_ha.append(float(top[1]))
            top_id.append(str(top[0]))
            total.append(float(sum(float(r[1]) for r in nb)))
            nb_ids.append([str(r[0]) for r in nb])
        else:
            top_ha.append(0.0)
            top_id.append(None)
            total.append(0.0)
            nb_ids.append([])
    f["neighbour_overlap_ha"] = top_ha
    f["neighbour_max_id"] = top_id
    f["neighbour_overlap_total_ha"] = total
    f["neighbour_ids"] = nb_ids
    f["neighbour_count"] = [len(x) for x in nb_ids]


def community_facts(
    community_row: Mapping[str, Any] | pd.Series,
    analysis: AnalysisResult,
    consultations: Any = None,
    *,
    today: date,
    extra: Mapping[str, Any] | None = None,
    _consultations: Mapping[str, Consultation] | None = None,
) -> dict[str, Any]:
    """The facts rules see for one community (names and meanings in :data:`FACTS`):
    :func:`fact_columns` for one row. ``extra`` supplies its raster facts."""
    get = community_row.get
    cindex = _consultations if _consultations is not None else consultation_index(consultations)
    cid = str(get("id"))
    columns = fact_columns(1, lambda name: [get(name)], analysis, today=today,
                           extra_facts={cid: extra} if extra else None, consultations=cindex)
    return dict(columns.row(0))
