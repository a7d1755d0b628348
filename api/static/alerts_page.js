// The alerts page: an editor changes an alert's state with PATCH /api/alerts/{id}, sending
// the session's CSRF token (from the page's <meta>); no inline script (CSP).
"use strict";
(function () {
  var meta = document.querySelector("meta[name='allpa-csrf']");
  if (!meta) { return; }
  var csrf = meta.getAttribute("content");
  var lang = document.documentElement.lang === "en" ? "en" : "es";
  document.querySelectorAll("form.state-form").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var id = form.getAttribute("data-alert");
      var state = form.querySelector("select").value;
      var status = form.querySelector(".status");
      var card = form.closest("li.card");
      fetch("/api/alerts/" + encodeURIComponent(id) + "?lang=" + lang, {
        method: "PATCH", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
        body: JSON.stringify({state: state})
      }).then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      }).then(function () {
        var option = form.querySelector("select option[value='" + state + "']");
        card.querySelector(".state-label").textContent = option ? option.textContent : state;
        card.className = card.className.replace(/state-\S+/, "state-" + state);
        status.textContent = status.getAttribute("data-ok");
        card.setAttribute("data-saved", state);
      }).catch(function () {
        status.textContent = status.getAttribute("data-fail");
      });
    });
  });
  // an editor links an alert to an open case of its community (a new version of the case)
  document.querySelectorAll("form.link-form").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var id = form.getAttribute("data-alert");
      var caseId = form.querySelector("select").value;
      var status = form.querySelector(".status");
      fetch("/api/cases/" + encodeURIComponent(caseId) + "/alerts?lang=" + lang, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
        body: JSON.stringify({alert_id: Number(id)})
      }).then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        status.textContent = status.getAttribute("data-ok");
        form.closest("li.card").setAttribute("data-linked", caseId);
        window.location.reload();
      }).catch(function () {
        status.textContent = status.getAttribute("data-fail");
      });
    });
  });
}());
