"""Problem details, paging, filters, formats and community details."""

from __future__ import annotations

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import ApiWorld, auth

PROBLEM_KEYS = {"type", "title", "status", "code", "detail"}


def _problem(r: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = r.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status and body["code"] == code
    return body


def test_problem_shapes_and_language(client: TestClient) -> None:
    body = _problem(client.get("/api/communities/NO-EXISTE"), 404, "feature_not_found")
    assert "No existe" in str(body["detail"])
    body = _problem(client.get("/api/communities/NO-EXISTE?lang=en"), 404, "feature_not_found")
    assert "not found" in str(body["detail"]) and body["title"] == "Not found"
    _problem(client.get("/api/communities?bbox=1,2,3"), 400, "invalid_bbox")
    _problem(client.get("/api/communities?as_of=ayer"), 400, "invalid_as_of")
    _problem(client.get("/api/communities?limit=0"), 400, "invalid_parameter")
    _problem(client.get("/api/nothing-here"), 404, "not_found")
    _problem(client.get("/tiles/rivers/1/0/0.pbf"), 404, "unknown_collection")
    _problem(client.get("/api/water/export?format=dwg"), 422, "unsupported_format")


def test_500_never_echoes_sql(api_world: ApiWorld) -> None:
    app = create_app(api_world.settings)

    def boom() -> None:
        with api_world.engine.connect() as conn:
            conn.execute(sa.text("SELECT secret_column FROM no_such_table_xyz"))

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    body = _problem(r, 500, "internal_error")
    assert "no_such_table" not in r.text and "SELECT" not in r.text and "psycopg" not in r.text
    assert body["title"] == "Error interno"


def test_paging_follows_next_links(client: TestClient) -> None:
    first = client.get("/api/concessions?limit=70").json()
    total = first["total"]
    seen: list[str] = []
    url: str | None = "/api/concessions?limit=70"
    while url:
        page = client.get(url).json()
        seen += [item["code"] for item in page["items"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert len(seen) == total == len(set(seen)) > 70
    second = client.get("/api/concessions?limit=70&offset=70").json()
    assert any(link["rel"] == "prev" for link in second["links"])


def test_geojson_by_param_and_accept(client: TestClient) -> None:
    r = client.get("/api/water?limit=5&f=geojson")
    assert r.headers["content-type"] == "application/geo+json"
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and fc["numberReturned"] == 5
    assert fc["numberMatched"] >= 5 and fc["features"][0]["geometry"]["type"]
    r = client.get("/api/water?limit=5", headers={"Accept": "application/geo+json"})
    assert r.json()["type"] == "FeatureCollection"
    assert "items" in client.get("/api/water?limit=5").json()


def test_community_filters(client: TestClient, api_world: ApiWorld) -> None:
    all_items = client.get("/api/communities?limit=1000").json()
    name = all_items["items"][0]["name"]
    word = name.split()[-2] if len(name.split()) > 2 else name
    shouted = word.upper().replace("A", "Á", 1)
    found = client.get("/api/communities", params={"q": shouted}).json()
    assert name in [i["name"] for i in found["items"]]
    district = all_items["items"][0]["admin_code"][:4]
    by_district = client.get(f"/api/communities?district={district}&limit=1000").json()
    assert by_district["total"] == sum(1 for i in all_items["items"]
                                       if (i["admin_code"] or "").startswith(district))
    registered = client.get("/api/communities?legal_status=registered&limit=1000").json()
    assert all(i["legal_status"] == "registered" for i in registered["items"])
    flagged = client.get("/api/communities?flagged=true").json()
    assert [i["id"] for i in flagged["items"]] == ["HF-001"]
    # network filter: members of RED-01 the caller may see
    net = client.get("/api/communities?network=RED-01&limit=1000",
                     headers=auth(api_world, "network")).json()
    ids = {i["id"] for i in net["items"]}
    assert "ZZ-RED-1" in ids and "ZZ-SECRETO-1" not in ids
    bbox = client.get("/api/communities?bbox=-69.681,-15.201,-69.679,-15.199",
                      headers=auth(api_world, "editor")).json()
    assert [i["id"] for i in bbox["items"]] == ["ZZ-RED-1"]


def test_community_detail(client: TestClient) -> None:
    r = client.get("/api/communities/HF-001")
    assert r.status_code == 200
    body = r.json()
    assert r.headers["etag"] == f'"{body["vid"]}"'
    assert set(body["statute"]["clauses"]) == {"territory", "water", "environment",
                                               "consultation", "women"}
    assert {"legal_personality", "board", "procedure", "overlaps", "flags", "history"} <= set(body)
    assert [f["rule_id"] for f in body["flags"]] == ["test_rule"]
    assert [o["other_kind"] for o in body["overlaps"]] == ["concession"]  # the secret one hidden
    assert body["history"][0]["recorded_by"] == "pytest"
    en = client.get("/api/communities/HF-001?lang=en").json()
    assert en["flags"][0]["message"] == "Test flag"
    geo = client.get("/api/communities/HF-001?f=geojson").json()
    assert geo["type"] == "Feature" and "overlaps" in geo["properties"]


def test_other_resources(client: TestClient) -> None:
    for path in ("/api/concessions", "/api/water", "/api/consultations", "/api/networks",
                 "/api/boundaries", "/api/flags", "/api/batches"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.json()["total"] >= 1, path
    code = client.get("/api/concessions?limit=1").json()["items"][0]["code"]
    assert client.get(f"/api/concessions/{code}").json()["code"] == code
    assert client.get("/api/boundaries?level=district").json()["total"] >= 1
    assert client.get("/api/concessions?as_of=2000-01-01").json()["total"] == 0
    batch = client.get("/api/batches?limit=1").json()["items"][0]
    assert "report" not in batch
    assert client.get(f"/api/batches/{batch['id']}").json()["id"] == batch["id"]
