"""Browser sign-in: the form, the HttpOnly session cookie, CSRF on every cookie write
(bilingual 403), failed-login limits, sign-out ending the session on the server, and tokens
that keep working for scripts without any of it."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from layers import users
from tests.api.conftest import ApiWorld, auth
from tests.api.session_util import csrf_of, sign_in

PASSWORD = "contrasena-muy-segura-7"


def _app_client(world: ApiWorld, **kw: str) -> TestClient:
    """A client of its own: its own cookie jar and failed-login counters."""
    return TestClient(create_app(world.settings), **kw)  # type: ignore[arg-type]


def _set(world: ApiWorld, name: str) -> None:
    with world.engine.begin() as conn:
        users.set_password(conn, name, PASSWORD)


def _vid(world: ApiWorld, cid: str) -> int:
    with world.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT vid FROM community WHERE id = :i AND "
                                        "valid_to IS NULL"), {"i": cid}).scalar_one())


def test_form_is_spanish_first_english_available(api_world: ApiWorld) -> None:
    with _app_client(api_world) as c:
        es = c.get("/session/sign-in")
        assert es.status_code == 200 and "Iniciar sesión en Allpa" in es.text
        assert "script" not in es.text.split("<body", 1)[1].replace("noscript", "")
        assert "script-src 'self'" in es.headers["content-security-policy"]
        en = c.get("/session/sign-in?lang=en")
        assert "Sign in to Allpa" in en.text and 'lang="en"' in en.text


def test_sign_in_cookie_and_sign_out_ends_the_session(api_world: ApiWorld) -> None:
    _set(api_world, "abogada")
    with _app_client(api_world) as c:
        status, _ = sign_in(c, "abogada", PASSWORD)
        assert status == 303
        cookie = c.cookies.get("allpa_session")
        assert cookie
        who = c.get("/session").json()
        assert who["signed_in"] and who["role"] == "editor" and who["name"] == "abogada"
        assert c.get("/api/communities/ZZ-SECRETO-1").status_code == 200
        # sign-out needs the CSRF token too
        refused = c.post("/session/sign-out", follow_redirects=False)
        assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
        out = c.post("/session/sign-out", data={"csrf": csrf_of(c)}, follow_redirects=False)
        assert out.status_code == 303
        assert not c.cookies.get("allpa_session")
    with api_world.engine.connect() as conn:
        ended = conn.execute(sa.text(
            "SELECT ended_at IS NOT NULL FROM app_session WHERE token_hash = :h"),
            {"h": users.hash_token(cookie)}).scalar_one()
    assert ended
    # the old cookie, replayed, is nobody (the session ended on the server)
    with _app_client(api_world) as replay:
        replay.cookies.set("allpa_session", cookie)
        assert replay.get("/session").json() == {"signed_in": False}
        assert replay.get("/api/communities/ZZ-SECRETO-1").status_code == 404


def test_cookie_flags(api_world: ApiWorld) -> None:
    _set(api_world, "admin")
    with _app_client(api_world) as c:
        sign_in(c, "admin", PASSWORD)
        r = c.post("/session/sign-in", data={}, follow_redirects=False)
        assert r.status_code == 403  # no login CSRF: refused, no session
    with _app_client(api_world, base_url="https://testserver") as c:
        form = c.get("/session/sign-in")
        token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
        assert token
        r = c.post("/session/sign-in", data={"login_csrf": token.group(1), "name": "admin",
                                             "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 303
        set_cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie"
                          and v.startswith("allpa_session=")).lower()
        assert "httponly" in set_cookie and "samesite=lax" in set_cookie
        assert "secure" in set_cookie and "path=/" in set_cookie


def test_failed_sign_ins_are_limited(api_world: ApiWorld) -> None:
    _set(api_world, "miembro")
    with _app_client(api_world) as c:
        for _ in range(5):
            status, body = sign_in(c, "miembro", "no-es-la-clave")
            assert status == 401 and "Usuario o contraseña incorrectos" in body
        assert not c.cookies.get("allpa_session")
        status, body = sign_in(c, "miembro", PASSWORD)  # even the right password now
        assert status == 429 and "Demasiados intentos" in body
        assert not c.cookies.get("allpa_session")
        status, body = sign_in(c, "nadie", "x" * 12, lang="en")
        assert status == 429 and "Too many failed attempts" in body


def test_cookie_writes_need_the_csrf_token(api_world: ApiWorld) -> None:
    _set(api_world, "abogada")
    cid = "HF-002"
    with _app_client(api_world) as c:
        sign_in(c, "abogada", PASSWORD)
        vid = _vid(api_world, cid)
        body = {"registry_office": "Oficina de prueba CSRF", "change_note": "csrf"}
        for headers in ({}, {"X-CSRF-Token": "falso"}):
            r = c.patch(f"/api/communities/{cid}", json=body,
                        headers={"If-Match": f'"{vid}"', **headers})
            assert r.status_code == 403, r.text
            problem = r.json()
            assert problem["code"] == "csrf_failed"
            assert "CSRF" in problem["message_es"] and "recargue" in problem["message_es"]
            assert "reload the page" in problem["message_en"]
        assert _vid(api_world, cid) == vid  # nothing written
        ok = c.patch(f"/api/communities/{cid}", json=body,
                     headers={"If-Match": f'"{vid}"', "X-CSRF-Token": csrf_of(c)})
        assert ok.status_code == 200, ok.text
        new_vid = ok.json()["vid"]
        assert new_vid > vid
    with api_world.engine.connect() as conn:
        job = conn.execute(sa.text(
            "SELECT requested_by, state FROM analysis_job WHERE :c = ANY(community_ids) "
            "ORDER BY id DESC LIMIT 1"), {"c": cid}).one()
    assert tuple(job) == ("abogada", "pending")  # this app runs no worker


def test_tokens_keep_working_without_csrf(api_world: ApiWorld, client: TestClient) -> None:
    cid = "HF-003"
    vid = _vid(api_world, cid)
    r = client.patch(f"/api/communities/{cid}", json={"procedure_stage": "token",
                                                      "change_note": "script"},
                     headers={**auth(api_world, "editor"), "If-Match": f'"{vid}"'})
    assert r.status_code == 200, r.text
    # a network member's cookie cannot write at all, CSRF token or not
    _set(api_world, "miembro")
    with _app_client(api_world) as c:
        sign_in(c, "miembro", PASSWORD)
        denied = c.patch(f"/api/communities/{cid}", json={"procedure_stage": "x"},
                         headers={"If-Match": f'"{vid + 1}"', "X-CSRF-Token": csrf_of(c)})
        assert denied.status_code == 403 and denied.json()["code"] != "csrf_failed"
