"""HTML pages for the OGC API (``f=html`` or a browser's ``Accept: text/html``): the same
documents as the JSON, readable by a person, Spanish first, no script, no external asset."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.i18n import t

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]))
_CODE = re.compile(r"^[a-z]+(_[a-z]+)+$")


def heading(name: str, lang: str) -> str:
    """A property's human name where the interface has one (the raw name is shown too,
    because filters are written with it)."""
    return _label(lang, name) or name


def _label(lang: str, key: str) -> str | None:
    """The catalog's string for ``key`` (Spanish fallback), None when it has none."""
    value = t(lang, key)
    return None if value == key else value


def shown(value: Any, name: str, lang: str) -> str:
    """A value as a person reads it: yes/no, labelled codes, nothing for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("yes" if value else "no") if lang == "en" else ("sí" if value else "no")
    if isinstance(value, list):
        return ", ".join(shown(v, name, lang) for v in value)
    if isinstance(value, str) and _CODE.match(value):
        label = _label(lang, f"{name}_value_{value}") or _label(lang, f"{name}_{value}")
        return label or value.replace("_", " ")
    return str(value)


_ENV.filters["heading"] = heading
_ENV.globals["shown"] = shown

_WORDS = {
    "es": {"collections": "Colecciones", "links": "Enlaces", "items": "Entidades",
           "matched": "entidades coinciden", "shown": "mostradas", "next": "siguiente",
           "prev": "anterior", "json": "ver en JSON", "geometry": "geometría",
           "no_geometry": "sin geometría", "queryables": "Propiedades filtrables",
           "extent": "Extensión", "conformance": "Clases de conformidad"},
    "en": {"collections": "Collections", "links": "Links", "items": "Features",
           "matched": "features match", "shown": "shown", "next": "next", "prev": "previous",
           "json": "view as JSON", "geometry": "geometry", "no_geometry": "no geometry",
           "queryables": "Queryable properties", "extent": "Extent",
           "conformance": "Conformance classes"},
}


def page(kind: str, doc: dict[str, Any], lang: str, json_href: str,
         title: str | None = None) -> HTMLResponse:
    """Render one OGC document (``kind``: landing, collections, collection, items, item,
    conformance, queryables) as a page."""
    template = _ENV.get_template("ogc_page.html")
    text = template.render(kind=kind, doc=doc, lang=lang, w=_WORDS[lang], json_href=json_href,
                           title=title or doc.get("title") or "Allpa – OGC API")
    return HTMLResponse(text)
