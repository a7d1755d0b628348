"""Vector tiles: decode, TileJSON, 400 out of range without the database, ETag/304, 204 for
empty tiles, gzip, versioned URLs, and the in-process cache never crossing visibility."""

from __future__ import annotations

import gzip
import json
import logging
import math
import os
import subprocess
from pathlib import Path

import httpx
import mapbox_vector_tile
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.tiles import MAP_LAYERS, TileLogSampler
from layers.config import load_settings
from layers.tile_cache import CachedTile, TileCache
from tests.api.conftest import ApiWorld, auth, hidden_markers
from tests.api.live import uvicorn_server

SYSTEM_PYTHON = "/usr/bin/python3"
QGIS_CLIENT = Path(__file__).with_name("qgis_tiles_client.py")


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
    assert empty.status_code == 204 and empty.content == b""
    assert "content-type" not in empty.headers and empty.headers["etag"]


def test_communities_tile_has_points_and_polygons(client: TestClient) -> None:
    x, y = _tile(-69.6, -15.15, 8)
    decoded = mapbox_vector_tile.decode(client.get(f"/tiles/communities/8/{x}/{y}.pbf").content)
    types = {f["geometry"]["type"] for f in decoded["communities"]["features"]}
    assert "Point" in types and ({"Polygon", "MultiPolygon"} & types)


def test_tilejson(client: TestClient, api_world: ApiWorld) -> None:
    r = client.get("/tiles/concessions.json")
    assert r.headers["cache-control"] == "no-cache"  # it names the current data version
    tj = r.json()
    assert tj["tilejson"] == "3.0.0"
    assert "/tiles/concessions/{z}/{x}/{y}.pbf?v=" in tj["tiles"][0]
    assert tj["minzoom"] == 0 and tj["maxzoom"] == 16  # data max zoom: clients overzoom
    w, s, e, n = tj["bounds"]
    assert -71 < w < e < -68 and -17 < s < n < -14
    # the extent of the current concessions (Peruvian and Bolivian parts of the sample)
    with api_world.engine.connect() as conn:
        box = conn.execute(sa.text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom)"
            " e FROM concession WHERE valid_to IS NULL) x")).one()
    assert all(abs(a - b) < 1e-4 for a, b in zip((w, s, e, n), box, strict=True)), (tj, box)
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


def test_tilejson_documented_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schema = spec["components"]["schemas"]["TileJSON"]
    assert {"tiles", "vector_layers", "bounds", "minzoom", "maxzoom"} <= set(schema["properties"])
    for path in ("/tiles/{layer}.json", "/tiles/map.json"):
        ok = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        assert ok["schema"]["$ref"].endswith("/TileJSON")
    assert "204" in spec["paths"]["/tiles/map/{z}/{x}/{y}.pbf"]["get"]["responses"]


def test_map_tilejson_lists_every_layer(client: TestClient) -> None:
    tj = client.get("/tiles/map.json").json()
    assert [v["id"] for v in tj["vector_layers"]] == list(MAP_LAYERS)
    assert "/tiles/map/{z}/{x}/{y}.pbf?v=" in tj["tiles"][0]


def _path(template: str, z: int, x: int, y: int) -> str:
    url = template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_versioned_urls_are_immutable(client: TestClient, api_world: ApiWorld) -> None:
    x, y = _tile(-69.6, -15.15, 10)
    template = client.get("/tiles/map.json").json()["tiles"][0]
    versioned = client.get(_path(template, 10, x, y))
    assert versioned.status_code == 200
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = client.get(f"/tiles/map/10/{x}/{y}.pbf")
    assert plain.headers["cache-control"] == "public, max-age=60"
    assert plain.content == versioned.content and plain.headers["etag"]
    stale = client.get(f"/tiles/map/10/{x}/{y}.pbf?v=0000000000000000")
    assert stale.status_code == 200 and stale.headers["cache-control"] == "public, max-age=60"
    # a signed-in reader gets other URLs (its own data), private to its browser
    editor_template = client.get("/tiles/map.json", headers=auth(api_world, "editor")
                                 ).json()["tiles"][0]
    assert editor_template != template
    mine = client.get(_path(editor_template, 10, x, y), headers=auth(api_world, "editor"))
    assert mine.headers["cache-control"] == "private, max-age=31536000, immutable"
    # the public URL fetched with a token is not the public tile: short-lived and private
    other = client.get(_path(template, 10, x, y), headers=auth(api_world, "editor"))
    assert other.headers["cache-control"] == "private, max-age=60"


def test_gzip_when_accepted(client: TestClient) -> None:
    x, y = _tile(-69.6, -15.15, 9)
    url = f"/tiles/concessions/9/{x}/{y}.pbf"
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["vary"]
    raw = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert zipped.content == raw.content  # httpx decodes the gzip body
    assert len(gzip.compress(raw.content)) < len(raw.content)
    assert mapbox_vector_tile.decode(raw.content)["concessions"]["features"]


def _texts(client: TestClient, headers: dict[str, str], layer: str) -> str:
    """Every decoded property of the tiles over the sample at z9 and z12, as one text."""
    out: list[str] = []
    for z in (9, 12):
        x0, y0 = _tile(-70.1, -14.8, z)
        x1, y1 = _tile(-69.2, -15.5, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                r = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", headers=headers)
                assert r.status_code in (200, 204)
                if r.status_code == 200:
                    out += [json.dumps(f["properties"], ensure_ascii=False)
                            for lyr in mapbox_vector_tile.decode(r.content).values()
                            for f in lyr["features"]]
    return "\n".join(out)


@pytest.mark.parametrize("layer", ["communities", "water", "map"])
def test_cache_never_crosses_visibility(layer: str, api_world: ApiWorld) -> None:
    """Hostile reader against the cache: the most privileged role fills it first, then every
    other role reads the same tiles from the same process and must not see more."""
    with TestClient(create_app(api_world.settings)) as c:
        seen = {role: _texts(c, auth(api_world, role), layer)
                for role in ("admin", "editor", "network", "public")}
        assert len(c.app.state.tile_cache) > 0  # type: ignore[attr-defined]
    for role, text in seen.items():
        for secret in hidden_markers(api_world.engine, role):
            assert f'"{secret}"' not in text, (role, layer, secret)
    if layer != "water":  # the network member sees its network's community, the public not
        assert '"ZZ-RED-1"' in seen["network"] and '"ZZ-RED-1"' not in seen["public"]
        assert '"ZZ-SECRETO-1"' in seen["editor"]


def test_network_members_of_other_networks_share_no_tile(api_world: ApiWorld) -> None:
    from layers import users

    with api_world.engine.begin() as conn:
        users.create_user(conn, "otra-red", "network", ["RED-02"])
        other = {"Authorization": f"Bearer {users.issue_token(conn, 'otra-red')}"}
    x, y = _tile(-69.675, -15.195, 12)  # ZZ-RED-1, a member of RED-01 only
    url = f"/tiles/communities/12/{x}/{y}.pbf"
    with TestClient(create_app(api_world.settings)) as c:
        mine = c.get(url, headers=auth(api_world, "network"))
        theirs = c.get(url, headers=other)
    assert b"ZZ-RED-1" in mine.content
    assert b"ZZ-RED-1" not in theirs.content
    assert mine.headers["etag"] != theirs.headers["etag"]
    assert theirs.headers["cache-control"].startswith("private")


def test_reclassified_record_leaves_cached_tiles(client: TestClient,
                                                 api_world: ApiWorld) -> None:
    """The cache key holds the data version: once the version moves (at once for writes
    through this app, within the version cache's few seconds for other processes), a
    reclassified community is gone from the public tile and still in the editor's."""
    from layers import communities
    from layers.versioning import write_snapshot
    from tests.api.conftest import _community

    x, y = _tile(-69.395, -15.395, 12)
    url = f"/tiles/communities/12/{x}/{y}.pbf"
    editor = auth(api_world, "editor")

    def classify(sensitivity: str) -> None:
        with api_world.engine.begin() as conn:
            write_snapshot(conn, communities.community, "id", [
                _community("ZZ-CACHE-1", "Comunidad Cache Tikapampa (prueba)", sensitivity,
                           -69.40, -15.40)],
                recorded_by="pytest", batch_id=None, source="pytest", close_missing=False)
        client.app.state.versions.invalidate()  # type: ignore[attr-defined]

    classify("public")
    assert b"ZZ-CACHE-1" in client.get(url).content
    assert b"ZZ-CACHE-1" in client.get(url).content  # now from the cache
    classify("restricted")
    assert b"ZZ-CACHE-1" not in client.get(url).content
    assert b"ZZ-CACHE-1" in client.get(url, headers=editor).content


def test_tile_cache_is_bounded() -> None:
    cache = TileCache(max_bytes=3000)
    for i in range(10):
        cache.put(i, CachedTile.of(bytes(700)))
    assert cache.bytes <= 3000 and len(cache) < 10
    assert cache.get(9) is not None and cache.get(0) is None
    assert TileCache(0).get(1) is None
    off = TileCache(0)
    off.put(1, CachedTile.of(b"x"))
    assert len(off) == 0
    assert CachedTile.of(b"tiny").gz is None  # too small for gzip to pay


def test_access_log_samples_tiles() -> None:
    sampler = TileLogSampler(100)

    def record(path: str, status: int) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                                 '%s - "%s %s HTTP/%s" %d',
                                 ("127.0.0.1:1", "GET", path, "1.1", status), None)

    kept = sum(sampler.filter(record(f"/tiles/map/10/{i}/1.pbf", 200)) for i in range(1000))
    assert kept == 10
    assert sampler.filter(record("/tiles/map/10/1/1.pbf", 500))  # errors always
    assert sampler.filter(record("/api/communities", 200))


def _merc(lon: float, lat: float) -> tuple[float, float]:
    r = 6378137.0
    return r * math.radians(lon), r * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def test_qgis_draws_tiles_with_empty_ones(api_world: ApiWorld, tmp_path: Path) -> None:
    """QGIS's XYZ vector tile provider over an extent where some tiles are 204: it draws the
    others and reports no error."""
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True)
    if probe.returncode != 0:
        pytest.fail("PyQGIS is required (scripts/setup.sh --test installs python3-qgis): "
                    + probe.stderr.decode()[-300:])
    zoom, (w, s, e, n) = 9, (-71.0, -16.5, -68.0, -14.0)
    with uvicorn_server(api_world.url, tmp_path / "access.log") as live:
        statuses = set()
        x0, y0 = _tile(w, n, zoom)
        x1, y1 = _tile(e, s, zoom)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                statuses.add(httpx.get(f"{live.base}/tiles/concessions/{zoom}/{x}/{y}.pbf"
                                       ).status_code)
        assert statuses == {200, 204}, statuses
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
               "XDG_RUNTIME_DIR": str(tmp_path)}
        template = f"{live.base}/tiles/concessions/{{z}}/{{x}}/{{y}}.pbf"
        run = subprocess.run([SYSTEM_PYTHON, str(QGIS_CLIENT), template, str(zoom),
                              *map(str, (*_merc(w, s), *_merc(e, n)))],
                             capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["valid"] and result["errors"] == [], result
    assert result["drawn"] > 100, result


def test_version_cache_last_value_and_invalidate(api_world: ApiWorld) -> None:
    """The tile path serves the last version while one refresh runs; an invalidate (an edit
    here) leaves no last value, so the next tile waits for the new version."""
    from api.state import VersionCache
    from layers import queries

    coll = queries.collection_among("water", ("water",), "Capa", "layer")
    versions = VersionCache(ttl=0.0)
    assert versions.last(coll) is None
    first = versions.get(api_world.engine, coll)
    assert versions.peek(coll) is None and versions.last(coll) == first  # stale, still known
    assert "community:" in first and "network:" in first  # what network members see of water
    versions.invalidate()
    assert versions.last(coll) is None
