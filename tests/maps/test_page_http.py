"""What the browser map asks of the service, over HTTP: gzip on HTML, JS, CSS, JSON and
tiles; one multi-layer tile per cell (per-layer tiles kept for GIS clients); caching that
lets a second visit reuse what it has; search results with district and country, through the
same visibility as everything else."""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Iterator

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from layers.tiles import MAP_LAYERS
from tests.maps_world import INJECTION, RESTRICTED_ID, RESTRICTED_NAME, MapWorld

HTML = {"Accept": "text/html", "Accept-Encoding": "gzip"}


@pytest.fixture(scope="module")
def client(map_world: MapWorld) -> Iterator[TestClient]:
    with TestClient(create_app(map_world.settings)) as c:
        yield c


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def _raw(client: TestClient, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str],
                                                                           bytes]:
    """The response as sent on the wire (still compressed)."""
    with client.stream("GET", url, headers=headers) as r:
        body = b"".join(r.iter_raw())
        return r.status_code, dict(r.headers), body


def test_page_and_assets_are_gzipped_and_versioned(client: TestClient) -> None:
    status, headers, body = _raw(client, "/", HTML)
    assert status == 200 and headers.get("content-encoding") == "gzip"
    page = gzip.decompress(body).decode("utf-8")
    assets = re.findall(r'(?:src|href)="(/static/[^"]+\?v=[0-9a-f]{12})"', page)
    assert len(assets) == 5, assets  # leaflet css + js, vectorgrid, map css + js
    for url in assets:
        status, headers, body = _raw(client, url, {"Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("content-encoding") == "gzip", url
        assert "immutable" in headers["cache-control"] and "max-age=31536000" in \
            headers["cache-control"]
        assert len(body) < 0.5 * len(gzip.decompress(body)), url
    # the first view rides in the page: no extra round trip before the first tile
    config = re.search(r'<script type="application/json" id="allpa-config">(.*?)</script>',
                       page, re.S)
    assert config is not None
    assert '"view": [' in config.group(1) and '"tiles": "/tiles/map/' in config.group(1)
    # no inline executable script and no inline event handlers (CSP-friendly)
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)
    assert not re.search(r"\son[a-z]+\s*=", page)


def test_multi_layer_tile(client: TestClient) -> None:
    x, y = _tile(-69.6, -15.15, 10)
    status, headers, body = _raw(client, f"/tiles/map/10/{x}/{y}.pbf",
                                 {"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("content-encoding") == "gzip"
    assert headers["content-type"] == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(gzip.decompress(body))
    assert {"communities", "concessions", "water", "boundaries"} <= set(decoded), list(decoded)
    # drawing order: the catalog's map order (areas below, communities over concessions,
    # points last); every layer with features in this cell, in that order
    assert list(decoded) == [name for name in MAP_LAYERS if name in decoded]
    assert list(decoded).index("communities") > list(decoded).index("concessions")
    # the same features as the per-layer tile (kept for GIS clients)
    single = mapbox_vector_tile.decode(client.get(f"/tiles/communities/10/{x}/{y}.pbf").content)
    assert len(single["communities"]["features"]) == len(decoded["communities"]["features"])
    subset = mapbox_vector_tile.decode(
        client.get(f"/tiles/map/10/{x}/{y}.pbf?layers=communities,concessions").content)
    assert set(subset) == {"communities", "concessions"}
    assert client.get(f"/tiles/map/10/{x}/{y}.pbf?layers=secret").status_code == 404
    assert client.get("/tiles/map/30/0/0.pbf").status_code == 400


def test_second_visit_revalidates_tiles(client: TestClient) -> None:
    x, y = _tile(-69.6, -15.15, 10)
    first = client.get(f"/tiles/map/10/{x}/{y}.pbf")
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    again = client.get(f"/tiles/map/10/{x}/{y}.pbf", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_public_tile_hides_restricted(client: TestClient) -> None:
    for z in (8, 9):
        xx, yy = _tile(-69.6, -15.15, z)
        decoded = mapbox_vector_tile.decode(client.get(f"/tiles/map/{z}/{xx}/{yy}.pbf").content)
        ids = {f["properties"].get("id") for f in decoded.get("communities", {"features": []})
               ["features"]}
        assert ids and RESTRICTED_ID not in ids


def test_search_says_where(client: TestClient) -> None:
    items = client.get("/map/search.json", params={"q": "wayra"}).json()["items"]
    assert len(items) >= 2
    assert all(i["district"] and i["country"] == "PE" for i in items)
    assert {i["district"] for i in items} >= {"Qhapaq Marka"}
    assert client.get("/map/search.json", params={"q": "Reservadisima"}).json()["items"] == []
    hits = client.get("/map/search.json", params={"q": "script"}).json()["items"]
    assert [h["name"] for h in hits] == [INJECTION]  # JSON data; the page sets it as text


def test_page_hides_restricted_and_says_fictional(client: TestClient) -> None:
    page = client.get("/", headers=HTML).text
    assert RESTRICTED_NAME not in page and RESTRICTED_ID not in page
    assert "DATOS FICTICIOS" in page
    assert "Qhapaq Marka" in page  # reference layer: district names from the boundaries
