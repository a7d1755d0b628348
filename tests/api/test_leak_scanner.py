"""The hostile reader: after records are reclassified, no read path shows a hidden record.

On the analysed sample, a community with history and neighbours and a spring that starts a
stream (and one named by a flag) are reclassified ``restricted``; a network member of RED-02
and one of RED-01 are added. For each role every read path — lists, detail, history,
``as_of``, search, flags, batches, OGC items, decoded vector tiles, exports, HTML maps,
dossier HTML and PDF — is searched for the ids and every version's names of what that role
may not see, and for their exact coordinates (for anonymous visitors also the exact position
of every public spring, which they only see generalised — e.g. as the first vertex of a
stream). The markers are computed here with plain SQL, independently of
``layers.visibility``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import mapbox_vector_tile
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import to_shape
from pypdf import PdfReader
from sqlalchemy.engine import Connection, Engine

from api.app import create_app
from layers import communities, delivery, networks, users, water
from layers.analysis import run_analysis
from layers.config import Settings, load_settings
from layers.conflicts import social_conflict
from layers.versioning import write_snapshot
from tests.api.alert_fixtures import add_alerts
from tests.dbutil import fresh_database

ROLES = ("anonymous", "other_network", "network", "editor")
USERS = {"other_network": ("red2", "network", ["RED-02"]),
         "network": ("red1", "network", ["RED-01"]),
         "editor": ("abogado", "editor", [])}


@dataclass
class LeakWorld:
    engine: Engine
    client: TestClient
    tokens: dict[str, str | None]
    community: str          # reclassified restricted, with an earlier public version
    neighbour: str          # a visible community whose flags/overlaps named it
    spring: str             # a spring at the start of a stream, reclassified restricted
    flagged_spring: str     # a spring named by a flag, reclassified restricted
    before: str             # a moment when all three were still public
    case: str = "TR-FUGA-1"  # a case of the neighbour with a document, deadline and alert
    document: int = 0


def _row(conn: Connection, table: sa.Table, key: str) -> dict[str, Any]:
    return dict(conn.execute(sa.select(table).where(table.c.id == key,
                                                   table.c.valid_to.is_(None))).mappings().one())


def _revise(engine: Engine, table: sa.Table, key: str, **changes: Any) -> None:
    with engine.begin() as conn:
        row = _row(conn, table, key)
        for col in ("vid", "valid_from", "valid_to", "recorded_by", "import_batch_id",
                    "source", "change_note", "row_hash"):
            row.pop(col, None)
        row = {k: to_shape(v) if isinstance(v, WKBElement) else v for k, v in row.items()}
        row.update(changes)
        write_snapshot(conn, table, "id", [row], recorded_by="pytest", batch_id=None,
                       source="pytest", close_missing=False)


def _pick(conn: Connection) -> tuple[str, str, str, str]:
    neighbour_pair = conn.execute(sa.text("""
        SELECT o.other_id, o.community_id FROM overlap o
        JOIN community a ON a.id = o.other_id AND a.valid_to IS NULL AND a.sensitivity='public'
        JOIN community b ON b.id = o.community_id AND b.valid_to IS NULL
             AND b.sensitivity = 'public'
        WHERE o.valid_to IS NULL AND o.other_kind = 'community'
        ORDER BY o.intersection_ha DESC LIMIT 1""")).one()
    spring = conn.execute(sa.text("""
        SELECT s.id FROM water_source s JOIN water_source l
          ON l.valid_to IS NULL AND GeometryType(l.geom) = 'LINESTRING'
         AND ST_Equals(ST_StartPoint(l.geom), s.geom)
        WHERE s.valid_to IS NULL AND s.kind = 'spring' AND s.sensitivity = 'public'
        ORDER BY s.id LIMIT 1""")).scalar_one()
    flagged = conn.execute(sa.text("""
        SELECT w.id FROM flag f, jsonb_array_elements_text(f.evidence->'water_in_concession_ids')
             AS e(id) JOIN water_source w ON w.id = e.id AND w.valid_to IS NULL
             AND w.sensitivity = 'public'
        WHERE f.valid_to IS NULL
          AND jsonb_array_length(f.evidence->'water_in_concession_ids') = 1
        ORDER BY w.id LIMIT 1""")).scalar_one()
    return str(neighbour_pair[0]), str(neighbour_pair[1]), str(spring), str(flagged)


@pytest.fixture(scope="module")
def leak_world(settings: Settings) -> Iterator[LeakWorld]:
    with fresh_database(settings, "leaks", sample=True) as engine:
        with engine.begin() as conn:
            run_analysis(conn, settings, recorded_by="pytest", full=True)
            target, neighbour, spring, flagged = _pick(conn)
            tokens: dict[str, str | None] = {"anonymous": None}
            for role, (name, kind, nets) in USERS.items():
                users.create_user(conn, name, kind, nets)
                tokens[role] = users.issue_token(conn, name)
        with engine.connect() as conn:  # a conflict names the community (and so lists it)
            named = _row(conn, social_conflict, "CS-0001")["communities"]
        _revise(engine, social_conflict, "CS-0001", communities=sorted({*named, target}))
        _revise(engine, communities.community, target,
                name="Nombre anterior secreto Wiñay (prueba)")
        with engine.connect() as conn:
            before = conn.execute(sa.text("SELECT now()")).scalar_one().isoformat()
        _revise(engine, communities.community, target, sensitivity="restricted",
                name="Nombre reservado Ch'aska (prueba)")
        _revise(engine, water.water_source, spring, sensitivity="restricted")
        _revise(engine, water.water_source, flagged, sensitivity="restricted")
        for nid in ("RED-01", "RED-03"):  # a membership change naming the hidden community
            with engine.begin() as conn:
                net = {k: v for k, v in _row(conn, networks.network, nid).items()
                       if k in ("id", "name", "description", "members")}
                write_snapshot(conn, networks.network, "id", [
                    {**net, "members": sorted({*net["members"], target, neighbour})}],
                    recorded_by="pytest", batch_id=None, source="pytest", close_missing=False,
                    change_note=f"se suman {target} y {neighbour}")
        with engine.begin() as conn:  # cadastre alerts naming the hidden records
            add_alerts(conn, {target: [spring, flagged], neighbour: [spring, flagged]})
            # ... with an open response deadline: in /api/alerts, the feeds and the agenda
            conn.execute(sa.text(
                "UPDATE alert SET response_due = current_date + 30, response = CAST(:r AS "
                "jsonb) WHERE community_id IN (:t, :n) AND code = '010000777'"),
                {"t": target, "n": neighbour, "r": json.dumps({
                    "rule": "PE-PLAZO-OPOSICION", "due": "2099-01-01",
                    "counts_from": "detection", "from": "2098-11-02", "days": 60,
                    "day_type": "calendar", "what_es": "Oponerse", "what_en": "Oppose",
                    "reference_es": "D.S. 018-92-EM", "reference_en": "D.S. 018-92-EM"})})
            document = _add_case_file(conn, neighbour)
            # subscriptions made while the community was public (issue 13: /avisos)
            for who in ("red1", "red2", "abogado"):
                delivery.subscribe(conn, subscriber=who, email=f"{who}@red.example",
                                   scope="community", scope_id=target)
            delivery.subscribe(conn, subscriber="red1", email="red1@red.example",
                               scope="network", scope_id="RED-01", frequency="daily")
            delivery.plan(conn, dt.datetime.now(dt.UTC))
        url = engine.url.render_as_string(hide_password=False)
        with TestClient(create_app(load_settings(database_url=url))) as client:
            yield LeakWorld(engine, client, tokens, target, neighbour, spring, flagged, before,
                            document=document)


def _add_case_file(conn: Connection, community: str) -> int:
    """A case of a visible community with an intake record, a deadline, a document and a
    linked alert: none of it may reach a reader who is not an editor."""
    from pypdf import PdfWriter

    from layers import case_deadlines, case_documents, cases
    from layers.users import Principal

    editor = Principal("pytest-editor", "editor")
    cases.create_case(conn, {"id": "TR-FUGA-1", "community_id": community, "type": "titling",
                             "intake_who": "Solicitante Reservada Sumaq (prueba)",
                             "intake_contact": "contacto-reservado-951"}, principal=editor)
    case_deadlines.add_deadline(conn, editor, "TR-FUGA-1", due="2031-01-01",
                                what="Plazo reservado Illapa (prueba)")
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    doc = case_documents.attach(conn, editor, "TR-FUGA-1", out.getvalue(),
                                "Escrito reservado Inti.pdf", limit_bytes=10**7,
                                title="Escrito reservado Inti (prueba)")
    alert_id = conn.execute(sa.text("SELECT min(id) FROM alert WHERE community_id = :c"),
                            {"c": community}).scalar_one()
    cases.link_alert(conn, editor, "TR-FUGA-1", int(alert_id))
    return int(doc["id"])


def _case_secrets(conn: Connection) -> set[str]:
    """Everything under cases (ids, intake, deadlines, documents, hashes), by plain SQL."""
    words: set[str] = set()
    for query in ("SELECT id, intake_who, intake_contact FROM legal_case",
                  "SELECT what, NULL, NULL FROM case_deadline",
                  "SELECT title, NULL, NULL FROM case_document",
                  "SELECT file_name, sha256, note FROM case_document_version"):
        for row in conn.execute(sa.text(query)):
            words.update(v for v in row if v)
    return words


# --- what each role must not see (plain SQL, not layers.visibility) -------------------------


@dataclass
class Hidden:
    words: set[str]
    points: list[tuple[float, float]]


def _hidden(engine: Engine, role: str) -> Hidden:
    nets = USERS[role][2] if role in USERS else []
    sees = {"anonymous": {"public"}, "other_network": {"public"},
            "network": {"public"}, "editor": {"public", "network", "restricted"}}[role]
    words: set[str] = set()
    shown: set[str] = set()
    points: list[tuple[float, float]] = []
    with engine.connect() as conn:
        members = {m for (ms,) in conn.execute(sa.text(
            "SELECT members FROM network WHERE valid_to IS NULL AND id = ANY(:n)"), {"n": nets})
            for m in ms}
        for table, geom, kind in (("community", "location", "kind"),
                                  ("water_source", "geom", "kind")):
            rows = conn.execute(sa.text(f"""
                SELECT DISTINCT ON (id) id, sensitivity, {kind} AS kind,
                       ST_X(ST_PointOnSurface({geom})) AS x, ST_Y(ST_PointOnSurface({geom})) AS y,
                       GeometryType({geom}) AS gt,
                       (SELECT array_agg(DISTINCT name) FROM {table} v WHERE v.id = t.id) AS names,
                       (SELECT bool_or(ST_Intersects(c.territory, t.{geom})) FROM community c
                         WHERE c.valid_to IS NULL AND c.id = ANY(:m)) AS in_net
                FROM {table} t ORDER BY id, vid DESC"""),
                {"m": list(members)}).mappings()
            for r in rows:
                ok = r["sensitivity"] in sees or (
                    r["sensitivity"] == "network" and role != "editor" and nets and (
                        r["id"] in members if table == "community" else bool(r["in_net"])))
                names = {n for n in (r["names"] or []) if n}
                if ok:
                    shown.update({r["id"], *names})
                    if role == "anonymous" and table == "water_source" and r["gt"] == "POINT" \
                            and r["kind"] == "spring" and not _on_grid(r["x"], r["y"]):
                        points.append((float(r["x"]), float(r["y"])))  # generalised for them
                else:
                    words.update({r["id"], *names})
                    if r["gt"] == "POINT":
                        points.append((float(r["x"]), float(r["y"])))
        if role != "editor":  # cases and everything under them: editors only
            words.update(_case_secrets(conn) - shown)
        # actors, conflicts and actors' positions (issue 14 item 3): actors and positions
        # have no network scope (network records are for editors); a conflict is a network
        # member's when it lies in the territory of one of its member communities
        for table, text, located in (("actor", "name", False), ("social_conflict", "name", True),
                                     ("actor_position", "position", False)):
            in_net = ("(SELECT bool_or(ST_Intersects(c.territory, t.location)) FROM community c"
                      " WHERE c.valid_to IS NULL AND c.id = ANY(:m))") if located else "false"
            rows = conn.execute(sa.text(f"""
                SELECT DISTINCT ON (id) id, sensitivity, {in_net} AS in_net,
                       (SELECT array_agg(DISTINCT {text}) FROM {table} v WHERE v.id = t.id)
                       AS names
                FROM {table} t ORDER BY id, vid DESC"""), {"m": list(members)}).mappings()
            for r in rows:
                ok = r["sensitivity"] in sees or (
                    r["sensitivity"] == "network" and role != "editor" and bool(nets)
                    and bool(r["in_net"]))
                (shown if ok else words).update({r["id"], *(n for n in r["names"] or [] if n)})
    return Hidden(words - shown, points)


def _on_grid(x: float, y: float, grid: float = 0.01) -> bool:
    return all(abs(v / grid - round(v / grid)) < 1e-6 for v in (x, y))


# --- the scanner --------------------------------------------------------------------------


def _word_re(words: set[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    alts = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alts})(?![\w-])")


_PAIR = re.compile(r"(-?\d{1,3}\.\d{4,})[,\s\]\)\"']+\s*(-?\d{1,3}\.\d{4,})")


def _coords_in_text(text: str) -> Iterator[tuple[float, float]]:
    for a, b in _PAIR.findall(text):
        x, y = float(a), float(b)
        yield (x, y)
        yield (y, x)  # Leaflet writes [lat, lon]


def _near(p: tuple[float, float], q: tuple[float, float], tol: float) -> bool:
    return abs(p[0] - q[0]) <= tol and abs(p[1] - q[1]) <= tol


def _tile_coords(data: bytes, z: int, x: int, y: int) -> Iterator[tuple[float, float]]:
    decoded = mapbox_vector_tile.decode(data)
    n = 2 ** z
    for layer in decoded.values():
        extent = layer.get("extent", 4096)
        for feat in layer["features"]:
            stack: list[Any] = [feat["geometry"]["coordinates"]]
            while stack:
                item = stack.pop()
                if (isinstance(item, (list, tuple)) and len(item) == 2
                        and all(isinstance(v, (int, float)) for v in item)):
                    px, py = item
                    lon = (x + px / extent) / n * 360.0 - 180.0
                    merc = math.pi * (1 - 2 * (y + 1 - py / extent) / n)
                    yield (lon, math.degrees(math.atan(math.sinh(merc))))
                elif isinstance(item, (list, tuple)):
                    stack.extend(item)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _xlsx_text(data: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                     for v in row if v is not None)


def _paths(w: LeakWorld) -> list[str]:
    before = w.before.replace("+", "%2B")
    paths = [
        "/api/communities?limit=1000", "/api/communities?limit=1000&f=geojson",
        f"/api/communities?limit=1000&as_of={before}", "/api/communities?q=secreto&limit=100",
        f"/api/communities?q=Wi%C3%B1ay&as_of={before}", "/api/communities?q=reservado",
        f"/api/communities/{w.community}", f"/api/communities/{w.community}/history",
        f"/api/communities/{w.community}?as_of={before}",
        f"/api/communities/{w.neighbour}", f"/api/communities/{w.neighbour}?lang=en",
        f"/api/communities/{w.neighbour}/history",
        "/api/water?limit=1000", "/api/water?limit=1000&f=geojson",
        f"/api/water?limit=1000&as_of={before}", f"/api/water/{w.spring}?as_of={before}",
        "/api/flags?limit=1000", "/api/flags?limit=1000&lang=en", "/api/networks",
        "/api/batches", "/map/severity.json", f"/map/panel/{w.neighbour}.json",
        "/ogc/collections/communities/items?limit=1000",
        f"/ogc/collections/communities/items?limit=1000&datetime={before}",
        f"/ogc/collections/communities/items/{w.community}",
        "/ogc/collections/water/items?limit=1000",
        f"/ogc/collections/water/items?limit=1000&as_of={before}",
        "/api/communities/export?format=geojson", "/api/communities/export?format=csv",
        "/api/communities/export?format=kml", "/api/water/export?format=geojson",
        "/api/water/export?format=csv", "/api/water/export?format=kml",
        "/maps/network/RED-01.html", "/maps/network/RED-02.html",
        f"/maps/community/{w.neighbour}.html", f"/reports/community/{w.neighbour}.html",
        f"/reports/community/{w.neighbour}.pdf", "/?f=html",
        f"/map/search.json?q={w.community}", "/map/search.json?q=reservado",
        "/api/programme/indicators?detail=true",
        f"/api/programme/indicators?detail=true&as_of={before}",
        "/api/programme/indicators/cases_opened/communities",
        "/api/programme/indicators/flags_open/communities?network=RED-01",
        "/programa", "/programa?lang=en&network=RED-01", "/programa/informe.csv",
        "/programa/informe.pdf", "/programa/informe.xlsx?lang=en",
        # cases and deadlines: editors only (issue 12 items 4-5)
        "/api/cases", "/api/cases?community=HF-001", "/api/cases/TR-MUESTRA-01",
        "/api/cases/TR-MUESTRA-01/history", "/api/agenda", "/api/agenda?format=csv",
        "/api/agenda?network=RED-01", "/api/agenda.ics?key=cal_adivinada",
        "/api/alerts", "/api/alerts?lang=en", f"/api/alerts?community={w.community}",
        f"/api/alerts?community={w.neighbour}", "/api/alerts?network=RED-01",
        "/api/alerts?limit=1&offset=1", "/api/alerts?state=nueva&limit=0",
        "/alertas?size=1&offset=1",
        f"/feeds/communities/{w.neighbour}.atom", f"/feeds/communities/{w.community}.atom",
        "/feeds/networks/RED-01.atom", "/feeds/networks/RED-02.atom?lang=en",
        # the desk pages: deadlines (editors only) and alerts (issue 12 item 5, 13 item 3)
        "/plazos", "/plazos?network=RED-01", "/plazos?lang=en&district=0",
        "/alertas", "/alertas?lang=en", f"/alertas?community={w.community}",
        f"/alertas?community={w.neighbour}", "/alertas?network=RED-01&state=nueva",
        # networks as living objects: pages, framed map, membership history (issue 14 item 4)
        "/redes", "/redes?lang=en", "/redes/RED-01", "/redes/RED-02?lang=en", "/redes/RED-03",
        "/redes/RED-01/mapa", "/api/networks/RED-01/membership",
        "/api/networks/RED-03/membership?lang=en", "/api/networks/RED-02/membership",
        # a case's file: documents, versions, bytes, deadlines (issue 12 item 4)
        f"/api/cases/{w.case}/documents", f"/api/cases/{w.case}/documents/{w.document}",
        f"/api/cases/{w.case}/documents/{w.document}/file",
        f"/api/cases/{w.case}/documents/{w.document}/file?version=1",
        f"/api/cases/{w.case}/deadlines", f"/api/cases/{w.case}", "/api/cases?lang=en",
        f"/api/alerts?community={w.neighbour}&lang=en", f"/?f=html&community={w.neighbour}",
        # actors, conflicts, positions and the relationship view (issue 14 item 3)
        "/api/actors?limit=1000", "/api/actors/ACT-DIRIGENTE", "/api/positions?limit=1000",
        "/api/positions/POS-0001", "/api/conflicts?limit=1000",
        "/api/conflicts?limit=1000&f=geojson", f"/api/conflicts?limit=1000&as_of={before}",
        "/api/conflicts/CS-0005", "/api/conflicts/export?format=csv",
        "/api/actors/export?format=csv", "/api/positions/export?format=csv",
        "/ogc/collections/conflicts/items?limit=1000",
        *(f"{base}?{key}={value}" for base in ("/api/relations", "/relaciones")
          for key, value in (("community", w.community), ("community", w.neighbour),
                             ("community", "HF-001"), ("community", "HF-004"),
                             ("community", "HF-005"), ("conflict", "CS-0001"),
                             ("conflict", "CS-0005"))),
        # people's own alert subscriptions and the (admin) delivery log (issue 13)
        # every version of any record (the generic history route of every layer)
        f"/api/water/{w.spring}/history", "/api/networks/RED-01/history",
        "/api/networks/RED-02/history", "/api/networks/RED-03/history",
        "/api/conflicts/CS-0005/history", "/api/conflicts/CS-0001/history",
        "/api/actors/ACT-DIRIGENTE/history", "/api/positions/POS-0001/history",
        "/api/subscriptions", "/api/subscriptions?stopped=1", "/api/subscriptions?all=1",
        "/api/deliveries", "/api/deliveries?status=pending", "/avisos", "/avisos?lang=en",
    ]
    return paths


def _scan(w: LeakWorld, role: str, tmp: Any, *, cookies: bool = False
          ) -> tuple[list[str], int]:
    """Every read path as ``role`` (by token; or, with ``cookies``, by the browser session
    ``w.client`` already holds)."""
    hidden = _hidden(w.engine, role)
    words = _word_re(hidden.words)
    token = w.tokens[role]
    headers = {"Authorization": f"Bearer {token}"} if token and not cookies else {}
    leaks: list[str] = []
    scanned = 0
    for path in _paths(w):
        r = w.client.get(path, headers=headers)
        assert r.status_code < 500, (path, r.status_code, r.text[:300])
        scanned += 1
        if r.status_code >= 400:
            continue  # a 404 echoes only the caller's own request
        if path.endswith(".pdf"):
            text = _pdf_text(r.content)
        elif ".xlsx" in path:
            text = _xlsx_text(r.content)
        elif "export?format=gpkg" in path:
            continue
        else:
            text = r.content.decode("utf-8", "replace")
        if words is not None and (m := words.search(text)):
            leaks.append(f"{path}: {m.group(0)!r}")
        for c in _coords_in_text(text):
            for p in hidden.points:
                if _near(c, p, 1e-6):
                    leaks.append(f"{path}: exact coordinate {p}")
    for p in hidden.points[:40]:
        for layer in ("communities", "water", "conflicts", "map"):  # map: every layer
            for z in (10, 14):
                tx, ty = _tile_of(p[0], p[1], z)
                r = w.client.get(f"/tiles/{layer}/{z}/{tx}/{ty}.pbf", headers=headers)
                assert r.status_code < 500
                scanned += 1
                if r.status_code != 200 or not r.content:
                    continue
                decoded = mapbox_vector_tile.decode(r.content)
                props = json.dumps([f["properties"] for lyr in decoded.values()
                                    for f in lyr["features"]], ensure_ascii=False)
                if words is not None and (m := words.search(props)):
                    leaks.append(f"tile {layer}/{z}/{tx}/{ty}: {m.group(0)!r}")
                tol = 2 * 360.0 / 2 ** z / 4096
                if layer == "water" and any(_near(c, p, tol)
                                            for c in _tile_coords(r.content, z, tx, ty)):
                    leaks.append(f"tile {layer}/{z}/{tx}/{ty}: vertex at {p}")
    return leaks, scanned


@pytest.mark.parametrize("role", ROLES)
def test_no_hidden_record_reaches_any_read_path(leak_world: LeakWorld, role: str,
                                                tmp_path: Any) -> None:
    hidden = _hidden(leak_world.engine, role)
    if role != "editor":
        # the reclassified records and every name they ever had are among the secrets
        assert {leak_world.community, leak_world.spring, leak_world.flagged_spring,
                "Nombre anterior secreto Wiñay (prueba)"} <= hidden.words
        assert {"ACT-DIRIGENTE", "POS-0001"} <= hidden.words  # restricted actor, position
    if role in ("anonymous", "other_network"):
        assert "CS-0005" in hidden.words  # a RED-01 conflict
    leaks, scanned = _scan(leak_world, role, tmp_path)
    print(f"leak scan {role}: {scanned} responses, {len(leaks)} leaks")
    assert leaks == []


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_cookie_sessions_reach_no_hidden_record(leak_world: LeakWorld, role: str,
                                                tmp_path: Any) -> None:
    """The same scan through a browser session (form sign-in, HttpOnly cookie)."""
    from tests.api.session_util import sign_in

    name = USERS[role][0]
    with leak_world.engine.begin() as conn:
        users.set_password(conn, name, "clave-del-escaner-1")
    browser = TestClient(leak_world.client.app)  # the same service, a cookie jar of its own
    status, _ = sign_in(browser, name, "clave-del-escaner-1")
    assert status == 303 and browser.cookies.get("allpa_session")
    assert browser.get("/session").json()["role"] == USERS[role][1]
    leaks, scanned = _scan(replace(leak_world, client=browser), role, tmp_path, cookies=True)
    print(f"cookie leak scan {role}: {scanned} responses, {len(leaks)} leaks")
    assert scanned > 40 and leaks == []


def test_the_scanner_sees_what_editors_may_see(leak_world: LeakWorld, tmp_path: Any) -> None:
    """The scanner can fail: what the public must not see, an editor does get."""
    editor = {"Authorization": f"Bearer {leak_world.tokens['editor']}"}
    history = leak_world.client.get(f"/api/communities/{leak_world.community}/history",
                                    headers=editor)
    assert "Nombre anterior secreto Wiñay (prueba)" in history.text
    words = _word_re(_hidden(leak_world.engine, "anonymous").words)
    assert words is not None and words.search(history.text)
    flags = leak_world.client.get("/api/flags?limit=1000", headers=editor).text
    assert leak_world.flagged_spring in flags
    anonymous = leak_world.client.get("/api/flags?limit=1000").json()
    assert anonymous["total"] == len(anonymous["items"]) or anonymous["total"] > 1000
    # the subscriptions made while the community was public: the editor's names it, the
    # network member's is listed without it
    subs = leak_world.client.get("/api/subscriptions", headers=editor).json()
    assert leak_world.community in {s["scope_id"] for s in subs["subscriptions"]}
    member = {"Authorization": f"Bearer {leak_world.tokens['network']}"}
    theirs = leak_world.client.get("/api/subscriptions", headers=member).json()
    assert [s["scope_visible"] for s in theirs["subscriptions"]
            if s["scope"] == "community"] == [False]


def test_the_scanner_knows_the_case_file(leak_world: LeakWorld) -> None:
    """The case secrets are among what a non-editor must not see, and an editor reads them
    on the new paths (so their absence elsewhere proves something)."""
    editor = {"Authorization": f"Bearer {leak_world.tokens['editor']}"}
    words = _word_re(_hidden(leak_world.engine, "network").words)
    assert words is not None
    for path in (f"/api/cases/{leak_world.case}/documents",
                 f"/api/cases/{leak_world.case}/deadlines", f"/api/cases/{leak_world.case}",
                 f"/api/alerts?community={leak_world.neighbour}"):
        r = leak_world.client.get(path, headers=editor)
        assert r.status_code == 200 and words.search(r.text), path
    assert "TR-FUGA-1" not in _hidden(leak_world.engine, "editor").words


def test_a_flag_that_exists_only_for_a_hidden_spring_is_not_shown(leak_world: LeakWorld
                                                                   ) -> None:
    """The flagged spring was the only evidence of a water flag: anonymous readers get
    neither the flag, nor its count, nor its colour on the map."""
    from layers import queries
    from layers.users import ANONYMOUS, Principal

    with leak_world.engine.connect() as conn:
        owners = [str(r[0]) for r in conn.execute(sa.text(
            "SELECT community_id FROM flag WHERE valid_to IS NULL AND "
            "evidence->'water_in_concession_ids' = jsonb_build_array(CAST(:w AS text))"),
            {"w": leak_world.flagged_spring})]
        assert owners
        editor = queries.Viewer(Principal("e", "editor"))
        anonymous = queries.Viewer(ANONYMOUS)
        everything = queries.flags(conn, editor, limit=100000).features
        shown = queries.flags(conn, anonymous, limit=100000)
        colours = queries.flag_severities(conn, anonymous)
    water_rules = {f["rule_id"] for f in everything if f["community_id"] in owners
                   and leak_world.flagged_spring in json.dumps(f["evidence"])}
    assert water_rules
    for item in shown.features:
        assert not (item["community_id"] in owners and item["rule_id"] in water_rules)
    assert shown.total == len(shown.features)
    flagged = {f["id"] for f in leak_world.client.get(
        "/api/communities?flagged=true&limit=1000").json()["items"]}
    unflagged = {f["id"] for f in leak_world.client.get(
        "/api/communities?flagged=false&limit=1000").json()["items"]}
    for cid in owners:
        mine = [f["severity"] for f in shown.features if f["community_id"] == cid]
        assert (cid in colours) == bool(mine)
        assert (cid in flagged) == bool(mine) and (cid in unflagged) == (not mine)
