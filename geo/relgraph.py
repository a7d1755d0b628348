"""The relationship graph of actors, communities and conflicts, laid out and drawn as SVG.

Pure and deterministic: the same nodes and edges always give the same drawing (a radial
layout: the node asked about in the centre, the nodes one link away on the first ring, the
rest on the second; the kind of a link is its line style, its words a tooltip), so the page
needs no script and no library and works offline. The server draws it (``/relaciones``);
``layers.relations`` decides which nodes a reader may see.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from xml.sax.saxutils import escape

__all__ = ["Edge", "Node", "layout", "svg"]

#: fill colour per node kind (communities as on the map; conflicts red; actors by kind)
COLORS = {"community": "#1a9850", "conflict": "#c51b7d", "actor": "#3f6fb5"}
_SIZE = {"community": 13, "conflict": 12, "actor": 10}
_MAX_LABEL = 26


@dataclass(frozen=True)
class Node:
    id: str  # "community:HF-001", "conflict:CF-1", "actor:ACT-…"
    kind: str  # community | conflict | actor
    key: str
    label: str
    detail: str = ""  # a second line (kind of actor, status of a conflict …), already a label


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # level of an actor in a conflict, "community", "link", "company"
    label: str = ""


def layout(nodes: list[Node], edges: list[Edge], focus: str, *, width: float = 900,
           height: float = 640) -> dict[str, tuple[float, float]]:
    """Node id -> (x, y): the focus in the centre, then rings by link distance; nodes of a
    ring sorted by kind and label, evenly spaced (deterministic)."""
    neighbours: dict[str, set[str]] = {n.id: set() for n in nodes}
    for e in edges:
        if e.source in neighbours and e.target in neighbours:
            neighbours[e.source].add(e.target)
            neighbours[e.target].add(e.source)
    depth = {focus: 0} if focus in neighbours else {}
    queue = deque(depth)
    while queue:
        here = queue.popleft()
        for other in sorted(neighbours[here]):
            if other not in depth:
                depth[other] = depth[here] + 1
                queue.append(other)
    far = max(depth.values(), default=0) + 1
    rings: dict[int, list[Node]] = {}
    for n in nodes:
        rings.setdefault(min(depth.get(n.id, far), 2), []).append(n)
    cx, cy = width / 2, height / 2
    outer = max(rings, default=1) or 1
    # labels need room at the sides and below: the outer ring leaves margins for them
    rx, ry = width / 2 - 92, height / 2 - 45
    out: dict[str, tuple[float, float]] = {}
    angles: dict[str, float] = {}
    order = {"conflict": 0, "community": 1, "actor": 2}
    for ring, members in sorted(rings.items()):
        if ring == 0 and len(members) == 1:
            out[members[0].id] = (cx, cy)
            continue

        def parent_angle(n: Node) -> float:
            seen = [angles[o] for o in sorted(neighbours[n.id]) if o in angles]
            return sum(seen) / len(seen) if seen else 10.0

        # a ring follows the angles of the nodes it hangs from: fewer crossing lines
        members.sort(key=lambda n: (round(parent_angle(n), 3), order.get(n.kind, 3),
                                    n.label, n.id))
        share = 1.0 if ring == outer else 0.62 * ring / max(outer - 1, 1)
        offset = -math.pi / 2 + ring * 0.35
        for i, n in enumerate(members):
            angle = offset + 2 * math.pi * i / len(members)
            angles[n.id] = angle % (2 * math.pi)
            out[n.id] = (round(cx + rx * share * math.cos(angle), 1),
                         round(cy + ry * share * math.sin(angle), 1))
    return out


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _short(text: str) -> str:
    return text if len(text) <= _MAX_LABEL else text[:_MAX_LABEL - 1] + "…"


def svg(nodes: list[Node], edges: list[Edge], focus: str, *, title: str,
        links: dict[str, str] | None = None, width: float = 900, height: float = 640) -> str:
    """The graph as one ``<svg>`` element (scales to its container; full names in
    ``<title>``; ``links``: node id -> URL it opens)."""
    pos = layout(nodes, edges, focus, width=width, height=height)
    links = links or {}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="relgraph" role="img" '
             f'viewBox="0 0 {width:g} {height:g}" preserveAspectRatio="xMidYMid meet" '
             f'aria-label="{_attr(title)}">', f"<title>{escape(title)}</title>"]
    for e in edges:
        if e.source not in pos or e.target not in pos:
            continue
        (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
        parts.append(f'<line class="edge edge-{escape(e.kind)}" x1="{x1}" y1="{y1}" '
                     f'x2="{x2}" y2="{y2}"><title>{escape(e.label)}</title></line>')
    for n in nodes:
        x, y = pos[n.id]
        r = _SIZE.get(n.kind, 10) + (4 if n.id == focus else 0)
        shape = (f'<rect x="{x - r}" y="{y - r}" width="{2 * r}" height="{2 * r}" rx="3"/>'
                 if n.kind == "conflict" else f'<circle cx="{x}" cy="{y}" r="{r}"/>')
        full = f"{n.label} · {n.detail}" if n.detail else n.label
        body = (f'<g class="node node-{escape(n.kind)}{" focus" if n.id == focus else ""}" '
                f'data-id="{_attr(n.id)}" fill="{COLORS.get(n.kind, "#777")}">'
                f"<title>{escape(full)}</title>{shape}"
                f'<text x="{x}" y="{y + r + 13}">{escape(_short(n.label))}</text>')
        if n.detail:
            body += (f'<text class="detail" x="{x}" y="{y + r + 25}">'
                     f"{escape(_short(n.detail))}</text>")
        body += "</g>"
        if n.id in links:
            body = f'<a href="{_attr(links[n.id])}">{body}</a>'
        parts.append(body)
    parts.append("</svg>")
    return "".join(parts)
