"""Maps and dossiers as files: read through ``layers.maps`` (visibility applied), draw with
``geo.maps``. Shared by the CLI (``allpa map``, ``allpa report``) and the HTTP routes."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from api.routes.web import STATIC_DIR, templates
from geo.errors import InputError
from geo.maps import labels
from geo.maps.advocacy import Assets, render_advocacy_map
from layers import maps
from layers.queries import Viewer

LEAFLET_DIR = STATIC_DIR / "vendor" / "leaflet"
PAPERS = ("A4", "A3")
PRINT_FORMATS = ("png", "pdf")


class AssetsMissingError(InputError):
    code = "assets_missing"


def leaflet_assets() -> Assets:
    if not (LEAFLET_DIR / "leaflet.js").is_file():
        raise AssetsMissingError(
            "Faltan los archivos de Leaflet; ejecute scripts/vendor_assets.sh / Leaflet "
            "assets missing; run scripts/vendor_assets.sh")
    return Assets.from_dir(LEAFLET_DIR)


@dataclass(frozen=True)
class Rendered:
    content: bytes
    media_type: str
    seconds: float


def advocacy_map(conn: Connection, viewer: Viewer, *, network: str | None = None,
                 community: str | None = None, lang: str = "es") -> Rendered:
    started = time.perf_counter()
    data = maps.map_data(conn, viewer, network=network, community=community, lang=lang)
    page = render_advocacy_map(data, leaflet_assets(), lang=lang)
    return Rendered(page.encode("utf-8"), "text/html; charset=utf-8",
                    time.perf_counter() - started)


def print_map(conn: Connection, viewer: Viewer, *, network: str | None = None,
              community: str | None = None, lang: str = "es", fmt: str = "pdf",
              paper: str = "A4") -> Rendered:
    from geo.maps.printmap import render_print_map

    fmt, paper = fmt.lower(), paper.upper()
    if fmt not in PRINT_FORMATS or paper not in PAPERS:
        raise InputError(f"Formato '{fmt}' o papel '{paper}' no válido; use png|pdf y A4|A3 / "
                         f"invalid format or paper; use png|pdf and A4|A3", code="bad_format")
    started = time.perf_counter()
    data = maps.map_data(conn, viewer, network=network, community=community, lang=lang)
    content = render_print_map(data, fmt=fmt, paper=paper, lang=lang)
    media = "application/pdf" if fmt == "pdf" else "image/png"
    return Rendered(content, media, time.perf_counter() - started)


def dossier_data(conn: Connection, viewer: Viewer, community_id: str, lang: str
                 ) -> dict[str, Any]:
    return maps.dossier(conn, viewer, community_id, lang=lang)


def dossier_html(conn: Connection, viewer: Viewer, community_id: str, *, lang: str = "es"
                 ) -> Rendered:
    from geo.maps.printmap import map_png_data_uri

    started = time.perf_counter()
    d = dossier_data(conn, viewer, community_id, lang)
    data = maps.map_data(conn, viewer, community=community_id, lang=lang)
    img = map_png_data_uri(data, lang=lang)
    page = templates().get_template("dossier.html").render(
        d=d, t=labels.bundle(lang), lang=lang, map_img=img, due=labels.due_text)
    return Rendered(page.encode("utf-8"), "text/html; charset=utf-8",
                    time.perf_counter() - started)


def dossier_pdf(conn: Connection, viewer: Viewer, community_id: str, *, lang: str = "es"
                ) -> Rendered:
    from geo.maps.dossier_pdf import render_dossier_pdf

    started = time.perf_counter()
    d = dossier_data(conn, viewer, community_id, lang)
    data = maps.map_data(conn, viewer, community=community_id, lang=lang)
    content = render_dossier_pdf(d, data, lang=lang)
    return Rendered(content, "application/pdf", time.perf_counter() - started)


def write(rendered: Rendered, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(rendered.content)
    return len(rendered.content)


def today() -> str:
    return dt.date.today().isoformat()
