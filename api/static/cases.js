/* Allpa case view in the map's panel, for editors (the page loads this file only for them):
   the community's cases, "abrir trámite" on a flag (the intake form, prefilled with the
   case type the flag's rule asks for), a case's deadlines and its documents (list with
   version, date, who, size and SHA-256; upload and new versions). Every write goes through
   the same API as scripts, with the session's CSRF token. No inline script or style (CSP). */
(function () {
  "use strict";
  var A = window.allpa;
  var C = A.cfg.cases;
  var SESSION = A.cfg.session;
  var el = A.el;
  if (!C || !SESSION || !SESSION.can_edit) { return; }
  var LANG = A.cfg.lang === "en" ? "en" : "es";

  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (_, k) { return values[k] === undefined ? "" : values[k]; });
  }
  function call(method, path, body) {
    var headers = { "Accept": "application/json", "X-CSRF-Token": SESSION.csrf };
    var payload = body;
    if (body && !(body instanceof FormData)) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    return fetch(path + (path.indexOf("?") < 0 ? "?" : "&") + "lang=" + LANG,
                 { method: method, headers: headers, credentials: "same-origin", body: payload })
      .then(function (r) {
        return r.json().then(function (j) { return { status: r.status, body: j }; },
                             function () { return { status: r.status, body: {} }; });
      });
  }
  function caseUrl(id) { return "/api/cases/" + encodeURIComponent(id); }
  function label(list, code) {
    for (var i = 0; i < list.length; i++) { if (list[i][0] === code) { return list[i][1]; } }
    return code || "–";
  }
  function select(id, name, list, value, blank) {
    var node = el("select", { id: id, name: name });
    if (blank) { node.appendChild(el("option", { value: "", text: "–" })); }
    list.forEach(function (o) { node.appendChild(el("option", { value: o[0], text: o[1] })); });
    node.value = value || (blank ? "" : list[0][0]);
    return node;
  }
  function field(id, text, node) { return el("label", { "for": id }, [text, node]); }
  function input(id, name, type, value) {
    var node = el(type === "textarea" ? "textarea" : "input", { id: id, name: name });
    if (type !== "textarea") { node.setAttribute("type", type); }
    if (value) { node.value = value; }
    return node;
  }
  function message(node, text, ok) { node.className = ok ? "notice" : "error"; node.textContent = text; }
  function size(n) { return n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(n / 1024)) + " kB"; }
  function day(text) { return String(text || "").slice(0, 10); }
  function when(text) { return String(text || "").replace("T", " ").slice(0, 16); }
  function scrollTo(node) { node.scrollIntoView({ block: "start" }); }

  // ---- the intake form: "abrir trámite" ----------------------------------------------------
  function openIntake(box, d, preset) {
    box.textContent = "";
    var form = el("form", { id: "intake-form", "class": "case-form", novalidate: "novalidate" },
                  [el("h3", { text: C.intake_title })]);
    var fs = el("fieldset", {}, [el("legend", { text: d.name + " · " + d.id })]);
    fs.appendChild(field("c-type", C.f_type, select("c-type", "type", C.case_type, preset.type)));
    if (preset.rule_id) { fs.appendChild(el("p", { id: "c-rule", "class": "muted", text: C.f_rule + ": " + preset.rule_id })); }
    if (preset.alert_id) { fs.appendChild(el("p", { id: "c-alert", "class": "muted", text: fill(C.answers_alert, { id: preset.alert_id }) })); }
    [["intake_who", "text"], ["intake_role", "text"], ["intake_contact", "text"]].forEach(function (f) {
      fs.appendChild(field("c-" + f[0], C["f_" + f[0]], input("c-" + f[0], f[0], f[1])));
    });
    fs.appendChild(field("c-intake_date", C.f_intake_date, input("c-intake_date", "intake_date", "date", new Date().toISOString().slice(0, 10))));
    fs.appendChild(field("c-intake_channel", C.f_intake_channel, select("c-intake_channel", "intake_channel", C.case_channel, preset.channel || "visita")));
    fs.appendChild(field("c-intake_need", C.f_intake_need, input("c-intake_need", "intake_need", "textarea")));
    fs.appendChild(field("c-lawyer", C.f_lawyer, input("c-lawyer", "lawyer", "text", SESSION.name)));
    fs.appendChild(field("c-authority", C.f_authority, input("c-authority", "authority", "text")));
    fs.appendChild(field("c-first_due", C.f_first_due, input("c-first_due", "first_due", "date")));
    fs.appendChild(field("c-first_what", C.f_first_what, input("c-first_what", "first_what", "text")));
    form.appendChild(fs);
    var msg = el("p", { id: "case-message", role: "alert" });
    var save = el("button", { type: "submit", id: "case-save", text: C.save_case });
    var cancel = el("button", { type: "button", id: "case-cancel", text: C.cancel });
    cancel.addEventListener("click", function () { box.textContent = ""; });
    form.appendChild(msg);
    form.appendChild(el("div", { "class": "buttons" }, [save, cancel]));
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var v = function (n) { var x = form.elements[n].value.trim(); return x === "" ? null : x; };
      if (!v("intake_who") || !v("intake_need")) { message(msg, C.need_required); return; }
      var body = { community_id: d.id, type: v("type"), lawyer: v("lawyer"), authority: v("authority") };
      ["intake_who", "intake_role", "intake_contact", "intake_date", "intake_channel", "intake_need"].forEach(function (n) { body[n] = v(n); });
      if (preset.rule_id) { body.rule_id = preset.rule_id; }
      if (preset.alert_id) { body.alert_ids = [String(preset.alert_id)]; }
      if (v("first_due")) { body.deadlines = [{ due: v("first_due"), what: v("first_what") || C.f_first_due, kind: "legal" }]; }
      save.disabled = true; save.textContent = C.saving;
      call("POST", "/api/cases", body).then(function (res) {
        save.disabled = false; save.textContent = C.save_case;
        if (res.status !== 201) { message(msg, C.error + ": " + (res.body.detail || res.status)); return; }
        // the panel is drawn again: the flag now names the case that addresses it
        return A.reloadPanel(d.id).then(function () {
          var fresh = document.getElementById("case-box");
          return openCase(fresh, res.body.id, fill(C.case_saved, { id: res.body.id }));
        });
      });
    });
    box.appendChild(form);
    scrollTo(form);
  }

  // ---- one case: intake, deadlines, documents ---------------------------------------------
  function openCase(box, id, notice) {
    return Promise.all([call("GET", caseUrl(id)), call("GET", caseUrl(id) + "/deadlines"),
                        call("GET", caseUrl(id) + "/documents")]).then(function (r) {
      box.textContent = "";
      if (r[0].status !== 200) { box.appendChild(el("p", { "class": "error", text: C.error + ": " + (r[0].body.detail || r[0].status) })); return; }
      var c = r[0].body;
      var view = el("section", { id: "case-view", "data-case": c.id });
      if (notice) { view.appendChild(el("p", { id: "case-saved", "class": "notice", role: "status", text: notice })); }
      view.appendChild(el("h3", { text: c.id + " · " + c.type_label }));
      view.appendChild(el("p", { id: "case-stage", text: C.stage + ": " + c.stage_label + " · " + C.opened + " " + day(c.opened) }));
      var intake = el("dl", { id: "case-intake", "class": "case-intake" });
      [["f_intake_who", c.intake_who], ["f_intake_role", c.intake_role], ["f_intake_contact", c.intake_contact],
       ["f_intake_date", day(c.intake_date)], ["f_intake_channel", c.intake_channel_label], ["f_intake_need", c.intake_need],
       ["f_lawyer", c.lawyer], ["f_rule", c.rule_id], ["f_alerts", (c.alert_ids || []).join(", ")]].forEach(function (p) {
        if (p[1]) { intake.appendChild(el("dt", { text: C[p[0]] })); intake.appendChild(el("dd", { text: p[1] })); }
      });
      view.appendChild(el("h4", { text: C.intake }));
      view.appendChild(intake);
      var edit = el("button", { type: "button", id: "case-edit", "class": "small", text: C.edit_case });
      edit.addEventListener("click", function () { editCase(box, c, edit); });
      view.appendChild(edit);
      view.appendChild(deadlines(box, c.id, r[1].body.items || []));
      view.appendChild(documents(box, c.id, r[2].body.items || []));
      box.appendChild(view);
      scrollTo(view);
    });
  }

  // ---- edit a case: a new version (If-Match: the version read; 409 when someone was first)
  var EDITABLE = [["type", C.case_type], ["stage", C.case_stage], ["stage_date", "date"],
                  ["lawyer", "text"], ["authority", "text"], ["intake_who", "text"],
                  ["intake_role", "text"], ["intake_contact", "text"], ["intake_date", "date"],
                  ["intake_channel", C.case_channel], ["intake_need", "textarea"], ["note", "textarea"]];
  function editCase(box, c, button) {
    var form = el("form", { id: "case-edit-form", "class": "case-form", novalidate: "novalidate" });
    var fs = el("fieldset", {}, [el("legend", { text: C.edit_case + " · " + c.id })]);
    EDITABLE.forEach(function (f) {
      var id = "e-" + f[0];
      var value = f[1] === "date" ? day(c[f[0]]) : c[f[0]];
      var node = Array.isArray(f[1]) ? select(id, f[0], f[1], value, f[0] === "intake_channel") : input(id, f[0], f[1], value);
      fs.appendChild(field(id, C["f_" + f[0]], node));
    });
    fs.appendChild(field("e-change_note", C.f_change_note, input("e-change_note", "change_note", "textarea")));
    form.appendChild(fs);
    var msg = el("p", { id: "case-edit-message", role: "alert" });
    var save = el("button", { type: "submit", id: "case-edit-save", text: C.save_case });
    form.appendChild(msg);
    form.appendChild(el("div", { "class": "buttons" }, [save]));
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var note = form.elements.change_note.value.trim();
      if (!note) { message(msg, C.change_note_required); return; }
      var changes = { change_note: note };
      EDITABLE.forEach(function (f) {
        var raw = form.elements[f[0]].value.trim();
        var was = f[1] === "date" ? day(c[f[0]]) : (c[f[0]] || "");
        if (raw !== was) { changes[f[0]] = raw === "" ? null : raw; }
      });
      save.disabled = true;
      var headers = { "Accept": "application/json", "Content-Type": "application/json",
                      "X-CSRF-Token": SESSION.csrf, "If-Match": '"' + c.vid + '"' };
      fetch(caseUrl(c.id) + "?lang=" + LANG, { method: "PATCH", headers: headers, credentials: "same-origin",
                                               body: JSON.stringify(changes) })
        .then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); })
        .then(function (res) {
          save.disabled = false;
          if (res.status === 409) { message(msg, C.stale); return; }
          if (res.status !== 200) { message(msg, C.error + ": " + (res.body.detail || res.status)); return; }
          // the flag naming this case shows its new stage: draw the panel again
          return A.reloadPanel(current.id).then(function () {
            return openCase(document.getElementById("case-box"), c.id, C.case_updated);
          });
        });
    });
    button.parentNode.insertBefore(form, button.nextSibling);
    button.hidden = true;
    scrollTo(form);
  }

  function deadlines(box, id, items) {
    var wrap = el("div", { id: "case-deadlines" }, [el("h4", { text: C.deadlines })]);
    if (!items.length) { wrap.appendChild(el("p", { "class": "muted", text: C.no_deadlines })); }
    var list = el("ul", { id: "deadline-list", "class": "deadlines" });
    items.forEach(function (d) {
      var li = el("li", { "data-deadline": String(d.id), "class": d.overdue ? "overdue" : (d.state !== "open" ? "closed" : "") }, [
        el("strong", { text: day(d.due) }), " " + d.what + " · " + d.kind_label + " · " + d.state_label,
        d.overdue ? el("span", { "class": "overdue-mark", text: " " + C.overdue }) : null,
        d.day_off_note ? el("span", { "class": "day-off", text: " · " + d.day_off_note }) : null,
        d.closed_by ? el("span", { "class": "muted", text: " (" + fill(C.closed_by, { who: d.closed_by, when: day(d.closed_at) }) + ")" }) : null]);
      if (d.state === "open") {
        [["done", C.mark_done], ["cancelled", C.mark_cancelled]].forEach(function (s) {
          var b = el("button", { type: "button", "class": "small deadline-" + s[0], text: s[1] });
          b.addEventListener("click", function () {
            call("PATCH", caseUrl(id) + "/deadlines/" + d.id, { state: s[0] }).then(function () { openCase(box, id); });
          });
          li.appendChild(b);
        });
      }
      list.appendChild(li);
    });
    wrap.appendChild(list);
    var form = el("form", { id: "deadline-form", "class": "case-form inline", novalidate: "novalidate" }, [
      field("dl-due", C.due, input("dl-due", "due", "date")), field("dl-what", C.what, input("dl-what", "what", "text")),
      field("dl-kind", C.kind, select("dl-kind", "kind", C.deadline_kind, "legal")),
      el("button", { type: "submit", id: "deadline-add", text: C.add_deadline })]);
    var msg = el("p", { role: "alert" });
    form.appendChild(msg);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      call("POST", caseUrl(id) + "/deadlines", { due: form.elements.due.value, what: form.elements.what.value.trim(),
                                                 kind: form.elements.kind.value }).then(function (res) {
        if (res.status === 201) { openCase(box, id); } else { message(msg, C.error + ": " + (res.body.detail || res.status)); }
      });
    });
    wrap.appendChild(form);
    return wrap;
  }

  function uploadForm(box, id, doc) {
    var prefix = doc ? "v" + doc.id + "-" : "u-";
    var form = el("form", { "class": "case-form upload" + (doc ? " inline new-version" : ""), id: doc ? "version-form-" + doc.id : "upload-form", novalidate: "novalidate" });
    var file = input(prefix + "file", "file", "file");
    file.setAttribute("accept", ".pdf,.png,.jpg,.jpeg,.tif,.tiff,.webp,.odt,.docx");
    form.appendChild(field(prefix + "file", doc ? C.new_version : C.file, file));
    if (!doc) { form.appendChild(field("u-title", C.title, input("u-title", "title", "text"))); }
    form.appendChild(field(prefix + "note", C.note, input(prefix + "note", "note", "text")));
    var send = el("button", { type: "submit", id: prefix + "submit", text: doc ? C.new_version : C.upload });
    var msg = el("p", { role: "alert", id: prefix + "message" });
    form.appendChild(send);
    form.appendChild(msg);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var chosen = file.files && file.files[0];
      if (!chosen) { message(msg, C.choose_file); return; }
      if (chosen.size > C.max_mb * 1048576) { message(msg, fill(C.too_big, { mb: C.max_mb })); return; }
      var data = new FormData();
      data.append("file", chosen, chosen.name);
      data.append("note", form.elements.note.value);
      if (!doc) { data.append("title", form.elements.title.value); }
      send.disabled = true; send.textContent = C.saving;
      var path = caseUrl(id) + "/documents" + (doc ? "/" + doc.id + "/versions" : "");
      call("POST", path, data).then(function (res) {
        send.disabled = false; send.textContent = doc ? C.new_version : C.upload;
        if (res.status === 201) { return openCase(box, id, C.uploaded); }
        message(msg, res.body.detail || (C.error + ": " + res.status));
      });
    });
    return form;
  }

  function documents(box, id, docs) {
    var wrap = el("div", { id: "case-documents" }, [el("h4", { text: C.documents })]);
    if (!docs.length) { wrap.appendChild(el("p", { "class": "muted", text: C.no_documents })); }
    var list = el("ul", { id: "document-list", "class": "documents" });
    docs.forEach(function (doc) {
      var li = el("li", { "data-document": String(doc.id) }, [el("strong", { text: doc.title })]);
      var versions = el("ol", { reversed: "reversed", "class": "versions" });
      doc.versions.forEach(function (v) {
        var href = caseUrl(id) + "/documents/" + doc.id + "/file?version=" + v.version;
        versions.appendChild(el("li", { "data-version": String(v.version), "class": "version" }, [
          el("a", { href: href, download: v.file_name, text: v.file_name }),
          " · " + fill(C.version, { n: v.version }) + " · " + when(v.uploaded_at) + " · " + v.uploaded_by +
          " · " + size(v.size_bytes) + " · ",
          el("code", { "class": "sha", title: v.sha256, text: "sha256 " + v.sha256.slice(0, 12) }),
          v.note ? el("div", { "class": "muted", text: "«" + v.note + "»" }) : null]));
      });
      li.appendChild(versions);
      li.appendChild(uploadForm(box, id, doc));
      list.appendChild(li);
    });
    wrap.appendChild(list);
    wrap.appendChild(el("h4", { text: C.upload }));
    wrap.appendChild(el("p", { "class": "muted", text: fill(C.accepted, { mb: C.max_mb }) }));
    wrap.appendChild(uploadForm(box, id, null));
    return wrap;
  }

  // ---- in the panel: cases of the community, and on each flag the case or the button ------
  var current = null;
  A.panelHooks.push(function (d, body) {
    current = d;
    var boxes = body.querySelectorAll(".flag");
    var box = el("div", { id: "case-box" });
    (d.flags || []).forEach(function (f, i) {
      var node = boxes[i];
      if (!node) { return; }
      var line = el("p", { "class": "flag-case" });
      if (f.case) {
        line.appendChild(el("span", { "class": "case-open", text: fill(C.case_open, { id: f.case.id, type: f.case.type_label, stage: f.case.stage_label }) + " " }));
        var view = el("button", { type: "button", "class": "small view-case", "data-case": f.case.id, text: C.view_case });
        view.addEventListener("click", function () { openCase(box, f.case.id); });
        line.appendChild(view);
      } else {
        var open = el("button", { type: "button", "class": "open-case", "data-rule": f.rule_id, text: C.open_case });
        open.addEventListener("click", function () { openIntake(box, d, { type: f.case_type, rule_id: f.rule_id, channel: "alerta" }); });
        line.appendChild(open);
      }
      node.appendChild(line);
    });
    var section = el("div", { id: "panel-cases" }, [el("h3", { text: C.cases })]);
    body.appendChild(section);
    body.appendChild(box);
    call("GET", "/api/cases?community=" + encodeURIComponent(d.id)).then(function (res) {
      var items = (res.body && res.body.items) || [];
      if (!items.length) { section.appendChild(el("p", { "class": "muted", text: C.no_cases })); }
      var list = el("ul", { id: "case-list" });
      items.forEach(function (c) {
        var b = el("button", { type: "button", "class": "link", "data-case": c.id, text: c.id + " · " + c.type_label + " · " + c.stage_label });
        b.addEventListener("click", function () { openCase(box, c.id); });
        list.appendChild(el("li", {}, [b]));
      });
      section.appendChild(list);
      var fresh = el("button", { type: "button", id: "case-new", text: C.open_case });
      fresh.addEventListener("click", function () { openIntake(box, d, { type: "other" }); });
      section.appendChild(fresh);
    });
  });

  // links from /plazos and /alertas: /?community=ID&case=TR-… or &intake=alert:N
  var params = new URLSearchParams(window.location.search);
  if (params.get("community") && (params.get("case") || params.get("intake"))) {
    A.ready.then(function () {
      var box = document.getElementById("case-box");
      if (!box || !current) { return; }
      var intake = /^alert:(\d+)$/.exec(params.get("intake") || "");
      if (params.get("case")) { openCase(box, params.get("case")); }
      else if (intake) { openIntake(box, current, { type: "mining_opposition", alert_id: intake[1], channel: "alerta" }); }
    });
  }
  document.body.setAttribute("data-cases-ready", "1");
})();
