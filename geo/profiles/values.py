"""Parsing the values found in real source files: text, codes, dates, booleans, numbers and
lists, as Andean sources write them (decimal commas, ``DD/MM/YYYY``, JavaScript date strings,
epoch milliseconds, spreadsheets that drop leading zeros). ``ValueError`` when a value cannot
be read; blanks are unknown (None)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

from geo.vocabulary import normalise_name

__all__ = ["blank", "concession_code", "normalise_name", "pad_digits", "parse_bool",
           "parse_date", "parse_float", "parse_int", "parse_list", "text_value"]


def blank(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def text_value(value: Any) -> str | None:
    if blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, np.integer | np.floating):
        return text_value(value.item())
    return str(value).strip()


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_MONTHS_ES = {"ene": 1, "abr": 4, "ago": 8, "set": 9, "dic": 12}
_JS_DATE = re.compile(r"^(?:[A-Za-z]{3},?\s+)?([A-Za-z]{3})\w*\.?\s+(\d{1,2}),?\s+(\d{4})\b")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T\s])")
_DMY_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:$|\s)")
_YMD_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(value: Any) -> dt.date | None:
    """Parse a date as written, in any format Andean sources use; ``ValueError`` if unknown.

    Accepts ``date``/``datetime``/``Timestamp``, ISO ``YYYY-MM-DD[...]``, ``DD/MM/YYYY``,
    ``YYYYMMDD``, JavaScript ``Date.toString()`` output (``Tue Dec 30 2025 00:00:00
    GMT-0500 (hora estándar de Perú)``: the calendar date as written, no time-zone shift) and
    epoch milliseconds (ArcGIS REST), read as UTC dates.
    """
    if blank(value):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return _from_number(float(value))
    text = str(value).strip()
    return _from_text(text)


def _from_number(number: float) -> dt.date:
    if abs(number) >= 1e11:  # epoch milliseconds (ArcGIS REST, JSON exports)
        return dt.datetime.fromtimestamp(number / 1000.0, tz=dt.UTC).date()
    if 1e7 <= number < 1e8 and number.is_integer():  # YYYYMMDD
        return _from_text(str(int(number)))
    raise ValueError(f"unrecognised numeric date {number!r}")


def _from_text(text: str) -> dt.date:
    if m := _ISO_DATE.match(text):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY_DATE.match(text):
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    if m := _YMD_COMPACT.match(text):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if m := _JS_DATE.match(text):
        month = m[1].lower()
        number = _MONTHS.get(month) or _MONTHS_ES.get(month)
        if number:
            return dt.date(int(m[3]), number, int(m[2]))
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return _from_number(float(text))
    raise ValueError(f"unrecognised date {text!r}")


_TRUE = {"si", "s", "yes", "y", "true", "t", "1", "x", "verdadero", "v"}
_FALSE = {"no", "n", "false", "f", "0", "falso"}


def parse_bool(value: Any) -> bool | None:
    """``si|sí|no|true|false|1|0|x``; empty is unknown (None); ``ValueError`` otherwise."""
    if blank(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        if value in (0, 1):
            return bool(value)
        raise ValueError(f"not a boolean: {value!r}")
    key = normalise_name(str(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def parse_float(value: Any) -> float | None:
    """Number, accepting decimal commas (``1.234,5`` and ``12,5``); ``ValueError`` if not."""
    if blank(value):
        return None
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace(" ", "")
    if "," in text:
        if "." in text and text.rfind(".") > text.rfind(","):
            text = text.replace(",", "")
        else:
            text = text.replace(".", "").replace(",", ".")
    return float(text)


def parse_int(value: Any) -> int | None:
    number = parse_float(value)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError(f"not an integer: {value!r}")
    return int(number)


def parse_list(value: Any) -> list[str]:
    if blank(value):
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [t for v in value if (t := text_value(v))]
    text = str(value).strip().strip("[]")
    sep = ";" if ";" in text else ("|" if "|" in text else ",")
    return [p.strip().strip("'\"") for p in text.split(sep) if p.strip().strip("'\"")]


def pad_digits(value: Any, width: int) -> str | None:
    """Code as text, zero-padded when it is purely numeric (spreadsheets drop leading zeros)."""
    text = text_value(value)
    if text is None:
        return None
    if re.fullmatch(r"\d+", text) and len(text) < width:
        return text.zfill(width)
    return text.upper() if re.search(r"[a-z]", text) and re.search(r"\d", text) else text


def concession_code(value: Any) -> str | None:
    """INGEMMET code: 9 digits with leading zeros; alphanumeric codes (``P0400415``,
    ``010000424L``) exist in the real cadastre and are kept as written (upper-cased)."""
    return pad_digits(value, 9)
