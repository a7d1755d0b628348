"""``/api/alerts`` in pages (limit/offset, ``total`` counted by the database, ``next`` and a
``Link: rel="next"`` header), the response deadline in the API, the Atom feed and
``allpa alerts``, on the API world's alerts plus one stamped with a deadline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import feedparser
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.conftest import ApiWorld, auth

DEADLINE = {"rule": "PE-PLAZO-OPOSICION", "due": "2026-05-01", "counts_from": "filing",
            "from": "2026-03-02", "days": 60, "day_type": "calendar",
            "what_es": "Presentar oposición al petitorio minero", "what_en": "File an opposition",
            "reference_es": "D.S. 018-92-EM (orientativa)",
            "reference_en": "D.S. 018-92-EM (indicative)"}


@pytest.fixture
def stamped(api_world: ApiWorld) -> Iterator[int]:
    """The public HF-001's hand-made alert gets a response deadline (put back afterwards)."""
    with api_world.engine.begin() as conn:
        alert_id = int(conn.execute(sa.text(
            "UPDATE alert SET response_due = '2026-05-01', response = CAST(:r AS jsonb) "
            "WHERE id = (SELECT min(id) FROM alert WHERE community_id = 'HF-001' "
            "AND code = '010000777') RETURNING id"), {"r": json.dumps(DEADLINE)}).scalar_one())
    try:
        yield alert_id
    finally:
        with api_world.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alert SET response_due = NULL, response = NULL "
                                 "WHERE id = :i"), {"i": alert_id})


def _count(api_world: ApiWorld, where: str = "true") -> int:
    with api_world.engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM alert WHERE {where}"))
                   .scalar_one())


@pytest.mark.parametrize("role", ["admin", "public"])
def test_pages_cover_every_alert_once_newest_first(role: str, client: TestClient,
                                                   api_world: ApiWorld) -> None:
    headers = auth(api_world, role)
    everything = client.get("/api/alerts?limit=1000", headers=headers).json()
    assert everything["total"] == len(everything["alerts"]) > 2
    if role == "admin":
        assert everything["total"] == _count(api_world)
    seen: list[dict[str, Any]] = []
    url: str | None = "/api/alerts?limit=2"
    while url:
        r = client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["count"] == len(body["alerts"]) <= 2 and body["total"] == \
            everything["total"]
        seen += body["alerts"]
        url = body["next"]
        if url:
            assert r.headers["link"] == f'<{url}>; rel="next"'
            assert "limit=2" in url and f"offset={body['offset'] + 2}" in url
        else:
            assert "link" not in r.headers
    assert [a["id"] for a in seen] == [a["id"] for a in everything["alerts"]]
    keys = [(a["created_at"], a["id"]) for a in seen]
    assert keys == sorted(keys, reverse=True)


def test_total_only_and_filters(client: TestClient, api_world: ApiWorld) -> None:
    admin = auth(api_world, "admin")
    body = client.get("/api/alerts?state=nueva&limit=0", headers=admin).json()
    assert body["alerts"] == [] and body["next"] is None
    assert body["total"] == _count(api_world, "state = 'nueva'")
    public = client.get("/api/alerts?limit=0").json()["total"]
    assert public < body["total"]  # the public does not count hidden communities' alerts
    assert client.get("/api/alerts?limit=-1").status_code == 400
    assert client.get("/api/alerts?limit=1001").status_code == 400
    beyond = client.get("/api/alerts?offset=100000", headers=admin).json()
    assert beyond["alerts"] == [] and beyond["next"] is None


def test_deadline_in_api_feed_and_cli(stamped: int, client: TestClient, api_world: ApiWorld,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    rows = client.get("/api/alerts?community=HF-001&limit=500").json()["alerts"]
    mine = next(a for a in rows if a["id"] == stamped)
    assert mine["deadline"] == {
        "due": "2026-05-01", "what": "Presentar oposición al petitorio minero",
        "reference": "D.S. 018-92-EM (orientativa)",
        "counted": "60 días calendario desde la fecha del petitorio (02/03/2026)",
        "rule": "PE-PLAZO-OPOSICION", "days": 60, "day_type": "calendar",
        "counts_from": "filing", "from": "2026-03-02"}
    # the other hand-made alerts have no deadline (the sample's own import raised real
    # alerts, which got theirs from the rule file)
    assert all(a["deadline"] is None for a in rows
               if a["id"] != stamped and a["code"] == "010000777")
    en = client.get("/api/alerts?community=HF-001&lang=en&limit=500").json()["alerts"]
    assert next(a for a in en if a["id"] == stamped)["deadline"]["what"] == \
        "File an opposition"

    feed = feedparser.parse(client.get("/feeds/communities/HF-001.atom").text)
    entry = next(e for e in feed.entries if e.id == f"urn:allpa:alert:{stamped}")
    assert "Plazo de respuesta: 01/05/2026 – Presentar oposición al petitorio minero" in \
        entry.summary and "D.S. 018-92-EM" in entry.summary
    feed_en = feedparser.parse(client.get("/feeds/communities/HF-001.atom?lang=en").text)
    entry = next(e for e in feed_en.entries if e.id == f"urn:allpa:alert:{stamped}")
    assert "Response deadline: 2026-05-01 – File an opposition" in entry.summary

    from typer.testing import CliRunner

    from api.cli.main import app

    monkeypatch.setenv("ALLPA_DATABASE_URL", api_world.url)
    out = CliRunner().invoke(app, ["alerts", "--community", "HF-001"])
    assert out.exit_code == 0, out.output
    head = out.output.splitlines()[0]
    assert head.split()[-1] == "plazo"
    line = next(x for x in out.output.splitlines() if x.startswith(f"{stamped} "))
    assert line.rstrip().endswith("2026-05-01")
    assert f"{stamped}: Plazo de respuesta: 01/05/2026 – Presentar oposición" in out.output
    page = CliRunner().invoke(app, ["alerts", "--limit", "1", "--format", "json"])
    assert page.exit_code == 0 and len(json.loads(page.output)) == 1
