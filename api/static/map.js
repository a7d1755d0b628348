/* Allpa browser map: Leaflet + Leaflet.VectorGrid on the service's own /tiles (no CDN). */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("allpa-config").textContent);
  var T = cfg.strings;
  var LANG = cfg.lang;
  var LEGEND = cfg.legend;

  // Leaflet >= 1.8 removed DomEvent.fakeStop, which VectorGrid 1.3 still calls on clicks.
  if (!L.DomEvent.fakeStop) {
    L.DomEvent.fakeStop = function (e) { e._stopped = true; return this; };
  }

  function colorOf(list, key) {
    for (var i = 0; i < list.length; i++) { if (list[i].key === key) { return list[i].color; } }
    return list[list.length - 1].color;
  }
  function label(prefix, key) { return T[prefix + key] || key || T.unknown; }

  // Build DOM with textContent only: stored text is never parsed as HTML.
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) { return; }
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function fmt(n, digits) {
    if (n === null || n === undefined) { return "–"; }
    return Number(n).toLocaleString(LANG === "en" ? "en-GB" : "es-PE",
      { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function yesNo(v) { return v === true ? T.yes : v === false ? T.no : T.unknown; }

  var map = L.map("map", { zoomControl: true, minZoom: 3 }).setView([-15.2, -69.7], 9);
  if (cfg.basemap) {
    L.tileLayer(cfg.basemap, { maxZoom: 19, attribution: "" }).addTo(map);
  }
  var panes = { boundaries: 405, consultations: 415, concessions: 425, communities: 435,
                water: 445 };
  Object.keys(panes).forEach(function (p) {
    map.createPane(p).style.zIndex = panes[p];
  });

  var state = { mode: "severity", severity: {}, selected: null, layers: {}, loaded: {} };
  var overlays = {};
  var control = null;

  function tileUrl(layer) { return "/tiles/" + layer + "/{z}/{x}/{y}.pbf"; }
  function grid(layer, style, interactive) {
    var styles = {};
    styles[layer] = style;
    var g = L.vectorGrid.protobuf(tileUrl(layer), {
      rendererFactory: L.svg.tile,
      vectorTileLayerStyles: styles,
      interactive: !!interactive,
      pane: layer,
      maxNativeZoom: 18,
      getFeatureId: function (f) { return f.properties.id || f.properties.code; }
    });
    g.on("load", function () {
      state.loaded[layer] = true;
      document.body.setAttribute("data-loaded-" + layer, "1");
    });
    return g;
  }

  function communityStyle(props) {
    var fill = state.mode === "severity"
      ? colorOf(LEGEND.severity, state.severity[props.id] || "none")
      : colorOf(LEGEND.legal, props.legal_status || "unknown");
    return { fill: true, fillColor: fill, fillOpacity: 0.65, color: "#3b2a1a", weight: 1.2,
             radius: 6 };
  }
  function concessionStyle(props) {
    var c = colorOf(LEGEND.concessions, props.state || "unknown");
    return { fill: true, fillColor: c, fillOpacity: 0.18, color: c, weight: 1,
             dashArray: props.state === "in_process" ? "4 3" : null };
  }
  // VectorGrid 1.3 passes (properties, zoom) only: the kind tells points, lines and areas apart.
  var WATER_POINTS = { spring: 1, well: 1 };
  var WATER_LINES = { river: 1, stream: 1, canal: 1 };
  function waterStyle(props) {
    var c = colorOf(LEGEND.water, props.kind);
    if (WATER_POINTS[props.kind]) {
      return { radius: 3.5, fill: true, fillColor: c, fillOpacity: 0.95, color: "#ffffff", weight: 1 };
    }
    if (WATER_LINES[props.kind]) { return { fill: false, color: c, weight: props.kind === "river" ? 2.5 : 1.5, radius: 3 }; }
    return { fill: true, fillColor: c, fillOpacity: 0.5, color: c, weight: 1, radius: 3 };
  }
  var boundaryStyle = { fill: false, color: "#404040", weight: 1.5, dashArray: "6 4" };
  var consultationStyle = { fill: true, fillColor: "#ff7f00", fillOpacity: 0.06,
                            color: "#ff7f00", weight: 2, dashArray: "2 5" };

  function buildCommunities() {
    var g = grid("communities", communityStyle, true);
    g.on("click", function (e) {
      var id = e.layer && e.layer.properties && e.layer.properties.id;
      if (id) { selectCommunity(String(id), false); }
    });
    return g;
  }

  function setupLayers() {
    state.layers.boundaries = grid("boundaries", boundaryStyle, false).addTo(map);
    state.layers.consultations = grid("consultations", consultationStyle, false).addTo(map);
    state.layers.concessions = grid("concessions", concessionStyle, false).addTo(map);
    state.layers.communities = buildCommunities().addTo(map);
    state.layers.water = grid("water", waterStyle, false).addTo(map);
    overlays[T.layer_communities] = state.layers.communities;
    overlays[T.layer_concessions] = state.layers.concessions;
    overlays[T.layer_water] = state.layers.water;
    overlays[T.layer_consultations] = state.layers.consultations;
    overlays[T.layer_boundaries] = state.layers.boundaries;
    control = L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(map);
  }

  function rebuildCommunities() {
    var old = state.layers.communities;
    var visible = map.hasLayer(old);
    control.removeLayer(old);
    map.removeLayer(old);
    state.layers.communities = buildCommunities();
    if (visible) { state.layers.communities.addTo(map); }
    control.addOverlay(state.layers.communities, T.layer_communities);
    if (state.selected) { highlight(state.selected); }
  }

  // ---- legend --------------------------------------------------------------------------
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legend");
    div.id = "legend";
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    renderLegend(div);
    return div;
  };
  function swatchRow(item, cls) {
    var sw = el("span", { "class": "sw " + (cls || "") });
    if (cls === "line") { sw.style.borderColor = item.color; } else { sw.style.background = item.color; }
    return el("div", { "class": "row" }, [sw, el("span", { text: item.label })]);
  }
  function renderLegend(div) {
    div.innerHTML = "";
    div.appendChild(el("h4", { text: T.legend }));
    var modes = el("div", { "class": "modes" }, [el("div", { text: T.color_by })]);
    [["severity", T.color_severity], ["legal", T.color_legal]].forEach(function (m) {
      var input = el("input", { type: "radio", name: "color-mode", value: m[0], id: "mode-" + m[0] });
      input.checked = state.mode === m[0];
      input.addEventListener("change", function () { state.mode = m[0]; renderLegend(div); rebuildCommunities(); });
      modes.appendChild(el("label", { "for": "mode-" + m[0] }, [input, " " + m[1]]));
    });
    div.appendChild(modes);
    div.appendChild(el("h4", { text: T.layer_communities + " · " +
      (state.mode === "severity" ? T.color_severity : T.color_legal) }));
    (state.mode === "severity" ? LEGEND.severity : LEGEND.legal).forEach(function (i) { div.appendChild(swatchRow(i)); });
    div.appendChild(el("h4", { text: T.layer_concessions }));
    LEGEND.concessions.forEach(function (i) { div.appendChild(swatchRow(i)); });
    div.appendChild(el("h4", { text: T.layer_water }));
    LEGEND.water.forEach(function (i) { div.appendChild(swatchRow(i, "dot")); });
    div.appendChild(el("h4", { text: T.layer_consultations }));
    LEGEND.consultations.forEach(function (i) { div.appendChild(swatchRow(i, "line")); });
    LEGEND.boundaries.forEach(function (i) { div.appendChild(swatchRow(i, "line")); });
  }

  // ---- side panel ----------------------------------------------------------------------
  var panel = document.getElementById("panel");
  var body = document.getElementById("panel-body");
  document.getElementById("panel-close").addEventListener("click", function () {
    panel.hidden = true; unhighlight(); state.selected = null; map.invalidateSize();
  });

  function highlight(id) {
    try {
      state.layers.communities.setFeatureStyle(id, { fill: true, fillColor: "#ffff00",
        fillOpacity: 0.75, color: "#000", weight: 3, radius: 8 });
    } catch (err) { /* feature not in the loaded tiles yet */ }
  }
  function unhighlight() {
    if (state.selected) {
      try { state.layers.communities.resetFeatureStyle(state.selected); } catch (err) { /* */ }
    }
  }

  function table(headers, rows) {
    var thead = el("tr", {}, headers.map(function (h) { return el("th", { text: h[0], "class": h[1] || "" }); }));
    return el("table", {}, [el("thead", {}, [thead]), el("tbody", {}, rows.map(function (r) {
      return el("tr", {}, r.map(function (c, i) { return el("td", { text: c === null || c === undefined ? "–" : String(c), "class": headers[i][1] || "" }); }));
    }))]);
  }

  function renderPanel(d) {
    body.innerHTML = "";
    body.appendChild(el("h2", { id: "panel-name", text: d.name }));
    body.appendChild(el("div", { "class": "muted", text: [d.id, d.kind, d.admin_code].filter(Boolean).join(" · ") }));
    if (d.point_only) { body.appendChild(el("div", { "class": "muted", text: T.point_only })); }
    var lp = d.legal_personality || {};
    body.appendChild(el("h3", { text: T.legal_status }));
    body.appendChild(el("p", {}, [el("strong", { text: label("legal_", lp.status || "unknown") })]));
    if (lp.registry_entry || lp.registry_office) {
      body.appendChild(el("p", { text: T.registry + ": " + [lp.registry_office, lp.registry_entry, lp.registration_date].filter(Boolean).join(" · ") }));
    }
    var b = d.board || {};
    var expired = b.term_end && b.term_end < new Date().toISOString().slice(0, 10);
    body.appendChild(el("p", { id: "panel-board", text: T.board_term + ": " + (b.term_end || T.unknown) + (expired ? " (" + T.board_expired + ")" : "") }));
    var cl = (d.statute || {}).clauses || {};
    body.appendChild(el("p", { text: T.clauses + ": " + ["territory", "water", "environment", "consultation", "women"].map(function (k) {
      return T["clause_" + k] + " " + yesNo(cl[k]);
    }).join(", ") }));

    body.appendChild(el("h3", { text: T.concessions_overlap + " (" + d.concessions.length + ")" }));
    if (d.share_union !== null && d.share_union !== undefined) {
      body.appendChild(el("p", { text: T.territory_under_concessions + ": " + fmt(100 * d.share_union, 1) + " %" }));
    }
    if (d.concessions.length) {
      body.appendChild(table([[T.code], [T.holder], [T.state], [T.official_ha, "num"], [T.overlap_ha, "num"], [T.pct_territory, "num"]],
        d.concessions.map(function (c) {
          return [c.code, c.holder, label("state_", c.state || "unknown"), fmt(c.official_ha, 1), fmt(c.overlap_ha, 1),
                  c.share === null || c.share === undefined ? "–" : fmt(100 * c.share, 1)];
        })));
    }
    body.appendChild(el("h3", { text: T.water_at_risk + " (" + d.water.length + ")" }));
    if (d.water.length) {
      body.appendChild(table([[T.name], [T.kind], [T.use]], d.water.map(function (w) {
        return [(w.name || w.id) + (w.in_concession ? " ⚠ " + T.in_concession : ""), label("water_", w.kind), w.use];
      })));
    }
    body.appendChild(el("h3", { text: T.flags + " (" + d.flags.length + ")" }));
    if (!d.flags.length) { body.appendChild(el("p", { "class": "muted", text: T.no_flags })); }
    d.flags.forEach(function (f) {
      var box = el("div", { "class": "flag" }, [
        el("p", {}, [el("span", { "class": "badge", text: label("sev_", f.severity) }), " " + f.rule_id]),
        el("p", { text: f.message }),
        el("p", {}, [el("strong", { text: T.action + ": " }), f.action || "–"]),
        el("p", { "class": "muted", text: T.due + ": " + (f.due_date || "–") + " · " + T.legal_ref + ": " + (f.legal_ref || "–") })
      ]);
      var c = colorOf(LEGEND.severity, f.severity);
      box.style.borderLeftColor = c;
      box.firstChild.firstChild.style.background = c;
      body.appendChild(box);
    });
    var q = "?lang=" + encodeURIComponent(LANG);
    var id = encodeURIComponent(d.id);
    body.appendChild(el("p", { "class": "links" }, [
      el("a", { id: "link-dossier", href: "/reports/community/" + id + ".html" + q, target: "_blank", text: T.dossier + " (HTML)" }),
      el("a", { href: "/reports/community/" + id + ".pdf" + q, target: "_blank", text: "PDF" }),
      el("a", { id: "link-advocacy", href: "/maps/community/" + id + ".html" + q, target: "_blank", text: T.advocacy_map })
    ]));
  }

  function selectCommunity(id, zoom) {
    return fetch("/map/panel/" + encodeURIComponent(id) + ".json?lang=" + LANG)
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (d) {
        unhighlight();
        state.selected = d.id;
        renderPanel(d);
        panel.hidden = false;
        map.invalidateSize();
        if (zoom && d.bbox) {
          map.fitBounds([[d.bbox[1], d.bbox[0]], [d.bbox[3], d.bbox[2]]], { maxZoom: 13, padding: [30, 30] });
        }
        highlight(d.id);
        return d;
      });
  }

  // ---- search --------------------------------------------------------------------------
  var input = document.getElementById("search-input");
  var results = document.getElementById("search-results");
  var timer = null;
  function search(q) {
    if (!q || q.length < 2) { results.innerHTML = ""; return Promise.resolve([]); }
    return fetch("/api/communities?limit=10&q=" + encodeURIComponent(q))
      .then(function (r) { return r.json(); })
      .then(function (page) {
        results.innerHTML = "";
        if (!page.items.length) { results.appendChild(el("li", { "class": "muted", text: T.search_none })); }
        page.items.forEach(function (it) {
          var li = el("li", { tabindex: "0", role: "option", "data-id": it.id, text: it.name });
          function go() { results.innerHTML = ""; input.value = it.name; selectCommunity(it.id, true); }
          li.addEventListener("click", go);
          li.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { go(); } });
          results.appendChild(li);
        });
        return page.items;
      });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { search(input.value.trim()); }, 200);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      clearTimeout(timer);
      search(input.value.trim()).then(function (items) {
        if (items.length) { results.innerHTML = ""; selectCommunity(items[0].id, true); }
      });
    }
  });

  // ---- start -----------------------------------------------------------------------------
  var ready = Promise.all([
    fetch("/map/severity.json").then(function (r) { return r.json(); }),
    fetch("/tiles/communities.json").then(function (r) { return r.json(); })
  ]).then(function (res) {
    state.severity = res[0];
    var b = res[1].bounds;
    if (b && b[0] > -180) { map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [10, 10] }); }
    setupLayers();
    legend.addTo(map);
    document.body.setAttribute("data-ready", "1");
  });

  window.allpa = { map: map, state: state, selectCommunity: selectCommunity, search: search, ready: ready };
})();
