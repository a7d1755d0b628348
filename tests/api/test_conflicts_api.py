"""Conflicts, actors and positions through the API, OGC, tiles, exports and the
relationship view, per role: the sample's network-only conflict (CS-0005), restricted actor
(ACT-DIRIGENTE) and restricted position (POS-0001) reach only those who may see them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import mapbox_vector_tile
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.conftest import ROLES, ApiWorld, auth

NETWORK_CONFLICT = "CS-0005"  # sensitivity "red", located in HF-005 (a RED-01 member)
SECRET_ACTOR = ("ACT-DIRIGENTE", "Dirigente comunal amenazado (ficticio)")
SECRET_POSITION = "Propone una mesa técnica sobre el agua (ficticio)"
PUBLIC_POSITION = "Exige un estudio hidrogeológico independiente (ficticio)"


def _ids(items: list[dict[str, object]]) -> set[str]:
    return {str(i["id"]) for i in items}


@pytest.mark.parametrize("role", ROLES)
def test_lists_follow_visibility(role: str, client: TestClient, api_world: ApiWorld) -> None:
    h = auth(api_world, role)
    conflicts = client.get("/api/conflicts?limit=100", headers=h).json()["items"]
    actors = client.get("/api/actors?limit=1000", headers=h).json()["items"]
    positions = client.get("/api/positions?limit=100", headers=h).json()["items"]
    assert {"CS-0001", "CS-0002", "CS-0003", "CS-0004"} <= _ids(conflicts)
    assert (NETWORK_CONFLICT in _ids(conflicts)) == (role != "public")
    assert (SECRET_ACTOR[0] in _ids(actors)) == (role in ("editor", "admin"))
    assert ("POS-0001" in _ids(positions)) == (role in ("editor", "admin"))
    assert "POS-0002" in _ids(positions)
    detail = client.get(f"/api/conflicts/{NETWORK_CONFLICT}", headers=h)
    assert detail.status_code == (404 if role == "public" else 200)
    secret = client.get(f"/api/actors/{SECRET_ACTOR[0]}", headers=h)
    assert secret.status_code == (200 if role in ("editor", "admin") else 404)


def test_conflict_record_in_the_api(client: TestClient) -> None:
    item = client.get("/api/conflicts/CS-0001").json()
    props = item.get("properties", item)
    assert props["type"] == "socioambiental" and props["status"] == "activo"
    assert props["communities"] == ["HF-001", "HF-002"]
    assert "ACT-QORI" in props["actors_primary"]
    assert props["actors_secondary"][:1] == ["ACT-FRENTE"] or "ACT-FRENTE" in \
        props["actors_secondary"]
    filtered = client.get("/api/conflicts?status=resuelto").json()["items"]
    assert _ids(filtered) == {"CS-0004"}
    bad = client.get("/api/conflicts?status=cerrado")
    assert bad.status_code in (400, 422)


def test_ogc_tiles_and_exports_carry_conflicts(client: TestClient, api_world: ApiWorld
                                               ) -> None:
    collections = {c["id"] for c in client.get("/ogc/collections").json()["collections"]}
    assert "conflicts" in collections and "actors" not in collections
    feats = client.get("/ogc/collections/conflicts/items?limit=100").json()["features"]
    assert {f["id"] for f in feats} >= {"CS-0001", "CS-0003"}
    assert NETWORK_CONFLICT not in {f["id"] for f in feats}
    member = client.get("/ogc/collections/conflicts/items?limit=100",
                        headers=auth(api_world, "network")).json()["features"]
    assert NETWORK_CONFLICT in {f["id"] for f in member}
    # the map tile over CS-0001 carries it, with its labels' codes
    import math

    lon, lat, z = -69.3627, -14.8536, 12
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    tile = client.get(f"/tiles/map/{z}/{x}/{y}.pbf")
    assert tile.status_code == 200
    decoded = mapbox_vector_tile.decode(tile.content)
    assert "conflicts" in decoded
    props = [f["properties"] for f in decoded["conflicts"]["features"]]
    assert any(p["id"] == "CS-0001" and p["status"] == "activo" for p in props)
    export = client.get("/api/conflicts/export?format=csv")
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert {r["id"] for r in rows} >= {"CS-0001"} and NETWORK_CONFLICT not in \
        {r["id"] for r in rows}


def test_relation_graph_per_role(client: TestClient, api_world: ApiWorld) -> None:
    public = client.get("/api/relations?community=HF-001").json()
    nodes = {n["id"]: n for n in public["nodes"]}
    assert public["focus"] == "community:HF-001"
    assert {"community:HF-001", "community:HF-002", "conflict:CS-0001",
            "actor:ACT-QORI", "actor:ACT-FRENTE"} <= set(nodes)
    assert nodes["conflict:CS-0001"]["detail"] == "Socioambiental · Activo"  # labels, not codes
    assert "actor:ACT-GRUPO" in nodes  # the company behind the concession holder
    with api_world.engine.connect() as conn:  # what the holder holds in the cadastre
        held = conn.execute(sa.text(
            "SELECT count(*) FROM concession WHERE valid_to IS NULL AND holder = "
            "'MINERA QORI WASI S.A.C. (ficticia)'")).scalar_one()
    assert held > 0 and nodes["actor:ACT-QORI"]["detail"] == f"Empresa · {held} concesiones"
    edges = {(e["source"], e["target"], e["kind"]) for e in public["edges"]}
    assert ("conflict:CS-0001", "actor:ACT-QORI", "primary") in edges
    assert ("actor:ACT-QORI", "actor:ACT-GRUPO", "company") in edges
    text = str(public)
    assert SECRET_POSITION not in text and PUBLIC_POSITION in text
    assert SECRET_ACTOR[0] not in client.get("/api/relations?community=HF-004").text
    editor = client.get("/api/relations?community=HF-004",
                        headers=auth(api_world, "editor")).text
    assert SECRET_ACTOR[0] in editor
    assert SECRET_POSITION in client.get("/api/relations?conflict=CS-0001",
                                         headers=auth(api_world, "editor")).text
    assert client.get(f"/api/relations?conflict={NETWORK_CONFLICT}").status_code == 404
    member = client.get(f"/api/relations?conflict={NETWORK_CONFLICT}",
                        headers=auth(api_world, "network"))
    assert member.status_code == 200 and "community:HF-005" in member.text
    english = client.get("/api/relations?conflict=CS-0001&lang=en").json()
    assert {n["detail"] for n in english["nodes"]} >= {"Socio-environmental · Active"}
    assert client.get("/api/relations").status_code == 422  # neither community nor conflict
    assert client.get("/api/relations?community=NO-EXISTE").status_code == 404


def test_relations_page_and_template(client: TestClient, api_world: ApiWorld) -> None:
    page = client.get("/relaciones?community=HF-001")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "<svg" in page.text and "Relaciones de Comunidad Campesina Wayra Uyu" in page.text
    assert "<script" not in page.text
    template = client.get("/api/conflicts/template.csv")
    assert template.status_code == 200
    header = template.content.decode("utf-8-sig").strip().split(",")
    assert header[:5] == ["numero", "nombre", "tipo", "estado", "fase"]
    assert {"actores_primarios", "actores_secundarios", "actores_terciarios",
            "competencia", "fecha_inicio", "dialogo", "acciones_violencia", "lon",
            "lat"} <= set(header)


def test_a_reclassified_community_vanishes_from_conflict_lists(
        client: TestClient, api_world: ApiWorld) -> None:
    """A conflict naming a restricted community lists it only for editors."""
    with api_world.engine.begin() as conn:
        conn.execute(sa.text(
            "UPDATE social_conflict SET communities = array_append(communities, "
            "'ZZ-SECRETO-1') WHERE id = 'CS-0004' AND valid_to IS NULL"))
    try:
        public = client.get("/api/conflicts/CS-0004").json()
        props = public.get("properties", public)
        assert "ZZ-SECRETO-1" not in props["communities"]
        assert "ZZ-SECRETO-1" not in client.get("/api/relations?conflict=CS-0004").text
        editor = client.get("/api/conflicts/CS-0004", headers=auth(api_world, "editor")
                            ).json()
        assert "ZZ-SECRETO-1" in editor.get("properties", editor)["communities"]
    finally:
        with api_world.engine.begin() as conn:
            conn.execute(sa.text(
                "UPDATE social_conflict SET communities = array_remove(communities, "
                "'ZZ-SECRETO-1') WHERE id = 'CS-0004' AND valid_to IS NULL"))


def test_cli_import_appears_in_lists_tiles_and_graph(client: TestClient, api_world: ApiWorld,
                                                     tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Done when: ``allpa import conflicts FILE.csv`` and the conflict is on the map (its
    tile) and in the graph of the right communities."""
    from typer.testing import CliRunner

    from api.cli.main import app
    from geo.profiles.defensoria import TEMPLATE_COLUMNS

    path = tmp_path / "reporte.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(TEMPLATE_COLUMNS))
        w.writeheader()
        w.writerow({"numero": "CT-CLI-1", "nombre": "Conflicto por el canal (prueba CLI)",
                    "tipo": "socioambiental", "estado": "activo", "fase": "temprana",
                    "ubigeo": "219901", "actores_primarios": "Asociación de Productores "
                    "Inti Apacheta (ficticia); Empresa Minera Prueba CLI S.A.C.",
                    "comunidades": "HF-003"})
        w.writerow({"numero": "CT-CLI-2", "tipo": "pelea", "estado": "activo"})
    monkeypatch.setenv("ALLPA_DATABASE_URL", api_world.url)
    run = CliRunner().invoke(app, ["import", "conflicts", str(path), "--by", "abogada"])
    assert run.exit_code == 0, run.output
    assert "leídos 2" in run.output and "rechazados 1" in run.output
    assert "pelea" in run.output and "actores nuevos creados" in run.output
    item = client.get("/api/conflicts/CT-CLI-1?f=geojson").json()
    props, geometry = item["properties"], item["geometry"]
    assert props["communities"] == ["HF-003"] and props["type"] == "socioambiental"
    graph = client.get("/api/relations?community=HF-003").json()
    assert "conflict:CT-CLI-1" in {n["id"] for n in graph["nodes"]}
    assert client.get("/api/relations?community=HF-001").text.count("CT-CLI-1") == 0
    with api_world.engine.connect() as conn:
        lon, lat = conn.execute(sa.text(
            "SELECT ST_X(location), ST_Y(location) FROM community WHERE id = 'HF-003' "
            "AND valid_to IS NULL")).one()
    assert geometry["coordinates"] == pytest.approx([lon, lat])  # its community's point
    import math

    z = 13
    x = int((lon + 180) / 360 * 2 ** z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2 ** z)
    decoded = mapbox_vector_tile.decode(client.get(f"/tiles/map/{z}/{x}/{y}.pbf").content)
    assert "CT-CLI-1" in {f["properties"]["id"] for f in decoded["conflicts"]["features"]}


def test_upload_of_a_report_links_and_reports(client: TestClient, api_world: ApiWorld) -> None:
    """The upload (editors) runs the same import: names linked, actors created and listed
    in the report; the public cannot upload."""
    body = ("N°,Lugar,Tipo,Estado,Fase actual,Actores primarios,Comunidades\n"
            "CT-UP-1,\"Puno, Huancané (ficticia), Qhapaq Marka\",Comunal,Activo,Diálogo,"
            "Organización de Regantes Prueba Subida; Comunidad Campesina Yana Kancha "
            "(ficticia),\n")
    files = {"file": ("reporte.csv", body.encode(), "text/csv")}
    refused = client.post("/api/layers/conflicts/imports", files=files)
    assert refused.status_code == 401
    r = client.post("/api/layers/conflicts/imports", headers=auth(api_world, "editor"),
                    files=files, data={"source": "Reporte subido (prueba)"})
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["n_inserted"] == 1 and report["profile"] == "defensoria_conflicts"
    assert any("Organización de Regantes Prueba Subida" in w for w in report["warnings"])
    item = client.get("/api/conflicts/CT-UP-1").json()
    assert item["communities"] == ["HF-009"] and item["admin_code"] == "219901"
    assert item["type"] == "comunal" and item["phase"] == "dialogo"
