"""The browser map at ``/`` (Leaflet + VectorGrid on ``/tiles``), its JSON helpers and the
locally vendored static assets (``/static/...``: never a CDN).

``/`` answers the HTML map to browsers (``Accept: text/html``) and the JSON service index to
everything else, so API clients keep working unchanged.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api import csp, i18n, subscription_strings
from api.case_strings import case_strings
from api.dependencies import ConnDep, EngineDep, LangDep, SettingsDep, ViewerDep, session_principal
from api.desk_strings import desk_strings
from api.models import CommunityPanel, SearchResults, SeverityMap, ok
from api.relations_strings import relations_strings
from api.routes import meta
from api.routes import tiles as tile_routes
from geo.errors import NotFoundError
from geo.filehash import sha256_file
from layers import cases, jobs, map_page, maps

router = APIRouter(tags=["mapa / map"])

API_DIR = Path(__file__).resolve().parents[1]
STATIC_DIR = API_DIR / "static"
TEMPLATE_DIR = API_DIR / "templates"


def templates() -> Environment:
    """The Jinja2 environment of Allpa's HTML (autoescaped)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)),
                      autoescape=select_autoescape(["html", "xml"]))
    env.globals["subscriptions_link"] = subscription_strings.link_text  # the desk header
    return env


def _wants_html(request: Request) -> bool:
    if request.query_params.get("f") == "html":
        return True
    if request.query_params.get("f") == "json":
        return False
    return "text/html" in request.headers.get("accept", "")


@router.get("/", summary="Mapa (navegador) o índice del servicio (JSON) / map or index",
            response_model=None)
def home(request: Request, settings: SettingsDep, conn: ConnDep, viewer: ViewerDep,
         lang: Annotated[str, Query(description="es | en | quy | ay (borradores / drafts)")]
         = "es") -> Response | dict[str, Any]:
    if not _wants_html(request):
        return meta.index(request, i18n.data_lang(lang))  # type: ignore[arg-type]
    lang = i18n.page_lang(lang)
    basemap = settings.basemap if settings.basemap and settings.basemap != "none" else None
    view = map_page.first_view(conn, viewer)
    # everything the first view needs rides in the HTML: no round trip before the first tile
    # versioned by data and by what this reader may see: a signed-in browser never reuses
    # the public tiles it cached before signing in
    tiles = tile_routes.map_grid_url(request, viewer)
    session = _session_config(request)
    config: dict[str, Any] = {
              "lang": lang, "data_lang": i18n.data_lang(lang), "strings": i18n.bundle(lang),
              "legend": i18n.legend_spec(lang),
              "basemap": basemap, "view": view, "severity": maps.severities(conn, viewer),
              "countries": map_page.country_views(conn, viewer),
              "reference": map_page.reference_labels(conn, viewer, view),
              "fictional": maps.sample_loaded(conn), "draft": i18n.is_draft(lang),
              "tiles": tiles, "desk": desk_strings(lang),
              "relations": relations_strings(lang), "session": session}
    if session and session["can_edit"]:  # the case view's strings: editors' pages only
        config["cases"] = case_strings(lang, settings.case_document_max_mb)
    html = templates().get_template("map.html").render(
        lang=lang, t=i18n.bundle(lang), config=config, langs=i18n.LANGUAGES,
        asset=asset_url)
    return HTMLResponse(html, headers={"Content-Language": lang, "Cache-Control": "no-cache",
                                       "Vary": "Accept, Authorization, Cookie",
                                       "Content-Security-Policy": csp.map_page_policy(basemap)})


def _session_config(request: Request) -> dict[str, Any] | None:
    """Who is signed in (name, role, the session's CSRF token) for the page's script; the
    token rides in the page's JSON block, readable by this origin only."""
    found = session_principal(request)
    if found is None:
        return None
    principal, csrf = found
    return {"name": principal.name, "role": principal.role, "csrf": csrf,
            "can_edit": principal.can_edit}


@router.get("/map/search.json", summary="Buscar comunidades (con distrito y país) / search",
            response_model=None, responses=ok(SearchResults))
def search(conn: ConnDep, viewer: ViewerDep,
           q: Annotated[str, Query(min_length=1, max_length=100)]) -> JSONResponse:
    return JSONResponse({"items": map_page.search(conn, viewer, q)},
                        headers={"Cache-Control": "no-cache"})


@router.get("/map/severity.json", summary="Gravedad máxima por comunidad / max severity",
            response_model=None, responses=ok(SeverityMap))
def severity(conn: ConnDep, viewer: ViewerDep) -> JSONResponse:
    return JSONResponse(maps.severities(conn, viewer), headers={"Cache-Control": "no-cache"})


@router.get("/map/panel/{community_id}.json",
            summary="Ficha de la comunidad para el panel / community panel",
            response_model=None, responses=ok(CommunityPanel))
def panel(community_id: str, engine: EngineDep, viewer: ViewerDep, lang: LangDep
          ) -> JSONResponse:
    """The file and its flags read in ONE snapshot with the analysis state: while the
    record is newer than the flags' analysis, the flags are withheld ("recalculando…")
    rather than shown beside a record they may contradict."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        body = maps.community_file(conn, viewer, community_id, lang=lang)
        analysis = jobs.flags_state(conn, community_id)
        if viewer.principal.sees_restricted:  # the case addressing each flag: editors only
            by_rule = cases.open_cases_by_rule(conn, viewer.principal, community_id, lang)
            for flag in body.get("flags") or []:
                flag["case"] = by_rule.get(flag.get("rule_id"))
                flag["case_type"] = cases.case_type_for_rule(flag.get("rule_id"))
    if analysis["state"] != "current":
        body.update(flags=[], severity=None, run_id=None)
    body["analysis"] = analysis
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})


_MEDIA = {".js": "text/javascript", ".css": "text/css", ".png": "image/png",
          ".svg": "image/svg+xml", ".json": "application/json"}


@functools.lru_cache(maxsize=64)
def _digest(path: str, mtime_ns: int) -> str:
    return sha256_file(STATIC_DIR / path)[:12]


def asset_url(path: str) -> str:
    """``/static/<path>?v=<content hash>``: the URL changes when the file does, so browsers
    may keep it for a year and a second visit asks for nothing."""
    target = STATIC_DIR / path
    return f"/static/{path}?v={_digest(path, target.stat().st_mtime_ns)}"


@router.get("/static/{path:path}", include_in_schema=False)
def static(path: str, request: Request) -> FileResponse:
    """Files under ``api/static`` only (no path traversal). Versioned URLs (``?v=``) are
    immutable for a year; plain ones are cached for a day."""
    target = (STATIC_DIR / path).resolve()
    if not target.is_relative_to(STATIC_DIR) or not target.is_file():
        raise NotFoundError(f"No existe el recurso estático '{path}' / static file "
                            f"'{path}' not found", code="static_not_found")
    cache = ("public, max-age=31536000, immutable" if request.query_params.get("v")
             else "public, max-age=86400")
    return FileResponse(target, media_type=_MEDIA.get(target.suffix),
                        headers={"Cache-Control": cache})
