"""Following a district (Bolivia: a municipality), on real PostGIS, read as a hostile reader
would: a member may follow a district only when it holds a community they may see; any other
answers 404 AND is missing from the "Mis avisos" form, by the same rule (checked for every
district of the database, for members of two networks). A district is shown by its name
and the units above it, never as a bare code. ``allpa subscribe --district`` takes a code
or an unambiguous name; an unknown or ambiguous one is a bilingual error with exit code 2.

Its own database: the hidden districts added here must not change the shared API world.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy.engine import Connection, Engine
from typer.testing import CliRunner

from api.app import create_app
from api.cli.main import app as cli
from layers import boundaries, communities, networks, subscriptions, users
from layers.config import Settings, load_settings
from layers.users import Principal
from layers.versioning import write_snapshot
from tests.dbutil import fresh_database

HIDDEN = ("219977", "Distrito Oculto Ukhu (prueba)")  # only a restricted community
OTHER = ("219978", "Distrito de Otra Red Saywa (prueba)")  # only a network community of RED-02
SEEN = ("219901", "Qhapaq Marka (Huancané (ficticia), Puno)")  # public sample communities
ESCOMA = ("020405", "Escoma (La Paz)")  # a Bolivian municipality of the sample
NAMESAKE = "Santa Rosa Ch'alla (prueba)"  # a Peruvian district and a Bolivian municipality
MEMBER, OTHER_MEMBER = Principal("miembro-1", "network", ("RED-01",)), \
    Principal("miembro-2", "network", ("RED-02",))


@dataclass(frozen=True)
class World:
    engine: Engine
    url: str
    client: TestClient
    tokens: dict[str, str]


def _unit(level: str, code: str, name: str, parent: str | None, country: str,
          x: float) -> dict[str, Any]:
    return {"key": f"{level}:{code}", "code": code, "level": level, "name": name,
            "parent_code": parent, "country": country,
            "geom": MultiPolygon([box(x, -15.0, x + 0.01, -14.99)])}


def _community(cid: str, code: str, sensitivity: str, x: float) -> dict[str, Any]:
    row: dict[str, Any] = {a: None for a in communities.ATTRIBUTES}
    row.update(id=cid, name=f"Comunidad {cid} (prueba)", kind="comunidad_campesina",
               country="PE", admin_code=code, title_status="titled", sensitivity=sensitivity,
               legal_status="none", territory=MultiPolygon([box(x, -15.3, x + 0.01, -15.29)]),
               location=Point(x + 0.005, -15.295))
    return row


def _add(conn: Connection) -> None:
    snap = {"recorded_by": "pytest", "batch_id": None, "source": "pytest",
            "close_missing": False}
    write_snapshot(conn, boundaries.boundary, "key", [
        _unit("province", "2199", "Huancané (ficticia)", "21", "PE", -69.0),
        _unit("district", HIDDEN[0], HIDDEN[1], "2199", "PE", -69.1),
        _unit("district", OTHER[0], OTHER[1], "2199", "PE", -69.2),
        _unit("district", "219979", NAMESAKE, "2199", "PE", -69.3),
        _unit("bo_department", "02", "La Paz", None, "BO", -68.5),
        _unit("municipality", ESCOMA[0], "Escoma", "02", "BO", -68.6),
        _unit("municipality", "020499", NAMESAKE, "02", "BO", -68.7),
    ], **snap)
    write_snapshot(conn, communities.community, "id", [
        _community("ZZ-DIST-OCULTA", HIDDEN[0], "restricted", -69.75),
        _community("ZZ-DIST-RED2", OTHER[0], "network", -69.73),
    ], **snap)
    n = networks.network
    red = conn.execute(sa.select(n.c.id, n.c.name, n.c.description, n.c.members)
                       .where(n.c.valid_to.is_(None), n.c.id == "RED-02")).mappings().one()
    write_snapshot(conn, n, "id", [{**red, "members": [*red["members"], "ZZ-DIST-RED2"]}],
                   **snap)
    for p in (MEMBER, OTHER_MEMBER):
        users.create_user(conn, p.name, p.role, list(p.networks))
    users.create_user(conn, "abogada", "editor")
    users.create_user(conn, "lectora", "public")


@pytest.fixture(scope="module")
def world(settings: Settings) -> Iterator[World]:
    with fresh_database(settings, "subsdist", sample=True) as engine:
        with engine.begin() as conn:
            _add(conn)
            tokens = {name: users.issue_token(conn, name)
                      for name in (MEMBER.name, OTHER_MEMBER.name, "abogada", "lectora")}
        url = engine.url.render_as_string(hide_password=False)
        with TestClient(create_app(load_settings(database_url=url, worker=False))) as client:
            yield World(engine, url, client, tokens)


def _auth(world: World, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[name]}"}


def _post(world: World, name: str, code: str) -> Any:
    return world.client.post("/api/subscriptions", headers=_auth(world, name), json={
        "scope": "district", "id": code, "address": f"{name}@red.example"})


def _offered(world: World, name: str) -> dict[str, str]:
    """The form's district options on /avisos, value -> text, as the browser gets them."""
    import re

    page = world.client.get("/avisos", headers=_auth(world, name))
    assert page.status_code == 200, page.text[:300]
    return dict(re.findall(r'<option value="district:(\d+)">([^<]*)</option>', page.text))


def test_a_member_follows_a_district_they_may_see_by_its_name(world: World) -> None:
    made = _post(world, MEMBER.name, SEEN[0])
    assert made.status_code == 201, made.text
    assert (made.json()["scope"], made.json()["scope_id"], made.json()["scope_name"]) == \
        ("district", *SEEN)
    listed = world.client.get("/api/subscriptions", headers=_auth(world, MEMBER.name)).json()
    assert [(s["scope_id"], s["scope_name"]) for s in listed["subscriptions"]
            if s["scope"] == "district"] == [SEEN]
    page = world.client.get("/avisos", headers=_auth(world, MEMBER.name)).text
    assert f"Distrito: {SEEN[1]}".replace("'", "&#39;") in page
    offered = _offered(world, MEMBER.name)
    assert offered[SEEN[0]] == SEEN[1] and offered[ESCOMA[0]] == ESCOMA[1]
    # the sample's other Bolivian municipalities have no boundary: named by code system and
    # department, after the named ones
    names = list(offered.values())
    assert "INE 020201 (La Paz)" in names
    unnamed = [n.startswith(("INE ", "ubigeo ")) for n in names]
    assert unnamed == sorted(unnamed) and not unnamed[0]


def test_a_district_the_member_may_not_see_is_not_found_and_not_offered(world: World) -> None:
    for code in (HIDDEN[0], OTHER[0], "21997"):  # "21997": a prefix of both, as a probe
        r = _post(world, MEMBER.name, code)
        assert r.status_code == 404 and r.json()["code"] == "scope_not_found", (code, r.text)
    offered = _offered(world, MEMBER.name)
    page = world.client.get("/avisos?lang=en", headers=_auth(world, MEMBER.name)).text
    for code, name in (HIDDEN, OTHER):
        assert code not in offered and name not in page
    # positive controls: the scan above can fail
    assert OTHER[0] in _offered(world, OTHER_MEMBER.name)
    assert HIDDEN[0] not in _offered(world, OTHER_MEMBER.name)
    assert _post(world, OTHER_MEMBER.name, OTHER[0]).status_code == 201
    assert {HIDDEN[0], OTHER[0]} <= set(_offered(world, "abogada"))
    # the public may follow nothing
    assert _post(world, "lectora", SEEN[0]).status_code == 403
    assert world.client.post("/api/subscriptions", json={
        "scope": "district", "id": SEEN[0], "address": "a@b.example"}).status_code == 401


def test_the_form_offers_exactly_the_districts_that_may_be_followed(world: World) -> None:
    """For every district of the database and every reader: offered <=> followable."""
    with world.engine.connect() as conn:
        codes = set(conn.execute(sa.text(
            "SELECT DISTINCT left(admin_code, 6) FROM community WHERE valid_to IS NULL "
            "AND admin_code ~ '^[0-9]{6}'")).scalars())
        codes |= set(conn.execute(sa.text(
            "SELECT code FROM boundary WHERE valid_to IS NULL")).scalars())
        assert {HIDDEN[0], OTHER[0], SEEN[0], ESCOMA[0]} <= codes
        for who in (MEMBER, OTHER_MEMBER, Principal("abogada", "editor")):
            offered = {d["id"]: d["name"] for d in subscriptions.choices(conn, who)["districts"]}
            followable = {c: subscriptions.scope_name(conn, who, "district", c) for c in codes}
            assert set(offered) == {c for c, name in followable.items()
                                    if name is not None and len(c) == 6}, who
            assert all(offered[c] == followable[c] for c in offered)
            assert all(not name.isdigit() for name in offered.values())  # never a bare code
        assert subscriptions.choices(conn, Principal("lectora", "public"))["districts"] == []


def _cli(world: World, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.setenv("ALLPA_DATABASE_URL", world.url)
    return CliRunner().invoke(cli, list(args))


def test_subscribe_cli_takes_a_district_code_or_name(world: World,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    by_code = _cli(world, monkeypatch, "subscribe", "vigia@example.org", "--district", SEEN[0])
    assert by_code.exit_code == 0, by_code.output
    assert SEEN[1] in by_code.output
    by_name = _cli(world, monkeypatch, "subscribe", "vigia@example.org", "--district", "ESCOMA",
                   "--frequency", "daily")
    assert by_name.exit_code == 0, by_name.output
    assert ESCOMA[1] in by_name.output
    full = _cli(world, monkeypatch, "subscribe", "vigia@example.org", "--district",
                "qhapaq marka (huancane (ficticia), puno)")
    assert full.exit_code == 0, full.output
    with world.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT scope, scope_id, frequency FROM subscription WHERE subscriber = "
            "'vigia@example.org' ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("district", SEEN[0], "immediate"),
                                        ("district", ESCOMA[0], "daily"),
                                        ("district", SEEN[0], "immediate")]
    listed = _cli(world, monkeypatch, "subscriptions")
    assert listed.exit_code == 0, listed.output
    mine = [s for s in json.loads(listed.output) if s["subscriber"] == "vigia@example.org"]
    assert [(s["scope_id"], s["scope_name"]) for s in mine] == [SEEN, ESCOMA, SEEN]
    assert "secret" not in listed.output


def test_subscribe_cli_refuses_an_unknown_or_ambiguous_district(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for typed in ("Atlantida", "999999"):
        out = _cli(world, monkeypatch, "subscribe", "vigia@example.org", "--district", typed)
        assert out.exit_code == 2, out.output
        assert "unknown_district" in out.output
        assert f"No se conoce el distrito '{typed}'" in out.output
        assert f"Unknown district '{typed}'" in out.output
    twice = _cli(world, monkeypatch, "subscribe", "vigia@example.org", "--district",
                 "santa rosa ch'alla (prueba)")
    assert twice.exit_code == 2 and "ambiguous_district" in twice.output
    assert "Hay 2 distritos llamados" in twice.output and "2 districts are called" in twice.output
    assert "= 219979" in twice.output and "= 020499" in twice.output  # the codes to choose
    assert f"{NAMESAKE} (Huancané (ficticia), Puno)" in twice.output
    assert f"{NAMESAKE} (La Paz)" in twice.output
    both = _cli(world, monkeypatch, "subscribe", "vigia@example.org", "--network", "RED-01",
                "--district", SEEN[0])
    assert both.exit_code == 2 and "--district" in both.output
    with world.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM subscription WHERE scope_id IN "
                                    "('219979', '020499', '999999')")).scalar_one() == 0
