"""The network pages and the membership JSON per role: what each reader gets, and that
nothing hidden reaches them (members, history, counts); the map frame; the CLI."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli.main import app
from api.routes.network_pages import NetworkMembership
from tests.api.conftest import ROLES, ApiWorld, auth, hidden_markers

SECRET, NETWORK_ONLY = "ZZ-SECRETO-1", "ZZ-RED-1"


def _first_network(world: ApiWorld) -> str:
    with world.engine.connect() as conn:
        return str(conn.execute(sa.text(
            "SELECT id FROM network WHERE valid_to IS NULL ORDER BY id LIMIT 1")).scalar_one())


@pytest.mark.parametrize("role", ROLES)
def test_membership_json_per_role(client: TestClient, api_world: ApiWorld, role: str) -> None:
    nid = _first_network(api_world)
    r = client.get(f"/api/networks/{nid}/membership", headers=auth(api_world, role))
    assert r.status_code == 200, r.text
    body = NetworkMembership.model_validate(r.json())
    joined_later = {e.community_id for e in body.events if e.previous_vid is not None}
    # the fixture's second version added the restricted and the network-only community
    expected = {"public": set(), "network": {NETWORK_ONLY},
                "editor": {SECRET, NETWORK_ONLY}, "admin": {SECRET, NETWORK_ONLY}}[role]
    assert joined_later == expected
    assert all(e.recorded_by == "pytest" for e in body.events if e.previous_vid is not None)
    for marker in hidden_markers(api_world.engine, role):
        assert marker not in r.text, marker
    assert body.count == len(body.events)


def test_membership_unknown_network_is_404(client: TestClient) -> None:
    r = client.get("/api/networks/RED-NO-EXISTE/membership")
    assert r.status_code == 404 and r.json()["code"] == "network_not_found"


@pytest.mark.parametrize("role", ROLES)
def test_network_page_per_role(client: TestClient, api_world: ApiWorld, role: str) -> None:
    nid = _first_network(api_world)
    r = client.get(f"/redes/{nid}", headers=auth(api_world, role))
    assert r.status_code == 200 and r.headers["content-language"] == "es"
    html = r.text
    for marker in hidden_markers(api_world.engine, role):
        assert marker not in html, marker
    assert "Personería jurídica" in html and "Historial de miembros" in html
    assert "comunidad_campesina" not in html and ">registered<" not in html
    sees_cases = role in ("editor", "admin")
    assert ('id="deadlines"' in html) == sees_cases
    assert ('id="cases-hidden"' in html) == (not sees_cases)
    assert (NETWORK_ONLY in html) == (role != "public")
    assert f'src="/redes/{nid}/mapa?lang=es"' in html and "<svg" in html
    english = client.get(f"/redes/{nid}?lang=en", headers=auth(api_world, role))
    assert "Legal personality" in english.text and "Membership history" in english.text
    listing = client.get("/redes", headers=auth(api_world, role))
    assert listing.status_code == 200 and f'href="/redes/{nid}?lang=es"' in listing.text
    for marker in hidden_markers(api_world.engine, role):
        assert marker not in listing.text, marker


def test_member_counts_do_not_reveal_hidden_members(client: TestClient,
                                                    api_world: ApiWorld) -> None:
    nid = _first_network(api_world)
    counts = {}
    for role in ("public", "network", "editor"):
        html = client.get("/redes", headers=auth(api_world, role)).text
        card = html.split(f'data-network="{nid}"')[1].split("</li>")[0]
        counts[role] = int(card.split('class="count">')[1].split()[0])
    with api_world.engine.connect() as conn:
        levels = [str(s) for (s,) in conn.execute(sa.text(
            "SELECT c.sensitivity FROM community c, network n WHERE n.id = :n AND "
            "n.valid_to IS NULL AND c.valid_to IS NULL AND c.id = ANY(n.members)"),
            {"n": nid})]
    assert counts["public"] == levels.count("public")
    assert counts["network"] == levels.count("public") + levels.count("network")
    assert counts["editor"] == len(levels)


def test_framed_map_is_same_origin_only(client: TestClient, api_world: ApiWorld) -> None:
    nid = _first_network(api_world)
    r = client.get(f"/redes/{nid}/mapa")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    # offline: no script or style sheet from anywhere
    assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', r.text)
    page = client.get(f"/redes/{nid}")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    other = client.get(f"/maps/network/{nid}.html")
    assert other.headers["x-frame-options"] == "DENY"
    assert client.get("/redes/RED-NO-EXISTE").status_code == 404


def test_cli_networks_history(api_world: ApiWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLPA_DATABASE_URL", api_world.url)
    nid = _first_network(api_world)
    runner = CliRunner()
    table = runner.invoke(app, ["networks", "history", nid])
    assert table.exit_code == 0, table.output
    assert "Se unió" in table.output and SECRET in table.output  # the CLI is the operator
    english = runner.invoke(app, ["networks", "history", nid, "--lang", "en"])
    assert "Joined" in english.output
    as_json = runner.invoke(app, ["networks", "history", nid, "--format", "json"])
    body = NetworkMembership.model_validate(json.loads(as_json.output))
    assert {SECRET, NETWORK_ONLY} <= {e.community_id for e in body.events}
    missing = runner.invoke(app, ["networks", "history", "RED-NO-EXISTE"])
    assert missing.exit_code == 2 and "network_not_found" in missing.output
