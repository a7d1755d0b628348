"""Versioned edits: If-Match / expected_vid, 409 when stale, history and as_of."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from tests.api.conftest import ApiWorld, auth


def test_edit_history_and_as_of(client: TestClient, api_world: ApiWorld) -> None:
    editor = auth(api_world, "editor")
    before = client.get("/api/communities/HF-002")
    old = before.json()
    r = client.patch("/api/communities/HF-002",
                     json={"legal_status": "in_process", "clause_water": True,
                           "board_term_end": "2031-05-01", "change_note": "Acta de asamblea"},
                     headers={**editor, "If-Match": before.headers["etag"]})
    assert r.status_code == 200, r.text
    new_vid = r.json()["vid"]
    assert r.json()["old_vid"] == old["vid"] != new_vid
    now = client.get("/api/communities/HF-002").json()
    assert now["legal_personality"]["status"] == "in_process"
    assert now["statute"]["clauses"]["water"] is True
    assert now["board"]["term_end"] == "2031-05-01"
    history = client.get("/api/communities/HF-002/history").json()["versions"]
    # (other tests of this shared world may have edited HF-002 earlier)
    assert [v["vid"] for v in history][-2:] == [old["vid"], new_vid]
    assert history[-1]["recorded_by"] == "abogada"
    assert history[-1]["change_note"] == "Acta de asamblea"
    assert history[-2]["valid_to"] is not None
    # the old state is still readable as of a moment before the edit
    at = history[-2]["valid_from"]
    then = client.get("/api/communities/HF-002", params={"as_of": at}).json()
    assert then["vid"] == old["vid"] and then["legal_status"] == old["legal_status"]
    listed = client.get("/api/communities", params={"as_of": at, "q": old["name"]}).json()
    assert old["vid"] in [i["vid"] for i in listed["items"]]
    yesterday = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    assert client.get(f"/api/communities/HF-002?as_of={yesterday}").status_code == 404
    assert client.get("/api/communities/HF-002").json()["vid"] == new_vid


def test_stale_edit_is_409(client: TestClient, api_world: ApiWorld) -> None:
    editor = auth(api_world, "editor")
    vid = client.get("/api/communities/HF-003").json()["vid"]
    ok = client.patch("/api/communities/HF-003", json={"procedure_stage": "uno",
                                                       "expected_vid": vid}, headers=editor)
    assert ok.status_code == 200
    stale = client.patch("/api/communities/HF-003", json={"procedure_stage": "dos"},
                         headers={**editor, "If-Match": f'"{vid}"'})
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert stale.json()["code"] == "stale_version"
    assert client.get("/api/communities/HF-003").json()["procedure"]["stage"] == "uno"


def test_edit_permissions_and_validation(client: TestClient, api_world: ApiWorld) -> None:
    vid = client.get("/api/communities/HF-004").json()["vid"]
    body = {"procedure_stage": "x", "expected_vid": vid}
    anon = client.patch("/api/communities/HF-004", json=body)
    assert anon.status_code == 401 and anon.json()["code"] == "auth_required"
    assert "Bearer" in anon.headers["www-authenticate"]
    assert "Basic" in anon.headers["www-authenticate"]  # QGIS prompts for the token
    member = client.patch("/api/communities/HF-004", json=body,
                          headers=auth(api_world, "network"))
    assert member.status_code == 403 and member.json()["code"] == "permission_denied"
    bad = client.patch("/api/communities/HF-004", json=body,
                       headers={"Authorization": "Bearer allpa_nope"})
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_token"
    editor = auth(api_world, "editor")
    nopre = client.patch("/api/communities/HF-004", json={"procedure_stage": "x"},
                         headers=editor)
    assert nopre.status_code == 428 and nopre.json()["code"] == "precondition_required"
    wrong = client.patch("/api/communities/HF-004", json={**body, "name": "Otro"},
                         headers=editor)
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_input"
    status = client.patch("/api/communities/HF-004", json={**body, "legal_status": "maybe"},
                          headers=editor)
    assert status.status_code == 422 and status.json()["code"] == "invalid_input"
    missing = client.patch("/api/communities/NOPE", json=body, headers=editor)
    assert missing.status_code == 404
