"""Sign a test client in through the browser form (login CSRF cookie + hidden field), the
way a browser does; the client then carries the HttpOnly session cookie."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

_FIELD = re.compile(r'name="login_csrf" value="([^"]+)"')


def sign_in(client: TestClient, name: str, password: str, *, lang: str = "es"
            ) -> tuple[int, str]:
    """(status, body) of the form post; on success the client holds ``allpa_session``."""
    form = client.get(f"/session/sign-in?lang={lang}")
    assert form.status_code == 200, form.text[:300]
    match = _FIELD.search(form.text)
    assert match, "login CSRF field missing"
    r = client.post("/session/sign-in", data={
        "login_csrf": match.group(1), "name": name, "password": password, "lang": lang,
        "next": "/"}, follow_redirects=False)
    return r.status_code, r.text


def csrf_of(client: TestClient) -> str:
    """The session's CSRF token, as the page's script gets it."""
    body = client.get("/session").json()
    assert body["signed_in"], body
    return str(body["csrf"])
