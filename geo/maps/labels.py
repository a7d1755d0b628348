"""Every user-facing string of the maps, dossiers and the browser map, through ONE lookup.

The texts live in gettext catalogs (``geo/maps/locale/<lang>/LC_MESSAGES/allpa.po``, see
:mod:`geo.maps.catalogs`): Spanish first (the default and the fallback), English complete,
Quechua and Aymara drafts for the map page. The labels of coded values (``kind_ayllu``,
``legal_registered``, ``sev_high`` ...) come from :mod:`geo.vocabulary`, their one source, in
Spanish and English; a draft catalog may still translate one (it wins for its language).
``api.i18n`` re-exports this for the web page; ``geo.maps`` uses it for legends and popups so
a legend reads the same in every output.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from geo import vocabulary as V
from geo.maps import catalogs

Lang = str

SEVERITY_ORDER = (*reversed(V.SEVERITY.codes), "none")
#: Colour-blind-safe sequential reds; print maps add hatching so colour is never alone.
SEVERITY_COLORS = {"critical": "#67000d", "high": "#cb181d", "medium": "#fb6a4a",
                   "low": "#fcbba1", "info": "#c6dbef", "none": "#f0f0f0"}
LEGAL_ORDER = (*V.LEGAL_STATUS.codes, "unknown")
LEGAL_COLORS = {"registered": "#1a9850", "in_process": "#fee08b", "none": "#d73027",
                "unknown": "#bdbdbd"}
STATE_ORDER = V.STATE.codes
STATE_COLORS = {"titled": "#6a3d9a", "in_process": "#e08214", "extinguished": "#969696",
                "other": "#8c510a", "unknown": "#4d4d4d"}
WATER_ORDER = V.WATER_KIND.codes
WATER_COLORS = {"spring": "#08519c", "river": "#2171b5", "stream": "#6baed6", "lake": "#4292c6",
                "wetland": "#41ab5d", "well": "#084594", "canal": "#9ecae1",
                "glacier": "#deebf7"}
CONSULTATION_COLOR = "#ff7f00"
#: social conflicts by status (magenta: active; pale: latent; green: resolved)
CONFLICT_COLORS = {"activo": "#c51b7d", "latente": "#f1b6da", "resuelto": "#7fbc41",
                   "retirado": "#bababa"}
BOUNDARY_COLOR = "#404040"


def lang_of(lang: str | None) -> str:
    """The output language: English or Spanish (draft languages fall back to Spanish for
    data outputs such as dossiers and print maps)."""
    return "en" if lang == "en" else "es"


def page_lang(lang: str | None) -> str:
    """The interface language of the map page: any catalog, drafts included; else Spanish."""
    return lang if lang and catalogs.known(lang) else catalogs.FALLBACK


@functools.cache
def _catalog(code: str) -> dict[str, str]:
    """The strings of one language: its gettext catalog plus, for Spanish and English, the
    value labels of the vocabulary (a draft catalog has only what it translates itself)."""
    own = catalogs.catalog(code)
    if code in catalogs.COMPLETE:
        return {**_layer_titles(code), **V.interface_labels(code), **own}
    return own


def _layer_titles(code: str) -> dict[str, str]:
    """``layer_<name>``: each catalog layer's title (a catalog string may word it for the
    map, e.g. "Áreas de consulta previa"), so a new layer has a title without a string."""
    from geo.catalog import CATALOG

    return {f"layer_{name}": layer.title_en if code == "en" else layer.title_es
            for name, layer in CATALOG.items()}


def t(lang: str | None, key: str) -> str:
    """One UI string (falls back to Spanish, then to the key)."""
    return _catalog(page_lang(lang)).get(key) or _catalog(catalogs.FALLBACK).get(key, key)


def value_label(vocabulary: str, code: str | None, lang: str | None = "es") -> str:
    """How a person reads a coded value (``registered`` -> "Inscrita"), never the code."""
    return V.label(vocabulary, code, lang_of(lang))


def _days_until(due: object, today: dt.date | None) -> int | None:
    """Days from ``today`` to the deadline ``due`` (a date or ISO text; negative when past),
    None without a readable date."""
    if due in (None, ""):
        return None
    try:
        day = due if isinstance(due, dt.date) else dt.date.fromisoformat(str(due)[:10])
    except ValueError:
        return None
    if isinstance(day, dt.datetime):
        day = day.date()
    return (day - (today or dt.date.today())).days


def due_status(due: object, today: dt.date | None = None, lang: str | None = "es"
               ) -> str | None:
    """How a deadline stands today: "vencido hace N días", "vence hoy", "faltan N días"
    (None without a date). One wording for the popup, panel, dossier, CLI and API."""
    days = _days_until(due, today)
    if days is None:
        return None
    if days < 0:
        return t(lang, "overdue_one") if days == -1 else \
            t(lang, "overdue_days").format(n=-days)
    if days == 0:
        return t(lang, "due_today")
    return t(lang, "due_in_days").format(n=days)


def overdue_days(due: object, today: dt.date | None = None) -> int | None:
    """Days a deadline has passed (0 or more), None when it has not passed or is missing."""
    days = _days_until(due, today)
    return -days if days is not None and days < 0 else None


def with_due_status(flag: dict[str, Any], lang: str | None = "es",
                    today: dt.date | None = None) -> dict[str, Any]:
    """A flag record plus ``due_status`` ("vencido hace 26 días") and ``overdue_days``."""
    due = flag.get("due_date")
    return {**flag, "due_status": due_status(due, today, lang) if due else None,
            "overdue_days": overdue_days(due, today) if due else None}


def due_text(due: object, today: dt.date | None = None, lang: str | None = "es") -> str:
    """``2026-11-01 (vencido hace 26 días)``; "–" without a date."""
    status = due_status(due, today, lang)
    if status is None:
        return "–"
    return f"{str(due)[:10]} ({status})"


def bundle(lang: str | None) -> dict[str, str]:
    """Every string in ``lang``, Spanish where it has none."""
    return {**_catalog(catalogs.FALLBACK), **_catalog(page_lang(lang))}


def legend_spec(lang: str | None) -> dict[str, Any]:
    """The legends of every layer (labels in ``lang``, colours) as plain JSON."""
    return {
        "severity": [{"key": k, "label": t(lang, f"sev_{k}"), "color": SEVERITY_COLORS[k]}
                     for k in SEVERITY_ORDER],
        "legal": [{"key": k, "label": t(lang, f"legal_{k}"), "color": LEGAL_COLORS[k]}
                  for k in LEGAL_ORDER],
        "concessions": [{"key": k, "label": t(lang, f"state_{k}"), "color": STATE_COLORS[k]}
                        for k in STATE_ORDER],
        "water": [{"key": k, "label": t(lang, f"water_{k}"), "color": WATER_COLORS[k]}
                  for k in WATER_ORDER],
        "consultations": [{"key": "area", "label": t(lang, "layer_consultations"),
                           "color": CONSULTATION_COLOR}],
        "boundaries": [{"key": "boundary", "label": t(lang, "layer_boundaries"),
                        "color": BOUNDARY_COLOR}],
        "conflicts": [{"key": k, "label": t(lang, f"conflict_status_{k}"),
                       "color": CONFLICT_COLORS[k]} for k in V.CONFLICT_STATUS.codes],
    }
