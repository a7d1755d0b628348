"""OGC API – Features with a real client: GDAL's OAPIF driver against uvicorn.

The server runs in a separate process: pyogrio keeps the GIL while GDAL fetches, so a server
thread in the test process would never answer.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyogrio
import pytest

from tests.api.conftest import ApiWorld

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(api_world: ApiWorld, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[str, Path]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    log = tmp_path_factory.mktemp("uvicorn") / "access.log"
    env = {**os.environ, "ALLPA_DATABASE_URL": api_world.url}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            pytest.fail("uvicorn did not start: " + log.read_text())
        yield base, log
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_gdal_lists_and_reads_every_layer(server: tuple[str, Path]) -> None:
    base, _ = server
    url = f"OAPIF:{base}/ogc"
    layers = dict(pyogrio.list_layers(url).tolist())
    assert set(layers) == {"communities", "concessions", "water", "consultations",
                           "boundaries"}
    assert layers["concessions"] == "MultiPolygon"
    for layer in layers:
        expected = httpx.get(f"{base}/ogc/collections/{layer}/items?limit=1").json()
        df = pyogrio.read_dataframe(url, layer=layer)
        assert len(df) == expected["numberMatched"], layer
    concessions = pyogrio.read_dataframe(url, layer="concessions")
    assert {"code", "name", "holder", "state", "official_ha"} <= set(concessions.columns)
    assert concessions["code"].is_unique and concessions["code"].str.len().eq(9).all()
    bounds = concessions.total_bounds
    assert -71 < bounds[0] < bounds[2] < -68 and -16 < bounds[1] < bounds[3] < -14


def test_gdal_pages_with_next_links(server: tuple[str, Path]) -> None:
    base, log = server
    url = f"OAPIF:{base}/ogc"
    total = httpx.get(f"{base}/ogc/collections/concessions/items?limit=1").json()[
        "numberMatched"]
    df = pyogrio.read_dataframe(url, layer="concessions", PAGE_SIZE=50)
    assert len(df) == total > 100
    assert df["code"].is_unique
    requests = log.read_text()
    assert "offset=50" in requests and "offset=100" in requests


def test_ogc_documents(server: tuple[str, Path]) -> None:
    base, _ = server
    landing = httpx.get(f"{base}/ogc").json()
    rels = {link["rel"]: link for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert all("type" in link for link in landing["links"])
    conf = httpx.get(rels["conformance"]["href"]).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf
    coll = httpx.get(f"{base}/ogc/collections/water").json()
    assert coll["extent"]["spatial"]["bbox"][0][0] < -69
    page = httpx.get(f"{base}/ogc/collections/water/items?limit=10&offset=10")
    assert page.headers["content-type"] == "application/geo+json"
    body = page.json()
    assert body["numberReturned"] == 10
    assert {link["rel"] for link in body["links"]} >= {"self", "next", "prev", "collection"}
    fid = body["features"][0]["id"]
    one = httpx.get(f"{base}/ogc/collections/water/items/{fid}").json()
    assert one["id"] == fid and one["type"] == "Feature"
    missing = httpx.get(f"{base}/ogc/collections/water/items/NOPE")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert httpx.get(f"{base}/ogc/collections/rios").status_code == 404
    assert httpx.get(f"{base}/ogc/collections/water/items?bbox=1,2").status_code == 400
