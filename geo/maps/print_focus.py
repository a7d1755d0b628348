"""What a print map must make visible: where concessions cut into a community (filled and
hatched by state, labelled with code and hectares), the water at risk, the search radius of a
point-only community (an estimate, said so), a locator inset, and a frame that fills the page
with plain degree labels.

Pure: GeoDataFrames and the analysis' overlap records in, matplotlib artists out. The hectares
printed are the analysis' geodesic ones, never re-measured here.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import shapely
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter
from pyproj import Geod
from shapely.geometry import Polygon

from geo.maps import labels as L
from geo.maps.map_input import Overlaps

Bounds = tuple[float, float, float, float]
_GEOD = Geod(ellps="WGS84")
STATE_HATCH = {"titled": "////", "in_process": "\\\\\\\\", "extinguished": "..",
               "other": "xx", "unknown": "++"}
RISK_COLOR = "#a50f15"
DEFAULT_RADIUS_M = 5000.0


def is_point(geom: Any) -> bool:
    return geom is not None and geom.geom_type in ("Point", "MultiPoint")


def focus_row(communities: gpd.GeoDataFrame, focus: str | None) -> Any | None:
    if focus is None or communities.empty or "id" not in communities:
        return None
    sel = communities[communities["id"].astype(str) == focus]
    return None if sel.empty else sel.iloc[0]


def search_radius_m(overlaps: Overlaps, community_id: str) -> float:
    """The radius the analysis used around a point-only community (recorded per overlap)."""
    for o in overlaps.get(community_id, []):
        radius = (o.get("details") or {}).get("radius_m")
        if radius:
            return float(radius)
    return DEFAULT_RADIUS_M


def circle(lon: float, lat: float, radius_m: float, n: int = 96) -> Polygon:
    """A geodesic circle (WGS 84 ellipsoid) as a lon/lat polygon."""
    az = [360.0 * i / n for i in range(n)]
    lons, lats, _ = _GEOD.fwd([lon] * n, [lat] * n, az, [radius_m] * n)
    return Polygon(zip(lons, lats, strict=True))


def focus_bounds(communities: gpd.GeoDataFrame, focus: str | None, overlaps: Overlaps,
                 pad: float = 0.12) -> Bounds | None:
    """The frame of a community map: its territory with a margin, or for a point-only
    community the search radius with a margin (a readable scale, not a 150 m window)."""
    row = focus_row(communities, focus)
    if row is None or row.geometry is None or row.geometry.is_empty:
        return None
    geom = row.geometry
    if is_point(geom):
        p = geom.centroid
        geom = circle(p.x, p.y, search_radius_m(overlaps, str(row["id"])))
    x0, y0, x1, y1 = geom.bounds
    m = max(x1 - x0, y1 - y0) * pad
    return (x0 - m, y0 - m, x1 + m, y1 + m)


def fit_aspect(bounds: Bounds, width_in: float, height_in: float) -> Bounds:
    """Grow ``bounds`` so that, drawn with true ground proportions, they fill a box of the
    given size (no empty bands on the page)."""
    x0, y0, x1, y1 = bounds
    k = math.cos(math.radians((y0 + y1) / 2))
    w, h = (x1 - x0) * k, y1 - y0
    want = width_in / height_in
    if w / h < want:
        grow = (h * want / k - (x1 - x0)) / 2
        return (x0 - grow, y0, x1 + grow, y1)
    grow = (w / want - h) / 2
    return (x0, y0 - grow, x1, y1 + grow)


def degree_axes(ax: Axes, bounds: Bounds, lang: str) -> None:
    """Degree labels such as 69.375° O / 14.860° S: never offsets or e-notation."""
    span = max(bounds[2] - bounds[0], bounds[3] - bounds[1])
    digits = 3 if span < 0.2 else 2 if span < 2 else 1
    west = "O" if L.lang_of(lang) == "es" else "W"

    def lon(v: float, _pos: int) -> str:
        return f"{abs(v):.{digits}f}° {west if v < 0 else 'E'}"

    def lat(v: float, _pos: int) -> str:
        return f"{abs(v):.{digits}f}° {'S' if v < 0 else 'N'}"

    ax.xaxis.set_major_formatter(FuncFormatter(lon))
    ax.yaxis.set_major_formatter(FuncFormatter(lat))
    ax.xaxis.get_offset_text().set_visible(False)
    ax.yaxis.get_offset_text().set_visible(False)


def intersections(communities: gpd.GeoDataFrame, concessions: gpd.GeoDataFrame,
                  overlaps: Overlaps) -> gpd.GeoDataFrame:
    """One row per community × concession overlap the analysis found (not estimates):
    the shape to draw, the concession's code and state, and the analysis' hectares."""
    rows: list[dict[str, Any]] = []
    if communities.empty or concessions.empty:
        return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs=4326)
    by_code = {str(c): (g, s) for c, g, s in zip(concessions["code"], concessions.geometry,
                                                  concessions["state"], strict=True)}
    for cid, geom in zip(communities["id"].astype(str), communities.geometry, strict=True):
        if geom is None or geom.is_empty or is_point(geom):
            continue
        for o in overlaps.get(cid, []):
            if o.get("other_kind") != "concession" or o.get("estimate"):
                continue
            hit = by_code.get(str(o.get("other_id")))
            if hit is None or hit[0] is None:
                continue
            part = shapely.intersection(geom, hit[0])
            if part.is_empty or part.area <= 0:
                continue
            rows.append({"community_id": cid, "code": str(o["other_id"]),
                         "state": str(hit[1] or "unknown"),
                         "ha": o.get("intersection_ha"), "geometry": part})
    return gpd.GeoDataFrame(rows or {"geometry": []}, geometry="geometry", crs=4326)


def water_at_risk_ids(overlaps: Overlaps) -> set[str]:
    """Water sources the analysis found inside a concession."""
    return {str(o["other_id"]) for items in overlaps.values() for o in items
            if o.get("other_kind") == "water" and (o.get("details") or {}).get("in_concession")}


def _ha(value: Any) -> str:
    try:
        return f"{float(value):,.1f}".replace(",", " ")
    except (TypeError, ValueError):
        return "–"


def draw_intersections(ax: Axes, parts: gpd.GeoDataFrame, lang: str, *, label: bool
                       ) -> list[Any]:
    handles: list[Any] = []
    if parts.empty:
        return handles
    for state in L.STATE_ORDER:
        sub = parts[parts["state"] == state]
        if sub.empty:
            continue
        color = L.STATE_COLORS[state]
        sub.plot(ax=ax, facecolor=color, edgecolor=color, alpha=0.55, linewidth=0.6,
                 hatch=STATE_HATCH[state], zorder=4.6)
        handles.append(Patch(facecolor=color, edgecolor=color, alpha=0.55,
                             hatch=STATE_HATCH[state],
                             label=f"{L.t(lang, 'print_overlap')}: "
                                   f"{L.t(lang, 'state_' + state)}"))
    if label:
        for code, ha, geom in zip(parts["code"], parts["ha"], parts.geometry, strict=True):
            p = geom.representative_point()
            ax.text(p.x, p.y, f"{code}\n{_ha(ha)} ha", fontsize=7, ha="center", va="center",
                    zorder=10, fontweight="bold",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "#555555",
                          "lw": 0.4, "alpha": 0.85})
    return handles


def draw_water_at_risk(ax: Axes, water: gpd.GeoDataFrame, at_risk: set[str], lang: str,
                       *, label: bool) -> list[Any]:
    if water.empty or not at_risk or "id" not in water:
        return []
    sub = water[water["id"].astype(str).isin(at_risk)]
    if sub.empty:
        return []
    gtype = sub.geometry.geom_type
    pts = sub[gtype.isin(["Point", "MultiPoint"])]
    other = sub[~gtype.isin(["Point", "MultiPoint"])]
    polys = other[other.geom_type.isin(["Polygon", "MultiPolygon"])]
    lines = other[~other.geom_type.isin(["Polygon", "MultiPolygon"])]
    if not polys.empty:
        polys.boundary.plot(ax=ax, color=RISK_COLOR, linewidth=2.0, zorder=8)
    if not lines.empty:
        lines.plot(ax=ax, color=RISK_COLOR, linewidth=1.3, linestyle=(0, (4, 2)), zorder=8)
    if not pts.empty:
        ax.scatter(pts.geometry.x, pts.geometry.y, s=130, facecolors="none",
                   edgecolors=RISK_COLOR, linewidths=1.8, zorder=8)
    if label:
        for name, geom in zip(sub["name"], sub.geometry, strict=True):
            p = geom.representative_point()
            ax.annotate(str(name or ""), (p.x, p.y), xytext=(6, -10),
                        textcoords="offset points", fontsize=6.5, color=RISK_COLOR, zorder=10,
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                              "alpha": 0.8})
    return [Line2D([], [], marker="o", color="none", markerfacecolor="none",
                   markeredgecolor=RISK_COLOR, markersize=9, markeredgewidth=1.8,
                   label=L.t(lang, "print_water_at_risk"))]


def draw_search_radius(ax: Axes, lon: float, lat: float, radius_m: float,
                       concessions: gpd.GeoDataFrame, overlaps: Sequence[Mapping[str, Any]],
                       lang: str) -> list[Any]:
    """Point-only community: the circle the analysis searched, the concessions it found
    (filled by state, code and distance), and a note that all of this is an estimate."""
    ring = circle(lon, lat, radius_m)
    gpd.GeoSeries([ring], crs=4326).boundary.plot(ax=ax, color="black", linewidth=1.4,
                                                  linestyle=(0, (5, 3)), zorder=8)
    near = {str(o["other_id"]): o for o in overlaps if o.get("other_kind") == "concession"}
    handles: list[Any] = [Line2D([], [], color="black", linestyle=(0, (5, 3)),
                                 label=L.t(lang, "print_radius").format(
                                     km=f"{radius_m / 1000:g}"))]
    if not concessions.empty and near:
        sub = concessions[concessions["code"].astype(str).isin(near)]
        for state in L.STATE_ORDER:
            part = sub[sub["state"].astype(str) == state]
            if part.empty:
                continue
            color = L.STATE_COLORS[state]
            part.plot(ax=ax, facecolor=color, edgecolor=color, alpha=0.35,
                      hatch=STATE_HATCH[state], linewidth=0.8, zorder=4.6)
            handles.append(Patch(facecolor=color, edgecolor=color, alpha=0.35,
                                 hatch=STATE_HATCH[state],
                                 label=f"{L.t(lang, 'print_nearby')}: "
                                       f"{L.t(lang, 'state_' + state)}"))
        for code, geom in zip(sub["code"].astype(str), sub.geometry, strict=True):
            p = geom.representative_point()
            dist = (near[code].get("details") or {}).get("distance_m")
            text = code if dist is None else f"{code}\n{float(dist) / 1000:.1f} km"
            ax.text(p.x, p.y, text, fontsize=6.5, ha="center", va="center", zorder=10,
                    bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "#555555",
                          "lw": 0.4, "alpha": 0.85})
    ax.scatter([lon], [lat], s=120, marker="^", c="white", edgecolors="black",
               linewidths=1.5, zorder=11)
    ax.text(0.015, 0.985, textwrap.fill(L.t(lang, "print_estimate_note"), 62),
            transform=ax.transAxes, ha="left", va="top", fontsize=7.5, zorder=21,
            bbox={"boxstyle": "round,pad=0.3", "fc": "#fff3b0", "ec": "#b58900"})
    return handles


def draw_locator(ax: Axes, locator: gpd.GeoDataFrame | None, main: Bounds, lang: str) -> None:
    """A small overview: every loaded administrative unit, the main map's frame in red."""
    ctx: list[Bounds] = [main]
    if locator is not None and not locator.empty:
        locator.plot(ax=ax, facecolor="#eeeeee", edgecolor="#777777", linewidth=0.4)
        ctx.append(tuple(locator.total_bounds))
    x0 = min(b[0] for b in ctx)
    y0 = min(b[1] for b in ctx)
    x1 = max(b[2] for b in ctx)
    y1 = max(b[3] for b in ctx)
    m = max(x1 - x0, y1 - y0) * 0.08 + 0.01
    ax.set_xlim(x0 - m, x1 + m)
    ax.set_ylim(y0 - m, y1 + m)
    ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
    mx0, my0, mx1, my1 = main
    ax.add_patch(Rectangle((mx0, my0), mx1 - mx0, my1 - my0, fill=False, edgecolor=RISK_COLOR,
                           linewidth=1.6, zorder=5))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(L.t(lang, "print_locator"), fontsize=7)
