"""Response deadlines of cadastre alerts, as rule data: how long a community has to answer a
change of the mining cadastre (e.g. to oppose a new mining petition), from which date it is
counted, in calendar or business days, with an orientative legal reference.

They live in the country rule files (``[[deadline]]`` tables, holidays under ``[calendar]``)
so lawyers edit them like the flag rules; everything is checked when the file is loaded.
Pure: no database, no HTTP (``geo.rule_files`` calls :func:`parse_deadlines`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from geo import vocabulary as V
from geo.errors import bilingual

__all__ = ["ResponseDeadline", "WorkCalendar", "add_days", "parse_calendar",
           "parse_deadlines"]

#: Keys of a ``[[deadline]]`` table (required, then optional).
DEADLINE_REQUIRED = ("id", "change_kind", "counts_from", "days", "day_type", "what_es",
                     "what_en", "reference_es", "reference_en")
DEADLINE_OPTIONAL = ("fallback",)
CALENDAR_KEYS = ("holidays",)

#: Most days a window may last (a typo such as 6000 is refused, not obeyed).
MAX_DAYS = 3650


@dataclass(frozen=True)
class WorkCalendar:
    """Which days count as business days: Monday to Friday minus the listed holidays."""

    holidays: frozenset[dt.date] = frozenset()

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays


def add_days(start: dt.date, days: int, day_type: str,
             calendar: WorkCalendar | None = None) -> dt.date:
    """The last day of a window of ``days`` counted from ``start`` (the day after it is
    day 1). Calendar days count every day; business days skip weekends and holidays."""
    if day_type == "calendar":
        return start + dt.timedelta(days=days)
    if day_type != "business":
        raise ValueError(f"unknown day type {day_type!r}")
    cal = calendar or WorkCalendar()
    day, left = start, days
    while left > 0:
        day += dt.timedelta(days=1)
        if cal.is_business_day(day):
            left -= 1
    return day


@dataclass(frozen=True)
class ResponseDeadline:
    """One window to answer a kind of cadastre change (a ``[[deadline]]`` of a rule file)."""

    id: str
    change_kind: str
    counts_from: str
    days: int
    day_type: str
    what_es: str
    what_en: str
    reference_es: str
    reference_en: str
    fallback: str | None = None

    def start(self, dates: Mapping[str, dt.date | None]) -> tuple[str, dt.date] | None:
        """The basis used and its date, from the dates on record (``filing``,
        ``detection``); the fallback when the first is missing; None when neither is."""
        for basis in (self.counts_from, self.fallback):
            if basis and dates.get(basis) is not None:
                return basis, dates[basis]  # type: ignore[return-value]
        return None

    def due(self, dates: Mapping[str, dt.date | None],
            calendar: WorkCalendar | None = None) -> dict[str, Any] | None:
        """What an alert stores: the due date, what to do, the reference and how it was
        counted (so the record stays true if the file changes later)."""
        began = self.start(dates)
        if began is None:
            return None
        basis, since = began
        return {"rule": self.id, "due": add_days(since, self.days, self.day_type,
                                                 calendar).isoformat(),
                "counts_from": basis, "from": since.isoformat(), "days": self.days,
                "day_type": self.day_type, "what_es": self.what_es, "what_en": self.what_en,
                "reference_es": self.reference_es, "reference_en": self.reference_en}


Fail = Callable[[str | None, str], Exception]


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_calendar(raw: Any, fail: Fail) -> WorkCalendar:
    """``[calendar] holidays = [2026-01-01, …]`` (TOML dates) → a :class:`WorkCalendar`."""
    if raw is None:
        return WorkCalendar()
    if not isinstance(raw, dict):
        raise fail(None, bilingual("[calendar] debe ser una tabla", "[calendar] must be a table"))
    extra = sorted(set(raw) - set(CALENDAR_KEYS))
    if extra:
        raise fail(None, bilingual(f"claves desconocidas en [calendar]: {', '.join(extra)}",
                                   f"unknown [calendar] keys: {', '.join(extra)}"))
    days = raw.get("holidays", [])
    if not isinstance(days, list) or not all(
            isinstance(d, dt.date) and not isinstance(d, dt.datetime) for d in days):
        raise fail(None, bilingual(
            "[calendar] holidays debe ser una lista de fechas AAAA-MM-DD sin comillas",
            "[calendar] holidays must be a list of unquoted YYYY-MM-DD dates"))
    return WorkCalendar(frozenset(days))


def _choice(value: Any, vocab: V.Vocabulary, key: str, rid: str, fail: Fail) -> str:
    if isinstance(value, str) and value in vocab.codes:
        return value
    codes = ", ".join(vocab.codes)
    raise fail(rid, bilingual(f"'{key}' = {value!r} no es válido (use {codes})",
                              f"'{key}' = {value!r} is not valid (use {codes})"))


def _parse_one(raw: Any, n: int, fail: Fail) -> ResponseDeadline:
    if not isinstance(raw, dict):
        raise fail(f"#{n}", bilingual("cada [[deadline]] debe ser una tabla",
                                      "each [[deadline]] must be a table"))
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid.strip():
        raise fail(f"#{n}", bilingual("[[deadline]] sin 'id'", "[[deadline]] without 'id'"))
    unknown = sorted(set(raw) - set(DEADLINE_REQUIRED) - set(DEADLINE_OPTIONAL))
    if unknown:
        raise fail(rid, bilingual(f"claves desconocidas: {', '.join(unknown)}",
                                  f"unknown keys: {', '.join(unknown)}"))
    missing = [k for k in DEADLINE_REQUIRED if k not in raw]
    if missing:
        raise fail(rid, bilingual(f"faltan claves: {', '.join(missing)}",
                                  f"missing keys: {', '.join(missing)}"))
    kind = _choice(raw["change_kind"], V.CHANGE_KIND, "change_kind", rid, fail)
    basis = _choice(raw["counts_from"], V.DEADLINE_BASIS, "counts_from", rid, fail)
    fallback = raw.get("fallback")
    if fallback is not None:
        fallback = _choice(fallback, V.DEADLINE_BASIS, "fallback", rid, fail)
    day_type = _choice(raw["day_type"], V.DAY_TYPE, "day_type", rid, fail)
    days = raw["days"]
    if not _int(days) or not 1 <= days <= MAX_DAYS:
        raise fail(rid, bilingual(
            f"'days' debe ser un número entero de días entre 1 y {MAX_DAYS} (es {days!r})",
            f"'days' must be a whole number of days from 1 to {MAX_DAYS} (got {days!r})"))
    for key in ("what_es", "what_en", "reference_es", "reference_en"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise fail(rid, bilingual(f"'{key}' debe ser un texto no vacío",
                                      f"'{key}' must be a non-empty text"))
    return ResponseDeadline(id=rid, change_kind=kind, counts_from=basis, days=days,
                            day_type=day_type, what_es=raw["what_es"],
                            what_en=raw["what_en"], reference_es=raw["reference_es"],
                            reference_en=raw["reference_en"], fallback=fallback)


def parse_deadlines(raw: Any, fail: Fail) -> tuple[ResponseDeadline, ...]:
    """Validate the ``[[deadline]]`` tables: at most one per change kind, unique ids."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise fail(None, bilingual("'deadline' debe escribirse como tablas [[deadline]]",
                                   "'deadline' must be written as [[deadline]] tables"))
    out: list[ResponseDeadline] = []
    for n, item in enumerate(raw, start=1):
        d = _parse_one(item, n, fail)
        if any(o.id == d.id for o in out):
            raise fail(d.id, bilingual("id de plazo repetido", "duplicate deadline id"))
        if any(o.change_kind == d.change_kind for o in out):
            raise fail(d.id, bilingual(
                f"ya hay un plazo para el cambio '{d.change_kind}' (uno por tipo de cambio)",
                f"there is already a deadline for change '{d.change_kind}' (one per kind)"))
        out.append(d)
    return tuple(out)


def by_kind(deadlines: Iterable[ResponseDeadline]) -> dict[str, ResponseDeadline]:
    """The deadline of each change kind."""
    return {d.change_kind: d for d in deadlines}
