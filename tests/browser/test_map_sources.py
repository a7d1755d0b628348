"""The source line of the advocacy and print maps names the mining cadastre of the data the map
draws: INGEMMET for a Peruvian network, the AJAM for a Bolivian one, both (each with its
country) when a map draws both. Read as a reader reads it: the advocacy map opened in headless
Chromium, the print map's PDF rendered and its text read back (PDFium)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from api import mapping
from geo.maps.advocacy import render_advocacy_map
from geo.maps.map_input import MapInput
from geo.maps.printmap import render_print_map
from layers import maps
from layers.queries import Viewer
from layers.users import ANONYMOUS
from tests.maps import pdfcheck
from tests.maps_world import MapWorld

pytestmark = pytest.mark.browser

PUBLIC = Viewer(ANONYMOUS, 0.01)
PERU, BOLIVIA = "RED-01", "RED-BO-01"


def _both(pe: MapInput, bo: MapInput) -> MapInput:
    """One map drawing the Peruvian and the Bolivian network together (as a binational
    network's map would): every frame is the two maps' rows."""
    def cat(a: Any, b: Any) -> Any:
        return a.__class__(pd.concat([a, b], ignore_index=True), crs=a.crs)

    return replace(pe, title="Peru + Bolivia", communities=cat(pe.communities, bo.communities),
                   concessions=cat(pe.concessions, bo.concessions),
                   water=cat(pe.water, bo.water), boundaries=cat(pe.boundaries, bo.boundaries),
                   sources=[*pe.sources, *bo.sources])


@pytest.fixture(scope="module")
def inputs(browser_world: MapWorld) -> dict[str, MapInput]:
    with browser_world.engine.connect() as conn:
        pe = maps.map_data(conn, PUBLIC, network=PERU)
        bo = maps.map_data(conn, PUBLIC, network=BOLIVIA)
    # the networks are what their names say: one country's communities each
    assert set(pe.communities["country"]) == {"PE"}
    assert set(bo.communities["country"]) == {"BO"}
    assert bo.concessions["code"].str.startswith("AJAM-").any()
    return {"peru": pe, "bolivia": bo, "both": _both(pe, bo)}


EXPECTED = {
    "es": {"peru": "Fuentes: catastro minero (INGEMMET), registro de comunidades de Allpa",
           "bolivia": "Fuentes: catastro minero (AJAM), registro de comunidades de Allpa",
           "both": "Fuentes: catastros mineros (INGEMMET, Perú; AJAM, Bolivia), registro de "
                   "comunidades de Allpa"},
    "en": {"peru": "Sources: mining cadastre (INGEMMET), Allpa community register",
           "bolivia": "Sources: mining cadastre (AJAM), Allpa community register",
           "both": "Sources: mining cadastres (INGEMMET, Peru; AJAM, Bolivia), Allpa "
                   "community register"},
}
#: the agency a map must NOT name
ABSENT = {"peru": "AJAM", "bolivia": "INGEMMET", "both": None}


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield pg, errors
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("which", ["peru", "bolivia", "both"])
def test_advocacy_map_names_the_cadastre_it_draws(
        which: str, lang: str, inputs: dict[str, MapInput], page: tuple[Any, list[str]],
        tmp_path: Path, output_dir: Path) -> None:
    pg, errors = page
    path = tmp_path / f"{which}-{lang}.html"
    path.write_text(render_advocacy_map(inputs[which], mapping.leaflet_assets(), lang=lang),
                    encoding="utf-8")
    pg.goto(path.as_uri(), wait_until="load")
    pg.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane path').length > 0",
                         timeout=15000)
    foot = pg.locator("#allpa-sources")
    assert foot.is_visible()
    line = " ".join(foot.inner_text().split())
    assert EXPECTED[lang][which] in line, line
    if ABSENT[which]:
        assert ABSENT[which] not in line, line
    if lang == "es":
        pg.screenshot(path=str(output_dir / f"sources-advocacy-{which}.png"))
    assert not errors, errors


def test_served_bolivian_advocacy_map_names_ajam(browser_world: MapWorld,
                                                 page: tuple[Any, list[str]],
                                                 tmp_path: Path) -> None:
    """The file the service and the CLI write (``api.mapping``), not only the renderer."""
    pg, _ = page
    with browser_world.engine.connect() as conn:
        out = mapping.advocacy_map(conn, PUBLIC, network=BOLIVIA)
    path = tmp_path / "bolivia.html"
    mapping.write(out, path)
    pg.goto(path.as_uri(), wait_until="load")
    line = " ".join(pg.locator("#allpa-sources").inner_text().split())
    assert EXPECTED["es"]["bolivia"] in line and "INGEMMET" not in line, line


def _pdf_text(content: bytes, name: str, output_dir: Path) -> str:
    pdfcheck.render(content, output_dir / f"sources-print-{name}")
    return " ".join(pdfcheck.look(content).text.split())


@pytest.mark.parametrize("which", ["peru", "bolivia", "both"])
def test_print_map_names_the_cadastre_it_draws(which: str, inputs: dict[str, MapInput],
                                               output_dir: Path) -> None:
    content = render_print_map(inputs[which], fmt="pdf", paper="A4", lang="es")
    text = _pdf_text(content, which, output_dir)
    # the line may wrap: compare with the line breaks taken out
    assert re.sub(r"\s", "", EXPECTED["es"][which]) in re.sub(r"\s", "", text), text[-600:]
    if ABSENT[which]:
        assert ABSENT[which] not in text, text[-600:]


def test_served_bolivian_print_map_names_ajam(browser_world: MapWorld,
                                             output_dir: Path) -> None:
    with browser_world.engine.connect() as conn:
        out = mapping.print_map(conn, PUBLIC, network=BOLIVIA, fmt="pdf", lang="en")
    text = _pdf_text(out.content, "bolivia-served-en", output_dir)
    assert "mining cadastre (AJAM)" in text and "INGEMMET" not in text, text[-600:]
