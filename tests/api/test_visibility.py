"""Every read endpoint × every role: nothing hidden leaks; public springs are on the grid."""

from __future__ import annotations

import io
import json
import math
import zipfile
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import PUBLIC_SPRING, ROLES, ApiWorld, auth, hidden_markers

GRID = 0.01

ENDPOINTS = [
    "/api/communities?limit=1000",
    "/api/communities?limit=1000&f=geojson",
    "/api/communities?q=prueba&limit=1000",
    "/api/communities?network=RED-01&limit=1000",
    "/api/communities?flagged=true",
    "/api/communities/HF-001",
    "/api/communities/HF-001?f=geojson",
    "/api/communities/HF-001/history",
    "/api/water?limit=1000",
    "/api/water?limit=1000&f=geojson",
    "/api/water?kind=spring&limit=1000&bbox=-70.5,-16,-69,-14.5",
    "/api/networks",
    "/api/flags?limit=1000",
    "/api/batches?limit=1000",
    "/ogc/collections",
    "/ogc/collections/communities/items?limit=10000",
    "/ogc/collections/water/items?limit=10000",
    "/tiles/communities.json",
    "/tiles/water.json",
    "/api/communities/export?format=geojson",
    "/api/communities/export?format=csv",
    "/api/water/export?format=geojson",
    "/api/water/export?format=csv",
    "/api/water/export?format=kml",
    "/api/networks/export?format=csv",
    "/api/alerts", "/api/alerts?network=RED-01", "/api/alerts?lang=en",
    "/feeds/networks/RED-01.atom", "/feeds/communities/HF-001.atom",
]


def _lon_lat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int, float, float]:
    n = 1 << z
    fx = (lon + 180.0) / 360.0 * n
    rad = math.radians(lat)
    fy = (1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n
    return int(fx), int(fy), fx, fy


def _tile_texts(client: TestClient, headers: dict[str, str]) -> list[str]:
    """Decoded property values of the tiles that cover the sample at z9 and z12."""
    texts: list[str] = []
    for layer in ("communities", "water"):
        for z in (9, 12):
            x0, y0, _, _ = _lon_lat_to_tile(-70.1, -14.8, z)
            x1, y1, _, _ = _lon_lat_to_tile(-69.2, -15.5, z)
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    r = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", headers=headers)
                    assert r.status_code in (200, 204)  # 204: empty tile
                    for lyr in mapbox_vector_tile.decode(r.content).values():
                        texts += [json.dumps(f["properties"], ensure_ascii=False)
                                  for f in lyr["features"]]
    return texts


def _springs_on_grid(features: list[dict[str, Any]]) -> int:
    checked = 0
    for f in features:
        props, geom = f["properties"], f["geometry"]
        if props.get("kind") == "spring" and geom and geom["type"] == "Point":
            for v in geom["coordinates"]:
                assert abs(v / GRID - round(v / GRID)) < 1e-6, (props.get("id"), v)
            checked += 1
    return checked


@pytest.mark.parametrize("role", ROLES)
def test_nothing_hidden_leaks(role: str, client: TestClient, api_world: ApiWorld) -> None:
    secrets = hidden_markers(api_world.engine, role)
    if role in ("public", "network"):
        assert "ZZ-SECRETO-1" in secrets and "ZZ-AGUA-SECRETA" in secrets
    else:
        assert not secrets
    headers = auth(api_world, role)
    for path in ENDPOINTS:
        r = client.get(path, headers=headers)
        assert r.status_code == 200, (path, r.text[:300])
        text = r.content.decode("utf-8")
        for secret in secrets:
            assert f'"{secret}"' not in text and f"{secret}," not in text \
                and f">{secret}<" not in text, (role, path, secret)
    for text in _tile_texts(client, headers):
        for secret in secrets:
            assert f'"{secret}"' not in text, (role, "tiles", secret)
    detail = client.get("/api/communities/ZZ-SECRETO-1", headers=headers)
    assert detail.status_code == (200 if role in ("editor", "admin") else 404)
    net = client.get("/api/communities/ZZ-RED-1", headers=headers)
    assert net.status_code == (404 if role == "public" else 200)


@pytest.mark.parametrize("role", ROLES)
def test_counts_follow_visibility(role: str, client: TestClient, api_world: ApiWorld) -> None:
    headers = auth(api_world, role)
    api_total = client.get("/api/water?limit=1", headers=headers).json()["total"]
    ogc_total = client.get("/ogc/collections/water/items?limit=1",
                           headers=headers).json()["numberMatched"]
    export = client.get("/api/water/export?format=geojson", headers=headers).json()
    assert api_total == ogc_total == len(export["features"])
    levels = {"public": 1, "network": 2, "editor": 3, "admin": 3}[role]
    sens = {f["properties"]["sensitivity"] for f in export["features"]}
    assert len(sens) == levels


def test_public_springs_are_generalised(client: TestClient, api_world: ApiWorld) -> None:
    fc = client.get("/api/water?limit=1000&f=geojson").json()
    assert _springs_on_grid(fc["features"]) >= 10
    ogc = client.get("/ogc/collections/water/items?limit=10000").json()
    assert _springs_on_grid(ogc["features"]) == _springs_on_grid(fc["features"])
    export = client.get("/api/water/export?format=geojson").json()
    assert _springs_on_grid(export["features"]) >= 10
    one = client.get(f"/ogc/collections/water/items/{PUBLIC_SPRING[0]}").json()
    assert one["geometry"]["coordinates"] == pytest.approx([-69.61, -15.12])
    csv_text = client.get("/api/water/export?format=csv").text
    assert "-69.61234" not in csv_text and "-69.61 -15.12" in csv_text
    # network members and editors see the exact point
    exact = client.get(f"/api/water/{PUBLIC_SPRING[0]}?f=geojson",
                       headers=auth(api_world, "network")).json()
    assert exact["geometry"]["coordinates"] == pytest.approx(list(PUBLIC_SPRING[1:]))
    # and tiles draw the public point where the grid puts it, not where it is
    z = 14
    x, y, _, _ = _lon_lat_to_tile(PUBLIC_SPRING[1], PUBLIC_SPRING[2], z)
    tile = mapbox_vector_tile.decode(
        client.get(f"/tiles/water/{z}/{x}/{y}.pbf").content,
        default_options={"y_coord_down": True})["water"]
    _, _, gx, gy = _lon_lat_to_tile(-69.61, -15.12, z)
    _, _, ox, oy = _lon_lat_to_tile(PUBLIC_SPRING[1], PUBLIC_SPRING[2], z)
    points = [f["geometry"]["coordinates"] for f in tile["features"]
              if f["properties"].get("id") == PUBLIC_SPRING[0]]
    assert len(points) == 1
    px, py = points[0]
    assert abs(px - (gx - x) * 4096) <= 2 and abs(py - (gy - y) * 4096) <= 2
    assert abs(px - (ox - x) * 4096) > 20 or abs(py - (oy - y) * 4096) > 20


def test_shapefile_export_respects_visibility(client: TestClient) -> None:
    r = client.get("/api/water/export?format=shp")
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        blob = b"".join(zf.read(n) for n in zf.namelist())
    assert b"ZZ-AGUA-SECRETA" not in blob and b"ZZ-AGUA-RED" not in blob


# --- browser sessions: a cookie reads exactly what its role may -----------------------------

COOKIE_USERS = {"network": "miembro", "editor": "abogada"}
COOKIE_PASSWORD = "contrasena-de-prueba-1"


@pytest.mark.parametrize("role", sorted(COOKIE_USERS))
def test_cookie_session_sees_only_what_its_role_may(role: str, api_world: ApiWorld) -> None:
    from api.app import create_app
    from layers import users
    from tests.api.session_util import sign_in

    with api_world.engine.begin() as conn:
        users.set_password(conn, COOKIE_USERS[role], COOKIE_PASSWORD)
    secrets = hidden_markers(api_world.engine, role)
    with TestClient(create_app(api_world.settings)) as browser:
        status, _ = sign_in(browser, COOKIE_USERS[role], COOKIE_PASSWORD)
        assert status == 303 and browser.cookies.get("allpa_session")
        paths = [*ENDPOINTS, "/?f=html", "/map/severity.json", "/map/panel/HF-001.json",
                 "/map/search.json?q=prueba", "/maps/network/RED-01.html"]
        for path in paths:
            r = browser.get(path)
            assert r.status_code == 200, (path, r.text[:300])
            text = r.content.decode("utf-8")
            for secret in secrets:
                assert f'"{secret}"' not in text and f"{secret}," not in text \
                    and f">{secret}<" not in text, (role, path, secret)
        for text in _tile_texts(browser, {}):
            for secret in secrets:
                assert f'"{secret}"' not in text, (role, "tiles", secret)
        # the cookie does give the role's view (the scan could fail)
        net = browser.get("/api/communities/ZZ-RED-1")
        assert net.status_code == 200
        hidden = browser.get("/api/communities/ZZ-SECRETO-1")
        assert hidden.status_code == (200 if role == "editor" else 404)
        page = browser.get("/?f=html").text
        assert COOKIE_USERS[role] in page and 'id="sign-out"' in page
    # without the cookie the same client is anonymous again
    with TestClient(create_app(api_world.settings)) as anonymous:
        assert anonymous.get("/api/communities/ZZ-RED-1").status_code == 404
