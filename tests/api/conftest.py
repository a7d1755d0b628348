"""API test fixtures: a dedicated database (sample + sensitive records + flags + users),
the app on it, tokens per role, and the secrets that must never leak to the wrong role.

The API tests write (edits, uploads), so they get their own database instead of mutating the
shared ``sample_engine`` one; it is created and dropped like the conftest's fixtures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy.engine import Connection, Engine

from api.app import create_app
from layers import communities, derived_tables, networks, users, water
from layers.config import Settings, load_settings
from layers.versioning import write_snapshot
from tests.api.alert_fixtures import add_alerts
from tests.dbutil import fresh_database

ROLES = ("public", "network", "editor", "admin")

#: Off-grid public spring: the public must see it at (-69.61, -15.12).
PUBLIC_SPRING = ("ZZ-AGUA-PUB", -69.61234, -15.12345)


@dataclass(frozen=True)
class ApiWorld:
    engine: Engine
    settings: Settings
    url: str
    tokens: dict[str, str | None]


def _community(cid: str, name: str, sensitivity: str, x: float, y: float) -> dict[str, object]:
    row: dict[str, object] = {a: None for a in communities.ATTRIBUTES}
    poly = MultiPolygon([box(x, y, x + 0.01, y + 0.01)])
    row.update(id=cid, name=name, kind="comunidad_campesina", country="PE",
               admin_code="219901", title_status="titled", sensitivity=sensitivity,
               legal_status="none", territory=poly, location=Point(x + 0.005, y + 0.005))
    return row


def _water(wid: str, name: str, sensitivity: str, x: float, y: float) -> dict[str, object]:
    return {"id": wid, "name": name, "kind": "spring", "use": "human",
            "sensitivity": sensitivity, "geom": Point(x, y)}


def add_fixtures(conn: Connection) -> None:
    """Sensitive records, a flag and overlaps that name them, and users of every role."""
    write_snapshot(conn, communities.community, "id", [
        _community("ZZ-SECRETO-1", "Comunidad Secretisima Qhapaq (prueba)", "restricted",
                   -69.70, -15.20),
        _community("ZZ-RED-1", "Comunidad de Red Uraypampa (prueba)", "network", -69.68, -15.20),
    ], recorded_by="pytest", batch_id=None, source="pytest", close_missing=False)
    write_snapshot(conn, water.water_source, "id", [
        _water("ZZ-AGUA-SECRETA", "Ojo de agua escondido Pukyu (prueba)", "restricted",
               -69.6111, -15.1111),
        _water("ZZ-AGUA-RED", "Manantial de la red Yaku (prueba)", "network", -69.6222, -15.1222),
        _water(PUBLIC_SPRING[0], "Manantial publico Chiri (prueba)", "public",
               PUBLIC_SPRING[1], PUBLIC_SPRING[2]),
    ], recorded_by="pytest", batch_id=None, source="pytest", close_missing=False)
    n = networks.network
    red = conn.execute(sa.select(n.c.id, n.c.name, n.c.description, n.c.members)
                       .where(n.c.valid_to.is_(None)).order_by(n.c.id).limit(1)).mappings().one()
    write_snapshot(conn, n, "id", [{**red, "members": sorted([*red["members"], "ZZ-SECRETO-1",
                                                              "ZZ-RED-1"])}],
                   recorded_by="pytest", batch_id=None, source="pytest", close_missing=False)
    run_id = conn.execute(sa.insert(derived_tables.analysis_run).values(
        mode="full", recorded_by="pytest").returning(derived_tables.analysis_run.c.id)
    ).scalar_one()
    first = "HF-001"
    flag_common = {"run_id": run_id, "severity": "high", "message_es": "Alerta de prueba",
                   "message_en": "Test flag", "legal_ref": "Ley 24656"}
    conn.execute(sa.insert(derived_tables.flag), [
        {**flag_common, "community_id": first, "rule_id": "test_rule",
         "evidence": {"water": ["ZZ-AGUA-SECRETA", "AG-001"],
                      "note": "cerca de Ojo de agua escondido Pukyu (prueba)"},
         "due_date": dt.date(2030, 1, 1)},
        {**flag_common, "community_id": "ZZ-SECRETO-1", "rule_id": "test_rule",
         "evidence": {}, "due_date": None},
    ])
    conn.execute(sa.insert(derived_tables.overlap), [
        {"run_id": run_id, "community_id": first, "other_kind": "community",
         "other_id": "ZZ-SECRETO-1", "intersection_ha": 1.5, "share": 0.01,
         "details": {"name": "Comunidad Secretisima Qhapaq (prueba)"}},
        {"run_id": run_id, "community_id": first, "other_kind": "concession",
         "other_id": "010000001", "intersection_ha": 12.0, "share": 0.05, "details": {}},
    ])
    add_alerts(conn, {first: ["ZZ-AGUA-SECRETA", "AG-001"], "ZZ-SECRETO-1": [],
                      "ZZ-RED-1": ["ZZ-AGUA-RED"]})
    users.create_user(conn, "miembro", "network", ["RED-01"])
    users.create_user(conn, "abogada", "editor")
    users.create_user(conn, "admin", "admin")


@pytest.fixture(scope="session")
def api_world(settings: Settings) -> Iterator[ApiWorld]:
    with fresh_database(settings, "api", sample=True) as engine:
        yield from _api_world(engine)


def _api_world(engine: Engine) -> Iterator[ApiWorld]:
    with engine.begin() as conn:
        add_fixtures(conn)
        tokens: dict[str, str | None] = {
            "public": None,
            "network": users.issue_token(conn, "miembro"),
            "editor": users.issue_token(conn, "abogada"),
            "admin": users.issue_token(conn, "admin"),
        }
    url = engine.url.render_as_string(hide_password=False)
    # no analysis worker: the hand-made flags of these fixtures must stay as they are
    world_settings = load_settings(database_url=url, worker=False)
    yield ApiWorld(engine=engine, settings=world_settings, url=url, tokens=tokens)


@pytest.fixture(scope="session")
def client(api_world: ApiWorld) -> Iterator[TestClient]:
    with TestClient(create_app(api_world.settings)) as c:
        yield c


def auth(world: ApiWorld, role: str) -> dict[str, str]:
    token = world.tokens[role]
    return {"Authorization": f"Bearer {token}"} if token else {}


def hidden_markers(engine: Engine, role: str) -> set[str]:
    """Ids and names of records ``role`` must never see (names shared with visible records
    are left out: they would not prove a leak)."""
    allowed = {"public": ("public",), "network": ("public", "network"),
               "editor": ("public", "network", "restricted"),
               "admin": ("public", "network", "restricted")}[role]
    hidden: set[str] = set()
    shown: set[str] = set()
    with engine.connect() as conn:
        for table in ("community", "water_source"):
            rows = conn.execute(sa.text(f"SELECT id, name, sensitivity FROM {table} "
                                        "WHERE valid_to IS NULL"))
            for key, name, sens in rows:
                (shown if sens in allowed else hidden).update({key, name})
    return {h for h in hidden - shown if h}
