"""Advocacy maps (standalone, offline, escaped, visibility-filtered, ≤ 2 MB), print maps
(PNG/PDF on A4/A3) and dossiers (HTML/PDF with history and evidence) over CLI-level
functions and HTTP."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
import shapely
from fastapi.testclient import TestClient
from matplotlib.backends.backend_pdf import PdfPages  # noqa: F401  (backend importable)
from PIL import Image

from api import mapping
from api.app import create_app
from geo.maps.simplify import simplify_coverage, simplify_plain
from layers import maps
from layers.queries import Viewer
from layers.users import ANONYMOUS, Principal
from tests.maps_world import (
    INJECTION,
    INJECTION_ID,
    NETWORK,
    RESTRICTED_ID,
    RESTRICTED_NAME,
    RESTRICTED_SPRING,
    MapWorld,
)

PUBLIC = Viewer(ANONYMOUS, 0.01)
EDITOR = Viewer(Principal("abogada", "editor"), 0.01)
TWO_MB = 2 * 1024 * 1024
CONCESSION_FILE = "concesiones_ingemmet_19s.zip"


@pytest.fixture(scope="module")
def client(map_world: MapWorld) -> Iterator[TestClient]:
    with TestClient(create_app(map_world.settings)) as c:
        yield c


def _concession_sha(world: MapWorld) -> str:
    with world.engine.connect() as conn:
        from layers.batches import list_batches

        rows = [b for b in list_batches(conn, "concessions") if b["file_name"] == CONCESSION_FILE]
    assert rows
    return str(rows[0]["sha256"])


def _no_external_assets(page: str) -> None:
    assert not re.search(r"<script[^>]+src=[\"']?https?://", page, re.I)
    assert not re.search(r"<link[^>]+href=[\"']?https?://", page, re.I)
    assert not re.search(r"(?:src|href)=[\"']//", page)
    for cdn in ("cdn.jsdelivr", "cdnjs", "unpkg", "code.jquery", "bootstrapcdn", "fontawesome"):
        assert cdn not in page


def test_network_map_public_is_small_offline_escaped_and_filtered(map_world: MapWorld) -> None:
    with map_world.engine.connect() as conn:
        out = mapping.advocacy_map(conn, PUBLIC, network=NETWORK)
        data = maps.map_data(conn, EDITOR, network=NETWORK)
    assert len(data.communities) >= 50  # the ~50-member network (+ test records)
    page = out.content.decode("utf-8")
    assert len(out.content) <= TWO_MB, len(out.content)
    _no_external_assets(page)
    assert "L.map(" in page or "L.map (" in page  # Leaflet inlined, map built
    assert INJECTION not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page or \
        "&amp;lt;script&amp;gt;" in page or "\\u0026lt;script" in page
    assert RESTRICTED_NAME not in page and RESTRICTED_ID not in page
    assert RESTRICTED_SPRING not in page
    assert "Leyenda" in page and "Fecha" in page and "Fuentes" in page
    # land-cover overlay from the sample raster, embedded as a PNG (offline), off by default
    assert "Cobertura del suelo (raster)" in page and "data:image/png;base64," in page


def test_network_map_by_name_and_editor_version(map_world: MapWorld) -> None:
    with map_world.engine.connect() as conn:
        net = maps.resolve_network(conn, EDITOR, NETWORK)
        out = mapping.advocacy_map(conn, EDITOR, network=str(net["name"]), lang="en")
    page = out.content.decode("utf-8")
    assert len(out.content) <= TWO_MB
    assert RESTRICTED_NAME in page  # editors see restricted communities
    assert "Legend" in page and INJECTION not in page


def test_public_springs_are_generalised(map_world: MapWorld) -> None:
    with map_world.engine.connect() as conn:
        pub = maps.map_data(conn, PUBLIC, network=NETWORK)
        full = maps.map_data(conn, EDITOR, network=NETWORK)
    springs = pub.water[pub.water["kind"] == "spring"]
    assert not springs.empty
    xs = springs.geometry.x / 0.01
    assert ((xs - xs.round()).abs() < 1e-6).all()  # snapped to the public 0.01° grid
    assert set(pub.water["id"]) < set(full.water["id"])


def test_coverage_simplification_keeps_shared_borders(map_world: MapWorld) -> None:
    with map_world.engine.connect() as conn:
        data = maps.map_data(conn, EDITOR, network=NETWORK)
    polys = data.communities[data.communities.geom_type.isin(["Polygon", "MultiPolygon"])]
    simple = simplify_coverage(polys, 2e-3)
    plain = simplify_plain(polys, 2e-3)
    geoms, sgeoms, pgeoms = list(polys.geometry), list(simple.geometry), list(plain.geometry)
    checked = 0
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            if geoms[i].touches(geoms[j]) and not geoms[i].overlaps(geoms[j]):
                checked += 1
                # neighbours still share a border; no gap or overlap appears between them
                assert sgeoms[i].intersection(sgeoms[j]).area < 1e-9
                assert sgeoms[i].distance(sgeoms[j]) < 1e-9
    assert all(shapely.is_valid(g) for g in sgeoms)
    assert sum(shapely.get_num_coordinates(g) for g in sgeoms) < \
        sum(shapely.get_num_coordinates(g) for g in geoms)
    del pgeoms, checked


def test_community_map_and_http_routes(map_world: MapWorld, client: TestClient) -> None:
    r = client.get(f"/maps/network/{NETWORK}.html")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert len(r.content) <= TWO_MB
    _no_external_assets(r.text)
    assert RESTRICTED_NAME not in r.text and INJECTION not in r.text
    r = client.get(f"/maps/community/{INJECTION_ID}.html")
    assert r.status_code == 200 and INJECTION not in r.text
    assert client.get(f"/maps/community/{RESTRICTED_ID}.html").status_code == 404
    assert client.get("/maps/network/NO-EXISTE.html").status_code == 404


@pytest.mark.parametrize(("fmt", "paper", "inches"), [("png", "A4", (11.69, 8.27)),
                                                     ("pdf", "A3", (16.54, 11.69)),
                                                     ("pdf", "A4", (11.69, 8.27))])
def test_print_map(map_world: MapWorld, fmt: str, paper: str,
                   inches: tuple[float, float]) -> None:
    with map_world.engine.connect() as conn:
        out = mapping.print_map(conn, PUBLIC, network=NETWORK, fmt=fmt, paper=paper)
    if fmt == "png":
        assert out.content[:8] == b"\x89PNG\r\n\x1a\n"
        img = Image.open(io.BytesIO(out.content))
        assert abs(img.size[0] - inches[0] * 150) <= 1 and abs(img.size[1] - inches[1] * 150) <= 1
    else:
        assert out.content[:5] == b"%PDF-"
        box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", out.content)
        assert box is not None
        w, h = float(box.group(1)), float(box.group(2))
        assert abs(w - inches[0] * 72) < 1 and abs(h - inches[1] * 72) < 1


def test_print_map_over_http(client: TestClient) -> None:
    r = client.get("/maps/community/HF-001.png?paper=A4")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"


def test_dossier_html(map_world: MapWorld, client: TestClient) -> None:
    sha = _concession_sha(map_world)
    r = client.get("/reports/community/HF-001.html")
    assert r.status_code == 200
    page = r.text
    assert sha in page and CONCESSION_FILE in page and "EPSG:32719" in page
    assert "Personería jurídica" in page and "Historial" in page and "v1" in page
    assert "014057497" in page and "MINERA QORI WASI" in page  # concession + holder
    assert "Ley 29785" in page  # flag legal reference
    assert "data:image/png;base64," in page  # the map
    _no_external_assets(page)
    en = client.get("/reports/community/HF-001.html?lang=en").text
    assert "Community legal dossier" in en and sha in en
    injected = client.get(f"/reports/community/{INJECTION_ID}.html").text
    assert INJECTION not in injected and "&lt;script&gt;" in injected


def test_dossier_pdf(map_world: MapWorld, client: TestClient) -> None:
    sha = _concession_sha(map_world)
    r = client.get("/reports/community/HF-001.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content[:5] == b"%PDF-"
    assert r.content.count(b"/Type /Page\n") + r.content.count(b"/Type /Page ") >= 2 or \
        len(re.findall(rb"/Type\s*/Page\b", r.content)) >= 2
    assert sha.encode() in r.content  # evidence hashes are in the PDF metadata too


def test_cli_map_and_report(map_world: MapWorld, tmp_path: object,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from typer.testing import CliRunner

    from api.cli.main import app

    out = Path(str(tmp_path))
    monkeypatch.setenv("ALLPA_DATABASE_URL", map_world.db_url)
    runner = CliRunner()
    res = runner.invoke(app, ["map", "network", NETWORK, "-o", str(out / "red.html"),
                              "--public"])
    assert res.exit_code == 0, res.output
    assert (out / "red.html").stat().st_size <= TWO_MB
    res = runner.invoke(app, ["map", "community", "HF-001", "-o", str(out / "c.pdf"),
                              "--paper", "A3"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["report", "community", "HF-001", "-o", str(out / "d.html")])
    assert res.exit_code == 0, res.output
    assert _concession_sha(map_world) in (out / "d.html").read_text(encoding="utf-8")
    res = runner.invoke(app, ["map", "network", "NO-EXISTE", "-o", str(out / "x.html")])
    assert res.exit_code == 2
