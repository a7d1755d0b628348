"""The relationship view (actors, communities, conflicts): ``GET /api/relations`` (JSON)
and the page ``/relaciones`` (a server-drawn SVG graph: no script, no library, works
offline), plus the empty conflict template ``GET /api/conflicts/template.csv``.

Both views read :func:`layers.relations.graph`, which filters every node by the reader's
visibility, so the page never shows more than the JSON would to the same reader.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from api import csp
from api.dependencies import ConnDep, ViewerDep
from api.models import Open, binary, ok
from api.relations_strings import relations_strings
from api.routes.web import asset_url, templates
from geo import relgraph
from layers import relations

router = APIRouter(tags=["conflictos / conflicts"])

Lang = Literal["es", "en"]
KeyQ = Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00]*$",
                                   description="Código / id")]


class RelationNode(BaseModel):
    """A community, conflict or actor; ``id`` is ``kind:key``; ``detail`` already a label."""

    id: str
    kind: Literal["community", "conflict", "actor"]
    key: str
    label: str
    detail: str


class RelationEdge(BaseModel):
    """A link: conflict–actor (``primary``/``secondary``/``tertiary``, with the actor's
    position when the reader may see it), conflict–community (``community``), actor–
    community (``link``), actor–the company behind it (``company``)."""

    source: str
    target: str
    kind: str
    label: str


class RelationGraph(Open):
    """The relationship view around one community or conflict (what the reader may see)."""

    focus: str
    nodes: list[RelationNode]
    edges: list[RelationEdge]


def _links(graph: relations.Graph, lang: str) -> dict[str, str]:
    out = {}
    for node in graph.nodes.values():
        if node.kind in ("community", "conflict"):
            out[node.id] = "/relaciones?" + urlencode({node.kind: node.key, "lang": lang})
    return out


@router.get("/api/relations", response_model=None, responses=ok(RelationGraph),
            summary="Relaciones de una comunidad o un conflicto / relationship graph")
def relations_json(conn: ConnDep, viewer: ViewerDep, community: KeyQ = None,
                   conflict: KeyQ = None, lang: Lang = "es") -> JSONResponse:
    """Actors, communities and conflicts linked to ``community`` or ``conflict`` (exactly
    one), as the reader may see them."""
    g = relations.graph(conn, viewer.principal, community=community, conflict=conflict,
                        lang=lang)
    return JSONResponse(g.as_dict(), headers={"Vary": "Authorization, Cookie"})


@router.get("/relaciones", include_in_schema=False)
def relations_page(request: Request, conn: ConnDep, viewer: ViewerDep,
                   community: KeyQ = None, conflict: KeyQ = None,
                   lang: Lang = "es") -> HTMLResponse:
    t = relations_strings(lang)
    g = relations.graph(conn, viewer.principal, community=community, conflict=conflict,
                        lang=lang)
    focus = g.nodes[g.focus]
    title = (t["title_community"] if focus.kind == "community" else t["title_conflict"]
             ).format(name=focus.label)
    nodes, edges, links = list(g.nodes.values()), g.edges, _links(g, lang)
    svg = (relgraph.svg(nodes, edges, g.focus, title=title, links=links).replace(
               'class="relgraph"', 'class="relgraph wide"', 1)
           + relgraph.svg(nodes, edges, g.focus, title=title, links=links, width=400,
                          height=760).replace('class="relgraph"', 'class="relgraph narrow"', 1))
    other = "en" if lang == "es" else "es"
    params = {k: v for k, v in request.query_params.items() if v}
    params["lang"] = other
    html = templates().get_template("relations.html").render(
        lang=lang, t=t, asset=asset_url, title=title, svg=svg, graph=g.as_dict(),
        links=links, other_lang=other, other_lang_href="?" + urlencode(params))
    return HTMLResponse(html, headers={
        "Content-Language": lang, "Cache-Control": "no-cache", "Vary": "Authorization, Cookie",
        "Content-Security-Policy": csp.map_page_policy()})


@router.get("/api/conflicts/template.csv", response_class=Response,
            responses=binary("text/csv"),
            summary="Plantilla vacía de conflictos (columnas de la Defensoría) / empty "
                    "conflict template")
def conflict_template() -> Response:
    """The header of the conflict CSV ``allpa import conflicts`` reads (UTF-8 with BOM so
    spreadsheets open the accents right)."""
    from geo.profiles.defensoria import TEMPLATE_COLUMNS

    return Response("\ufeff" + ",".join(TEMPLATE_COLUMNS) + "\n",
                    media_type="text/csv; charset=utf-8", headers={
                        "Content-Disposition": 'attachment; filename="plantilla_conflictos.csv"'})
