"""Alert delivery against real servers: a local SMTP server (aiosmtpd) receives one digest per
subscriber, a local HTTP receiver checks the HMAC and fails twice before accepting, nothing
is sent twice, and a failed delivery is retried until it goes out."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from shapely.geometry import MultiPolygon, Point, box, mapping
from sqlalchemy.engine import Connection

from geo.errors import InputError, NotFoundError
from layers import communities, delivery
from layers.config import Settings, load_settings
from layers.delivery_tables import delivery as delivery_table
from layers.versioning import write_snapshot
from layers.watch import watch
from tests.api.conftest import add_fixtures
from tests.dbutil import fresh_database
from tests.maps_world import free_port
from tests.smtp_inbox import Inbox, smtp_server

T0 = dt.datetime(2030, 5, 1, 12, 0, tzinfo=dt.UTC)
CODE = "010000777"  # the right of the hand-made alerts


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as served:
        yield served


@pytest.fixture
def world(sample_conn: Connection) -> Connection:
    """The API world's hand-made alerts (HF-001 public, ZZ-RED-1 network, ZZ-SECRETO-1
    restricted; the latter two in network RED-01) and its users, rolled back afterwards."""
    add_fixtures(sample_conn)
    return sample_conn


def _network_of(conn: Connection) -> str:
    return str(conn.execute(sa.text(
        "SELECT id FROM network WHERE valid_to IS NULL AND 'ZZ-RED-1' = ANY(members)"))
        .scalar_one())


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_one_digest_per_subscriber_visibility_language_and_retry(
        world: Connection, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    red = _network_of(world)
    delivery.subscribe(world, subscriber="miembro", email="miembro@red.example",
                       scope="network", scope_id=red)
    # the same member also follows one community of the network: still one digest
    delivery.subscribe(world, subscriber="miembro", email="miembro@red.example",
                       scope="community", scope_id="ZZ-RED-1")
    delivery.subscribe(world, subscriber="abogada", email="abogada@example.org",
                       scope="network", scope_id=red)
    delivery.subscribe(world, subscriber="vecina@example.org", scope="network", scope_id=red,
                       lang="en")

    # the SMTP server is not reachable at first: every delivery fails and is kept
    down = load_settings(smtp_host="127.0.0.1", smtp_port=free_port())
    out = delivery.deliver(world, down, T0)
    assert (out.sent, out.emails) == (0, 0) and out.failed == 4
    states = world.execute(sa.select(delivery_table.c.state, delivery_table.c.attempts,
                                     delivery_table.c.next_attempt_at)).all()
    assert {(s, a, n) for s, a, n in states} == {("failed", 1, T0 + dt.timedelta(minutes=1))}

    up = load_settings(smtp_host="127.0.0.1", smtp_port=port, smtp_from="alertas@allpa.test")
    assert delivery.send_due(world, up, T0 + dt.timedelta(seconds=30)).sent == 0  # backing off
    out = delivery.deliver(world, up, T0 + dt.timedelta(minutes=1))
    assert (out.sent, out.failed) == (4, 0)
    by_to = {str(m["To"]): m for m in inbox.messages}
    # one digest per subscriber address
    assert len(inbox.messages) == 3
    assert set(by_to) == {"miembro@red.example", "abogada@example.org", "vecina@example.org"}

    member = by_to["miembro@red.example"]
    assert member["From"] == "alertas@allpa.test"
    text = _body(member)
    hf = str(world.execute(sa.text("SELECT name FROM community WHERE id = 'HF-001' "
                                   "AND valid_to IS NULL")).scalar_one())
    # the public HF-001 and the network's ZZ-RED-1, not the restricted one nor its spring
    assert member["Subject"] == "Allpa: 2 alertas nuevas del catastro minero"
    assert hf in text and "ZZ-AGUA-SECRETA" not in text
    assert "Comunidad de Red Uraypampa (prueba)" in text and "Nuevo derecho minero" in text
    assert "12,5 ha (5,0 % del territorio)" in text
    assert "Secretisima" not in text  # restricted community: not for a network member
    lawyer = _body(by_to["abogada@example.org"])
    assert "Secretisima" in lawyer and "Uraypampa" in lawyer
    assert by_to["abogada@example.org"]["Subject"].startswith("Allpa: 3 alertas nuevas")
    # a bare address reads as the public: neither network nor restricted communities
    public = by_to["vecina@example.org"]
    assert public["Subject"] == "Allpa: 1 new mining cadastre alert"
    assert "New mining right" in _body(public) and hf in _body(public)
    assert "Uraypampa" not in _body(public) and "Secretisima" not in _body(public)
    assert "comunidad_campesina" not in text and "new" not in text.split()

    # nothing is sent twice
    again = delivery.deliver(world, up, T0 + dt.timedelta(days=2))
    assert (again.sent, again.failed, again.emails) == (0, 0, 0)
    assert len(inbox.messages) == 3


class _Receiver(BaseHTTPRequestHandler):
    fail_first = 2
    secret = b""
    hits: ClassVar[list[tuple[int, str, bool, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        want = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        good = hmac.compare_digest(want, self.headers.get("X-Allpa-Signature", ""))
        status = 500 if len(self.hits) < self.fail_first else (200 if good else 401)
        self.hits.append((status, self.headers.get("X-Allpa-Delivery", ""), good,
                          json.loads(body)))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[type[_Receiver], str]]:
    handler = type("Receiver", (_Receiver,), {"hits": [], "secret": b"s3creto-de-la-red"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}/alertas"
    finally:
        server.shutdown()
        server.server_close()


def test_signed_webhook_fails_twice_then_arrives_once(
        world: Connection, receiver: tuple[type[_Receiver], str]) -> None:
    handler, url = receiver
    settings = load_settings()
    delivery.subscribe(world, subscriber="miembro", scope="network", channel="webhook",
                       scope_id=_network_of(world), webhook_url=url,
                       secret="s3creto-de-la-red")
    assert delivery.deliver(world, settings, T0).failed == 1
    assert delivery.send_due(world, settings, T0 + dt.timedelta(seconds=59)).failed == 0
    assert delivery.send_due(world, settings, T0 + dt.timedelta(minutes=1)).failed == 1
    # second failure: back-off of 5 minutes
    assert delivery.send_due(world, settings, T0 + dt.timedelta(minutes=5)).failed == 0
    assert delivery.send_due(world, settings, T0 + dt.timedelta(minutes=6)).sent == 1
    statuses = [h[0] for h in handler.hits]
    assert statuses == [500, 500, 200]
    assert all(h[2] for h in handler.hits)  # every attempt was signed correctly
    assert len({h[1] for h in handler.hits}) == 1  # the same delivery id each time
    payload = handler.hits[-1][3]
    assert {a["community_id"] for a in payload["alerts"] if a["code"] == CODE} == \
        {"HF-001", "ZZ-RED-1"}  # the restricted ZZ-SECRETO-1 is not for a network member
    assert payload["lang"] == "es" and payload["alerts"][0]["summary"].endswith(".")
    log = delivery.delivery_log(world)
    assert [(r["state"], r["attempts"], r["last_error"]) for r in log] == [("sent", 3, None)]
    assert delivery.deliver(world, settings, T0 + dt.timedelta(days=3)).sent == 0
    assert len(handler.hits) == 3


def test_backoff_grows_and_is_capped() -> None:
    assert [delivery.backoff(n) for n in (1, 2, 3)] == [
        dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=25)]
    assert delivery.backoff(20) == dt.timedelta(days=1)


def test_bad_subscriptions_are_refused_in_both_languages(conn: Connection) -> None:
    for kwargs in ({"channel": "sms"}, {"frequency": "hourly"},
                   {"channel": "webhook", "webhook_url": "http://x"}):
        with pytest.raises(InputError) as err:
            delivery.subscribe(conn, subscriber="a@b.example", scope="network",
                               scope_id="RED-01", **kwargs)
        assert err.value.code == "invalid_subscription"
        assert " / " in str(err.value) or err.value.message
    with pytest.raises(InputError):
        delivery.subscribe(conn, subscriber="sin-correo", scope="community", scope_id="X")


def test_daily_subscription_gets_at_most_one_delivery_a_day(
        world: Connection, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    up = load_settings(smtp_host="127.0.0.1", smtp_port=port)
    delivery.subscribe(world, subscriber="abogada", email="abogada@example.org",
                       scope="community", scope_id="HF-001", frequency="daily")
    assert delivery.deliver(world, up, T0).emails == 1
    world.execute(sa.text(
        "INSERT INTO alert (community_id, change_id, kind, code, hectares, share) "
        "SELECT 'HF-001', change_id, 'new', '010000888', 1.0, 0.01 FROM alert "
        "WHERE code = :c LIMIT 1"), {"c": CODE})
    assert delivery.deliver(world, up, T0 + dt.timedelta(hours=23)).emails == 0
    assert delivery.deliver(world, up, T0 + dt.timedelta(hours=24)).emails == 1
    assert "010000888" in _body(inbox.messages[-1])


def _cadastre(path: Path, codes: list[str]) -> Path:
    feats = [{"type": "Feature", "geometry": mapping(box(-70.0 + i * 0.02, -15.0,
                                                          -69.99 + i * 0.02, -14.99)),
              "properties": {"CODIGOU": code, "CONCESION": f"Derecho {code}",
                             "TIT_CONCES": "MINERA PRUEBA S.A.C.", "D_ESTADO": "TITULADO"}}
             for i, code in enumerate(codes)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}),
                    encoding="utf-8")
    return path


def test_watch_imports_what_is_new_and_sends_nothing_twice(
        settings: Settings, smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp
    with fresh_database(settings, "watch") as engine:
        with engine.begin() as conn:
            row: dict[str, Any] = {a: None for a in communities.ATTRIBUTES}
            row.update(id="CC-VIGIA", name="Comunidad Vigía (prueba)",
                       kind="comunidad_campesina", country="PE", admin_code="219901",
                       title_status="titled", sensitivity="public", legal_status="none",
                       territory=MultiPolygon([box(-70.005, -15.005, -69.975, -14.985)]),
                       location=Point(-69.99, -14.995))
            write_snapshot(conn, communities.community, "id", [row], recorded_by="t",
                           batch_id=None, source="t", close_missing=False)
            delivery.subscribe(conn, subscriber="vigia@example.org", scope="community",
                               scope_id="CC-VIGIA")
        s = load_settings(database_url=engine.url.render_as_string(hide_password=False),
                          smtp_host="127.0.0.1", smtp_port=port)
        folder = tmp_path / "catastro"
        folder.mkdir()
        _cadastre(folder / "2030-05-01.geojson", ["W1"])
        first = watch(engine, s, folder, source="zona", recorded_by="t")
        assert first.imported == ["2030-05-01.geojson"] and first.analysed
        assert (first.sent, first.emails) == (1, 1) and len(inbox.messages) == 1
        assert "Derecho W1" in _body(inbox.messages[0])

        again = watch(engine, s, folder, source="zona", recorded_by="t")
        assert again.imported == [] and again.skipped == ["2030-05-01.geojson"]
        assert (again.sent, again.emails, again.analysed) == (0, 0, False)
        assert len(inbox.messages) == 1

        # a new cut of the cadastre: only its new right goes out
        _cadastre(folder / "2030-06-01.geojson", ["W1", "W2"])
        third = watch(engine, s, folder, source="zona", recorded_by="t")
        assert third.imported == ["2030-06-01.geojson"] and third.emails == 1
        last = _body(inbox.messages[-1])
        assert "W2" in last and "W1" not in last


def test_subscribe_cli_asks_for_one_scope_in_both_languages() -> None:
    from typer.testing import CliRunner

    from api.cli.main import app

    result = CliRunner().invoke(app, ["subscribe", "vigia@example.org"])
    assert result.exit_code == 2
    assert "Indique --network, --community o --district" in result.output
    assert "Pass exactly one of --network, --community or --district" in result.output


def test_a_stopped_subscription_gets_nothing_and_is_kept(world: Connection) -> None:
    sid = delivery.subscribe(world, subscriber="abogada", email="abogada@example.org",
                             scope="community", scope_id="HF-001")
    delivery.unsubscribe(world, sid)
    assert delivery.plan(world, T0) == 0
    assert world.execute(sa.text("SELECT active FROM subscription WHERE id = :i"),
                         {"i": sid}).scalar_one() is False
    with pytest.raises(NotFoundError):
        delivery.unsubscribe(world, sid + 1000)


def test_a_stopped_subscription_s_failed_delivery_is_not_retried(
        world: Connection, smtp: tuple[Inbox, int]) -> None:
    """Removing a subscription (e.g. on /avisos) also stops the retries of what failed; the
    delivery stays in the log as it was."""
    inbox, port = smtp
    sid = delivery.subscribe(world, subscriber="abogada", email="abogada@example.org",
                             scope="community", scope_id="HF-001")
    down = load_settings(smtp_host="127.0.0.1", smtp_port=free_port())
    assert delivery.deliver(world, down, T0).failed == 1
    delivery.unsubscribe(world, sid)
    up = load_settings(smtp_host="127.0.0.1", smtp_port=port)
    assert delivery.send_due(world, up, T0 + dt.timedelta(hours=1)).sent == 0
    assert inbox.messages == []
    assert [(r["state"], r["attempts"]) for r in delivery.delivery_log(world)] == \
        [("failed", 1)]
