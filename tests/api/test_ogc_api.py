"""OGC API – Features behaviour that clients rely on: geometry-type collections, datetime,
CQL2 filters under visibility, queryables, conformance, OpenAPI 3.0, HTML, HEAD, limits,
links behind a proxy, Basic authentication and CORS."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from api.app import create_app
from layers.ogc_collections import OGC_COLLECTIONS
from tests.api.conftest import PUBLIC_SPRING, ApiWorld, auth
from tests.api.test_tiles import _tile

ITEMS = "/ogc/collections/{}/items"


def _matched(client: TestClient, collection: str, headers: dict[str, str] | None = None,
             **params: str) -> int:
    r = client.get(ITEMS.format(collection), params={"limit": "1", **params}, headers=headers)
    assert r.status_code == 200, r.text
    return int(r.json()["numberMatched"])


def test_geometry_type_collections_partition_their_layer(client: TestClient) -> None:
    for name in ("communities", "water"):
        whole = _matched(client, name)
        views = OGC_COLLECTIONS[name].siblings
        assert len(views) >= 2
        parts = {v: _matched(client, v) for v in views}
        assert sum(parts.values()) == whole and all(parts.values()), parts
        doc = client.get(f"/ogc/collections/{name}").json()
        assert "QGIS" in doc["description"] and views[0] in doc["description"]
        for view in views:
            body = client.get(ITEMS.format(view), params={"limit": "1000"}).json()
            types = {f["geometry"]["type"].removeprefix("Multi") for f in body["features"]}
            assert types == {OGC_COLLECTIONS[view].geometry_type}, view
            assert client.get(f"/ogc/collections/{view}").json()["geometryType"] == \
                OGC_COLLECTIONS[view].geometry_type


def test_datetime_is_honoured_and_validated(client: TestClient, api_world: ApiWorld) -> None:
    with api_world.engine.connect() as conn:
        first = conn.execute(sa.text("SELECT min(valid_from) FROM community")).scalar_one()
    before = (first - dt.timedelta(days=1)).date().isoformat()
    now = _matched(client, "communities")
    assert _matched(client, "communities", datetime=before) == 0
    assert _matched(client, "communities", as_of=before) == 0
    assert _matched(client, "communities", datetime=f"2000-01-01/{before}") == 0
    assert _matched(client, "communities", datetime="2000-01-01/..") == now
    assert _matched(client, "communities", datetime="../..") == now
    later = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    assert _matched(client, "communities", datetime=later) == now
    for bad in ("not-a-date", "2024-13-01", "2024-05-01/2024-04-01", "a/b", "2024/05/01"):
        r = client.get(ITEMS.format("communities"), params={"datetime": bad})
        assert r.status_code == 400, bad
        assert r.json()["code"] == "invalid_datetime"
    r = client.get(ITEMS.format("communities"), params={"datetime": before, "as_of": before})
    assert r.status_code == 400


def test_cql2_filters(client: TestClient) -> None:
    total = _matched(client, "communities")
    dry = _matched(client, "communities", filter="clause_water = false")
    wet = _matched(client, "communities", filter="clause_water = true")
    unknown = _matched(client, "communities", filter="clause_water IS NULL")
    assert dry > 0 and wet > 0 and dry + wet + unknown == total
    assert _matched(client, "communities", filter="NOT (clause_water = false)") == wet
    both = _matched(client, "communities",
                    filter="legal_status IN ('registered','in_process') AND kind LIKE 'comunidad%'")
    assert 0 < both < total
    json_filter = '{"op": "=", "args": [{"property": "clause_water"}, false]}'
    assert _matched(client, "communities", filter=json_filter,
                    **{"filter-lang": "cql2-json"}) == dry
    dated = _matched(client, "concessions", filter="filed_on >= DATE('2015-01-01')")
    assert 0 < dated < _matched(client, "concessions")
    assert _matched(client, "concessions",
                    filter="filed_on BETWEEN DATE('2015-01-01') AND DATE('2100-01-01')") == dated
    near = _matched(client, "communities",
                    filter="S_INTERSECTS(geometry, BBOX(-70.5,-15.6,-69.3,-14.8))")
    far = _matched(client, "communities", filter="S_INTERSECTS(geometry, POINT(10 10))")
    assert near > 0 and far == 0
    assert _matched(client, "communities",
                    filter="CASEI(name) LIKE casei('%a%') AND official_area_ha > 0") > 0


@pytest.mark.parametrize("bad", [
    "nope = 1", "clause_water = 'maybe'", "official_area_ha > 'x'", "name LIKE", "1 = ",
    "geometry = 3", "S_INTERSECTS(name, POINT(0 0))", "members = 'x'",
])
def test_bad_filters_are_400(client: TestClient, bad: str) -> None:
    r = client.get(ITEMS.format("communities"), params={"filter": bad})
    assert r.status_code == 400, (bad, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "invalid_filter"
    r = client.get(ITEMS.format("communities"), params={"filter": "name = 'x'",
                                                        "filter-lang": "sql"})
    assert r.status_code == 400


def test_filters_cannot_reach_hidden_records(client: TestClient, api_world: ApiWorld) -> None:
    """The filter is one more WHERE clause: visibility and generalisation still apply."""
    assert _matched(client, "communities", filter="sensitivity = 'restricted'") == 0
    assert _matched(client, "communities", filter="id = 'ZZ-SECRETO-1'") == 0
    editor = auth(api_world, "editor")
    assert _matched(client, "communities", editor, filter="id = 'ZZ-SECRETO-1'") == 1
    # the public spring is shown on the 0.01° grid: a tiny box around its true position
    # finds nothing, a box around the published position finds it
    _, x, y = PUBLIC_SPRING
    exact = f"S_INTERSECTS(geometry, BBOX({x - 1e-4},{y - 1e-4},{x + 1e-4},{y + 1e-4}))"
    shown = "S_INTERSECTS(geometry, BBOX(-69.6101,-15.1201,-69.6099,-15.1199))"
    assert _matched(client, "water", filter=exact) == 0
    assert _matched(client, "water", filter=shown) >= 1
    assert _matched(client, "water", editor, filter=exact) == 1
    # free text that is redacted for the public cannot be probed with LIKE either
    probe = client.get(ITEMS.format("communities"),
                       params={"filter": "procedure_what LIKE '%Secretisima%'"})
    assert probe.status_code == 400 and probe.json()["code"] == "invalid_filter"
    assert client.get(ITEMS.format("communities"),
                      params={"procedure_what": "x"}).json()["numberMatched"] > 0  # ignored
    assert "procedure_what" not in client.get(
        "/ogc/collections/communities/queryables").json()["properties"]
    assert "procedure_what" in client.get("/ogc/collections/communities/queryables",
                                          headers=editor).json()["properties"]
    with api_world.engine.connect() as conn:
        with_text = conn.execute(sa.text(
            "SELECT count(*) FROM community WHERE valid_to IS NULL AND procedure_what IS NOT NULL"
        )).scalar_one()
    assert _matched(client, "communities", editor, filter="procedure_what LIKE '%'") == with_text


def test_queryables_and_conformance(client: TestClient) -> None:
    q = client.get("/ogc/collections/communities/queryables").json()
    props = q["properties"]
    assert props["clause_water"]["type"] == "boolean"
    assert props["statute_adopted"] == {"type": "string", "format": "date",
                                        "title": "statute_adopted"}
    assert props["valid_from"]["format"] == "date-time"
    assert props["geometry"]["format"] == "geometry-any"
    assert "members" not in props and "sensitivity" in props
    assert {"id": "clause_water", "type": "boolean"} in q["queryables"]
    r = client.get("/ogc/collections/communities/queryables",
                   headers={"Accept": "application/schema+json"})
    assert r.headers["content-type"].startswith("application/schema+json")
    conf = set(client.get("/ogc/conformance").json()["conformsTo"])
    assert {"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
            "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
            "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
            "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
            "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"} <= conf
    links = {link["rel"]: link for link in
             client.get("/ogc/collections/communities").json()["links"]}
    assert links["http://www.opengis.net/def/rel/ogc/1.0/queryables"]["href"].endswith(
        "/ogc/collections/communities/queryables")
    assert links["tiles"]["href"].endswith("/tiles/communities.json")
    assert client.get(links["tiles"]["href"]).status_code == 200


def test_service_description_is_openapi_30_of_the_ogc_api(client: TestClient) -> None:
    r = client.get("/ogc/api")
    assert r.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc = r.json()
    assert doc["openapi"].startswith("3.0.")
    validate(doc)  # raises on an invalid OpenAPI document
    assert doc["servers"][0]["url"].endswith("/ogc")
    assert "/collections/{collectionId}/items" in doc["paths"]
    assert not any(p.startswith("/ogc") or p.startswith("/api/") for p in doc["paths"])


def test_limit_is_capped_and_head_works(client: TestClient) -> None:
    r = client.get(ITEMS.format("concessions"), params={"limit": "1000000"})
    assert r.status_code == 200
    body = r.json()
    assert body["numberReturned"] == min(body["numberMatched"], 10000)
    assert client.get(ITEMS.format("concessions"), params={"limit": "0"}).status_code == 400
    for path in ("/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/water",
                 ITEMS.format("water"), "/ogc/api", "/ogc/collections/water/queryables"):
        head = client.head(path)
        assert head.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == client.get(path).headers["content-type"]


def test_html_pages(client: TestClient) -> None:
    for path in ("/ogc", "/ogc/collections", "/ogc/collections/communities_points",
                 ITEMS.format("communities_points"), "/ogc/conformance",
                 "/ogc/collections/water/queryables"):
        r = client.get(path, params={"f": "html"})
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        assert "<h1>" in r.text and "f=json" in r.text
    page = client.get(ITEMS.format("communities_points"), params={"f": "html", "limit": "5"})
    assert page.text.count("<tr>") == 6  # header + 5 features
    browser = client.get("/ogc/collections", headers={"Accept": "text/html,*/*"})
    assert browser.headers["content-type"].startswith("text/html")
    assert client.get("/ogc/collections", params={"f": "xml"}).status_code == 400
    fid = client.get(ITEMS.format("communities"), params={"limit": "1"}).json()[
        "features"][0]["id"]
    one = client.get(f"/ogc/collections/communities/items/{fid}", params={"f": "html"})
    assert one.status_code == 200 and fid in one.text


def test_links_follow_forwarded_headers_and_sub_path(client: TestClient) -> None:
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "mapas.example.org",
             "X-Forwarded-Prefix": "/allpa"}
    base = "https://mapas.example.org/allpa"
    landing = client.get("/ogc", headers=proxy).json()
    assert all(link["href"].startswith(base) for link in landing["links"])
    items = client.get(ITEMS.format("concessions"), params={"limit": "2"}, headers=proxy).json()
    assert all(link["href"].startswith(base + "/ogc/") for link in items["links"])
    assert "next" in {link["rel"] for link in items["links"]}
    doc = client.get("/ogc/api", headers=proxy).json()
    assert doc["servers"][0]["url"] == base + "/ogc"
    tj = client.get("/tiles/water.json", headers=proxy).json()
    assert tj["tiles"][0].startswith(base + "/tiles/water/")
    # malformed values are ignored rather than echoed into links
    odd = client.get("/ogc", headers={"X-Forwarded-Host": "evil.example/<script>",
                                      "X-Forwarded-Prefix": "/a b"}).json()
    assert all(link["href"].startswith("http://testserver/") for link in odd["links"])


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_basic_authentication_carries_the_token(client: TestClient, api_world: ApiWorld) -> None:
    token = api_world.tokens["editor"]
    assert token
    public = _matched(client, "communities")
    bearer = _matched(client, "communities", auth(api_world, "editor"))
    assert bearer > public
    assert _matched(client, "communities", _basic("abogada", token)) == bearer
    assert _matched(client, "communities", _basic("", token)) == bearer
    for headers in (_basic("otra", token), _basic("abogada", "wrong"), _basic("abogada", ""),
                    {"Authorization": "Basic !!!"}, {"Authorization": "Digest x"}):
        r = client.get(ITEMS.format("communities"), headers=headers)
        assert r.status_code == 401, headers
        assert r.json()["code"] == "invalid_token"


def test_cors(client: TestClient, api_world: ApiWorld) -> None:
    origin = {"Origin": "https://otro-sitio.example"}
    pre = client.options("/tiles/concessions/8/80/140.pbf", headers={
        **origin, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "authorization" in pre.headers["access-control-allow-headers"].lower()
    r = client.get("/ogc/collections", headers=origin)
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
    write = client.options("/api/communities/HF-001", headers={
        **origin, "Access-Control-Request-Method": "PATCH"})
    assert write.status_code == 400  # public reads only with "*"
    settings = dataclasses.replace(api_world.settings, cors_origins="https://red.example")
    with TestClient(create_app(settings)) as listed:
        ok = listed.options("/api/communities/HF-001", headers={
            "Origin": "https://red.example", "Access-Control-Request-Method": "PATCH"})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "https://red.example"
        other = listed.get("/ogc", headers=origin)
        assert "access-control-allow-origin" not in other.headers
    off = dataclasses.replace(api_world.settings, cors_origins="none")
    with TestClient(create_app(off)) as closed:
        assert "access-control-allow-origin" not in closed.get("/ogc", headers=origin).headers


def test_queryables_as_query_parameters(client: TestClient) -> None:
    """``?clause_water=false`` (what QGIS 3.22 and older GDAL send) = the CQL2 filter."""
    assert _matched(client, "communities", clause_water="false") == \
        _matched(client, "communities", filter="clause_water = false")
    assert _matched(client, "communities_points", legal_status="registered") == \
        _matched(client, "communities_points", filter="legal_status = 'registered'")
    assert _matched(client, "communities", legal_status="registered", clause_water="true") == \
        _matched(client, "communities",
                 filter="legal_status = 'registered' AND clause_water = true")
    for bad in ({"clause_water": "maybe"}, {"official_area_ha": "abc"},
                {"statute_adopted": "ayer"}):
        r = client.get(ITEMS.format("communities"), params=bad)
        assert r.status_code == 400 and r.json()["code"] == "invalid_filter"
    paths = client.get("/ogc/api").json()["paths"]
    names = {p["name"] for p in paths["/collections/communities/items"]["get"]["parameters"]}
    assert {"clause_water", "legal_status", "filter", "filter-lang", "bbox"} <= names


def test_head_on_every_get_endpoint(client: TestClient) -> None:
    x, y = _tile(-69.6, -15.15, 8)
    tile_path = f"/tiles/concessions/8/{x}/{y}.pbf"
    for path in ("/tiles/concessions.json", tile_path,
                 "/api/communities", "/api/water/export?format=csv", "/healthz"):
        got = client.get(path)
        head = client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and got.content != b"", path
        # a gzipped stream (exports) has no Content-Length on either; the rest has it on both
        assert head.headers.get("content-length") == got.headers.get("content-length"), path
        assert head.headers.get("content-encoding") == got.headers.get("content-encoding")
        assert head.headers["content-type"] == got.headers["content-type"], path
    assert client.head(tile_path).headers["etag"] == client.get(tile_path).headers["etag"]
