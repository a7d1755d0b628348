"""Vector tiles: decode, TileJSON, 400 out of range without the database, ETag/304."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from layers.config import load_settings
from tests.api.conftest import ApiWorld, auth


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


@pytest.mark.parametrize("layer", ["communities", "concessions", "water", "consultations",
                                   "boundaries"])
def test_tiles_decode(layer: str, client: TestClient) -> None:
    x, y = _tile(-69.6, -15.15, 9)
    r = client.get(f"/tiles/{layer}/9/{x}/{y}.pbf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert r.headers["etag"] and "max-age" in r.headers["cache-control"]
    decoded = mapbox_vector_tile.decode(r.content)
    assert list(decoded) == [layer]
    features = decoded[layer]["features"]
    assert features and all(f["properties"] for f in features)
    assert decoded[layer]["extent"] == 4096
    empty = client.get(f"/tiles/{layer}/9/0/0.pbf")  # far away: empty tile, not an error
    assert empty.status_code == 200 and empty.content == b""


def test_communities_tile_has_points_and_polygons(client: TestClient) -> None:
    x, y = _tile(-69.6, -15.15, 8)
    decoded = mapbox_vector_tile.decode(client.get(f"/tiles/communities/8/{x}/{y}.pbf").content)
    types = {f["geometry"]["type"] for f in decoded["communities"]["features"]}
    assert "Point" in types and ({"Polygon", "MultiPolygon"} & types)


def test_tilejson(client: TestClient) -> None:
    tj = client.get("/tiles/concessions.json").json()
    assert tj["tilejson"] == "3.0.0"
    assert tj["tiles"][0].endswith("/tiles/concessions/{z}/{x}/{y}.pbf")
    assert tj["minzoom"] == 0 and tj["maxzoom"] == 16  # data max zoom: clients overzoom
    w, s, e, n = tj["bounds"]
    assert -71 < w < e < -68 and -16 < s < n < -14
    layer = tj["vector_layers"][0]
    assert layer["id"] == "concessions" and layer["fields"]["code"] == "String"
    assert layer["fields"]["official_ha"] == "Number"


@pytest.mark.parametrize("path", ["23/0/0", "-1/0/0", "3/8/0", "3/0/8", "3/-1/0", "a/0/0",
                                  "2/1/x"])
def test_out_of_range_is_400_without_database(path: str) -> None:
    # a database that does not exist: any query would fail with a 500
    settings = load_settings(
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/does_not_exist")
    with TestClient(create_app(settings)) as c:
        r = c.get(f"/tiles/concessions/{path}.pbf")
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "tile_out_of_range"


def test_etag_304_and_invalidation(client: TestClient, api_world: ApiWorld) -> None:
    x, y = _tile(-69.6, -15.15, 10)
    url = f"/tiles/communities/10/{x}/{y}.pbf"
    first = client.get(url)
    etag = first.headers["etag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    # another role has another ETag (different content)
    editor = client.get(url, headers=auth(api_world, "editor"))
    assert editor.headers["etag"] != etag
    assert editor.headers["cache-control"].startswith("private")
    # a new version of the layer changes the ETag
    detail = client.get("/api/communities/HF-010")
    r = client.patch("/api/communities/HF-010", json={"procedure_stage": "etag test"},
                     headers={**auth(api_world, "editor"), "If-Match": detail.headers["etag"]})
    assert r.status_code == 200, r.text
    assert client.get(url).headers["etag"] != etag
