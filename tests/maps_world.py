"""A dedicated, ANALYSED database for the map, dossier and browser tests, plus a live server.

The sample gets three extra records in network RED-01: a public community whose name is an
HTML injection, a restricted community and a restricted spring (which must never appear in
public outputs). Analysis runs once and is committed; the database is dropped at the end.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
import uvicorn
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy.engine import Engine

from layers import communities, networks, water
from layers.analysis import run_analysis
from layers.config import Settings, load_settings
from layers.versioning import write_snapshot
from tests.dbutil import fresh_database

INJECTION = "<script>alert(1)</script>"
INJECTION_ID = "ZZ-INYECCION"
RESTRICTED_ID = "ZZ-RESTRINGIDA"
RESTRICTED_NAME = "Comunidad Reservadisima Ukhu (prueba)"
RESTRICTED_SPRING = "Ojo de agua oculto Pukyu (prueba)"
NETWORK = "RED-01"


@dataclass(frozen=True)
class MapWorld:
    engine: Engine
    settings: Settings
    db_url: str


def _community(cid: str, name: str, sensitivity: str, x: float, y: float) -> dict[str, object]:
    row: dict[str, object] = {a: None for a in communities.ATTRIBUTES}
    row.update(id=cid, name=name, kind="comunidad_campesina", country="PE",
               admin_code="219901", title_status="titled", sensitivity=sensitivity,
               legal_status="none", procedure_what=f"lindero con {name}",
               territory=MultiPolygon([box(x, y, x + 0.012, y + 0.01)]),
               location=Point(x + 0.006, y + 0.005))
    return row


def _add_records(engine: Engine) -> None:
    with engine.begin() as conn:
        members = conn.execute(sa.text(
            "SELECT min(ST_X(location)), min(ST_Y(location)) FROM community c "
            "WHERE valid_to IS NULL AND id = ANY((SELECT members FROM network "
            "WHERE id = :n AND valid_to IS NULL)::text[])"), {"n": NETWORK}).one()
        x, y = float(members[0]), float(members[1])
        write_snapshot(conn, communities.community, "id", [
            _community(INJECTION_ID, INJECTION, "public", x - 0.03, y - 0.03),
            _community(RESTRICTED_ID, RESTRICTED_NAME, "restricted", x - 0.05, y - 0.03),
        ], recorded_by="pytest", batch_id=None, source="pytest", close_missing=False)
        write_snapshot(conn, water.water_source, "id", [
            {"id": "ZZ-AGUA-OCULTA", "name": RESTRICTED_SPRING, "kind": "spring",
             "use": "human", "sensitivity": "restricted", "geom": Point(x - 0.024, y - 0.025)},
        ], recorded_by="pytest", batch_id=None, source="pytest", close_missing=False)
        n = networks.network
        red = conn.execute(sa.select(n.c.id, n.c.name, n.c.description, n.c.members)
                           .where(n.c.valid_to.is_(None), n.c.id == NETWORK)).mappings().one()
        write_snapshot(conn, n, "id", [{**red, "members": sorted(
            [*red["members"], INJECTION_ID, RESTRICTED_ID])}],
            recorded_by="pytest", batch_id=None, source="pytest", close_missing=False)


def map_world_fixture(settings: Settings, suffix: str) -> Iterator[MapWorld]:
    with fresh_database(settings, suffix, sample=True) as engine:
        _add_records(engine)
        url = engine.url.render_as_string(hide_password=False)
        world_settings = load_settings(database_url=url)
        with engine.begin() as conn:
            run_analysis(conn, world_settings, recorded_by="pytest", full=True)
        yield MapWorld(engine=engine, settings=world_settings, db_url=url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    host: str
    port: int


def live_server(world: MapWorld) -> Iterator[LiveServer]:
    """uvicorn in a thread on a free 127.0.0.1 port, serving ``create_app`` on ``world``."""
    from api.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(world.settings), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the Allpa server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(base_url=f"http://127.0.0.1:{port}", host="127.0.0.1", port=port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
