"""HTML pages for the OGC API (``f=html`` or a browser's ``Accept: text/html``): the same
documents as the JSON, readable by a person, Spanish first, no script, no external asset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]))

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
