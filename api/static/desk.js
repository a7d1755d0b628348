/* Allpa lawyer's desk: the edit form of a community's legal file and its history, in the
   map's panel, for signed-in users (the page loads this file only for them). Writes go through the same API as scripts
   (PATCH /api/communities/{id} with If-Match), authenticated by the session cookie and the
   session's CSRF token. A stale form is refused by the server (409): nothing is
   overwritten, and the form shows the version that is current now. */
(function () {
  "use strict";
  var A = window.allpa;
  var cfg = A.cfg;
  var D = cfg.desk || {};
  var SESSION = cfg.session;
  var el = A.el;

  var BOOL = "bool", DATE = "date", TEXT = "text", NUM = "number";
  // sections of the legal file; enum values come with their labels (v_<value>)
  var SECTIONS = [
    ["section_title", [["title_status", ["titled", "recognised_untitled", "unrecognised"]],
                       ["title_date", DATE], ["official_area_ha", NUM],
                       ["sensitivity", ["public", "network", "restricted"]]]],
    ["section_legal", [["legal_status", ["none", "in_process", "registered"]],
                       ["registry_office", TEXT], ["registry_entry", TEXT],
                       ["registration_date", DATE]]],
    ["section_statute", [["statute_adopted", DATE], ["statute_modified", DATE],
                         ["clause_territory", BOOL], ["clause_water", BOOL],
                         ["clause_environment", BOOL], ["clause_consultation", BOOL],
                         ["clause_women", BOOL]]],
    ["section_board", [["board_elected", DATE], ["board_term_end", DATE],
                       ["board_registered", BOOL]]],
    ["section_procedure", [["procedure_what", TEXT], ["procedure_stage", TEXT],
                           ["procedure_since", DATE]]]
  ];
  var FIELDS = [];
  SECTIONS.forEach(function (s) { s[1].forEach(function (f) { FIELDS.push(f); }); });
  var REQUIRED = { sensitivity: 1 };

  function show(value, kind) {
    if (value === null || value === undefined || value === "") { return D.unknown; }
    if (kind === BOOL) { return value ? D.yes : D.no; }
    if (Array.isArray(kind)) { return D["v_" + value] || value; }
    return String(value);
  }
  function kindOf(name) {
    for (var i = 0; i < FIELDS.length; i++) { if (FIELDS[i][0] === name) { return FIELDS[i][1]; } }
    return TEXT;
  }
  function norm(value) { return value === undefined || value === "" ? null : value; }

  function api(method, path, body, vid) {
    var headers = { "Accept": "application/json", "X-CSRF-Token": SESSION.csrf };
    if (body) { headers["Content-Type"] = "application/json"; }
    if (vid !== undefined) { headers["If-Match"] = '"' + vid + '"'; }
    return fetch(path, { method: method, headers: headers, credentials: "same-origin",
                         body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        return r.json().then(function (j) { return { status: r.status, body: j, etag: r.headers.get("ETag") }; },
                             function () { return { status: r.status, body: {}, etag: null }; });
      });
  }
  function record(id) {
    return api("GET", "/api/communities/" + encodeURIComponent(id)).then(function (res) {
      if (res.status !== 200) { throw new Error(res.status); }
      return res.body;
    });
  }

  // ---- the form ---------------------------------------------------------------------------
  function input(name, kind, value) {
    var id = "f-" + name;
    var node;
    if (kind === BOOL || Array.isArray(kind)) {
      node = el("select", { id: id, name: name });
      var options = kind === BOOL ? [["", D.unknown], ["true", D.yes], ["false", D.no]]
        : (REQUIRED[name] ? [] : [["", D.unknown]]).concat(kind.map(function (v) { return [v, D["v_" + v] || v]; }));
      options.forEach(function (o) { node.appendChild(el("option", { value: o[0], text: o[1] })); });
      node.value = value === null || value === undefined ? "" : String(value);
    } else {
      node = el("input", { id: id, name: name, type: kind === DATE ? "date" : kind === NUM ? "number" : "text" });
      if (kind === NUM) { node.setAttribute("min", "0"); node.setAttribute("step", "any"); }
      node.value = value === null || value === undefined ? "" : String(value).slice(0, kind === DATE ? 10 : undefined);
    }
    return el("label", { "for": id, "class": kind === BOOL ? "check" : "" },
              kind === BOOL ? [node, " " + D["f_" + name]] : [D["f_" + name], node]);
  }
  function readForm(form) {
    var out = {};
    FIELDS.forEach(function (f) {
      var raw = form.elements[f[0]].value;
      var v = raw === "" ? null : raw;
      if (f[1] === BOOL && v !== null) { v = v === "true"; }
      if (f[1] === NUM && v !== null) { v = Number(v); }
      out[f[0]] = v;
    });
    return out;
  }
  function loaded(rec, name) {
    var v = norm(rec[name]);
    if (v !== null && kindOf(name) === DATE) { v = String(v).slice(0, 10); }
    return v;
  }

  function openForm(box, id, notice, noteText) {
    box.textContent = "";
    return record(id).then(function (rec) {
      var vid = rec.vid;
      var form = el("form", { id: "edit-form", "data-vid": String(vid), novalidate: "novalidate" });
      if (notice) { form.appendChild(notice); }
      SECTIONS.forEach(function (s) {
        var fs = el("fieldset", {}, [el("legend", { text: D[s[0]] })]);
        s[1].forEach(function (f) { fs.appendChild(input(f[0], f[1], loaded(rec, f[0]))); });
        form.appendChild(fs);
      });
      var note = el("textarea", { id: "f-change_note", name: "change_note", rows: "2", required: "required" });
      note.value = noteText || "";
      form.appendChild(el("label", { "for": "f-change_note" }, [D.change_note, note]));
      var msg = el("p", { id: "edit-message", role: "alert" });
      form.appendChild(msg);
      var save = el("button", { type: "submit", id: "edit-save", text: D.save });
      var cancel = el("button", { type: "button", id: "edit-cancel", text: D.cancel });
      form.appendChild(el("div", { "class": "buttons" }, [save, cancel]));
      cancel.addEventListener("click", function () { box.textContent = ""; });
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var values = readForm(form);
        var changes = {};
        FIELDS.forEach(function (f) {
          if (values[f[0]] !== loaded(rec, f[0])) { changes[f[0]] = values[f[0]]; }
        });
        msg.className = ""; msg.textContent = "";
        if (!note.value.trim()) { msg.className = "error"; msg.textContent = D.change_note_required; note.focus(); return; }
        changes.change_note = note.value.trim();
        save.disabled = true; save.textContent = D.saving;
        api("PATCH", "/api/communities/" + encodeURIComponent(id), changes, vid).then(function (res) {
          save.disabled = false; save.textContent = D.save;
          if (res.status === 200) {
            // the panel is drawn again from the new record; the notice goes into the new one
            return A.reloadPanel(id).then(function () {
              var fresh = document.getElementById("desk-box") || box;
              fresh.textContent = "";
              fresh.appendChild(el("p", { id: "edit-saved", "class": "notice", role: "status", text: D.saved }));
            });
          }
          if (res.status === 409) { return stale(box, id, rec, values, note.value); }
          msg.className = "error";
          msg.textContent = D.edit_error + ": " + (res.body.detail || res.status);
        });
      });
      box.appendChild(form);
      form.scrollIntoView({ block: "start" });
    });
  }

  // someone saved first: nothing was written; show what they changed and the current version
  function stale(box, id, mine, attempted, noteText) {
    return record(id).then(function (now) {
      var notice = el("div", { id: "edit-stale", "class": "error", role: "alert" }, [
        el("p", { text: D.stale }),
        el("p", {}, [el("strong", { text: D.stale_current + " (" + D.version + " " + now.vid + ")" })])]);
      var list = el("ul", {});
      FIELDS.forEach(function (f) {
        var before = loaded(mine, f[0]), after = loaded(now, f[0]);
        if (before !== after) {
          list.appendChild(el("li", { text: D["f_" + f[0]] + ": " + show(before, f[1]) + " → " + show(after, f[1]) }));
        }
      });
      notice.appendChild(list);
      // what this person tried to save stays in sight (and their note in the form)
      var yours = el("ul", { id: "edit-unsaved" });
      FIELDS.forEach(function (f) {
        if (attempted[f[0]] !== loaded(mine, f[0])) {
          yours.appendChild(el("li", { text: D["f_" + f[0]] + ": " + show(attempted[f[0]], f[1]) }));
        }
      });
      if (yours.firstChild) {
        notice.appendChild(el("p", {}, [el("strong", { text: D.unsaved })]));
        notice.appendChild(yours);
      }
      return openForm(box, id, notice, noteText);
    });
  }

  // ---- the history: who, when, what changed ---------------------------------------------
  function openHistory(box, id) {
    box.textContent = "";
    return api("GET", "/api/communities/" + encodeURIComponent(id) + "/history").then(function (res) {
      var versions = (res.body.versions || []).slice();
      var wrap = el("div", { id: "history", "class": "history" }, [el("h3", { text: D.history })]);
      if (versions.length < 2) { wrap.appendChild(el("p", { "class": "muted", text: D.no_history })); }
      var items = el("ol", { reversed: "reversed" });
      versions.forEach(function (v, i) {
        var prev = i > 0 ? versions[i - 1] : null;
        var from = String(v.valid_from || "");
        var when = from.replace("T", " ").slice(0, 16) + (/(\+00:00|Z)$/.test(from) ? " UTC" : "");
        var head = [D.version + " " + v.vid, when, v.recorded_by].filter(Boolean).join(" · ");
        var li = el("li", { "data-vid": String(v.vid) }, [el("strong", { text: head })]);
        if (v.change_note) { li.appendChild(el("div", { text: "«" + v.change_note + "»" })); }
        var changes = el("ul", {});
        if (!prev) { changes.appendChild(el("li", { "class": "muted", text: D.history_created })); }
        else {
          FIELDS.forEach(function (f) {
            var a = loaded(prev, f[0]), b = loaded(v, f[0]);
            if (a !== b) { changes.appendChild(el("li", { text: D["f_" + f[0]] + ": " + show(a, f[1]) + " → " + show(b, f[1]) })); }
          });
        }
        li.appendChild(changes);
        items.insertBefore(li, items.firstChild);
      });
      wrap.appendChild(items);
      box.appendChild(wrap);
    });
  }

  // ---- buttons in the panel ------------------------------------------------------------------
  A.panelHooks.push(function (d, body) {
    if (!SESSION) { return; }
    var box = el("div", { id: "desk-box" });
    var buttons = el("div", { "class": "desk-actions" });
    if (SESSION.can_edit) {
      var edit = el("button", { type: "button", id: "desk-edit", text: D.edit });
      edit.addEventListener("click", function () { openForm(box, d.id); });
      buttons.appendChild(edit);
    }
    var hist = el("button", { type: "button", id: "desk-history", text: D.history });
    hist.addEventListener("click", function () { openHistory(box, d.id); });
    buttons.appendChild(hist);
    var name = document.getElementById("panel-name");
    var anchor = name && name.nextSibling ? name.nextSibling.nextSibling : null;
    body.insertBefore(buttons, anchor);
    body.insertBefore(box, anchor);
  });
  document.body.setAttribute("data-desk-ready", "1");
})();
