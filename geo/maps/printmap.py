"""Print maps (matplotlib): A4/A3, PNG or PDF, readable in black and white.

Colour is never the only carrier of meaning: community severity also has a hatching
pattern, concession states a line style, water kinds a marker or line pattern. Every map has
a legend, a geodesic scale bar (km per degree measured on the ellipsoid at the map centre),
a north arrow and a source + date line. A DEM, when given, is drawn as a hillshade underneath.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from pyproj import Geod

from geo.maps import labels as L
from geo.maps import print_focus as F
from geo.maps.map_input import MapInput
from geo.maps.sources import source_line

PAPER_INCHES = {"A4": (11.69, 8.27), "A3": (16.54, 11.69)}  # landscape
PNG_DPI = 150
SEVERITY_HATCH = {"critical": "xxxx", "high": "////", "medium": "\\\\", "low": "..",
                  "info": "", "none": ""}
STATE_LINESTYLE: dict[str, Any] = {"titled": "-", "in_process": "--", "extinguished": ":",
                                   "other": "-.", "unknown": (0, (1, 3))}
WATER_MARKER = {"spring": "o", "well": "s"}
WATER_HATCH = {"wetland": "----", "lake": "", "glacier": "++"}
_GEOD = Geod(ellps="WGS84")


def km_per_degree(lon: float, lat: float) -> tuple[float, float]:
    """Geodesic km per degree of longitude and latitude at (lon, lat) on WGS84."""
    _, _, dx = _GEOD.inv(lon - 0.5, lat, lon + 0.5, lat)
    _, _, dy = _GEOD.inv(lon, lat - 0.5, lon, lat + 0.5)
    return dx / 1000.0, dy / 1000.0


def _nice(length_km: float) -> float:
    steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500]
    best = steps[0]
    for s in steps:
        if s <= length_km:
            best = s
    return best


def _bounds(frames: Sequence[gpd.GeoDataFrame]) -> tuple[float, float, float, float]:
    boxes = [f.total_bounds for f in frames if not f.empty]
    if not boxes:
        return (-70.0, -16.0, -69.0, -15.0)
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[2] for b in boxes)
    y1 = max(b[3] for b in boxes)
    pad = max(x1 - x0, y1 - y0, 0.01) * 0.05
    return (x0 - pad, y0 - pad, x1 + pad, y1 + pad)


def scale_bar(ax: Axes, bounds: tuple[float, float, float, float], lang: str) -> float:
    """A two-segment black/white bar in the lower left; returns its length in km."""
    x0, y0, x1, y1 = bounds
    lon_c, lat_c = (x0 + x1) / 2, (y0 + y1) / 2
    kx, _ = km_per_degree(lon_c, lat_c)
    length = _nice((x1 - x0) * kx / 5)
    deg = length / kx
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    h = (y1 - y0) * 0.008
    for i in range(2):
        ax.add_patch(Rectangle((bx + i * deg / 2, by), deg / 2, h, facecolor="black" if i == 0
                               else "white", edgecolor="black", linewidth=0.8, zorder=20))
    unit = "km" if length >= 1 else "m"
    shown = length if length >= 1 else length * 1000
    ax.text(bx, by + h * 1.6, "0", ha="center", va="bottom", fontsize=7, zorder=20)
    ax.text(bx + deg, by + h * 1.6, f"{shown:g} {unit}", ha="center", va="bottom", fontsize=7,
            zorder=20)
    ax.text(bx + deg / 2, by - h * 1.2, L.t(lang, "scale") + " (geodésica)" if lang == "es"
            else L.t(lang, "scale") + " (geodesic)", ha="center", va="top", fontsize=6,
            zorder=20)
    return length


def north_arrow(ax: Axes, lang: str) -> None:
    ax.annotate(L.t(lang, "north"), xy=(0.95, 0.95), xytext=(0.95, 0.86),
                xycoords="axes fraction", ha="center", va="center", fontsize=12,
                fontweight="bold", zorder=21,
                arrowprops={"facecolor": "black", "width": 4, "headwidth": 11})


def _draw_hillshade(ax: Axes, dem_path: str | None, bounds: tuple[float, float, float, float]
                    ) -> bool:
    if not dem_path:
        return False
    from geo.terrain import hillshade_image

    try:
        rgba, extent = hillshade_image(dem_path, bounds, max_size=1200)
    except Exception:  # a broken raster must not prevent the map
        return False
    if rgba.shape[0] < 2:
        return False
    ax.imshow(rgba, extent=extent.mpl_extent(), zorder=0, alpha=0.45, interpolation="bilinear")
    return True


def draw_layers(ax: Axes, communities: gpd.GeoDataFrame, concessions: gpd.GeoDataFrame,
                water: gpd.GeoDataFrame, consultations: gpd.GeoDataFrame,
                boundaries: gpd.GeoDataFrame | None, lang: str, *,
                focus: str | None = None, label: bool = True,
                outline: bool = False) -> list[Any]:
    """Draw every layer on ``ax`` (EPSG:4326); returns the legend handles. ``outline``
    draws communities as coloured outlines (community maps: what lies inside stays
    visible); otherwise they are filled lightly by severity and hatched."""
    handles: list[Any] = []
    if boundaries is not None and not boundaries.empty:
        boundaries.boundary.plot(ax=ax, color=L.BOUNDARY_COLOR, linewidth=0.7,
                                 linestyle=(0, (6, 4)), zorder=1)
        handles.append(Line2D([], [], color=L.BOUNDARY_COLOR, linestyle=(0, (6, 4)),
                              label=L.t(lang, "layer_boundaries")))
    if not consultations.empty:
        consultations.boundary.plot(ax=ax, color=L.CONSULTATION_COLOR, linewidth=2.0,
                                    linestyle="-.", zorder=2)
        handles.append(Line2D([], [], color=L.CONSULTATION_COLOR, linestyle="-.",
                              linewidth=2, label=L.t(lang, "layer_consultations")))
    comm_poly = communities[~communities.geometry.geom_type.isin(["Point", "MultiPoint"])]
    comm_pts = communities[communities.geometry.geom_type.isin(["Point", "MultiPoint"])]
    sev_col = communities.get("severity")
    present = set(sev_col.astype(str)) if sev_col is not None else {"none"}
    for sev in L.SEVERITY_ORDER:
        subset = comm_poly[comm_poly["severity"] == sev] if sev_col is not None else \
            (comm_poly if sev == "none" else comm_poly.iloc[0:0])
        color = L.SEVERITY_COLORS[sev]
        if outline:
            if not subset.empty:
                subset.boundary.plot(ax=ax, color="black", linewidth=3.6, zorder=9)
                subset.boundary.plot(ax=ax, color=color, linewidth=2.2, zorder=9.1)
            if sev in present and not subset.empty:
                handles.append(Line2D([], [], color=color, linewidth=3,
                                         label=f"{L.t(lang, 'print_community_outline')}: "
                                            f"{L.t(lang, 'sev_' + sev)}"))
            continue
        if not subset.empty:
            subset.plot(ax=ax, facecolor=color, edgecolor="#222222",
                        linewidth=0.8, hatch=SEVERITY_HATCH[sev], alpha=0.45, zorder=4)
        if sev in present:
            handles.append(Patch(facecolor=color, edgecolor="#222222", alpha=0.45,
                                 hatch=SEVERITY_HATCH[sev],
                                 label=f"{L.t(lang, 'community')}: {L.t(lang, 'sev_' + sev)}"))
    if not comm_pts.empty:
        colors = [L.SEVERITY_COLORS.get(str(s), "#f0f0f0") for s in
                  (comm_pts["severity"] if sev_col is not None else ["none"] * len(comm_pts))]
        ax.scatter(comm_pts.geometry.x, comm_pts.geometry.y, s=40, c=colors, marker="^",
                   edgecolors="black", linewidths=0.8, zorder=6)
        handles.append(Line2D([], [], marker="^", color="none", markerfacecolor="white",
                              markeredgecolor="black", label=L.t(lang, "point_only")))
    states = set(concessions["state"].astype(str)) if not concessions.empty else set()
    for state in L.STATE_ORDER:
        subset = concessions[concessions["state"] == state] if not concessions.empty \
            else concessions
        if subset.empty:
            continue
        subset.boundary.plot(ax=ax, color=L.STATE_COLORS[state], linewidth=1.0,
                             linestyle=STATE_LINESTYLE[state], zorder=5)
        if state in states:
            handles.append(Line2D([], [], color=L.STATE_COLORS[state],
                                  linestyle=STATE_LINESTYLE[state],
                                  label=f"{L.t(lang, 'layer_concessions')}: "
                                        f"{L.t(lang, 'state_' + state)}"))
    if not water.empty:
        kinds = water["kind"].astype(str)
        gtype = water.geometry.geom_type
        for kind in L.WATER_ORDER:
            sub = water[kinds == kind]
            if sub.empty:
                continue
            color = L.WATER_COLORS[kind]
            pts = sub[gtype[kinds == kind].isin(["Point", "MultiPoint"])]
            lines = sub[gtype[kinds == kind].isin(["LineString", "MultiLineString"])]
            polys = sub[gtype[kinds == kind].isin(["Polygon", "MultiPolygon"])]
            if not polys.empty:
                polys.plot(ax=ax, facecolor=color, edgecolor=color, alpha=0.6,
                           hatch=WATER_HATCH.get(kind, ""), linewidth=0.5, zorder=4.5)
                handles.append(Patch(facecolor=color, edgecolor=color,
                                     hatch=WATER_HATCH.get(kind, ""),
                                     label=L.t(lang, "water_" + kind)))
            if not lines.empty:
                ls: Any = "--" if kind == "canal" else "-"
                lines.plot(ax=ax, color=color, linewidth=1.6 if kind == "river" else 0.9,
                           linestyle=ls, zorder=6)
                handles.append(Line2D([], [], color=color, linestyle=ls,
                                      label=L.t(lang, "water_" + kind)))
            if not pts.empty:
                marker = WATER_MARKER.get(kind, "D")
                ax.scatter(pts.geometry.x, pts.geometry.y, s=14, marker=marker, c=color,
                           edgecolors="white", linewidths=0.5, zorder=7)
                handles.append(Line2D([], [], marker=marker, color="none",
                                      markerfacecolor=color, markeredgecolor="white",
                                      label=L.t(lang, "water_" + kind)))
    if focus is not None and "id" in communities and not outline:
        sel = communities[communities["id"].astype(str) == focus]
        if not sel.empty and not sel.geometry.geom_type.isin(["Point"]).all():
            sel.boundary.plot(ax=ax, color="black", linewidth=2.5, zorder=8)
    if label and "name" in communities:
        many = len(communities) > 25
        for name, geom in zip(communities["name"], communities.geometry, strict=True):
            if geom is None or geom.is_empty:
                continue
            p = geom.representative_point()
            text = str(name)
            if many:
                text = text.replace("Comunidad Campesina ", "").replace(" (ficticia)", "")
            ax.text(p.x, p.y, text, fontsize=5 if many else 7, ha="center", va="center",
                    zorder=9, bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                                    "alpha": 0.6})
    return handles


def _frame_axes(ax: Axes, bounds: tuple[float, float, float, float], lang: str = "es"
                ) -> None:
    x0, y0, x1, y1 = bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    lat_c = (y0 + y1) / 2
    ax.set_aspect(1 / math.cos(math.radians(lat_c)))
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(labelsize=6)
    ax.grid(True, linewidth=0.2, color="#999999")
    F.degree_axes(ax, bounds, lang)


def _focus_layers(ax: Axes, inp: MapInput, lang: str, *, label: bool) -> list[Any]:
    """Overlaps filled by state (labelled on community maps), water at risk, and for a
    point-only community the search radius with the concessions found in it."""
    handles: list[Any] = []
    row = F.focus_row(inp.communities, inp.focus)
    if row is not None and F.is_point(row.geometry):
        p = row.geometry.centroid
        handles += F.draw_search_radius(ax, p.x, p.y, F.search_radius_m(inp.overlaps,
                                                                         inp.focus or ""),
                                        inp.concessions, inp.overlaps.get(inp.focus or "", []),
                                        lang)
    parts = F.intersections(inp.communities, inp.concessions, inp.overlaps)
    handles += F.draw_intersections(ax, parts, lang, label=label)
    handles += F.draw_water_at_risk(ax, inp.water, F.water_at_risk_ids(inp.overlaps), lang,
                                    label=label)
    return handles


MAP_BOX = (0.065, 0.075, 0.635, 0.835)  # left, bottom, width, height (figure fraction)


def map_figure(inp: MapInput, paper: str, lang: str) -> Figure:
    w, h = PAPER_INCHES[paper]
    fig = plt.figure(figsize=(w, h))
    ax = fig.add_axes(MAP_BOX)
    bounds = F.focus_bounds(inp.communities, inp.focus, inp.overlaps) or _bounds(
        [inp.communities])
    bounds = F.fit_aspect(bounds, MAP_BOX[2] * w, MAP_BOX[3] * h)
    shaded = _draw_hillshade(ax, inp.dem_path, bounds)
    community_map = inp.focus is not None
    handles = draw_layers(ax, inp.communities, inp.concessions, inp.water, inp.consultations,
                          inp.boundaries, lang, outline=community_map,
                          label=not community_map)  # the title names the community
    handles += _focus_layers(ax, inp, lang, label=community_map)
    _frame_axes(ax, bounds, lang)
    scale_bar(ax, bounds, lang)
    north_arrow(ax, lang)
    fig.text(0.035, 0.955, inp.title, fontsize=15, fontweight="bold", va="center")
    sub = inp.subtitle or ""
    if inp.fictional:
        sub = f"{sub} · {L.t(lang, 'fictional')}" if sub else L.t(lang, "fictional")
    if sub:
        fig.text(0.035, 0.925, sub, fontsize=9, va="center")
    lax = fig.add_axes((0.715, 0.40, 0.27, 0.51))
    lax.axis("off")
    lax.legend(handles=handles, loc="upper left", fontsize=7, frameon=True,
               title=L.t(lang, "legend"), title_fontsize=9, handlelength=2.5,
               mode="expand", borderaxespad=0)
    inset = fig.add_axes((0.715, 0.075, 0.27, 0.30))
    F.draw_locator(inset, inp.locator, bounds, lang)
    date = inp.generated_at.astimezone(dt.UTC).strftime("%Y-%m-%d")
    src = "; ".join(inp.sources) or "–"
    relief = " · relieve: DEM (sombreado)" if shaded and lang == "es" else \
        (" · relief: DEM hillshade" if shaded else "")
    fig.text(0.035, 0.02, f"{source_line(inp, lang)}{relief}. {L.t(lang, 'file')}: {src}. "
             f"{L.t(lang, 'map_date')}: {date}. WGS 84 (EPSG:4326).", fontsize=6, wrap=True)
    return fig


def render_print_map(inp: MapInput, *, fmt: str = "pdf", paper: str = "A4",
                     lang: str = "es") -> bytes:
    """PNG (150 dpi) or PDF bytes of the print map on A4/A3 landscape."""
    lang = L.lang_of(lang)
    fig = map_figure(inp, paper.upper(), lang)
    buf = io.BytesIO()
    try:
        if fmt == "png":
            fig.savefig(buf, format="png", dpi=PNG_DPI)
        else:
            fig.savefig(buf, format="pdf", metadata={"Title": inp.title, "Creator": "Allpa"})
    finally:
        plt.close(fig)
    return buf.getvalue()


def map_png(inp: MapInput, *, lang: str = "es", size: tuple[float, float] = (7.0, 6.4),
            dpi: int = 110) -> bytes:
    """A small map (no boundaries) for a dossier: the community outlined with its overlaps
    labelled, or a point-only community's search radius."""
    lang = L.lang_of(lang)
    communities, focus, ovs = inp.communities, inp.focus, inp.overlaps
    fig = plt.figure(figsize=size)
    box = (0.1, 0.3, 0.85, 0.67)  # the legend goes underneath, in two columns
    ax = fig.add_axes(box)
    bounds = F.focus_bounds(communities, focus, ovs, pad=0.25) or _bounds([communities])
    bounds = F.fit_aspect(bounds, box[2] * size[0], box[3] * size[1])
    only = communities[communities["id"].astype(str) == focus] if focus else communities
    handles = draw_layers(ax, only, inp.concessions, inp.water, inp.consultations, None, lang,
                          focus=focus, outline=focus is not None, label=focus is None)
    handles += _focus_layers(ax, replace(inp, communities=only), lang, label=True)
    _frame_axes(ax, bounds, lang)
    scale_bar(ax, bounds, lang)
    north_arrow(ax, lang)
    lax = fig.add_axes((0.02, 0.0, 0.96, 0.25))
    lax.axis("off")
    lax.legend(handles=handles, loc="upper center", fontsize=6.5, frameon=False, ncol=2)
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return buf.getvalue()


def map_png_data_uri(inp: MapInput, *, lang: str = "es") -> str:
    """:func:`map_png` as a ``data:`` URI, for the HTML dossier (opens offline)."""
    data = map_png(inp, lang=lang)
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")
