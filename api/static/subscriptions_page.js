// "Mis avisos": add a subscription (POST /api/subscriptions) or remove one (DELETE
// /api/subscriptions/{id}) with the session's CSRF token from the page's <meta>; the page
// then reloads to list what the server keeps. No inline script (CSP).
"use strict";
(function () {
  var meta = document.querySelector("meta[name='allpa-csrf']");
  if (!meta) { return; }
  var csrf = meta.getAttribute("content");
  var lang = document.documentElement.lang === "en" ? "en" : "es";

  function problem(r) {
    return r.json().then(function (body) {
      throw new Error((lang === "en" ? body.message_en : body.message_es) || String(r.status));
    }, function () { throw new Error(String(r.status)); });
  }

  function call(method, url, body) {
    return fetch(url + "?lang=" + lang, {
      method: method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : problem(r); });
  }

  var form = document.getElementById("subscribe-form");
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var status = document.getElementById("subscribe-status");
      var target = form.elements.target.value.split(":");
      call("POST", "/api/subscriptions", {
        scope: target[0], id: target.slice(1).join(":"), channel: "email",
        address: form.elements.address.value.trim(),
        frequency: form.elements.frequency.value, lang: form.elements.lang.value
      }).then(function () {
        status.textContent = form.getAttribute("data-ok");
        window.location.reload();
      }).catch(function (err) {
        status.textContent = form.getAttribute("data-fail") + err.message;
      });
    });
  }

  document.querySelectorAll("button.remove").forEach(function (button) {
    button.addEventListener("click", function () {
      var card = button.closest("li.card");
      button.disabled = true;
      button.textContent = button.getAttribute("data-busy");
      call("DELETE", "/api/subscriptions/" + encodeURIComponent(button.getAttribute("data-sub")))
        .then(function () { window.location.reload(); })
        .catch(function (err) {
          button.disabled = false;
          card.querySelector(".status").textContent = err.message;
        });
    });
  });
}());
