"""People manage their own alert subscriptions over HTTP, per role, on real PostGIS: members
follow their own network (not another), hidden communities are "not found", the public gets
401, webhooks are for admins (secret shown once), cookie writes need the CSRF token, a
removed subscription is stopped and kept with its delivery log; and a subscription made
through the API receives its digest on a real local SMTP server after ``deliver``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes import subscriptions as models
from layers import delivery, users
from layers.alert_tables import alert
from layers.config import Settings, load_settings
from layers.delivery_tables import delivery as delivery_table
from tests.api.alert_fixtures import add_alerts
from tests.api.conftest import ApiWorld, _api_world, auth
from tests.api.session_util import csrf_of, sign_in
from tests.dbutil import fresh_database
from tests.smtp_inbox import Inbox, smtp_server

OTHER_NETWORK = "RED-02"


def _network_of_member(world: ApiWorld) -> str:
    with world.engine.connect() as conn:
        return str(conn.execute(sa.text(
            "SELECT id FROM network WHERE valid_to IS NULL AND 'ZZ-RED-1' = ANY(members)"))
            .scalar_one())


def _post(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/subscriptions", json=body, headers=headers)


def test_member_follows_own_network_and_visible_communities_only(
        client: TestClient, api_world: ApiWorld) -> None:
    member = auth(api_world, "network")
    own = _network_of_member(api_world)
    assert own == "RED-01"
    r = _post(client, member, scope="network", id=own, address="miembro@red.example",
              frequency="daily")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["scope"], body["scope_id"], body["frequency"], body["active"]) == \
        ("network", own, "daily", True)
    assert body["subscriber"] == "miembro" and body["secret"] is None
    assert body["scope_name"] and r.headers["location"] == f"/api/subscriptions/{body['id']}"
    # another network: refused as "not found" (no hint it exists)
    r = _post(client, member, scope="network", id=OTHER_NETWORK, address="m@red.example")
    assert r.status_code == 404 and r.json()["code"] == "scope_not_found"
    assert "RED-02" in r.json()["message_es"] and r.json()["message_en"]
    # a network community of their network: yes; a restricted one: "not found"
    assert _post(client, member, scope="community", id="ZZ-RED-1",
                 address="m@red.example").status_code == 201
    assert _post(client, member, scope="community", id="ZZ-SECRETO-1",
                 address="m@red.example").status_code == 404
    # a district holding communities they may see
    assert _post(client, member, scope="district", id="2199",
                 address="m@red.example").status_code == 201
    assert _post(client, member, scope="district", id="999999",
                 address="m@red.example").status_code == 404
    mine = client.get("/api/subscriptions", headers=member).json()
    models.SubscriptionList.model_validate(mine)
    assert mine["count"] == len(mine["subscriptions"]) >= 3
    assert {s["subscriber"] for s in mine["subscriptions"]} == {"miembro"}
    assert all("secret" not in s for s in mine["subscriptions"])
    # a bad address or value: 422 in both languages
    bad = _post(client, member, scope="network", id=own, address="no-es-correo")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_subscription"
    assert bad.json()["message_es"] != bad.json()["message_en"]
    assert _post(client, member, scope="network", id=own, address="a@b.example",
                 frequency="hourly").status_code == 422


def test_the_public_cannot_subscribe(client: TestClient, api_world: ApiWorld) -> None:
    for r in (client.get("/api/subscriptions"), client.get("/api/deliveries"),
              _post(client, {}, scope="community", id="HF-001", address="a@b.example"),
              client.delete("/api/subscriptions/1")):
        assert r.status_code == 401, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    with api_world.engine.begin() as conn:
        users.create_user(conn, "lectora", "public")
        token = users.issue_token(conn, "lectora")
    reader = {"Authorization": f"Bearer {token}"}
    r = _post(client, reader, scope="community", id="HF-001", address="a@b.example")
    assert r.status_code == 403, r.text
    assert client.get("/api/subscriptions", headers=reader).json()["count"] == 0


def test_webhooks_are_for_admins_and_the_secret_is_shown_once(
        client: TestClient, api_world: ApiWorld) -> None:
    hook = {"scope": "network", "id": "RED-01", "channel": "webhook",
            "url": "https://red.example/hook"}
    for role in ("network", "editor"):
        r = _post(client, auth(api_world, role), **hook)
        assert r.status_code == 403, (role, r.text)
    admin = auth(api_world, "admin")
    r = _post(client, admin, **hook)
    assert r.status_code == 201, r.text
    made = r.json()
    models.CreatedSubscription.model_validate(made)  # the documented contract
    assert made["channel"] == "webhook" and len(made["secret"]) >= 32
    listed = client.get("/api/subscriptions", headers=admin).json()["subscriptions"]
    assert made["id"] in {s["id"] for s in listed}
    assert made["secret"] not in client.get("/api/subscriptions?all=1", headers=admin).text
    with api_world.engine.connect() as conn:  # the secret is stored, for signing
        stored = conn.execute(sa.text("SELECT secret FROM subscription WHERE id = :i"),
                              {"i": made["id"]}).scalar_one()
    assert stored == made["secret"]
    bad = _post(client, admin, **{**hook, "url": "ftp://red.example/hook"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_subscription"


def test_cookie_writes_need_the_csrf_token(api_world: ApiWorld) -> None:
    with api_world.engine.begin() as conn:
        users.set_password(conn, "miembro", "clave-de-miembro-1")
    browser = TestClient(create_app(api_world.settings))
    with browser:
        assert sign_in(browser, "miembro", "clave-de-miembro-1")[0] == 303
        body = {"scope": "community", "id": "HF-001", "address": "miembro@red.example"}
        refused = browser.post("/api/subscriptions", json=body)
        assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
        wrong = browser.post("/api/subscriptions", json=body,
                             headers={"X-CSRF-Token": "otro-token"})
        assert wrong.status_code == 403
        csrf = {"X-CSRF-Token": csrf_of(browser)}
        made = browser.post("/api/subscriptions", json=body, headers=csrf)
        assert made.status_code == 201, made.text
        sid = made.json()["id"]
        assert browser.delete(f"/api/subscriptions/{sid}").status_code == 403
        assert browser.get("/api/subscriptions").status_code == 200  # reads need no token
        assert browser.delete(f"/api/subscriptions/{sid}", headers=csrf).json()["active"] \
            is False


def test_removing_stops_and_keeps_the_row_and_its_deliveries(
        client: TestClient, api_world: ApiWorld) -> None:
    member, admin, editor = (auth(api_world, r) for r in ("network", "admin", "editor"))
    sid = _post(client, member, scope="community", id="HF-001",
                address="miembro@red.example").json()["id"]
    with api_world.engine.begin() as conn:  # a delivery waiting for it (HF-001's alert)
        now = dt.datetime.now(dt.UTC)
        conn.execute(sa.insert(delivery_table).values(
            subscription_id=sid, next_attempt_at=now, created_at=now,
            alert_ids=sa.select(sa.func.array_agg(alert.c.id))
            .where(alert.c.community_id == "HF-001").scalar_subquery()))
    log = client.get(f"/api/deliveries?subscription={sid}", headers=admin).json()
    models.DeliveryLog.model_validate(log)
    assert log["count"] == 1
    entry = log["deliveries"][0]
    assert (entry["status"], entry["attempts"], entry["subscriber"]) == \
        ("pending", 0, "miembro")
    assert entry["next_attempt_at"] and entry["alerts"] == len(entry["alert_ids"]) >= 1
    # somebody else's: "not found" (editors are not admins)
    assert client.delete(f"/api/subscriptions/{sid}", headers=editor).status_code == 404
    gone = client.delete(f"/api/subscriptions/{sid}", headers=member)
    assert gone.status_code == 200 and gone.json()["active"] is False
    models.Subscription.model_validate(gone.json())
    active = client.get("/api/subscriptions", headers=member).json()["subscriptions"]
    assert sid not in {s["id"] for s in active}
    kept = client.get("/api/subscriptions?stopped=1", headers=member).json()["subscriptions"]
    assert [s["active"] for s in kept if s["id"] == sid] == [False]
    assert client.get(f"/api/deliveries?subscription={sid}",
                      headers=admin).json()["count"] == 1  # the log is intact
    assert client.delete("/api/subscriptions/999999", headers=member).status_code == 404
    # an admin may stop anyone's
    other = _post(client, editor, scope="network", id="RED-02",
                  address="abogada@example.org").json()["id"]
    assert client.delete(f"/api/subscriptions/{other}", headers=admin).json()["active"] \
        is False


def test_delivery_log_and_everybody_s_list_are_for_admins(
        client: TestClient, api_world: ApiWorld) -> None:
    for role in ("network", "editor"):
        assert client.get("/api/deliveries", headers=auth(api_world, role)).status_code == 403
        assert client.get("/api/subscriptions?all=1",
                          headers=auth(api_world, role)).status_code == 403
    admin = auth(api_world, "admin")
    _post(client, auth(api_world, "editor"), scope="community", id="ZZ-SECRETO-1",
          address="abogada@example.org")
    everyone = client.get("/api/subscriptions?all=1", headers=admin).json()["subscriptions"]
    assert "abogada" in {s["subscriber"] for s in everyone}
    pending = client.get("/api/deliveries?status=pending", headers=admin).json()
    assert all(d["status"] == "pending" for d in pending["deliveries"])
    assert client.get("/api/deliveries?status=lost", headers=admin).status_code == 400


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as served:
        yield served


def test_a_subscription_made_over_http_receives_its_digest(
        settings: Settings, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    with fresh_database(settings, "subs_e2e", sample=True) as engine:
        world = next(_api_world(engine))
        with TestClient(create_app(world.settings)) as c:
            r = c.post("/api/subscriptions", headers=auth(world, "network"), json={
                "scope": "network", "id": "RED-01", "address": "miembro@red.example",
                "frequency": "daily", "lang": "en"})
            assert r.status_code == 201, r.text
        with engine.begin() as conn:  # the cadastre changes after the subscription
            add_alerts(conn, {"ZZ-RED-1": [], "ZZ-SECRETO-1": []}, code="010000955")
        up = load_settings(database_url=world.url, smtp_host="127.0.0.1", smtp_port=port,
                           smtp_from="alertas@allpa.test")
        with engine.begin() as conn:
            out = delivery.deliver(conn, up, dt.datetime.now(dt.UTC))
        assert (out.emails, out.failed) == (1, 0)
        [msg] = inbox.messages
        assert msg["To"] == "miembro@red.example" and msg["From"] == "alertas@allpa.test"
        assert msg["Subject"] == "Allpa: 1 new mining cadastre alert"
        part = msg.get_body(("plain",))
        assert part is not None
        text = str(part.get_content())
        assert "Uraypampa" in text and "Secretisima" not in text  # restricted: not for them
        with engine.begin() as conn:  # daily: nothing more today, nothing twice
            assert delivery.deliver(conn, up, dt.datetime.now(dt.UTC)).emails == 0
        assert len(inbox.messages) == 1
