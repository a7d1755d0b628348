"""A deadline never ends on a non-working day: a window whose last day is a Saturday,
Sunday or listed holiday ends on the next business day (TUO Ley 27444, art. 145; Ley 2341,
art. 21) unless the rule file says the term does not move; the holiday lists of the bundled
files cover 2026 and 2027 with the movable feasts where Easter puts them; and a count that
needs a year the list does not cover is still made but carries a bilingual warning."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from geo.deadlines import (
    WorkCalendar,
    add_days,
    calendar_warning,
    day_off_note,
    due_date,
    moved_note,
)
from geo.errors import Bilingual
from geo.rule_files import RuleFileError, load_rules, parse_rules

D = dt.date
PE = load_rules("PE").calendar
BO = load_rules("BO").calendar


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher), written
    here independently of the rule files to check the movable feasts listed in them."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return D(year, month, day + 1)


def test_easter_algorithm_matches_known_dates() -> None:
    assert [_easter(y) for y in (2024, 2025, 2026, 2027)] == [
        D(2024, 3, 31), D(2025, 4, 20), D(2026, 4, 5), D(2027, 3, 28)]


def test_a_window_ending_on_a_weekend_moves_to_monday() -> None:
    # Peru, 30 calendar days from Thursday 3 Sep 2026 end on Saturday 3 Oct
    when = due_date(D(2026, 9, 3), 30, "calendar", PE)
    assert (when.window_end, when.due) == (D(2026, 10, 3), D(2026, 10, 5))
    assert when.moved_past == (D(2026, 10, 3), D(2026, 10, 4))
    assert when.uncovered_years == () and not when.window_end_works


def test_a_window_ending_on_a_midweek_holiday_moves_one_day() -> None:
    # Combate de Angamos, Thursday 8 Oct 2026 → Friday 9 Oct
    when = due_date(D(2026, 9, 8), 30, "calendar", PE)
    assert (when.window_end, when.due, when.moved_past) == (
        D(2026, 10, 8), D(2026, 10, 9), (D(2026, 10, 8),))


def test_a_chain_of_holidays_and_weekend_is_skipped_whole() -> None:
    # Peru: Día del Trabajo (Fri 1 May 2026), then Saturday and Sunday → Monday 4 May
    when = due_date(D(2026, 3, 2), 60, "calendar", PE)
    assert (when.window_end, when.due) == (D(2026, 5, 1), D(2026, 5, 4))
    assert len(when.moved_past) == 3
    # Peru: Inmaculada Concepción and Batalla de Ayacucho (Tue 8, Wed 9 Dec 2026)
    assert due_date(D(2026, 11, 8), 30, "calendar", PE).due == D(2026, 12, 10)
    # Bolivia 2027: Saturday 6 Feb, Sunday, Carnaval Monday 8 and Tuesday 9 → Wednesday 10
    when = due_date(D(2027, 1, 7), 30, "calendar", BO)
    assert (when.window_end, when.due) == (D(2027, 2, 6), D(2027, 2, 10))
    assert when.moved_past == tuple(D(2027, 2, n) for n in (6, 7, 8, 9))
    # over the year end: Christmas (Fri 25 Dec 2026) and the weekend → Monday 28 Dec
    assert due_date(D(2026, 11, 25), 30, "calendar", PE).due == D(2026, 12, 28)


def test_a_window_ending_on_a_business_day_stays() -> None:
    when = due_date(D(2026, 9, 1), 30, "calendar", PE)  # Thursday 1 Oct 2026
    assert (when.window_end, when.due, when.moved_past) == (D(2026, 10, 1), D(2026, 10, 1), ())
    assert moved_note({"window_end": "2026-10-01", "due": "2026-10-01", "moved_past": [],
                       "ends_on_business_day": True, "window_end_works": True}) is None


def test_business_days_already_end_on_a_business_day() -> None:
    # the same 10 days counted both ways, from Friday 18 Dec 2026 over Christmas (Peru)
    cal = due_date(D(2026, 12, 18), 10, "calendar", PE)
    bus = due_date(D(2026, 12, 18), 10, "business", PE)
    assert (cal.window_end, cal.due) == (D(2026, 12, 28), D(2026, 12, 28))  # a Monday
    assert bus.due == bus.window_end == D(2027, 1, 5)  # skips 2 weekends, 25 Dec, 1 Jan
    assert bus.moved_past == () and bus.uncovered_years == ()
    assert add_days(D(2026, 12, 18), 10, "business", PE) == bus.due


def test_a_term_under_another_regime_keeps_its_last_day() -> None:
    when = due_date(D(2026, 9, 3), 30, "calendar", PE, ends_on_business_day=False)
    assert (when.window_end, when.due, when.moved_past) == (D(2026, 10, 3), D(2026, 10, 3), ())
    # its days off were never looked up: no calendar warning even past the list
    assert due_date(D(2027, 12, 1), 60, "calendar", PE,
                    ends_on_business_day=False).uncovered_years == ()


def test_a_year_the_calendar_does_not_cover_is_warned_about() -> None:
    assert PE.years == BO.years == frozenset({2026, 2027})
    # 60 calendar days from 1 Dec 2027 end in 2028: its holidays are not listed
    when = due_date(D(2027, 12, 1), 60, "calendar", PE)
    assert when.window_end == D(2028, 1, 30) and when.uncovered_years == (2028,)
    # business days: every day counted is looked up, so one day into 2028 is enough
    assert due_date(D(2027, 12, 20), 10, "business", BO).uncovered_years == (2028,)
    assert due_date(D(2027, 11, 1), 10, "business", BO).uncovered_years == ()
    # a calendar with no holidays at all covers no year
    assert due_date(D(2026, 3, 2), 5, "business", WorkCalendar()).uncovered_years == (2026,)
    warning = calendar_warning({"uncovered_years": [2028]})
    assert isinstance(warning, Bilingual)
    assert warning.es.startswith("Atención: el calendario de feriados no cubre 2028")
    assert "sólo se descontaron sábados y domingos" in warning.es
    assert warning.en.startswith("Warning: the holiday calendar does not cover 2028")
    assert str(warning).startswith(warning.es + " / ")
    assert calendar_warning({"uncovered_years": []}) is None
    assert calendar_warning({}) is None  # an alert stamped before the warning existed


def test_the_rule_records_how_the_end_moved_and_the_reader_sees_it() -> None:
    rule = load_rules("PE").deadline_for("new")
    assert rule is not None and rule.ends_on_business_day
    record = rule.due({"filing": D(2026, 3, 2), "detection": D(2026, 11, 28)}, PE)
    assert record is not None
    assert (record["window_end"], record["due"]) == ("2026-05-01", "2026-05-04")
    assert record["moved_past"] == ["2026-05-01", "2026-05-02", "2026-05-03"]
    assert record["uncovered_years"] == [] and record["ends_on_business_day"] is True
    assert moved_note(record) == ("vence el vie. 01/05/2026 → se traslada al lun. 04/05/2026 "
                                  "(días inhábiles: feriado y fin de semana)")
    assert moved_note(record, "en") == ("ends on Fri 2026-05-01 → moved to Mon 2026-05-04 "
                                        "(non-working days: holiday and weekend)")
    weekend = rule.due({"filing": D(2026, 8, 4)}, PE)  # ends Saturday 3 Oct
    assert weekend is not None
    assert moved_note(weekend) == ("vence el sáb. 03/10/2026 → se traslada al lun. "
                                   "05/10/2026 (días inhábiles: fin de semana)")
    holiday = rule.due({"filing": D(2026, 8, 9)}, PE)  # ends Thursday 8 Oct, a holiday
    assert holiday is not None
    assert moved_note(holiday) == ("vence el jue. 08/10/2026 → se traslada al vie. "
                                   "09/10/2026 (día inhábil: feriado)")
    late = rule.due({"filing": D(2027, 12, 1)}, PE)
    assert late is not None and late["uncovered_years"] == [2028]


def _doc(**deadline: Any) -> dict[str, Any]:
    data = tomllib.loads(Path(load_rules("PE").source).read_text(encoding="utf-8"))
    data["deadline"] = [{**data["deadline"][0], **deadline}]
    return data


def test_ends_on_business_day_is_a_checked_per_deadline_field() -> None:
    kept = parse_rules(_doc(ends_on_business_day=False), source="b.toml")
    rule = kept.deadline_for("new")
    assert rule is not None and rule.ends_on_business_day is False
    record = rule.due({"filing": D(2026, 8, 4)}, kept.calendar)
    assert record is not None and record["due"] == "2026-10-03"  # stays on the Saturday
    assert moved_note(record) == ("vence el sáb. 03/10/2026, día inhábil: este plazo no se "
                                  "traslada al día hábil siguiente")
    assert "does not move to the next business day" in (moved_note(record, "en") or "")
    for bad in ("no", 0):
        with pytest.raises(RuleFileError) as err:
            parse_rules(_doc(ends_on_business_day=bad), source="b.toml")
        text = str(err.value)
        assert text.startswith("b.toml, rule 'PE-PLAZO-OPOSICION': ")
        assert "'ends_on_business_day' debe ser true o false" in text
        assert "must be true or false" in text


@pytest.mark.parametrize("year", [2026, 2027])
def test_bundled_calendars_list_each_years_holidays(year: int) -> None:
    easter = _easter(year)

    def days(*offsets: int) -> set[dt.date]:
        return {easter + dt.timedelta(days=n) for n in offsets}

    fixed_pe = {(1, 1), (5, 1), (6, 7), (6, 29), (7, 23), (7, 28), (7, 29), (8, 6), (8, 30),
                (10, 8), (11, 1), (12, 8), (12, 9), (12, 25)}
    pe = {d for d in PE.holidays if d.year == year}
    assert pe == {D(year, m, d) for m, d in fixed_pe} | days(-3, -2)  # Jueves/Viernes Santo
    bo = {d for d in BO.holidays if d.year == year}
    # Carnaval (lunes, martes), Viernes Santo, Corpus Christi
    assert days(-48, -47, -2, 60) <= bo
    assert {D(year, 1, 1), D(year, 5, 1), D(year, 8, 6), D(year, 12, 25)} <= bo
    assert len(bo) == 11


def test_a_typed_date_on_a_day_off_is_noted_with_the_next_business_day() -> None:
    assert day_off_note(D(2027, 6, 8), PE) is None  # a Tuesday
    assert day_off_note(D(2027, 6, 5), PE) == (
        "sáb. 05/06/2027 es día inhábil (fin de semana): un plazo legal que vence ese día se "
        "traslada al mar. 08/06/2027")  # past Sunday and Monday 7 June (a holiday)
    assert day_off_note(D(2027, 3, 25), PE, "en") == (
        "Thu 2027-03-25 is a non-working day (holiday): a legal term ending that day moves "
        "to Mon 2027-03-29")  # Jueves Santo, Viernes Santo, the weekend
