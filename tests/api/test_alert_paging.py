"""``/api/alerts`` in pages (limit/offset, ``total`` counted by the database, ``next`` and a
``Link: rel="next"`` header), the response deadline in the API, the Atom feed and
``allpa alerts``, on the API world's alerts plus one stamped with a deadline."""

from __future__ import annotations

import datetime as dt
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
        "counts_from": "filing", "from": "2026-03-02",
        # stamped before deadlines recorded their move: nothing is invented for it
        "window_end": None, "moved": None, "calendar_warning": None}
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


@pytest.fixture
def stamped_late(api_world: ApiWorld) -> Iterator[int]:
    """HF-001's hand-made alert stamped by the real Peruvian rule for a petition filed on
    1 Dec 2027: its window ends on Sunday 30 Jan 2028, in a year the calendar does not
    cover (put back afterwards)."""
    from geo.rule_files import load_rules

    rules = load_rules("PE")
    rule = rules.deadline_for("new")
    assert rule is not None
    record = rule.due({"filing": dt.date(2027, 12, 1)}, rules.calendar)
    assert record is not None
    with api_world.engine.begin() as conn:
        alert_id = int(conn.execute(sa.text(
            "UPDATE alert SET response_due = :d, response = CAST(:r AS jsonb) "
            "WHERE id = (SELECT min(id) FROM alert WHERE community_id = 'HF-001' "
            "AND code = '010000777') RETURNING id"),
            {"d": record["due"], "r": json.dumps(record)}).scalar_one())
    try:
        yield alert_id
    finally:
        with api_world.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alert SET response_due = NULL, response = NULL "
                                 "WHERE id = :i"), {"i": alert_id})


def test_alerts_page_and_feed_explain_the_move_and_warn(
        stamped_late: int, client: TestClient, api_world: ApiWorld) -> None:
    editor = auth(api_world, "editor")
    html = client.get("/alertas?community=HF-001&size=200", headers=editor).text
    assert '<span class="due">2028-01-31</span>' in html
    assert ('<p class="moved">vence el dom. 30/01/2028 → se traslada al lun. 31/01/2028 '
            '(día inhábil: fin de semana)</p>') in html
    assert "Atención: el calendario de feriados no cubre 2028" in html
    html_en = client.get("/alertas?community=HF-001&size=200&lang=en", headers=editor).text
    assert "ends on Sun 2028-01-30 → moved to Mon 2028-01-31 (non-working day: weekend)" in \
        html_en and "Warning: the holiday calendar does not cover 2028" in html_en
    api = client.get("/api/alerts?community=HF-001&limit=500").json()["alerts"]
    mine = next(a for a in api if a["id"] == stamped_late)["deadline"]
    assert mine["window_end"] == "2028-01-30" and mine["due"] == "2028-01-31"
    assert mine["calendar_warning"].startswith("Atención")
    feed = feedparser.parse(client.get("/feeds/communities/HF-001.atom").text)
    entry = next(e for e in feed.entries if e.id == f"urn:allpa:alert:{stamped_late}")
    assert "Plazo de respuesta: 31/01/2028" in entry.summary
    assert "se traslada al lun. 31/01/2028" in entry.summary
    assert "no cubre 2028" in entry.summary
    # the agenda (its window is still open): the page, the JSON and the CSV carry the note
    page = client.get("/plazos", headers=editor).text
    assert f'data-alert="{stamped_late}"' in page
    assert ('<p class="deadline-note" role="note">vence el dom. 30/01/2028 → se traslada al '
            'lun. 31/01/2028') in page
    items = client.get("/api/agenda", headers=editor).json()["items"]
    item = next(i for i in items if i["alert_id"] == stamped_late)
    assert item["deadline"] == "2028-01-31" and "no cubre 2028" in item["deadline_note"]
    assert all(i["deadline_note"] is None for i in items if i["case_id"])
    csv_text = client.get("/api/agenda?format=csv", headers=editor).text
    assert "no cubre 2028" in csv_text
