/* Allpa browser map: Leaflet + Leaflet.VectorGrid on the service's own /tiles (no CDN).
   Built for slow links: the first view, colours and reference labels come inside the HTML;
   ONE vector tile per cell carries every layer; the map starts at its final view (no zoom
   animation, no thrown-away tiles). No inline handlers: everything is wired here. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("allpa-config").textContent);
  var T = cfg.strings;
  var LANG = cfg.lang;
  var DATA_LANG = cfg.data_lang || "es";  // draft interface languages read data in Spanish
  var LEGEND = cfg.legend;
  var DESK = cfg.desk || {};
  var panelHooks = [];  // desk.js adds the edit form and the history here
  var PHONE = window.matchMedia("(max-width: 699px)").matches;
  var REL = cfg.relations || {};  // strings of the conflicts popup and the relationship view
  var THEMES = ["communities", "concessions", "water", "consultations", "boundaries", "conflicts"];
  var THEME_LABEL = { communities: T.layer_communities, concessions: T.layer_concessions,
    water: T.layer_water, consultations: T.layer_consultations, boundaries: T.layer_boundaries,
    conflicts: T.layer_conflicts };

  // Leaflet >= 1.8 removed DomEvent.fakeStop, which VectorGrid 1.3 still calls on clicks.
  if (!L.DomEvent.fakeStop) {
    L.DomEvent.fakeStop = function (e) { e._stopped = true; return this; };
  }
  // VectorGrid's point symbols are CircleMarkers without a latlng, and Leaflet >= 1.8 asks a
  // small circle for it on every click: such symbols answer "no latlng", so the click's
  // position comes from the mouse event (points of conflicts and communities are clickable).
  var circleLatLng = L.CircleMarker.prototype.getLatLng;
  Object.defineProperty(L.CircleMarker.prototype, "getLatLng", { configurable: true,
    get: function () { return this._latlng ? circleLatLng : undefined; } });

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
    return Number(n).toLocaleString(DATA_LANG === "en" ? "en-GB" : "es-PE",
      { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function yesNo(v) { return v === true ? T.yes : v === false ? T.no : T.unknown; }
  function today() { return new Date().toISOString().slice(0, 10); }
  // "vencido hace N días" / "faltan N días": the same wording as the dossier and the CLI
  function dueStatus(due) {
    if (!due) { return null; }
    var days = Math.round((Date.parse(String(due).slice(0, 10)) - Date.parse(today())) / 86400000);
    if (isNaN(days)) { return null; }
    if (days < 0) { return { overdue: true, text: days === -1 ? T.overdue_one : T.overdue_days.replace("{n}", -days) }; }
    if (days === 0) { return { overdue: true, text: T.due_today }; }
    return { overdue: false, text: T.due_in_days.replace("{n}", days) };
  }

  // ---- the map, at its final first view ------------------------------------------------
  // Every visible community, or the country a shared link names (#pais=pe): a phone on a
  // slow link starts where its reader wants to be, without drawing the other view first.
  var COUNTRIES = cfg.countries || {};  // code -> [west, south, east, north] of its communities
  var COUNTRY_ORDER = ["PE", "BO"];     // the switcher's order; other codes follow by name
  var countryCodes = Object.keys(COUNTRIES).sort(function (a, b) {
    var ia = COUNTRY_ORDER.indexOf(a), ib = COUNTRY_ORDER.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a < b ? -1 : a > b ? 1 : 0);
  });
  var HASH_KEY = "pais";
  function countryInHash() {
    var m = new RegExp("(?:^#|&)" + HASH_KEY + "=([A-Za-z]{2})(?:&|$)").exec(window.location.hash);
    var code = m ? m[1].toUpperCase() : null;
    return code && COUNTRIES[code] ? code : null;
  }
  // phones: fractional zoom so the first view fills the narrow screen
  var map = L.map("map", { zoomControl: true, minZoom: 3, fadeAnimation: false,
                           zoomSnap: PHONE ? 0.25 : 1 });
  function fitView(view) {
    map.fitBounds([[view[1], view[0]], [view[3], view[2]]],
                  { padding: PHONE ? [4, 4] : [10, 10], maxZoom: 13, animate: false });
  }
  var country = countryInHash();
  if (country) {
    fitView(COUNTRIES[country]);
  } else if (cfg.view) {
    fitView(cfg.view);
  } else {
    map.setView([-15.2, -69.7], 9, { animate: false });
  }
  if (cfg.basemap) {
    L.tileLayer(cfg.basemap, { maxZoom: 19, attribution: "" }).addTo(map);
  }
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
  map.createPane("reference").style.zIndex = 450;
  map.getPane("reference").style.pointerEvents = "none";

  var state = { mode: "severity", severity: cfg.severity || {}, selected: null,
                visible: { communities: true, concessions: true, water: true,
                           consultations: true, boundaries: true, conflicts: true,
                           reference: true } };

  // ---- styles, one per layer of the tile ------------------------------------------------
  function communityStyle(props) {
    var fill = state.mode === "severity"
      ? colorOf(LEGEND.severity, state.severity[props.id] || "none")
      : colorOf(LEGEND.legal, props.legal_status || "unknown");
    return { fill: true, fillColor: fill, fillOpacity: 0.65, color: "#3b2a1a", weight: 1.2,
             radius: 6, className: "allpa-community" };
  }
  function concessionStyle(props) {
    var c = colorOf(LEGEND.concessions, props.state || "unknown");
    return { fill: true, fillColor: c, fillOpacity: 0.18, color: c, weight: 1,
             dashArray: props.state === "in_process" ? "4 3" : null, className: "allpa-concession" };
  }
  // VectorGrid 1.3 passes (properties, zoom) only: the kind tells points, lines and areas apart.
  var WATER_POINTS = { spring: 1, well: 1 };
  var WATER_LINES = { river: 1, stream: 1, canal: 1 };
  function waterStyle(props) {
    var c = colorOf(LEGEND.water, props.kind);
    if (WATER_POINTS[props.kind]) {
      return { radius: 3.5, fill: true, fillColor: c, fillOpacity: 0.95, color: "#ffffff", weight: 1, className: "allpa-water" };
    }
    if (WATER_LINES[props.kind]) { return { fill: false, color: c, weight: props.kind === "river" ? 2.5 : 1.5, radius: 3, className: "allpa-water" }; }
    return { fill: true, fillColor: c, fillOpacity: 0.5, color: c, weight: 1, radius: 3, className: "allpa-water" };
  }
  var STYLES = {
    // colours from the legend (geo/maps/labels.py), never repeated here
    boundaries: function () { return { fill: false, color: colorOf(LEGEND.boundaries, "boundary"), weight: 1.5, dashArray: "6 4", className: "allpa-boundary" }; },
    consultations: function () { var c = colorOf(LEGEND.consultations, "area"); return { fill: true, fillColor: c, fillOpacity: 0.06, color: c, weight: 2, dashArray: "2 5", className: "allpa-consultation" }; },
    concessions: concessionStyle,
    communities: communityStyle,
    water: waterStyle,
    conflicts: function (props) {
      return { radius: 7, fill: true, fillColor: colorOf(LEGEND.conflicts || [], props.status),
               fillOpacity: 0.95, color: "#ffffff", weight: 2, className: "allpa-conflict" };
    }
  };
  var layerStyles = {};
  THEMES.forEach(function (name) {
    layerStyles[name] = function (props, zoom) {
      props.__layer = name;  // the click handler needs to know what was clicked
      return state.visible[name] ? STYLES[name](props, zoom) : [];
    };
  });

  var grid = L.vectorGrid.protobuf(cfg.tiles, {
    rendererFactory: L.svg.tile,
    vectorTileLayerStyles: layerStyles,
    interactive: true,
    maxNativeZoom: 18,
    // only communities get an id (highlighting); other layers may reuse the same ids
    getFeatureId: function (f) {
      var p = f.properties;
      return p.country !== undefined && p.id !== undefined && p.code === undefined ? p.id : undefined;
    }
  });
  // Tiles: versioned URLs (?v=<data version>) are cached for a year; an unversioned URL
  // in the page is swapped for TileJSON's versioned one (tiles already drawn stay). Empty
  // tiles answer 204, which VectorGrid draws as an empty tile.
  if (cfg.tiles.indexOf("v=") < 0 && window.fetch) {
    fetch("/tiles/map.json", { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (tj) {
      var url = tj && tj.tiles && tj.tiles[0];
      if (url) { grid.setUrl(url.replace(/^https?:\/\/[^\/]+/, ""), true); }
    }).catch(function () { /* the unversioned URL keeps working */ });
  }
  grid.on("load", function () {
    document.body.setAttribute("data-loaded-communities", "1");
    document.body.setAttribute("data-loaded-concessions", "1");
    document.body.setAttribute("data-loaded", "1");
  });
  grid.on("click", function (e) {
    var p = e.layer && e.layer.properties;
    if (!p) { return; }
    if (p.__layer === "communities" && p.id) { selectCommunity(String(p.id), false); return; }
    var box = el("div", {});
    if (p.__layer === "concessions") {
      box.appendChild(el("strong", { text: T.concession + " " + (p.code || "") }));
      box.appendChild(el("div", { text: p.name || "" }));
      box.appendChild(el("div", { text: T.holder + ": " + (p.holder || "–") }));
      box.appendChild(el("div", { text: T.state + ": " + label("state_", p.state || "unknown") }));
      box.appendChild(el("div", { text: T.official_ha + ": " + fmt(p.official_ha, 1) }));
    } else if (p.__layer === "water") {
      box.appendChild(el("strong", { text: p.name || T.water_source }));
      box.appendChild(el("div", { text: label("water_", p.kind) }));
    } else if (p.__layer === "conflicts") {
      conflictPopup(box, p);
    } else if (p.__layer === "consultations") {
      box.appendChild(el("strong", { text: p.name || T.layer_consultations }));
      box.appendChild(el("div", { text: [p.stage ? label("stage_", p.stage) : null, p.start_date].filter(Boolean).join(" · ") }));
    } else {
      box.appendChild(el("strong", { text: p.name || "" }));
    }
    L.popup({ maxWidth: 260 }).setLatLng(e.latlng).setContent(box).openOn(map);
  });
  function conflictPopup(box, p) {
    box.setAttribute("class", "conflict-popup");
    box.appendChild(el("div", { "class": "muted", text: REL.conflict + " " + (p.id || "") }));
    box.appendChild(el("strong", { text: p.name || p.id || "" }));
    [[REL.type, p.type ? label("conflict_type_", p.type) : null],
     [REL.status, p.status ? label("conflict_status_", p.status) : null],
     [REL.phase, p.phase ? label("conflict_phase_", p.phase) : null],
     [REL.start, p.start_date], [REL.dialogue, p.dialogue ? label("dialogue_", p.dialogue) : null],
     [REL.district, p.district]].forEach(function (row) {
      if (row[1]) { box.appendChild(el("div", { text: row[0] + ": " + row[1] })); }
    });
    box.appendChild(el("a", { id: "conflict-relations", href: "/relaciones?conflict=" + encodeURIComponent(p.id) +
      "&lang=" + encodeURIComponent(DATA_LANG), text: REL.open_relations }));
  }
  grid.addTo(map);

  // ---- reference layer from the project's own data (district and lake names) -----------
  var reference = L.layerGroup();
  // in priority order: districts by area (largest first), then lakes (the server's order)
  var refMarkers = (cfg.reference || []).map(function (r) {
    var span = el("span", { text: r.name });
    return L.marker([r.lat, r.lon], {
      pane: "reference", interactive: false, keyboard: false,
      icon: L.divIcon({ className: "ref-label ref-" + r.kind, html: span, iconSize: null })
    }).addTo(reference);
  });
  reference.addTo(map);
  // Labels are placed like a mature map's (QGIS, MapLibre): in priority order, a name is
  // shown only when its whole box lies inside the map, clear of the controls and of the open
  // panel, and does not overlap a name already placed (zoomed out, neighbouring districts'
  // names collide); a name never shows cut by the screen's edge. Each label's box is
  // measured once per zoom (relative to its anchor), so panning re-places them from map
  // coordinates alone, without reading the page's layout on every frame.
  var LABEL_GAP = 3;   // px kept free around each label, and between a label and a control
  var EDGE_GAP = 2;    // px kept free inside the map's edges
  var labelBoxes = [];  // per marker: {dx, dy, w, h} from its anchor point, or null (not drawn)
  function measureLabels() {
    var origin = map.getContainer().getBoundingClientRect();
    labelBoxes = refMarkers.map(function (m) {
      var node = m.getElement();
      if (!node || !map.hasLayer(m)) { return null; }
      // visibility:hidden keeps the box, so a hidden name is measured too
      var b = node.firstChild.getBoundingClientRect();
      if (!b.width) { return null; }  // not drawn at this zoom (lakes below zoom 10)
      var p = map.latLngToContainerPoint(m.getLatLng());
      return { dx: b.left - origin.left - p.x, dy: b.top - origin.top - p.y,
               w: b.width, h: b.height };
    });
  }
  function overlaps(a, b, gap) {
    return a.left < b.right + gap && b.left < a.right + gap &&
           a.top < b.bottom + gap && b.top < a.bottom + gap;
  }
  // what covers the map: its controls (zoom, layers, country, scale) and the open panel
  function obstacles() {
    var container = map.getContainer();
    var origin = container.getBoundingClientRect();
    var nodes = Array.prototype.slice.call(container.querySelectorAll(".leaflet-control"));
    var sheet = document.getElementById("panel");
    if (sheet && !sheet.hidden) { nodes.push(sheet); }
    return nodes.map(function (n) {
      var r = n.getBoundingClientRect();
      return { left: r.left - origin.left, top: r.top - origin.top,
               right: r.right - origin.left, bottom: r.bottom - origin.top, w: r.width };
    }).filter(function (r) { return r.w > 0; });
  }
  function declutter() {
    if (!map.hasLayer(reference)) { return; }
    if (labelBoxes.length !== refMarkers.length) { measureLabels(); }
    var size = map.getSize();
    var blocked = obstacles();
    var placed = [];
    refMarkers.forEach(function (m, i) {
      var node = m.getElement();
      var s = labelBoxes[i];
      if (!node) { return; }
      if (!s) { node.classList.remove("ref-hidden"); return; }
      var p = map.latLngToContainerPoint(m.getLatLng());
      var b = { left: p.x + s.dx, top: p.y + s.dy, right: p.x + s.dx + s.w,
                bottom: p.y + s.dy + s.h };
      var show = b.left >= EDGE_GAP && b.top >= EDGE_GAP && b.right <= size.x - EDGE_GAP &&
        b.bottom <= size.y - EDGE_GAP &&
        !blocked.some(function (c) { return overlaps(b, c, LABEL_GAP); }) &&
        !placed.some(function (c) { return overlaps(b, c, LABEL_GAP); });
      node.classList.toggle("ref-hidden", !show);
      if (show) { placed.push(b); }
    });
  }
  function replaceLabels() { measureLabels(); declutter(); }
  // while the map is dragged: once per frame, from the measured boxes
  var declutterQueued = false;
  function declutterSoon() {
    if (declutterQueued) { return; }
    declutterQueued = true;
    window.requestAnimationFrame(function () { declutterQueued = false; declutter(); });
  }
  // lake names only once there is room for them (district names always)
  function zoomClass() {
    map.getContainer().classList.toggle("allpa-zoom-low", map.getZoom() < 10);
    replaceLabels();
  }
  map.on("zoomend", zoomClass);
  map.on("move", declutterSoon);
  map.on("moveend resize", declutter);
  map.getContainer().classList.toggle("allpa-zoom-low", map.getZoom() < 10);

  function redraw() { grid.redraw(); if (state.selected) { highlight(state.selected); } }

  // ---- layers and legend: one control, collapsed on phones -----------------------------
  var legend = L.control({ position: "topright" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legend" + (PHONE ? " collapsed" : ""));
    div.id = "legend";
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    var toggle = el("button", { type: "button", id: "legend-toggle", "aria-expanded": String(!PHONE),
                                "aria-controls": "legend-body", text: T.layers_legend });
    toggle.addEventListener("click", function () {
      var collapsed = div.classList.toggle("collapsed");
      toggle.setAttribute("aria-expanded", String(!collapsed));
      declutter();  // the open legend covers names: they give way, and come back
    });
    div.appendChild(toggle);
    var body = el("div", { "class": "body", id: "legend-body" });
    div.appendChild(body);
    renderLegend(body);
    return div;
  };
  function swatchRow(item, cls) {
    var sw = el("span", { "class": "sw " + (cls || "") });
    if (cls === "line") { sw.style.borderColor = item.color; } else { sw.style.background = item.color; }
    return el("div", { "class": "row" }, [sw, el("span", { text: item.label })]);
  }
  function layerBox(name, text) {
    var input = el("input", { type: "checkbox", id: "layer-" + name, "data-layer": name });
    input.checked = state.visible[name];
    input.addEventListener("change", function () {
      state.visible[name] = input.checked;
      if (name === "reference") {
        if (input.checked) { reference.addTo(map); replaceLabels(); } else { map.removeLayer(reference); }
      } else { redraw(); }
    });
    return el("label", { "for": "layer-" + name }, [input, " " + text]);
  }
  function renderLegend(div) {
    div.innerHTML = "";
    div.appendChild(el("h4", { text: T.layers }));
    THEMES.forEach(function (name) { div.appendChild(layerBox(name, THEME_LABEL[name])); });
    div.appendChild(layerBox("reference", T.reference));
    div.appendChild(el("h4", { text: T.legend }));
    var modes = el("div", { "class": "modes" }, [el("div", { text: T.color_by })]);
    [["severity", T.color_severity], ["legal", T.color_legal]].forEach(function (m) {
      var input = el("input", { type: "radio", name: "color-mode", value: m[0], id: "mode-" + m[0] });
      input.checked = state.mode === m[0];
      input.addEventListener("change", function () { state.mode = m[0]; renderLegend(div); redraw(); });
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
    div.appendChild(el("h4", { text: T.layer_conflicts }));
    (LEGEND.conflicts || []).forEach(function (i) { div.appendChild(swatchRow(i, "dot")); });
  }
  legend.addTo(map);

  // ---- "Perú · Bolivia · Todo": fit the view to one country's communities -----------------
  // The first view fits every country, so on a phone each country's communities are small.
  // The choice rides in the address (#pais=pe), so a shared link opens on that country, and
  // the language links keep it.
  function chooseCountry(code) {
    if (code && COUNTRIES[code]) { fitView(COUNTRIES[code]); } else if (cfg.view) { fitView(cfg.view); }
    country = code && COUNTRIES[code] ? code : null;
    var url = window.location.pathname + window.location.search +
      (country ? "#" + HASH_KEY + "=" + country.toLowerCase() : "");
    window.history.replaceState(null, "", url);
    markCountry();
  }
  function markCountry() {
    Array.prototype.forEach.call(document.querySelectorAll("#country-switch button"), function (b) {
      b.setAttribute("aria-pressed", String((b.getAttribute("data-country") || null) === country));
    });
    Array.prototype.forEach.call(document.querySelectorAll("#langs a"), function (a) {
      a.hash = country ? HASH_KEY + "=" + country.toLowerCase() : "";
    });
  }
  if (countryCodes.length > 1) {
    var switcher = L.control({ position: "topleft" });
    switcher.onAdd = function () {
      var div = L.DomUtil.create("div", "country-switch leaflet-bar");
      div.id = "country-switch";
      div.setAttribute("role", "group");
      div.setAttribute("aria-label", T.view_country);
      L.DomEvent.disableClickPropagation(div);
      countryCodes.concat([""]).forEach(function (code) {
        var b = el("button", { type: "button", "data-country": code,
                               text: code ? label("country_", code) : T.view_all });
        b.addEventListener("click", function () { chooseCountry(code || null); });
        div.appendChild(b);
      });
      return div;
    };
    switcher.addTo(map);
    markCountry();
  }
  window.addEventListener("hashchange", function () {
    var code = countryInHash();
    if (code !== country) { chooseCountry(code); }
  });

  // ---- community panel (side panel; bottom sheet on phones) -----------------------------
  var panel = document.getElementById("panel");
  var body = document.getElementById("panel-body");
  document.getElementById("panel-close").addEventListener("click", function () {
    panel.hidden = true; unhighlight(); state.selected = null; map.invalidateSize();
  });

  function highlight(id) {
    try {
      grid.setFeatureStyle(id, { fill: true, fillColor: "#ffff00", fillOpacity: 0.75,
        color: "#000", weight: 3, radius: 8, className: "allpa-community allpa-selected" });
    } catch (err) { /* feature not in the loaded tiles yet */ }
  }
  function unhighlight() {
    if (state.selected) {
      try { grid.resetFeatureStyle(state.selected); } catch (err) { /* */ }
    }
  }

  function table(headers, rows) {
    var thead = el("tr", {}, headers.map(function (h) { return el("th", { text: h[0], "class": h[1] || "" }); }));
    return el("div", { "class": "scroll" }, [el("table", {}, [el("thead", {}, [thead]), el("tbody", {}, rows.map(function (r) {
      return el("tr", {}, r.map(function (c, i) { return el("td", { text: c === null || c === undefined ? "–" : String(c), "class": headers[i][1] || "" }); }));
    }))])]);
  }

  function dueNode(due) {
    var s = dueStatus(due);
    if (!s) { return el("span", { text: "–" }); }
    return el("span", { "class": s.overdue ? "overdue due" : "due", text: String(due).slice(0, 10) + " (" + s.text + ")" });
  }

  function renderPanel(d) {
    body.innerHTML = "";
    body.appendChild(el("h2", { id: "panel-name", text: d.name }));
    var where = [d.district, d.country ? label("country_", d.country) : null].filter(Boolean).join(", ");
    body.appendChild(el("div", { "class": "muted", text: [d.id, label("kind_", d.kind), where].filter(Boolean).join(" · ") }));
    if (d.point_only) { body.appendChild(el("div", { "class": "muted", text: T.point_only })); }
    var lp = d.legal_personality || {};
    body.appendChild(el("h3", { text: T.legal_status }));
    body.appendChild(el("p", {}, [el("strong", { text: label("legal_", lp.status || "unknown") })]));
    if (lp.registry_entry || lp.registry_office) {
      body.appendChild(el("p", { text: T.registry + ": " + [lp.registry_office, lp.registry_entry, lp.registration_date].filter(Boolean).join(" · ") }));
    }
    var b = d.board || {};
    var expired = b.term_end && b.term_end < today();
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
    var atRisk = d.water.filter(function (w) { return w.in_concession; });
    body.appendChild(el("h3", { id: "panel-water", text: T.water_at_risk + " (" + atRisk.length + ")" }));
    if (atRisk.length) {
      body.appendChild(table([[T.name], [T.kind], [T.use]], atRisk.map(function (w) {
        return [w.name || w.id, label("water_", w.kind), w.use ? label("use_", w.use) : null];
      })));
    }
    var an = d.analysis || { state: "current" };
    shownState = an.state;
    if (an.state !== "current") {
      // the record is newer than its flags: never show flags that may contradict it
      body.appendChild(el("h3", { id: "panel-flags", text: T.flags }));
      body.appendChild(el("p", { id: "panel-recalc", "class": "recalculating", role: "status",
        text: an.state === "failed" ? DESK.recalc_failed : an.state === "outdated" ? DESK.outdated : DESK.recalculating }));
      if (an.state !== "failed") { pollUntilCurrent(d.id, an.state === "outdated" ? 5000 : 600); }
    } else {
      body.appendChild(el("h3", { id: "panel-flags", text: T.flags + " (" + d.flags.length + ")" }));
      state.severity[d.id] = d.severity || "none";
    }
    if (an.state === "current" && !d.flags.length) { body.appendChild(el("p", { "class": "muted", text: T.no_flags })); }
    d.flags.forEach(function (f) {
      var box = el("div", { "class": "flag", "data-rule": f.rule_id }, [
        el("p", {}, [el("span", { "class": "badge", text: label("sev_", f.severity) }), " " + f.rule_id]),
        el("p", { text: f.message }),
        el("p", {}, [el("strong", { text: T.action + ": " }), f.action || "–"]),
        el("p", { "class": "muted" }, [T.due + ": ", dueNode(f.due_date), " · " + T.legal_ref + ": " + (f.legal_ref || "–")])
      ]);
      var c = colorOf(LEGEND.severity, f.severity);
      box.style.borderLeftColor = c;
      box.firstChild.firstChild.style.background = c;
      body.appendChild(box);
    });
    var q = "?lang=" + encodeURIComponent(DATA_LANG);
    var id = encodeURIComponent(d.id);
    body.appendChild(el("p", { "class": "links" }, [
      el("a", { id: "link-dossier", href: "/reports/community/" + id + ".html" + q, target: "_blank", text: T.dossier + " (HTML)" }),
      el("a", { href: "/reports/community/" + id + ".pdf" + q, target: "_blank", text: "PDF" }),
      el("a", { id: "link-advocacy", href: "/maps/community/" + id + ".html" + q, target: "_blank", text: T.advocacy_map })
    ]));
    body.appendChild(el("p", { "class": "links" }, [el("a", { id: "link-relations",
      href: "/relaciones?community=" + id + "&lang=" + encodeURIComponent(DATA_LANG),
      text: REL.open_relations })]));
    panelHooks.forEach(function (hook) { hook(d, body); });
  }

  // ---- flags being recalculated: ask again until the analysis has caught up -------------
  var polling = null;
  var shownState = null;
  function pollUntilCurrent(id, wait) {
    clearTimeout(polling);
    polling = setTimeout(function () {
      if (state.selected !== id || panel.hidden) { return; }
      fetch("/map/panel/" + encodeURIComponent(id) + ".json?lang=" + DATA_LANG)
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (d) {
          if (state.selected !== id) { return; }
          var st = d.analysis ? d.analysis.state : "current";
          // same state: keep the panel as it is (an open form stays open) and ask again
          // an open edit form is never wiped: draw the new flags once it is closed
          if (st === shownState || document.getElementById("edit-form")) { pollUntilCurrent(id, wait); return; }
          refreshPanel(d);  // polls again while the flags are not current
        })
        .catch(function () { pollUntilCurrent(id, wait); });
    }, wait);
  }
  // re-draw the open panel with fresh data (after an edit, or once the flags are current)
  function refreshPanel(d) {
    var top = panel.scrollTop;
    renderPanel(d);
    panel.scrollTop = top;
    highlight(d.id);
  }
  function reloadPanel(id) {
    return fetch("/map/panel/" + encodeURIComponent(id) + ".json?lang=" + DATA_LANG)
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (d) { if (state.selected === d.id) { refreshPanel(d); } return d; });
  }

  // how far down the map the upper-left controls (zoom, country) reach, in px
  function controlsBottom() {
    var corner = map.getContainer().querySelector(".leaflet-top.leaflet-left");
    if (!corner) { return 0; }
    return Math.max(0, corner.getBoundingClientRect().bottom - map.getContainer().getBoundingClientRect().top);
  }
  function selectCommunity(id, zoom) {
    return fetch("/map/panel/" + encodeURIComponent(id) + ".json?lang=" + DATA_LANG)
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (d) {
        unhighlight();
        state.selected = d.id;
        renderPanel(d);
        panel.hidden = false;
        panel.scrollTop = 0;
        map.invalidateSize();
        if (zoom && d.bbox) {
          // on a phone the sheet covers the lower half and the zoom and country buttons the
          // upper left: keep the community between them
          var pad = PHONE ? { paddingTopLeft: [20, controlsBottom() + 10],
                              paddingBottomRight: [20, panel.offsetHeight + 20] }
                          : { padding: [30, 30] };
          map.fitBounds([[d.bbox[1], d.bbox[0]], [d.bbox[3], d.bbox[2]]], L.extend({ maxZoom: 13, animate: false }, pad));
        }
        highlight(d.id);
        return d;
      });
  }

  // ---- search (district and country in every result) ------------------------------------
  var input = document.getElementById("search-input");
  var results = document.getElementById("search-results");
  var timer = null;
  function where(it) {
    return [it.district || it.admin_code, it.country ? label("country_", it.country) : null].filter(Boolean).join(", ");
  }
  function search(q) {
    if (!q || q.length < 2) { results.innerHTML = ""; return Promise.resolve([]); }
    return fetch("/map/search.json?q=" + encodeURIComponent(q))
      .then(function (r) { return r.json(); })
      .then(function (page) {
        results.innerHTML = "";
        if (!page.items.length) { results.appendChild(el("li", { "class": "muted", text: T.search_none })); }
        page.items.forEach(function (it) {
          var li = el("li", { tabindex: "0", role: "option", "data-id": it.id }, [
            el("span", { "class": "name", text: it.name }), el("small", { text: [it.id, where(it)].filter(Boolean).join(" · ") })]);
          function go() { results.innerHTML = ""; input.value = it.name; input.blur(); selectCommunity(it.id, true); }
          li.addEventListener("click", go);
          li.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { go(); } });
          results.appendChild(li);
        });
        return page.items;
      });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { search(input.value.trim()); }, 250);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      clearTimeout(timer);
      search(input.value.trim()).then(function (items) {
        if (items.length) { results.innerHTML = ""; selectCommunity(items[0].id, true); }
      });
    }
  });

  // signed-in editors: how many alerts are still "nueva", beside the link to /alertas
  var alertsNew = document.getElementById("alerts-new");
  if (alertsNew) {
    // limit=0: only the total, counted by the database (no alert rows travel)
    fetch("/api/alerts?state=nueva&limit=0", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || !body.total) { return; }
        alertsNew.textContent = " · " + DESK.alerts_new.replace("{n}", body.total);
        alertsNew.hidden = false;
        document.getElementById("alerts-link").href = "/alertas?state=nueva&lang=" +
          (LANG === "en" ? "en" : "es");
      }).catch(function () { /* the count is a hint; the link works without it */ });
  }

  // a link from another page (a network's member list): /?community=ID opens its panel
  var wanted = new URLSearchParams(window.location.search).get("community");
  if (wanted) {
    selectCommunity(wanted, true).catch(function () { /* not visible to this reader */ });
  }

  // names are placed once every control is on the map; again when the panel opens or
  // closes (on a phone it covers the lower half) and once the fonts are there
  replaceLabels();
  if (window.MutationObserver) {
    new MutationObserver(declutter).observe(panel, { attributes: true, attributeFilter: ["hidden"] });
  }
  if (document.fonts && document.fonts.ready) { document.fonts.ready.then(replaceLabels); }

  document.body.setAttribute("data-ready", "1");
  // /?community=ID opens that community's panel (links from the desk pages), once every
  // script of the page has added its panel hooks
  var ready = new Promise(function (resolve) {
    var wanted = new URLSearchParams(window.location.search).get("community");
    if (!wanted) { resolve(); return; }
    document.addEventListener("DOMContentLoaded", function () {
      selectCommunity(wanted, true).then(resolve, resolve);
    });
  });
  window.allpa = { map: map, grid: grid, state: state, selectCommunity: selectCommunity,
                   search: search, ready: ready, cfg: cfg, el: el, panelHooks: panelHooks,
                   reloadPanel: reloadPanel, panel: panel, chooseCountry: chooseCountry,
                   declutter: declutter };
})();
