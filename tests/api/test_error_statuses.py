"""Each operation documents exactly the error statuses it can answer: for every operation of
``/openapi.json`` the test sends the requests that provoke each one (a wrong token, a reader
without the role, a record that does not exist, a malformed parameter, a body that does not
validate, an edit without or with a stale version, an upload over the limit, a write from a
browser session without its CSRF token) and checks that

* every 4xx it got is documented for that operation (nothing undocumented), and
* every 4xx documented for it was got (nothing documented that cannot happen), except the
  statuses in :data:`NOT_PROBED_HERE`, each provoked once by the named test (the same
  dependency answers it for every operation that lists it).

New routes are covered without a change here: their statuses are derived from the route
(:mod:`api.openapi_problems`) and probed from the document."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from api.dependencies import SESSION_COOKIE
from api.security import FailedAuthLimiter
from layers import users
from tests.api.conftest import ApiWorld, auth

#: 4xx whose provocation is not generic, and the test that provokes it.
NOT_PROBED_HERE = {
    "429": "too many wrong tokens from one client (one limiter, every operation that resolves "
           "the caller): test_too_many_wrong_tokens below",
}
NOT_PROBED_FOR = {
    ("post", "/api/layers/{layer}/imports", "409"):
        "a file that would close most of a layer: test_uploads.py::"
        "test_upload_dry_run_and_mass_close",
    ("patch", "/api/cases/{case_id}/deadlines/{deadline_id}", "409"):
        "a deadline closed twice: test_case_files.py::"
        "test_several_deadlines_of_a_case_in_the_agenda",
}
MISSING = "zz-no-existe"
#: Where :func:`known` keeps the token of an admin's browser session.
SESSION = "zz-session"
#: Sent to a free text parameter: what a parser (bbox, as_of, If-Match...) cannot read.
FREE_TEXT = "a / b,c"


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "responses" in op:
                yield method, path, op


@pytest.fixture(scope="module")
def prober(api_world: ApiWorld) -> Iterator[TestClient]:
    """An app of its own: the wrong tokens sent here count against its limiter only."""
    with TestClient(create_app(api_world.settings)) as c:
        yield c


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _created(response: Any) -> str:
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture(scope="module")
def known(prober: TestClient, api_world: ApiWorld) -> dict[str, str]:
    """A real value for each path parameter name (the layer's first key for ``key``); a
    case's document and deadline and a member's subscription are made here, through the
    API, so the operations on them are probed on records that exist."""
    client = prober
    editor, member = auth(api_world, "editor"), auth(api_world, "network")
    case = client.get("/api/cases", headers=editor).json()["items"][0]["id"]
    alert = client.get("/api/alerts", headers=editor).json()["alerts"][0]["id"]
    batch = client.get("/api/batches", headers=editor).json()["items"][0]["id"]
    indicator = client.get("/api/programme/indicators").json()["indicators"][0]["id"]
    document = _created(client.post(
        f"/api/cases/{case}/documents", headers=editor, data={"title": "Acta (prueba)"},
        files={"file": ("acta.pdf", _pdf(), "application/pdf")}))
    deadline = _created(client.post(f"/api/cases/{case}/deadlines", headers=editor, json={
        "due": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        "what": "Plazo de prueba", "kind": "legal"}))
    subscription = _created(client.post("/api/subscriptions", headers=member, json={
        "scope": "community", "id": "HF-001", "address": "miembro@example.org"}))
    with api_world.engine.begin() as conn:  # an admin's browser session (cookie + CSRF)
        admin_id = conn.execute(sa.select(users.app_user.c.id).where(
            users.app_user.c.name == "admin")).scalar_one()
        session = users.open_session(conn, admin_id).token
    return {"community_id": "HF-001", "network_id": "RED-01", "layer": "communities",
            "collection_id": "communities", "feature_id": "HF-001", "case_id": str(case),
            "alert_id": str(alert), "batch_id": str(batch), "indicator_id": indicator,
            "document_id": document, "deadline_id": deadline,
            "subscription_id": subscription, "z": "8", "x": "80", "y": "140",
            SESSION: session}


def _key(client: TestClient, path: str) -> str:
    layer = path.split("/")[2]
    item = client.get(f"/api/{layer}?limit=1").json()["items"][0]
    return str(next(v for k, v in item.items() if k in ("id", "code", "key")))


def _is_int(param: dict[str, Any]) -> bool:
    schema = param.get("schema", {})
    return "integer" in {schema.get("type"), *(a.get("type") for a in schema.get("anyOf", []))}


def _fill(client: TestClient, path: str, op: dict[str, Any], known: dict[str, str],
          missing: str | None = None, bad: str | None = None) -> str:
    """``path`` with real values; ``missing``: that parameter names nothing; ``bad``: that
    parameter is malformed."""
    for p in op.get("parameters", []):
        if p["in"] != "path":
            continue
        name = p["name"]
        enum = p.get("schema", {}).get("enum")
        if name == missing:
            value = "999999" if _is_int(p) else MISSING
        elif name == bad:
            value = _bad_value(p.get("schema", {}))
        else:
            value = enum[0] if enum else _key(client, path) if name == "key" else known[name]
        path = path.replace("{" + name + "}", value)
    return path


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = doc
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _sample(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A value the body schema accepts: required fields filled; an edit model (nothing
    required) changes its first free text field, so the edit reaches the record."""
    schema = _resolve(doc, schema)
    if "anyOf" in schema:
        return _sample(doc, next(a for a in schema["anyOf"] if a.get("type") != "null"))
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        out = {k: _sample(doc, props[k]) for k in schema.get("required", [])}
        if not out:  # an edit: change its first field (a code when it lists its codes)
            name, field = next((k, v) for k, v in props.items()
                               if k not in ("change_note", "expected_vid"))
            codes = str(field.get("description", "")).split(" | ")
            out = {name: codes[0] if len(codes) > 1 else _sample(doc, field)}
        return out
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    return "2026-01-01" if schema.get("format") == "date" else "prueba"


def _bad_value(schema: dict[str, Any]) -> str:
    """A value the parameter refuses (or, for a free string, one no parser accepts)."""
    kinds = {schema.get("type")} | {a.get("type") for a in schema.get("anyOf", [])}
    if schema.get("enum") or any(a.get("enum") for a in schema.get("anyOf", [])):
        return "zz"
    if kinds & {"integer", "number", "boolean"}:
        return "x"
    limit = schema.get("maxLength") or max(
        (a.get("maxLength") or 0 for a in schema.get("anyOf", [])), default=0)
    return "9" * (limit + 1) if limit else FREE_TEXT


def _probe(client: TestClient, method: str, path: str, **kw: Any) -> int:
    client.app.state.auth_limiter = FailedAuthLimiter()  # type: ignore[attr-defined]
    return client.request(method.upper(), path, **kw).status_code


def _observed(client: TestClient, world: ApiWorld, doc: dict[str, Any], method: str,
              path: str, op: dict[str, Any], known: dict[str, str]) -> set[str]:
    member, admin = auth(world, "network"), auth(world, "admin")
    good = _fill(client, path, op, known)
    params = op.get("parameters", [])
    body = op.get("requestBody", {}).get("content", {})
    valid = _sample(doc, body["application/json"]["schema"]) if "application/json" in body \
        else None
    edit = any(p["name"].lower() == "if-match" for p in params)
    version = {"If-Match": '"1"'} if edit else {}
    seen: list[int] = [
        _probe(client, method, good, headers={"Authorization": "Bearer zz-no-es-un-token"}),
        _probe(client, method, good, json=valid),  # anonymous
        _probe(client, method, good, headers=member, json=valid),
        # an admin's session cookie without the session's CSRF token
        _probe(client, method, good, headers={"Cookie": f"{SESSION_COOKIE}={known[SESSION]}"},
               json=valid),
    ]
    for p in params:
        if p["in"] == "path":  # a path naming nothing, then a malformed one
            refusable = _bad_value(p.get("schema", {})) != FREE_TEXT
            for variant in ({"missing": p["name"]}, *([{"bad": p["name"]}] * refusable)):
                seen.append(_probe(client, method, _fill(client, path, op, known, **variant),
                                   headers={**admin, **version}, json=valid))
        elif p["in"] == "query":  # each one malformed, naming nothing, as its example
            schema = p.get("schema", {})
            for value in (_bad_value(schema), MISSING, *(schema.get("examples") or [])[:1]):
                seen.append(_probe(client, method, good, params={p["name"]: value},
                                   headers=admin, json=valid))
        elif p["in"] == "header":
            seen.append(_probe(client, method, good, json=valid, headers={
                **admin, p["name"]: _bad_value(p.get("schema", {}))}))
    if any(p["required"] and p["in"] == "query" for p in params):
        seen.append(_probe(client, method, good, headers=admin))  # required one left out
    if valid is not None:
        seen.append(_probe(client, method, good, headers=admin, json={"zz-campo": [1]}))
    if edit:
        seen.append(_probe(client, method, good, headers=admin, json=valid))  # no version
        seen.append(_probe(client, method, good, headers={**admin, "If-Match": '"999999"'},
                           json=valid))  # a stale version
    if "multipart/form-data" in body:
        files = {"file": ("x.geojson", b'{"type": "FeatureCollection", "features": []}')}
        seen.append(_probe(client, method, good, headers=admin, files=files))
        seen.append(_probe(client, method, good, headers=admin, content=b"x"))  # not multipart
        seen.append(_probe(client, method, good, headers={
            **admin, "Content-Type": "multipart/form-data; boundary=zz",
            "Content-Length": str(10**12)}, content=b"--zz--"))  # over the limit
    return {str(s) for s in seen if 400 <= s < 500}


def test_documented_errors_are_the_ones_answered(prober: TestClient, api_world: ApiWorld,
                                                 known: dict[str, str]) -> None:
    client = prober
    doc = client.get("/openapi.json").json()
    undocumented: list[str] = []
    never_seen: list[str] = []
    n = 0
    for method, path, op in _operations(doc):
        documented = {s for s in op["responses"] if s.startswith("4")}
        got = _observed(client, api_world, doc, method, path, op, known)
        n += 1
        if got - documented:
            undocumented.append(f"{method} {path}: answered {sorted(got - documented)}")
        elsewhere = set(NOT_PROBED_HERE) | {s for m, p, s in NOT_PROBED_FOR
                                            if (m, p) == (method, path)}
        if documented - got - elsewhere:
            never_seen.append(f"{method} {path}: documents {sorted(documented - got - elsewhere)}"
                              f" (got {sorted(got)})")
    assert n >= 60
    assert undocumented == [], "\n".join(undocumented)
    assert never_seen == [], "\n".join(never_seen)


def test_too_many_wrong_tokens(api_world: ApiWorld) -> None:
    """The 429 every operation resolving the caller documents (a fresh app: its own limiter)."""
    with TestClient(create_app(api_world.settings)) as fresh:
        doc = fresh.get("/openapi.json").json()
        listing = [(m, p) for m, p, op in _operations(doc) if "429" in op["responses"]]
        assert ("get", "/api/communities") in listing
        codes = [fresh.get("/api/communities", headers={"Authorization": "Bearer zz"})
                 .status_code for _ in range(30)]
        assert codes[0] == 401 and codes[-1] == 429, codes
        assert all("401" in op["responses"] for m, p, op in _operations(doc)
                   if (m, p) in listing)
