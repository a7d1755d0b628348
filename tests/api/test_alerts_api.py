"""``/api/alerts``, ``PATCH /api/alerts/{id}``, the Atom feeds and ``allpa alerts``, on the
API world's hand-made alerts (HF-001 public, ZZ-RED-1 network, ZZ-SECRETO-1 restricted)."""

from __future__ import annotations

import json

import feedparser
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ApiWorld, auth

#: the hand-made alerts' right (the sample's own import raises real alerts too)
CODE = "010000777"

VISIBLE = {"public": {"HF-001"}, "network": {"HF-001", "ZZ-RED-1"},
           "editor": {"HF-001", "ZZ-RED-1", "ZZ-SECRETO-1"},
           "admin": {"HF-001", "ZZ-RED-1", "ZZ-SECRETO-1"}}


@pytest.mark.parametrize("role", list(VISIBLE))
def test_alerts_follow_the_visibility_of_their_community(
    role: str, client: TestClient, api_world: ApiWorld
) -> None:
    body = client.get("/api/alerts", headers=auth(api_world, role)).json()
    mine = [a for a in body["alerts"] if a["code"] == CODE]
    assert {a["community_id"] for a in mine} == VISIBLE[role]
    assert body["count"] == len(body["alerts"])
    hf = next(a for a in mine if a["community_id"] == "HF-001")
    # the restricted spring the alert names is shown only to who may see it
    expected = ["AG-001", "ZZ-AGUA-SECRETA"] if role in ("editor", "admin") else ["AG-001"]
    assert hf["water_source_ids"] == expected
    assert hf["kind_label"] == "Nuevo derecho minero" and hf["state_label"] == "Nueva"
    assert "12,5 ha (5,0 % del territorio)" in hf["summary"]


def test_filters(client: TestClient, api_world: ApiWorld) -> None:
    admin = auth(api_world, "admin")

    def ids(query: str) -> set[str]:
        r = client.get(f"/api/alerts?{query}", headers=admin)
        assert r.status_code == 200, r.text
        return {a["community_id"] for a in r.json()["alerts"] if a["code"] == CODE}

    assert ids("community=HF-001") == {"HF-001"}
    assert ids("network=RED-01") >= {"ZZ-RED-1", "ZZ-SECRETO-1"}
    assert ids("district=2199") == VISIBLE["admin"]  # the sample is all in 2199
    assert ids("district=15") == set()
    assert ids("since=2999-01-01") == set()
    assert ids("since=2000-01-01") == VISIBLE["admin"]
    assert ids("state=descartada") == set()
    assert client.get("/api/alerts?state=rara").status_code == 400
    en = next(a for a in client.get("/api/alerts?lang=en&community=HF-001").json()["alerts"]
              if a["code"] == CODE)
    assert en["kind_label"] == "New mining right" and "of the territory" in en["summary"]


def test_state_changes_need_an_editor_and_keep_who_and_when(
    client: TestClient, api_world: ApiWorld
) -> None:
    alert = next(a for a in client.get("/api/alerts?community=ZZ-RED-1",
                                       headers=auth(api_world, "admin")).json()["alerts"]
                 if a["code"] == CODE)
    path = f"/api/alerts/{alert['id']}"
    assert client.patch(path, json={"state": "vista"}).status_code == 401
    assert client.patch(path, json={"state": "vista"},
                        headers=auth(api_world, "network")).status_code == 403
    assert client.patch(path, json={"state": "inventada"},
                        headers=auth(api_world, "editor")).status_code == 422
    r = client.patch(path, json={"state": "verificada"}, headers=auth(api_world, "editor"))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "verificada" and r.json()["state_by"] == "abogada"
    seen = client.get("/api/alerts?community=ZZ-RED-1&state=verificada",
                      headers=auth(api_world, "network")).json()["alerts"]
    assert [a["state_label"] for a in seen] == ["Verificada en campo"]
    assert seen[0]["state_by"] == "abogada" and seen[0]["state_at"]
    anonymous = client.get("/api/alerts?state=verificada").json()["alerts"]
    assert anonymous == []  # ZZ-RED-1 is not public
    assert client.patch("/api/alerts/999999", json={"state": "vista"},
                        headers=auth(api_world, "editor")).status_code == 404


@pytest.mark.parametrize("role", ["public", "network", "admin"])
def test_atom_feeds_are_valid_and_filtered(role: str, client: TestClient,
                                           api_world: ApiWorld) -> None:
    headers = auth(api_world, role)
    r = client.get("/feeds/networks/RED-01.atom", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/atom+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title.startswith("Alertas del catastro minero")
    mine = [e for e in feed.entries if CODE in e.title]
    shown = {c for c in ("ZZ-RED-1", "ZZ-SECRETO-1") if any(c in e.link for e in mine)}
    assert shown == VISIBLE[role] & {"ZZ-RED-1", "ZZ-SECRETO-1"}
    for e in feed.entries:
        assert e.id.startswith("urn:allpa:alert:") and e.updated and e.summary
        assert "/maps/community/" in e.link
    one = feedparser.parse(client.get("/feeds/communities/HF-001.atom", headers=headers)
                           .content)
    assert not one.bozo
    assert [e.title.split(" · ")[0] for e in one.entries if CODE in e.title] == [
        f"Nuevo derecho minero: {CODE}"]
    secret = client.get("/feeds/communities/ZZ-SECRETO-1.atom", headers=headers)
    assert secret.status_code == (200 if role == "admin" else 404)
    assert client.get("/feeds/networks/NO-EXISTE.atom").status_code == 404


def test_cli_lists_alerts(api_world: ApiWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from api.cli.main import app

    monkeypatch.setenv("ALLPA_DATABASE_URL", api_world.url)
    runner = CliRunner()
    table = runner.invoke(app, ["alerts", "--community", "ZZ-SECRETO-1"])
    assert table.exit_code == 0, table.output
    assert "ZZ-SECRETO-1" in table.output and "Nuevo derecho minero" in table.output
    out = runner.invoke(app, ["alerts", "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert {r["community_id"] for r in rows if r["code"] == CODE} == VISIBLE["admin"]
    bad = runner.invoke(app, ["alerts", "--format", "xml"])
    assert bad.exit_code != 0
