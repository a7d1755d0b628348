"""COPY text payloads of ``layers.analysis`` (pure: no database)."""

import datetime as dt

from layers.analysis import _copy_field, _tuples_payload


def test_copy_field_escapes_and_nulls() -> None:
    assert _copy_field(None) == "\\N"
    assert _copy_field(True) == "t" and _copy_field(False) == "f"
    assert _copy_field(7) == "7"
    assert _copy_field(dt.date(2026, 11, 23)) == "2026-11-23"
    assert _copy_field("plain «ñ»") == "plain «ñ»"
    assert _copy_field("a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re"


def test_tuples_payload_one_line_per_row() -> None:
    cols, payload, n = _tuples_payload((["a", "b"], [(1, "x\ty"), (2, None)]))
    assert cols == ["a", "b"] and n == 2
    assert payload == "1\tx\\ty\n2\t\\N\n"
    assert _tuples_payload((["a"], [])) == (["a"], "", 0)
