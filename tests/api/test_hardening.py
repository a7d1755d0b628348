"""Bad input and hostile clients: bounded parameters, NUL bytes, bilingual problems for the
framework's own errors, security headers everywhere, a limit on failed tokens, 409 (never
404) for the loser of a concurrent edit."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import MAX_FAILED_AUTH
from geo.errors import ConflictError
from layers import edits, users
from tests.api.conftest import ApiWorld, auth

PROBLEM = "application/problem+json"


def _problem(resp: httpx.Response, status: int, code: str | None = None
             ) -> dict[str, object]:
    assert resp.status_code == status, (resp.status_code, resp.text[:300])
    assert resp.headers["content-type"].startswith(PROBLEM)
    body: dict[str, object] = resp.json()
    assert body["message_es"] and body["message_en"]
    assert body["message_es"] != body["message_en"]
    if code:
        assert body["code"] == code
    return body


@pytest.mark.parametrize("path", [
    f"/api/communities?offset={2**63}", f"/api/communities?limit={2**63}",
    f"/api/communities?offset={10**8}", f"/api/batches/{2**31}", "/api/batches/0",
    f"/ogc/collections/communities/items?offset={2**63}", f"/api/flags?offset={2**64}",
])
def test_huge_numbers_are_400(client: TestClient, path: str) -> None:
    _problem(client.get(path), 400)


@pytest.mark.parametrize("path", [
    "/api/communities?q=a%00b", "/api/communities/HF-001%00", "/static/map.js%00",
    "/api/water?kind=%00", "/tiles/communities/1/0/0.pbf?x=%00",
])
def test_nul_bytes_are_400(client: TestClient, path: str) -> None:
    _problem(client.get(path), 400, "nul_byte")


def test_framework_errors_are_bilingual_problems(client: TestClient) -> None:
    _problem(client.get("/no/such/path"), 404)
    _problem(client.delete("/api/communities"), 405)
    _problem(client.get("/api/communities?limit=abc"), 400, "invalid_parameter")
    en = client.get("/no/such/path?lang=en").json()
    assert en["detail"] == en["message_en"]


def test_user_input_with_slashes_keeps_both_languages(client: TestClient) -> None:
    body = _problem(client.get("/api/communities", params={"bbox": "1 / 2 / 3"}), 400)
    assert "1 / 2 / 3" in str(body["message_es"]) and "1 / 2 / 3" in str(body["message_en"])
    assert str(body["message_es"]).startswith("bbox no válido")
    assert str(body["message_en"]).startswith("invalid bbox")


@pytest.mark.parametrize("path", ["/", "/api/communities", "/no/such", "/healthz",
                                  "/static/map.js", "/tiles/communities/0/0/0.pbf",
                                  "/api/communities?offset=-1"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    r = client.get(path, headers={"Accept": "text/html"})
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    if path == "/":
        assert "script-src 'self';" in csp  # the map page runs only our own files


def test_readyz_and_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


@pytest.fixture
def fresh_client(api_world: ApiWorld) -> Iterator[TestClient]:
    with TestClient(create_app(api_world.settings)) as c:
        yield c


def test_failed_tokens_are_limited(fresh_client: TestClient, api_world: ApiWorld) -> None:
    for _ in range(MAX_FAILED_AUTH):
        _problem(fresh_client.get("/api/communities",
                                  headers={"Authorization": "Bearer nope"}), 401)
    blocked = fresh_client.get("/api/communities", headers={"Authorization": "Bearer nope"})
    _problem(blocked, 429, "too_many_attempts")
    assert int(blocked.headers["retry-after"]) >= 1
    # while blocked, even a good token waits: guessing cannot continue
    _problem(fresh_client.get("/api/communities", headers=auth(api_world, "editor")), 429)
    # anonymous reading is not affected
    assert fresh_client.get("/api/communities?limit=1").status_code == 200


def test_loser_of_a_concurrent_edit_gets_409(api_world: ApiWorld) -> None:
    engine = api_world.engine
    with engine.begin() as conn:
        editor = users.principal_for_token(conn, str(api_world.tokens["editor"]))
        vid = conn.execute(sa.text("SELECT vid FROM community WHERE id = 'HF-002' "
                                   "AND valid_to IS NULL")).scalar_one()
    assert editor is not None
    outcome: list[str] = []

    def loser() -> None:
        with engine.begin() as conn:
            try:
                edits.edit_community(conn, "HF-002", {"procedure_stage": "B"},
                                     expected_vid=int(vid), principal=editor)
                outcome.append("saved")
            except ConflictError as exc:
                outcome.append(exc.code)
            except Exception as exc:  # a 404-type error is the bug this test catches
                outcome.append(type(exc).__name__)

    with engine.begin() as conn:
        edits.edit_community(conn, "HF-002", {"procedure_stage": "A"}, expected_vid=int(vid),
                             principal=editor)
        thread = threading.Thread(target=loser)
        thread.start()
        time.sleep(0.5)  # the loser now waits on the row lock
    thread.join(10)
    assert outcome and outcome[0] not in ("saved", "CommunityNotFoundError"), outcome
    assert outcome[0] == edits.StaleVersionError.code


def test_api_docs_load_nothing_from_elsewhere(client: TestClient) -> None:
    for page in ("/docs",):
        html = client.get(page).text
        assert "cdn." not in html and "fonts.googleapis" not in html and "unpkg" not in html
        for src in re.findall(r'(?:src|href)="([^"]+)"', html):
            if src.startswith("/"):
                assert client.get(src).status_code == 200, src
            else:
                assert src.startswith("data:"), src


def test_openapi_documents_problem_answers(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    op = doc["paths"]["/api/communities"]["get"]["responses"]
    for status in ("400", "401", "503"):
        assert "application/problem+json" in op[status]["content"]
    # a list names no record: no 404 (which statuses where: tests/api/test_error_statuses.py)
    assert "404" not in op
    one = doc["paths"]["/api/communities/{community_id}"]["get"]["responses"]
    assert "application/problem+json" in one["404"]["content"]


def test_batches_hide_people_and_files_below_editor(client: TestClient,
                                                    api_world: ApiWorld) -> None:
    hidden = {"file_name", "source_note", "recorded_by", "report"}
    for role in ("public", "network"):
        items = client.get("/api/batches", headers=auth(api_world, role)).json()["items"]
        assert items and all(not (hidden & set(i)) for i in items), role
        one = client.get(f"/api/batches/{items[0]['id']}", headers=auth(api_world, role)).json()
        assert not (hidden & set(one))
    editor = client.get("/api/batches", headers=auth(api_world, "editor")).json()["items"]
    assert all(hidden <= set(i) for i in editor)
