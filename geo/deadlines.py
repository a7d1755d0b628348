"""Response deadlines of cadastre alerts, as rule data: how long a community has to answer a
change of the mining cadastre (e.g. to oppose a new mining petition), from which date it is
counted, in calendar or business days, with an orientative legal reference.

They live in the country rule files (``[[deadline]]`` tables, holidays under ``[calendar]``)
so lawyers edit them like the flag rules; everything is checked when the file is loaded.

A window whose last day is a Saturday, Sunday or listed holiday ends on the next business day
(Peru: TUO de la Ley 27444, art. 145; Bolivia: Ley 2341, art. 21), unless its
``[[deadline]]`` says ``ends_on_business_day = false`` (a term under another regime). The
holiday list only covers the years it names: a window that needs a year it does not name is
still computed (weekends only for that year) but carries a warning the lawyer sees.
Pure: no database, no HTTP (``geo.rule_files`` calls :func:`parse_deadlines`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from geo import vocabulary as V
from geo.errors import Bilingual, bilingual

__all__ = ["DueDate", "ResponseDeadline", "WorkCalendar", "add_days", "calendar_warning",
           "day_off_note", "due_date", "moved_note", "parse_calendar", "parse_deadlines"]

#: Keys of a ``[[deadline]]`` table (required, then optional).
DEADLINE_REQUIRED = ("id", "change_kind", "counts_from", "days", "day_type", "what_es",
                     "what_en", "reference_es", "reference_en")
DEADLINE_OPTIONAL = ("fallback", "ends_on_business_day")
CALENDAR_KEYS = ("holidays",)

#: Most days a window may last (a typo such as 6000 is refused, not obeyed).
MAX_DAYS = 3650


@dataclass(frozen=True)
class WorkCalendar:
    """Which days count as business days: Monday to Friday minus the listed holidays."""

    holidays: frozenset[dt.date] = frozenset()

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    @property
    def years(self) -> frozenset[int]:
        """The years whose holidays are listed (a year with none listed is not covered)."""
        return frozenset(d.year for d in self.holidays)

    def next_business_day(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a business day, else the first business day after it."""
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day


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
class DueDate:
    """When a window really ends, and why: its last counted day, the non-working days the
    end moved past, and the years whose holidays the calendar does not list."""

    window_end: dt.date
    due: dt.date
    moved_past: tuple[dt.date, ...] = ()
    uncovered_years: tuple[int, ...] = ()
    #: whether the last counted day is a business day (False: weekend or listed holiday)
    window_end_works: bool = True


def due_date(start: dt.date, days: int, day_type: str, calendar: WorkCalendar | None = None,
             *, ends_on_business_day: bool = True) -> DueDate:
    """The window of :func:`add_days`, its end moved to the next business day when it falls
    on a weekend or holiday (the legal rule, unless ``ends_on_business_day`` is False).
    ``uncovered_years``: years of the days whose working status was looked up (every day of
    a business-day count; the end and the days it moved past for calendar days) that the
    holiday list does not cover, so their holidays were not skipped."""
    cal = calendar or WorkCalendar()
    end = add_days(start, days, day_type, cal)
    due = cal.next_business_day(end) if ends_on_business_day else end
    moved = tuple(end + dt.timedelta(days=n) for n in range((due - end).days))
    if day_type == "business":
        first: dt.date | None = start + dt.timedelta(days=1)
    else:
        first = end if ends_on_business_day else None
    looked_up = set(range(first.year, due.year + 1)) if first is not None else set()
    return DueDate(window_end=end, due=due, moved_past=moved,
                   uncovered_years=tuple(sorted(looked_up - cal.years)),
                   window_end_works=cal.is_business_day(end))


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
    #: False only for a term under another regime: its last day stays even if non-working
    ends_on_business_day: bool = True

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
        when = due_date(since, self.days, self.day_type, calendar,
                        ends_on_business_day=self.ends_on_business_day)
        return {"rule": self.id, "due": when.due.isoformat(),
                "counts_from": basis, "from": since.isoformat(), "days": self.days,
                "day_type": self.day_type, "what_es": self.what_es, "what_en": self.what_en,
                "reference_es": self.reference_es, "reference_en": self.reference_en,
                "window_end": when.window_end.isoformat(),
                "ends_on_business_day": self.ends_on_business_day,
                "moved_past": [d.isoformat() for d in when.moved_past],
                "window_end_works": when.window_end_works,
                "uncovered_years": list(when.uncovered_years)}


_DAYS_ES = ("lun.", "mar.", "mié.", "jue.", "vie.", "sáb.", "dom.")
_DAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _day(day: dt.date, lang: str) -> str:
    """"sáb. 02/05/2026" / "Sat 2026-05-02": the weekday beside the date, so a lawyer sees
    at a glance why the date moved."""
    if lang == "en":
        return f"{_DAYS_EN[day.weekday()]} {day.isoformat()}"
    return f"{_DAYS_ES[day.weekday()]} {day:%d/%m/%Y}"


def _kinds(days: list[dt.date], lang: str) -> str:
    """"feriado y fin de semana": what kind of non-working days these are (a weekday that is
    not a business day is a holiday)."""
    weekend = any(d.weekday() >= 5 for d in days)
    holiday = any(d.weekday() < 5 for d in days)
    if lang == "en":
        return " and ".join(k for k, on in (("holiday", holiday), ("weekend", weekend)) if on)
    return " y ".join(k for k, on in (("feriado", holiday), ("fin de semana", weekend)) if on)


def _why(days: list[dt.date], lang: str) -> str:
    if lang == "en":
        return f"non-working day{'s' if len(days) > 1 else ''}: {_kinds(days, lang)}"
    return f"{'días inhábiles' if len(days) > 1 else 'día inhábil'}: {_kinds(days, lang)}"


def day_off_note(day: dt.date, calendar: WorkCalendar, lang: str = "es") -> str | None:
    """For a date a person typed (a case's deadline): None on a business day; else that it
    is a non-working day and the business day a legal term ending then moves to. Holidays
    of a year the calendar does not cover are unknown: only weekends are noticed there."""
    if calendar.is_business_day(day):
        return None
    nxt = _day(calendar.next_business_day(day), lang)
    if lang == "en":
        return (f"{_day(day, lang)} is a non-working day ({_kinds([day], lang)}): a legal "
                f"term ending that day moves to {nxt}")
    return (f"{_day(day, lang)} es día inhábil ({_kinds([day], lang)}): un plazo legal que "
            f"vence ese día se traslada al {nxt}")


def moved_note(record: Mapping[str, Any], lang: str = "es") -> str | None:
    """What a reader must know about the last day of a stored deadline (:meth:`due`):
    "vence el vie. 01/05/2026 → se traslada al lun. 04/05/2026 (días inhábiles: feriado y
    fin de semana)"; or that a term which does not move ends on a non-working day; None
    when the window simply ends on a business day (or the record predates this note)."""
    end, due = record.get("window_end"), record.get("due")
    if not end or not due:
        return None
    end_d, due_d = dt.date.fromisoformat(end), dt.date.fromisoformat(due)
    moved = [dt.date.fromisoformat(d) for d in record.get("moved_past") or ()]
    if end_d != due_d and moved:
        if lang == "en":
            return (f"ends on {_day(end_d, lang)} → moved to {_day(due_d, lang)} "
                    f"({_why(moved, lang)})")
        return (f"vence el {_day(end_d, lang)} → se traslada al {_day(due_d, lang)} "
                f"({_why(moved, lang)})")
    if record.get("ends_on_business_day") is False and record.get("window_end_works") is False:
        if lang == "en":
            return (f"ends on {_day(end_d, lang)}, a non-working day: this term does not move "
                    f"to the next business day")
        return (f"vence el {_day(end_d, lang)}, día inhábil: este plazo no se traslada al "
                f"día hábil siguiente")
    return None


def calendar_warning(record: Mapping[str, Any]) -> Bilingual | None:
    """A bilingual warning when the count needed years whose holidays the rule file does
    not list (their holidays were not skipped), else None."""
    years = [int(y) for y in record.get("uncovered_years") or ()]
    if not years:
        return None
    es = ", ".join(str(y) for y in years)
    return Bilingual(
        f"Atención: el calendario de feriados no cubre {es}; en ese período sólo se "
        f"descontaron sábados y domingos. Verifique los feriados y la fecha con asesoría "
        f"legal", f"Warning: the holiday calendar does not cover {es}; only weekends were "
                  f"skipped in that period. Check the holidays and the date with a lawyer")


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
    extends = raw.get("ends_on_business_day", True)
    if not isinstance(extends, bool):
        raise fail(rid, bilingual(
            f"'ends_on_business_day' debe ser true o false sin comillas (es {extends!r})",
            f"'ends_on_business_day' must be true or false, unquoted (got {extends!r})"))
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
                            reference_en=raw["reference_en"], fallback=fallback,
                            ends_on_business_day=extends)


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
