"""Response deadlines as rule data: counting calendar and business days (weekends and the
file's holidays skipped), and every bad ``[[deadline]]`` refused on load with a bilingual
message naming the file and the deadline."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from geo.deadlines import WorkCalendar, add_days
from geo.rule_files import RuleFileError, load_rules, parse_rules

D = dt.date


def test_calendar_days_count_every_day() -> None:
    assert add_days(D(2026, 3, 2), 60, "calendar") == D(2026, 5, 1)
    assert add_days(D(2026, 12, 25), 10, "calendar") == D(2027, 1, 4)  # over the year end


def test_business_days_skip_weekends_and_holidays() -> None:
    # Friday 4 Dec 2026; 8 and 9 Dec are Peruvian holidays
    assert add_days(D(2026, 12, 4), 5, "business") == D(2026, 12, 11)
    peru = WorkCalendar(frozenset({D(2026, 12, 8), D(2026, 12, 9)}))
    assert add_days(D(2026, 12, 4), 5, "business", peru) == D(2026, 12, 15)
    # starting on a Saturday, the first business day is Monday
    assert add_days(D(2026, 12, 5), 1, "business") == D(2026, 12, 7)
    with pytest.raises(ValueError):
        add_days(D(2026, 1, 1), 1, "lunar")


def test_bundled_files_give_the_opposition_window() -> None:
    pe, bo = load_rules("PE"), load_rules("BO")
    new_pe, new_bo = pe.deadline_for("new"), bo.deadline_for("new")
    assert new_pe is not None and new_bo is not None
    assert (new_pe.days, new_pe.day_type, new_pe.counts_from) == (60, "calendar", "filing")
    assert (new_bo.days, new_bo.day_type) == (30, "business")
    assert "D.S. 018-92-EM" in new_pe.reference_es and "oposición" in new_pe.what_es.lower()
    assert "Ley 535" in new_bo.reference_es and "AJAM" in new_bo.what_en
    assert pe.deadline_for("vanished") is None
    # Bolivia: 30 business days from Friday 31 Jul 2026 skip 6 August (a holiday)
    due = new_bo.due({"filing": D(2026, 7, 31), "detection": D(2026, 11, 28)}, bo.calendar)
    assert due is not None and due["due"] == "2026-09-14" and due["counts_from"] == "filing"
    # no filing date on record: counted from the day the cadastre showed the change
    due = new_pe.due({"filing": None, "detection": D(2026, 11, 28)}, pe.calendar)
    assert due is not None and (due["counts_from"], due["due"]) == ("detection", "2027-01-27")


def _doc(**deadline: Any) -> dict[str, Any]:
    data = tomllib.loads(Path(load_rules("PE").source).read_text(encoding="utf-8"))
    good = dict(data["deadline"][0])
    good.update(deadline)
    data["deadline"] = [{k: v for k, v in good.items() if v is not None}]
    return data


@pytest.mark.parametrize(("change", "spanish", "english"), [
    ({"change_kind": "nuevo_derecho"}, "'change_kind' = 'nuevo_derecho' no es válido",
     "(use new, changed, extinguished, vanished)"),
    ({"day_type": "habiles"}, "'day_type' = 'habiles' no es válido", "use calendar, business"),
    ({"counts_from": "publication"}, "'counts_from' = 'publication' no es válido",
     "use filing, detection"),
    ({"days": 0}, "'days' debe ser un número entero de días entre 1 y 3650",
     "'days' must be a whole number"),
    ({"days": "60"}, "'days' debe ser un número entero", "(got '60')"),
    ({"reference_en": None}, "faltan claves: reference_en", "missing keys: reference_en"),
    ({"reference_es": "  "}, "'reference_es' debe ser un texto no vacío", "non-empty text"),
    ({"plazo": 3}, "claves desconocidas: plazo", "unknown keys: plazo"),
])
def test_a_bad_deadline_is_refused_in_both_languages(change: dict[str, Any], spanish: str,
                                                     english: str) -> None:
    with pytest.raises(RuleFileError) as err:
        parse_rules(_doc(**change), source="borrador.toml")
    text = str(err.value)
    assert text.startswith("borrador.toml, rule 'PE-PLAZO-OPOSICION': ")
    assert spanish in text and english in text


def test_one_deadline_per_change_kind_and_holidays_are_dates() -> None:
    data = _doc()
    data["deadline"].append({**data["deadline"][0], "id": "PE-OTRO"})
    with pytest.raises(RuleFileError, match=r"ya hay un plazo para el cambio 'new'.*one per"):
        parse_rules(data, source="b.toml")
    data = _doc()
    data["calendar"] = {"holidays": ["2026-12-08"]}
    with pytest.raises(RuleFileError, match=r"lista de fechas AAAA-MM-DD.*unquoted YYYY-MM-DD"):
        parse_rules(data, source="b.toml")
    data["calendar"] = {"feriados": []}
    with pytest.raises(RuleFileError, match=r"claves desconocidas en \[calendar\]: feriados"):
        parse_rules(data, source="b.toml")


def test_a_file_without_deadlines_still_loads() -> None:
    data = _doc()
    del data["deadline"], data["calendar"]
    rules = parse_rules(data, source="b.toml")
    assert rules.deadlines == () and rules.deadline_for("new") is None
    assert rules.calendar.is_business_day(D(2026, 12, 8))  # no holidays listed
