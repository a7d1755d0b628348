"""Standalone advocacy maps (folium) for community networks: one HTML file that opens
offline from a USB stick or a phone.

Pure: GeoDataFrames + flags + labels in, HTML text out. Leaflet's JS and CSS are INLINED from
the locally vendored copies the caller passes in (``Assets``); folium's CDN links (Leaflet,
jQuery, Bootstrap, Font Awesome) are removed. Every stored text reaches the HTML through
``html.escape`` (names, holders, flag messages...).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
from branca.element import MacroElement
from jinja2 import Template

from geo.maps import labels as L
from geo.maps.map_input import MapInput
from geo.maps.simplify import DEFAULT_TOLERANCE_DEG, simplify_coverage, simplify_plain
from geo.maps.sources import source_line

_ESC = html.escape


@dataclass(frozen=True)
class Assets:
    """Leaflet's files, read from the local vendor directory (never fetched)."""

    leaflet_js: str
    leaflet_css: str

    @classmethod
    def from_dir(cls, leaflet_dir: str | Path) -> Assets:
        d = Path(leaflet_dir)
        css = (d / "leaflet.css").read_text(encoding="utf-8")

        def data_uri(match: re.Match[str]) -> str:
            img = d / match.group(1)
            if not img.is_file():
                return "none"
            b64 = base64.b64encode(img.read_bytes()).decode("ascii")
            return f"url(data:image/png;base64,{b64})"

        css = re.sub(r"url\((images/[^)]+\.png)\)", data_uri, css)
        return cls(leaflet_js=(d / "leaflet.js").read_text(encoding="utf-8"), leaflet_css=css)


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    try:
        return f"{float(value):,.{digits}f}".replace(",", " ")
    except (TypeError, ValueError):
        return _ESC(str(value))


def _community_popup(row: Mapping[str, Any], flags: Sequence[Mapping[str, Any]],
                     pressure: Mapping[str, Any], lang: str) -> str:
    t = lambda k: _ESC(L.t(lang, k))  # noqa: E731
    status = row.get("legal_status") or "unknown"
    parts = [f"<b>{_ESC(str(row.get('name') or ''))}</b><br>",
             f"<small>{_ESC(str(row.get('id') or ''))}</small><br>",
             f"{t('legal_status')}: {t('legal_' + status)}<br>"]
    if row.get("board_term_end"):
        parts.append(f"{t('board_term')}: {_ESC(str(row['board_term_end']))}<br>")
    if pressure.get("share_union") is not None:
        parts.append(f"{t('territory_under_concessions')}: "
                     f"{_fmt(100 * float(pressure['share_union']))} %<br>")
    if row.get("point_only"):
        parts.append(f"<i>{t('point_only')}</i><br>")
    if flags:
        parts.append(f"<b>{t('flags')}</b><ul style='margin:0;padding-left:1.1em'>")
        for f in flags[:6]:
            sev = str(f.get("severity") or "info")
            due = (f" ({t('due')}: {_ESC(L.due_text(f['due_date'], lang=lang))})"
                   if f.get("due_date") else "")
            msg = str(f.get("action") or f.get("message") or "")
            parts.append(f"<li><b>{t('sev_' + sev)}</b>: {_ESC(msg)}{due}</li>")
        parts.append("</ul>")
    else:
        parts.append(f"{t('no_flags')}")
    return "".join(parts)


def _concession_popup(row: Mapping[str, Any], lang: str) -> str:
    t = lambda k: _ESC(L.t(lang, k))  # noqa: E731
    state = str(row.get("state") or "unknown")
    return (f"<b>{t('layer_concessions')}</b><br>{t('code')}: {_ESC(str(row.get('code')))}<br>"
            f"{t('name')}: {_ESC(str(row.get('name') or '–'))}<br>"
            f"{t('holder')}: {_ESC(str(row.get('holder') or '–'))}<br>"
            f"{t('state')}: {t('state_' + state)}<br>"
            f"{t('official_ha')}: {_fmt(row.get('official_ha'))}")


def _water_popup(row: Mapping[str, Any], lang: str, public: bool) -> str:
    t = lambda k: _ESC(L.t(lang, k))  # noqa: E731
    kind = str(row.get("kind") or "")
    gen = f"<br><i>{t('generalised')}</i>" if public and kind == "spring" else ""
    return f"<b>{_ESC(str(row.get('name') or '–'))}</b><br>{t('water_' + kind)}{gen}"


def _consultation_popup(row: Mapping[str, Any], lang: str) -> str:
    t = lambda k: _ESC(L.t(lang, k))  # noqa: E731
    return (f"<b>{_ESC(str(row.get('name') or ''))}</b><br>"
            f"{t('measure')}: {_ESC(str(row.get('measure') or '–'))}<br>"
            f"{t('stage_' + str(row['stage'])) if row.get('stage') else ''} "
            f"{_ESC(str(row.get('start_date') or ''))}")


def _features(frame: gpd.GeoDataFrame, popup: Any, style: Any) -> dict[str, Any]:
    """A GeoJSON FeatureCollection whose only properties are the escaped popup HTML and the
    style (no raw stored text reaches the page)."""
    feats = []
    for rec, geom in zip(frame.drop(columns=frame.geometry.name).to_dict("records"),
                         frame.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        feats.append({"type": "Feature", "geometry": geom.__geo_interface__,
                      "properties": {"popup": popup(rec), **style(rec)}})
    return {"type": "FeatureCollection", "features": feats}


def _style_from_props(feature: dict[str, Any]) -> dict[str, Any]:
    p = feature["properties"]
    return {k: p[k] for k in ("color", "weight", "fillColor", "fillOpacity", "dashArray",
                              "fill", "opacity") if k in p}


def _add_layer(group: folium.FeatureGroup, data: dict[str, Any], *, points: bool = False
               ) -> None:
    if not data["features"]:
        return
    popup = folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=340)
    kwargs: dict[str, Any] = {}
    if points:
        kwargs["marker"] = folium.CircleMarker(radius=5, fill=True, fill_opacity=0.9)
    folium.GeoJson(data, style_function=_style_from_props, popup=popup,
                   embed=True, **kwargs).add_to(group)


def _legend_html(lang: str, inp: MapInput) -> str:
    t = lambda k: _ESC(L.t(lang, k))  # noqa: E731

    def row(color: str, text: str, shape: str = "box") -> str:
        radius = "50%" if shape == "dot" else "0"
        border = f"border:2px dashed {color};background:none" if shape == "line" \
            else f"background:{color};border:1px solid #333"
        return (f"<div><span style='display:inline-block;width:12px;height:10px;"
                f"border-radius:{radius};{border};margin-right:4px'></span>{text}</div>")

    present_sev = {str(s) for s in inp.communities.get("severity", [])}
    present_state = {str(s) for s in inp.concessions.get("state", [])}
    present_water = {str(s) for s in inp.water.get("kind", [])}
    out = [f"<div class='allpa-legend'><b>{t('legend')}</b>",
           f"<div><i>{t('layer_communities')} · {t('color_severity')}</i></div>"]
    out += [row(L.SEVERITY_COLORS[k], t("sev_" + k)) for k in L.SEVERITY_ORDER
            if k in present_sev]
    out.append(f"<div><i>{t('layer_concessions')}</i></div>")
    out += [row(L.STATE_COLORS[k], t("state_" + k)) for k in L.STATE_ORDER
            if k in present_state]
    out.append(f"<div><i>{t('layer_water')}</i></div>")
    out += [row(L.WATER_COLORS[k], t("water_" + k), "dot") for k in L.WATER_ORDER
            if k in present_water]
    out.append(row(L.CONSULTATION_COLOR, t("layer_consultations"), "line"))
    out.append(row(L.BOUNDARY_COLOR, t("layer_boundaries"), "line"))
    out.append("</div>")
    return "".join(out)


_CSS = """
.allpa-title{position:fixed;top:8px;left:54px;z-index:1000;background:#fff;padding:6px 10px;
 border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.4);font:14px sans-serif;max-width:60vw}
.allpa-title h1{font-size:16px;margin:0 0 2px}
.allpa-fictional{margin-top:3px;padding:1px 5px;background:#fff3b0;border:1px solid #b58900;
 font-weight:bold;display:inline-block}
.allpa-legend{position:fixed;bottom:48px;right:8px;z-index:1000;background:#fff;padding:6px 9px;
 border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.4);font:12px sans-serif;max-height:55vh;
 overflow:auto}
.allpa-foot{position:fixed;bottom:0;left:0;right:0;z-index:1000;background:rgba(255,255,255,.9);
 font:11px sans-serif;padding:2px 8px}
.leaflet-bottom{bottom:36px}
@media (max-width:600px){.allpa-title{font-size:12px;max-width:calc(100vw - 120px)}
 .allpa-title h1{font-size:14px}.allpa-legend{max-height:28vh;font-size:10px}
 .allpa-foot{font-size:9px}.leaflet-control-layers{font-size:11px}}
.allpa-nolabels .allpa-label{display:none}
.allpa-label{font:11px sans-serif;color:#222;text-shadow:0 0 3px #fff,0 0 3px #fff;
 white-space:nowrap;pointer-events:none}
"""


def _inline(page: str, assets: Assets) -> str:
    """Drop every external <script src> / stylesheet <link>; inline Leaflet instead."""
    page = re.sub(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>\s*", "", page)
    page = re.sub(r"<link[^>]*\bhref=\"https?://[^\"]*\"[^>]*/?>\s*", "", page)
    js = assets.leaflet_js.replace("</script", "<\\/script")
    css = assets.leaflet_css.replace("</style", "<\\/style")
    inline = f"<style>{css}</style>\n<style>{_CSS}</style>\n<script>{js}</script>\n"
    return page.replace("<head>", "<head>\n" + inline, 1)


class _LabelToggle(MacroElement):
    """Hides community names below zoom 11 and adds a metric scale bar. Rendered as a child
    of the map: folium emits a child's script after ``L.map(...)``, so the map variable
    exists when it runs (a script added to the page root ran first and threw
    ``TypeError``, leaving every map blank)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (m) {
          function f() { m.getContainer().classList.toggle('allpa-nolabels', m.getZoom() < 11); }
          m.on('zoomend', f); f();
          L.control.scale({imperial: false}).addTo(m);  // metric only
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)


class _CollapseOnPhones(MacroElement):
    """On a phone the open layer list would cover the map: fold it into its button there
    (a tap opens it); desktops keep it open. A child of the map added after the control, so
    the control exists when this runs."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        if (window.matchMedia('(max-width: 600px)').matches) {
          {{ this.control.get_name() }}.collapse();
        }
        {% endmacro %}
    """)

    def __init__(self, control: folium.LayerControl) -> None:
        super().__init__()
        self.control = control


def _add_landcover(m: folium.Map, inp: MapInput, comms: gpd.GeoDataFrame,
                   lang: str) -> None:
    """Optional land-cover overlay (off by default), embedded as a PNG: still offline."""
    if not inp.landcover_path or comms.empty:
        return
    from geo.raster import RasterError
    from geo.terrain import landcover_rgba

    x0, y0, x1, y1 = comms.total_bounds
    pad = max(x1 - x0, y1 - y0) * 0.05
    try:
        rgba, ext = landcover_rgba(inp.landcover_path, (x0 - pad, y0 - pad, x1 + pad, y1 + pad),
                                   max_size=512)
    except (RasterError, OSError):
        return
    folium.raster_layers.ImageOverlay(
        image=rgba, bounds=ext.folium_bounds(), opacity=0.6, show=False,
        name=L.t(lang, "layer_landcover"), interactive=False,
    ).add_to(m)


def render_advocacy_map(inp: MapInput, assets: Assets, *, lang: str = "es",
                        tolerance: float = DEFAULT_TOLERANCE_DEG) -> str:
    """The standalone HTML of one network / community map."""
    lang = L.lang_of(lang)
    comms = simplify_coverage(inp.communities, tolerance)
    conc = simplify_plain(inp.concessions, tolerance)
    wat = simplify_plain(inp.water, tolerance)
    cons = simplify_plain(inp.consultations, tolerance)
    bnd = simplify_plain(inp.boundaries, tolerance * 3)

    m = folium.Map(tiles=None, control_scale=False, zoom_control=True, prefer_canvas=False)
    # no CDN: folium's default JS/CSS are replaced by the inlined local Leaflet
    m.default_js = []
    m.default_css = []
    if not comms.empty:
        x0, y0, x1, y1 = comms.total_bounds
        m.fit_bounds([[y0, x0], [y1, x1]], padding=(20, 20))

    layer_names = {k: L.t(lang, k) for k in ("layer_boundaries", "layer_consultations",
                                              "layer_concessions", "layer_communities",
                                              "layer_water")}
    g_bnd = folium.FeatureGroup(name=layer_names["layer_boundaries"])
    _add_layer(g_bnd, _features(bnd, lambda r: _ESC(str(r.get("name") or "")), lambda r: {
        "color": L.BOUNDARY_COLOR, "weight": 1.5, "dashArray": "6 4", "fill": False}))
    g_cons = folium.FeatureGroup(name=layer_names["layer_consultations"])
    _add_layer(g_cons, _features(cons, lambda r: _consultation_popup(r, lang), lambda r: {
        "color": L.CONSULTATION_COLOR, "weight": 2, "dashArray": "2 5",
        "fillColor": L.CONSULTATION_COLOR, "fillOpacity": 0.06}))
    g_conc = folium.FeatureGroup(name=layer_names["layer_concessions"])
    _add_layer(g_conc, _features(conc, lambda r: _concession_popup(r, lang), lambda r: {
        "color": L.STATE_COLORS.get(str(r.get("state")), L.STATE_COLORS["unknown"]),
        "weight": 1, "fillColor": L.STATE_COLORS.get(str(r.get("state")),
                                                      L.STATE_COLORS["unknown"]),
        "fillOpacity": 0.18, "dashArray": "4 3" if r.get("state") == "in_process" else None}))
    g_comm = folium.FeatureGroup(name=layer_names["layer_communities"])

    def comm_popup(r: Mapping[str, Any]) -> str:
        cid = str(r.get("id"))
        return _community_popup(r, inp.flags.get(cid, []), inp.pressure.get(cid, {}), lang)

    def comm_style(r: Mapping[str, Any]) -> dict[str, Any]:
        sev = str(r.get("severity") or "none")
        return {"color": "#3b2a1a", "weight": 1.2, "fillOpacity": 0.65,
                "fillColor": L.SEVERITY_COLORS.get(sev, L.SEVERITY_COLORS["none"])}

    areas = comms[~comms.geometry.geom_type.isin(["Point", "MultiPoint"])]
    pts = comms[comms.geometry.geom_type.isin(["Point", "MultiPoint"])]
    _add_layer(g_comm, _features(areas, comm_popup, comm_style))
    _add_layer(g_comm, _features(pts, comm_popup, comm_style), points=True)
    for rec, geom in zip(comms.to_dict("records"), comms.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        p = geom.representative_point() if geom.geom_type != "Point" else geom
        name = _ESC(str(rec.get("name") or ""))
        folium.Marker([round(p.y, 5), round(p.x, 5)], icon=folium.DivIcon(
            html=f"<div class='allpa-label'>{name}</div>", icon_size=(0, 0),
            icon_anchor=(-6, 6)), interactive=False).add_to(g_comm)
    g_water = folium.FeatureGroup(name=layer_names["layer_water"])
    w_pts = wat[wat.geometry.geom_type.isin(["Point", "MultiPoint"])]
    w_other = wat[~wat.geometry.geom_type.isin(["Point", "MultiPoint"])]

    def water_style(r: Mapping[str, Any]) -> dict[str, Any]:
        c = L.WATER_COLORS.get(str(r.get("kind")), "#2171b5")
        return {"color": c, "weight": 1.5, "fillColor": c, "fillOpacity": 0.7}

    _add_layer(g_water, _features(w_other, lambda r: _water_popup(r, lang, inp.public),
                                  water_style))
    _add_layer(g_water, _features(w_pts, lambda r: _water_popup(r, lang, inp.public),
                                  water_style), points=True)
    for g in (g_bnd, g_cons, g_conc, g_comm, g_water):
        g.add_to(m)
    _add_landcover(m, inp, comms, lang)
    layers_control = folium.LayerControl(collapsed=False)
    layers_control.add_to(m)
    _CollapseOnPhones(layers_control).add_to(m)

    date = inp.generated_at.astimezone(dt.UTC).strftime("%Y-%m-%d")
    subtitle = f"<div>{_ESC(inp.subtitle)}</div>" if inp.subtitle else ""
    notice = (f"<div class='allpa-fictional'>{_ESC(L.t(lang, 'fictional'))}</div>"
              if inp.fictional else "")
    title = (f"<div class='allpa-title'><h1>{_ESC(inp.title)}</h1>{subtitle}"
             f"<div>{_ESC(L.t(lang, 'map_date'))}: {date}</div>{notice}</div>")
    sources = "; ".join(_ESC(s) for s in inp.sources) or "–"
    foot = (f"<div class='allpa-foot' id='allpa-sources'>{_ESC(source_line(inp, lang))}. "
            f"{_ESC(L.t(lang, 'file'))}: {sources}. {_ESC(L.t(lang, 'map_date'))}: {date}. "
            f"{_ESC(L.t(lang, 'offline_note'))}</div>")
    root: Any = m.get_root()  # a branca Figure (html / header / script sections)
    root.html.add_child(folium.Element(title + _legend_html(lang, inp) + foot))
    root.header.add_child(folium.Element(f"<title>{_ESC(inp.title)}</title>"))
    # names appear from zoom 11 on (at network scale 50 labels would cover the map); a child
    # of the map, so its script is emitted after the map object exists
    _LabelToggle().add_to(m)
    page = root.render()
    page = page.replace("<html>", f"<html lang=\"{lang}\">", 1)
    return _inline(page, assets)
