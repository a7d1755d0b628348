"""Print maps looked at as printed: rendered to PNG (PDFium), text read with its position.
A community map shows its overlaps (code and hectares) and water at risk, a point-only
community its search radius marked as an estimate; nothing runs off the page or prints over
other text; degree labels are plain; the page is filled; a locator inset is there."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from api import mapping
from layers.queries import Viewer
from layers.users import Principal
from tests.maps import pdfcheck
from tests.maps_world import NETWORK, MapWorld

EDITOR = Viewer(Principal("abogada", "editor"), 0.01)
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


def _point_only_id(world: MapWorld) -> str:
    """A Peruvian one: the sample rasters (the frame's hillshade) cover the Peruvian province
    only, and the frame-filled check needs them."""
    import sqlalchemy as sa

    with world.engine.connect() as conn:
        return str(conn.execute(sa.text(
            "SELECT c.id FROM community c WHERE c.valid_to IS NULL AND c.territory IS NULL "
            "AND c.country = 'PE' "
            "AND EXISTS (SELECT 1 FROM overlap o WHERE o.community_id = c.id AND "
            "o.valid_to IS NULL AND o.other_kind = 'concession') ORDER BY c.id LIMIT 1"))
            .scalar_one())


def _overlap_ha(world: MapWorld, community_id: str) -> dict[str, float]:
    import sqlalchemy as sa

    with world.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT other_id, intersection_ha FROM overlap WHERE community_id = :c AND "
            "valid_to IS NULL AND other_kind = 'concession' AND NOT estimate"),
            {"c": community_id})
        return {str(k): float(v) for k, v in rows}


def _render(world: MapWorld, name: str, **target: str) -> tuple[pdfcheck.PdfLook, bytes]:
    with world.engine.connect() as conn:
        out = mapping.print_map(conn, EDITOR, fmt="pdf", paper="A4", **target)
    OUTPUT.mkdir(exist_ok=True)
    pdfcheck.render(out.content, OUTPUT / f"print-{name}")
    return pdfcheck.look(out.content), out.content


def _common(look: pdfcheck.PdfLook, name: str) -> None:
    assert len(look.sizes) == 1
    assert not pdfcheck.off_page(look), [r.text for r in pdfcheck.off_page(look)]
    assert not re.search(r"\d[eE][+-]?\d", look.text), "e-notation in the labels"
    assert "° S" in look.text and "° O" in look.text
    assert "Ubicación" in look.text  # the locator inset
    assert "Leyenda" in look.text and "Datos de muestra FICTICIOS" in look.text
    img = np.asarray(Image.open(OUTPUT / f"print-{name}-1.png").convert("L"))
    h, w = img.shape
    mapped = img[int(0.1 * h):int(0.9 * h), int(0.07 * w):int(0.69 * w)]
    assert (mapped < 245).mean() > 0.8, "the map frame is not filled"


def test_community_print_map_shows_the_overlaps(map_world: MapWorld) -> None:
    look, data = _render(map_world, "community-HF-001", community="HF-001")
    _common(look, "community-HF-001")
    ha = _overlap_ha(map_world, "HF-001")
    assert ha
    for code, value in ha.items():
        if value >= 1:
            assert code in look.text and f"{value:.1f} ha" in look.text, (code, value)
    assert "Superposición con concesión: Titulada" in look.text
    assert "Comunidad (contorno)" in look.text
    assert "1 comunidades" not in look.text
    assert not pdfcheck.overprinted_chars(data), pdfcheck.overprinted_chars(data)[:3]


def test_point_only_print_map_is_an_estimate(map_world: MapWorld) -> None:
    cid = _point_only_id(map_world)
    look, _ = _render(map_world, "community-point-only", community=cid)
    _common(look, "community-point-only")
    assert "ESTIMACIÓN" in look.text
    assert "Radio de búsqueda: 5 km (estimación)" in look.text
    assert "Concesión en el radio" in look.text
    assert re.search(r"\d{9}\s*\n?\s*\d+\.\d km", look.text)  # code and distance
    # a readable scale: the frame spans kilometres, not a 150 m window
    assert re.search(r"\b(1|2|5) km\b", look.text)


@pytest.mark.parametrize("paper", ["A4", "A3"])
def test_network_print_map_fits_the_page(map_world: MapWorld, paper: str) -> None:
    with map_world.engine.connect() as conn:
        out = mapping.print_map(conn, EDITOR, network=NETWORK, fmt="pdf", paper=paper)
    OUTPUT.mkdir(exist_ok=True)
    pdfcheck.render(out.content, OUTPUT / f"print-network-{paper}")
    look = pdfcheck.look(out.content)
    _common(look, f"print-network-{paper}".removeprefix("print-"))
    assert "Agua en riesgo (dentro de concesión)" in look.text
    assert re.search(r"· \d+ comunidades", look.text)
