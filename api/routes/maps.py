"""``/maps/network/{id}.html``, ``/maps/community/{id}.html`` (standalone advocacy maps,
``.png``/``.pdf`` print maps with ``?paper=A4|A3``) and ``/reports/community/{id}.html|.pdf``
(lawyers' dossiers). Everything is read through the caller's visibility."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from api import csp, mapping
from api.dependencies import ConnDep, LangDep, ViewerDep
from api.mapping import Rendered
from api.models import HTML, binary
from layers.queries import Viewer

router = APIRouter(tags=["mapas y expedientes / maps and dossiers"])

PDF = "application/pdf"
MAP_FILES = binary(HTML, "image/png", PDF)
PaperDep = Annotated[Literal["A4", "A3"], Query(description="A4 | A3")]


def _response(out: Rendered, filename: str, download: bool = False) -> Response:
    disposition = "attachment" if download else "inline"
    headers = {"Content-Disposition": f'{disposition}; filename="{filename}"',
               "Cache-Control": "private, no-cache", "X-Render-Seconds": f"{out.seconds:.3f}"}
    if out.media_type.startswith("text/html"):
        # exactly the inline scripts this document carries (it also opens offline)
        headers["Content-Security-Policy"] = csp.document_policy(out.content.decode("utf-8"))
    return Response(out.content, media_type=out.media_type, headers=headers)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:80] or "mapa"


def _map(conn: Connection, viewer: Viewer, ext: str, lang: str, paper: str, filename: str,
         **target: str) -> Response:
    """HTML is the offline advocacy map; png/pdf the print map. ``target``: network or
    community."""
    if ext == "html":
        out = mapping.advocacy_map(conn, viewer, lang=lang, **target)
    else:
        out = mapping.print_map(conn, viewer, lang=lang, fmt=ext, paper=paper, **target)
    return _response(out, f"{filename}.{ext}")


@router.get("/maps/network/{network_id}.{ext}", summary="Mapa de una red / network map",
            response_class=Response, responses=MAP_FILES)
def network_map(network_id: str, ext: Literal["html", "png", "pdf"], conn: ConnDep,
                viewer: ViewerDep, lang: LangDep, paper: PaperDep = "A4") -> Response:
    return _map(conn, viewer, ext, lang, paper, f"red-{_safe(network_id)}",
                network=network_id)


@router.get("/maps/community/{community_id}.{ext}", summary="Mapa de una comunidad",
            response_class=Response, responses=MAP_FILES)
def community_map(community_id: str, ext: Literal["html", "png", "pdf"], conn: ConnDep,
                  viewer: ViewerDep, lang: LangDep, paper: PaperDep = "A4") -> Response:
    return _map(conn, viewer, ext, lang, paper, f"comunidad-{_safe(community_id)}",
                community=community_id)


@router.get("/reports/community/{community_id}.{ext}",
            summary="Expediente legal / lawyer's dossier", response_class=Response,
            responses=binary(HTML, PDF))
def community_report(community_id: str, ext: Literal["html", "pdf"], conn: ConnDep,
                     viewer: ViewerDep, lang: LangDep) -> Response:
    render = mapping.dossier_html if ext == "html" else mapping.dossier_pdf
    out = render(conn, viewer, community_id, lang=lang)
    return _response(out, f"expediente-{_safe(community_id)}.{ext}")
