"""The network page /redes/{id} in headless Chromium, as the public and as a signed-in
member of the network, at 390×844 and on a desktop: member cards with Spanish legal-status
labels (never codes), the framed advocacy map draws its features (offline: nothing from
another host), the indicator bars are drawn, the membership history shows who joined and who
left after a real import, nothing sticks out sideways, no script errors. A member's link
opens its panel on the map; the map header links the networks."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from geo.programme import parse_targets
from layers import indicators, programme, users
from layers.importer import import_file
from tests.browser.helpers import SIZES, open_page, sign_in
from tests.maps_world import (
    NETWORK,
    RESTRICTED_ID,
    RESTRICTED_NAME,
    LiveServer,
    MapWorld,
    live_server,
    map_world_fixture,
)

pytestmark = pytest.mark.browser

MEMBER, PASSWORD = "lideresa-red", "clave-de-la-red-larga"
LABELS = {"Inscrita", "En trámite", "Sin personería jurídica", "Sin dato"}
LEFT, JOINED = "HF-001", "HF-002"


@pytest.fixture(scope="module")
def net_world(settings: Any, tmp_path_factory: Any) -> Iterator[MapWorld]:
    """Its own database: a network member with a password; a target for RED-01; and an
    import of the networks file in which HF-001 leaves RED-01 and HF-002 joins it."""
    tmp = tmp_path_factory.mktemp("redes")
    for world in map_world_fixture(settings, "netpage"):
        with world.engine.begin() as conn:
            users.create_user(conn, MEMBER, "network", [NETWORK])
            users.set_password(conn, MEMBER, PASSWORD)
            programme.store_targets(conn, parse_targets([{
                "programa": "PROG-DEMO", "indicador": "legal_personalities", "meta": "3",
                "desde": "2022-01-01", "hasta": "2026-12-31", "ambito": f"red:{NETWORK}"}],
                indicators.INDICATOR_IDS), recorded_by="pytest", source="pytest")
            rows = [dict(r) for r in conn.execute(sa.text(
                "SELECT id, name, description, members FROM network WHERE valid_to IS NULL "
                "ORDER BY id")).mappings()]
        path = tmp / "redes_acta.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "nombre", "descripcion", "miembros"])
            for r in rows:
                members = set(r["members"])
                if r["id"] == NETWORK:
                    assert LEFT in members and JOINED not in members
                    members = (members - {LEFT}) | {JOINED}
                w.writerow([r["id"], r["name"], r["description"], ";".join(sorted(members))])
        with world.engine.begin() as conn:
            report = import_file(conn, "networks", path, recorded_by="Abg. Quispe",
                                 source="Acta de asamblea (prueba)")
        assert report.changed_keys == [NETWORK]
        yield world


@pytest.fixture(scope="module")
def net_server(net_world: MapWorld) -> Iterator[LiveServer]:
    yield from live_server(net_world)


def _expected_members(world: MapWorld, role: str) -> set[str]:
    """Plain SQL, not layers.visibility: whom each reader may see among the members."""
    levels = {"public": ("public",), "network": ("public", "network")}[role]
    with world.engine.connect() as conn:
        return {str(i) for (i,) in conn.execute(sa.text(
            "SELECT c.id FROM community c, network n WHERE n.id = :n AND n.valid_to IS NULL "
            "AND c.valid_to IS NULL AND c.id = ANY(n.members) AND c.sensitivity = ANY(:l)"),
            {"n": NETWORK, "l": list(levels)})}


def _check_page(page: Any, world: MapWorld, role: str, width: int) -> None:
    """What a person sees on /redes/RED-01 (already loaded)."""
    with world.engine.connect() as conn:
        name = conn.execute(sa.text("SELECT name FROM network WHERE id = :n AND valid_to IS "
                                    "NULL"), {"n": NETWORK}).scalar_one()
    assert page.locator("h1").inner_text() == name
    cards = page.locator("#members li.member")
    shown = set(cards.evaluate_all("els => els.map(e => e.dataset.community)"))
    assert shown == _expected_members(world, role)
    assert LEFT not in shown and JOINED in shown
    statuses = set(page.locator("#members dd.legal-status").all_inner_texts())
    assert statuses and statuses <= LABELS, statuses
    body = page.locator("main").inner_text()
    for code in ("registered", "in_process", "comunidad_campesina"):
        assert code not in body
    assert RESTRICTED_ID not in page.content() and RESTRICTED_NAME not in page.content()
    assert page.locator("#cases-hidden").is_visible()  # cases: editors only
    # membership history: HF-001 left and HF-002 joined, by whom and from which source
    history = page.locator("#history").inner_text()
    latest = page.locator("#history li.version").first  # newest first: the import
    text = latest.inner_text()
    assert "Abg. Quispe" in text and "Acta de asamblea (prueba)" in text
    assert latest.locator(f"p.left .event[data-community='{LEFT}']").count() == 1
    assert "Salió (1)" in latest.locator("p.left").inner_text()
    assert latest.locator(f"p.joined .event[data-community='{JOINED}']").count() == 1
    assert "Se unió (1)" in latest.locator("p.joined").inner_text()
    first = page.locator("#history li.version").last  # the network as first recorded
    assert first.locator("p.joined .event").count() >= 10
    assert RESTRICTED_ID not in history
    # indicators: every bar drawn, the network's target marked
    bars = page.evaluate("""() => [...document.querySelectorAll('#indicators svg.bar')].map(s =>
        { const r = s.querySelector('rect.track').getBoundingClientRect();
          return [r.width, r.height]; })""")
    cards = page.locator("#indicators li.indicator").count()
    # the case indicators (restricted source) say "reserved" instead of a number and a bar
    reserved = page.locator("#indicators .figure.reserved .reserved-note")
    assert reserved.count() == 2 and reserved.first.inner_text().startswith("Reservado")
    assert cards >= 15 and len(bars) == cards - 2
    assert all(w > 100 and h > 5 for w, h in bars), bars
    target = page.locator("#ind-legal_personalities")
    assert "/ 3" in target.locator(".figure").inner_text()
    assert target.locator("svg.bar rect.target").count() == 1
    # the framed advocacy map draws its features
    frame = page.frame_locator("#network-map")
    frame.locator(".leaflet-overlay-pane path").first.wait_for(timeout=30000)
    paths = frame.locator(".leaflet-overlay-pane path").count()
    assert paths >= len(shown), paths
    box = page.locator("#network-map").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 300
    # nothing sideways
    overflow = page.evaluate("""() => {
        const W = document.documentElement.clientWidth;
        const out = [...document.querySelectorAll('body *')].filter(e => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && (r.right > W + 1 || r.left < -1); }).map(e => e.tagName
            + '.' + e.className);
        return {scroll: document.documentElement.scrollWidth, W, out}; }""")
    assert overflow["scroll"] <= width and overflow["out"] == [], overflow


@pytest.mark.parametrize("size", sorted(SIZES))
def test_network_page(size: str, browser: Any, net_world: MapWorld, net_server: LiveServer,
                      output_dir: Path) -> None:
    base = net_server.base_url
    context, page, errors = open_page(browser, size)
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc)
            if r.url.startswith("http") else None)
    try:
        # the public: public members only
        page.goto(base + f"/redes/{NETWORK}", wait_until="load")
        _check_page(page, net_world, "public", SIZES[size]["width"])
        page.screenshot(path=str(output_dir / f"network-{size}-public.png"), full_page=True)

        # a member of the network signs in: the map header links the networks
        sign_in(page, base, MEMBER, PASSWORD)
        assert page.locator("#networks-link").get_attribute("href") == "/redes?lang=es"
        page.locator("#networks-link").click()
        page.wait_for_selector(f"li.network-card[data-network='{NETWORK}'] a")
        page.locator(f"li.network-card[data-network='{NETWORK}'] h2 a").click()
        page.wait_for_selector("#members li.member")
        _check_page(page, net_world, "network", SIZES[size]["width"])
        assert len(_expected_members(net_world, "network")) > len(
            _expected_members(net_world, "public"))  # the member sees more than the public
        page.screenshot(path=str(output_dir / f"network-{size}-member.png"), full_page=True)
        page.locator("#map-section").scroll_into_view_if_needed()
        page.screenshot(path=str(output_dir / f"network-{size}-map.png"))

        # a member's link opens its panel on the map
        card = page.locator(f"#members li.member[data-community='{JOINED}']")
        member_name = card.locator("h3 a").inner_text()
        card.locator(".map-link a").click()
        page.wait_for_selector("#panel:not([hidden]) #panel-name", timeout=15000)
        assert page.locator("#panel-name").inner_text() == member_name
        page.screenshot(path=str(output_dir / f"network-{size}-panel.png"))

        # English through the same switch as the other pages
        page.goto(base + f"/redes/{NETWORK}?lang=en", wait_until="load")
        assert "Membership history" in page.locator("#history h2").inner_text()
        assert set(page.locator("#members dd.legal-status").all_inner_texts()) <= {
            "Registered", "In process", "No legal personality", "Unknown"}
        assert errors == [], errors
        assert hosts == {urlsplit(base).netloc}, hosts  # nothing from another host
    finally:
        context.close()
