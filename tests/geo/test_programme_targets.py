"""Target files: every bad row named in Spanish and English, nothing accepted half-way; the
committed sample programme is what ``geo.sample_programme`` writes; bars are drawn to scale."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from geo import sample_programme
from geo.programme import TargetFileError, parse_scope, progress_svg, read_targets_csv
from layers.config import PROJECT_ROOT
from layers.indicators import INDICATOR_IDS

GOOD = ("programa,indicador,meta,desde,hasta,ambito\n"
        "P1,legal_personalities,75,2024-01-01,2025-12-31,todo\n"
        "P1,boards_registered,10,01/01/2024,31/12/2025,distrito:219901\n")


def test_good_file_is_read_with_spanish_headers_and_dates() -> None:
    targets = read_targets_csv(GOOD, INDICATOR_IDS)
    assert [(t.indicator, t.target, t.scope) for t in targets] == [
        ("legal_personalities", 75.0, "all"), ("boards_registered", 10.0, "district:219901")]
    assert targets[1].period_end == dt.date(2025, 12, 31)


def test_every_bad_row_is_reported_bilingually_and_nothing_is_accepted() -> None:
    bad = (GOOD + "P1,no_such_indicator,5,2024-01-01,2025-12-31,todo\n"
           "P1,statutes_modified,-3,2024-01-01,2025-12-31,todo\n"
           "P1,statutes_modified,3,2025-01-01,2024-12-31,todo\n"
           "P1,flags_open,3,2024-13-01,2025-12-31,todo\n"
           "P1,flags_open,3,2024-01-01,2025-12-31,barrio:3\n"
           "P1,legal_personalities,80,2024-01-01,2025-12-31,todo\n")
    with pytest.raises(TargetFileError) as err:
        read_targets_csv(bad, INDICATOR_IDS)
    errors = err.value.details["errors"]
    assert [(e["line"], e["code"]) for e in errors] == [
        (4, "bad_indicator"), (5, "bad_target"), (6, "bad_period_end"),
        (7, "bad_period_start"), (8, "bad_scope"), (9, "duplicate_target")]
    assert all(e["message_es"].startswith("línea") and e["message_en"].startswith("line")
               for e in errors)
    assert " / " in err.value.message and "nothing was stored" in err.value.message


def test_missing_columns_are_named() -> None:
    with pytest.raises(TargetFileError, match=r"meta, desde.*missing columns: target"):
        read_targets_csv("programa,indicador\nP1,flags_open\n", INDICATOR_IDS)


def test_scopes() -> None:
    assert parse_scope("red:RED-01") == ("network", "RED-01")
    assert parse_scope("country:BO") == ("country", "BO")
    assert parse_scope("") == ("all", "")
    with pytest.raises(ValueError):
        parse_scope("distrito:")


def test_committed_sample_programme_is_the_generator_output() -> None:
    committed = PROJECT_ROOT / "data" / "sample" / "programa_metas.csv"
    assert committed.read_text(encoding="utf-8") == sample_programme.programme_csv()
    targets = read_targets_csv(committed.read_text(encoding="utf-8"), INDICATOR_IDS)
    assert {t.indicator for t in targets} == set(INDICATOR_IDS) - {"flags_raised"}


def test_progress_bar_is_drawn_to_scale_without_style_attributes() -> None:
    svg = progress_svg(3, 6, label="x", width=300)
    widths = dict(re.findall(r'class="(\w+)" x="[\d.]+" y="\d+" width="([\d.]+)"', svg))
    assert float(widths["value"]) == pytest.approx(150)
    assert "style=" not in svg and "<script" not in svg
    over = progress_svg(9, 6, label="x", width=300)
    assert 'width="300.0"' in over and "#2f7d4f" in over  # beyond target: full and green
