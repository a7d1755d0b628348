""""Mis avisos" (/avisos) in headless Chromium, at 390×844 and on a desktop: an anonymous
visitor gets a sign-in prompt; a network member signs in, adds a daily e-mail subscription to
their network with the form, sees it listed (Spanish labels, never codes) and removes it; the
database keeps the stopped row. Nothing sticks out sideways, no script errors; the restricted
community is never offered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from layers import delivery, users
from layers.config import load_settings
from tests.api.alert_fixtures import add_alerts
from tests.browser.helpers import SIZES, no_sideways_scroll, open_page, submit_sign_in
from tests.maps_world import (
    NETWORK,
    RESTRICTED_ID,
    RESTRICTED_NAME,
    LiveServer,
    MapWorld,
    free_port,
    live_server,
    map_world_fixture,
)

pytestmark = pytest.mark.browser

MEMBER, PASSWORD = "lideresa-avisos", "clave-de-avisos-larga"
ADMIN = "admin-avisos"


@pytest.fixture(scope="module")
def subs_world(settings: Any) -> Iterator[MapWorld]:
    """Its own database: a member of RED-01 and an admin with passwords; a subscription
    whose delivery failed for real (nothing listens on the SMTP port)."""
    for world in map_world_fixture(settings, "avisos"):
        with world.engine.begin() as conn:
            users.create_user(conn, MEMBER, "network", [NETWORK])
            users.create_user(conn, ADMIN, "admin")
            for name in (MEMBER, ADMIN):
                users.set_password(conn, name, PASSWORD)
            delivery.subscribe(conn, subscriber=ADMIN, email="admin@allpa.test",
                               scope="community", scope_id="HF-001")
        with world.engine.begin() as conn:  # after the subscription
            add_alerts(conn, {"HF-001": []}, code="010000444")
        down = load_settings(smtp_host="127.0.0.1", smtp_port=free_port())
        with world.engine.begin() as conn:
            assert delivery.deliver(conn, down, dt.datetime.now(dt.UTC)).failed == 1
        yield world


@pytest.fixture(scope="module")
def subs_server(subs_world: MapWorld) -> Iterator[LiveServer]:
    yield from live_server(subs_world)


def _fits(page: Any) -> None:
    """No sideways scroll, and every card, form field and button inside the viewport."""
    no_sideways_scroll(page)
    width = page.viewport_size["width"]
    for sel in ("li.card", "#subscribe-form label", "#subscribe-form button", "header.top a",
                "table.log td"):
        for box in (el.bounding_box() for el in page.locator(sel).all()):
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, \
                (sel, box)


@pytest.mark.parametrize("size", sorted(SIZES))
def test_member_adds_and_removes_a_daily_email_subscription(
        size: str, browser: Any, subs_world: MapWorld, subs_server: LiveServer,
        output_dir: Path) -> None:
    engine, base = subs_world.engine, subs_server.base_url
    address = f"lideresa-{size}@red.example"
    context, page, errors = open_page(browser, size)
    try:
        answer = page.goto(base + "/avisos", wait_until="load")
        assert answer is not None and answer.status == 401
        assert page.locator("#subscriptions").count() == 0
        errors.clear()  # the browser reports the 401 document itself as a console error

        page.locator("#refused-sign-in").click()
        submit_sign_in(page, MEMBER, PASSWORD)
        page.wait_for_url("**/avisos*")
        assert page.locator("h1").inner_text() == "Mis avisos"
        assert page.locator("#subscriptions-link").get_attribute("href") == "/avisos?lang=es"
        assert page.locator("#delivery-log").count() == 0  # members are not admins

        options = page.locator("#subscribe-form select[name=target] option")
        values = [options.nth(i).get_attribute("value") for i in range(options.count())]
        assert f"network:{NETWORK}" in values and "network:RED-02" not in values
        assert f"community:{RESTRICTED_ID}" not in values
        assert RESTRICTED_NAME not in page.content()

        page.select_option("#subscribe-form select[name=target]", f"network:{NETWORK}")
        page.fill("#subscribe-form input[name=address]", address)
        page.select_option("#subscribe-form select[name=frequency]", "daily")
        page.locator("#subscribe-form button[type=submit]").click()
        card = page.locator("li.card.sub", has_text=address)
        card.wait_for()
        text = card.inner_text()
        assert text.startswith("Red: ") and NETWORK in text
        assert "Resumen diario" in text and "Correo" in text and "Español" in text
        assert "daily" not in text and "network" not in text  # labels, never codes
        with engine.connect() as conn:
            row = conn.execute(sa.text(
                "SELECT id, subscriber, scope, scope_id, frequency, active FROM subscription "
                "WHERE email = :a"), {"a": address}).mappings().one()
        assert (row["subscriber"], row["scope"], row["scope_id"], row["frequency"],
                row["active"]) == (MEMBER, "network", NETWORK, "daily", True)
        _fits(page)
        page.screenshot(path=str(output_dir / f"avisos-{size}-listed.png"), full_page=True)

        card.locator("button.remove").click()
        page.locator("li.card.sub", has_text=address).wait_for(state="detached")
        with engine.connect() as conn:  # stopped, kept
            active = conn.execute(sa.text("SELECT active FROM subscription WHERE id = :i"),
                                  {"i": row["id"]}).scalar_one()
        assert active is False
        _fits(page)
        page.screenshot(path=str(output_dir / f"avisos-{size}-removed.png"), full_page=True)

        page.goto(base + "/avisos?lang=en", wait_until="load")
        assert page.locator("h1").inner_text() == "My notifications"
        assert page.locator("#subscriptions-link").inner_text() == "My notifications"
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("size", sorted(SIZES))
def test_admin_reads_the_delivery_log(size: str, browser: Any, subs_world: MapWorld,
                                      subs_server: LiveServer, output_dir: Path) -> None:
    base = subs_server.base_url
    context, page, errors = open_page(browser, size)
    try:
        page.goto(base + "/session/sign-in?next=/avisos", wait_until="load")
        submit_sign_in(page, ADMIN, PASSWORD)
        page.wait_for_url("**/avisos*")
        page.select_option("#delivery-log select[name=status]", "failed")
        page.locator("#delivery-log button[type=submit]").click()
        page.wait_for_url("**status=failed*")
        rows = page.locator("#delivery-log table.log tbody tr")
        assert rows.count() >= 1
        first = rows.first.inner_text()
        assert "Falló (se reintentará)" in first and ADMIN in first
        assert "Connection refused" in first or "Errno" in first  # the real SMTP error
        assert "failed" not in first.split()  # a label, not the code
        assert page.locator("li.card.sub", has_text="admin@allpa.test").count() == 1
        _fits(page)
        table = page.locator("#delivery-log .table-wrap")
        assert table.evaluate("e => e.scrollWidth <= e.clientWidth")  # no hidden columns
        page.screenshot(path=str(output_dir / f"avisos-{size}-admin-log.png"), full_page=True)
        assert errors == []
    finally:
        context.close()


DISTRICT = ("219901", "Qhapaq Marka (Puno)")  # the sample loads districts, not provinces


@pytest.mark.parametrize("size", sorted(SIZES))
def test_member_follows_a_district_by_its_name(
        size: str, browser: Any, subs_world: MapWorld, subs_server: LiveServer,
        output_dir: Path) -> None:
    """The form offers the districts the member may see by name (the same rule as the API,
    see tests/api/test_subscription_districts.py); the new subscription is listed by name,
    in Spanish and in English, and nothing is cut off."""
    engine, base = subs_world.engine, subs_server.base_url
    address = f"distrito-{size}@red.example"
    context, page, errors = open_page(browser, size)
    try:
        page.goto(base + "/session/sign-in?next=/avisos", wait_until="load")
        submit_sign_in(page, MEMBER, PASSWORD)
        page.wait_for_url("**/avisos*")
        group = page.locator("#subscribe-form select[name=target] optgroup[label=Distrito]")
        assert group.count() == 1
        names = group.locator("option").all_inner_texts()
        assert DISTRICT[1] in names
        assert not any(n.strip().isdigit() or "district" in n for n in names)  # no bare codes
        option = group.locator(f"option[value='district:{DISTRICT[0]}']")
        assert option.inner_text() == DISTRICT[1]

        page.select_option("#subscribe-form select[name=target]", label=DISTRICT[1])
        target = page.locator("#subscribe-form select[name=target]")
        target.evaluate("e => { const v = e.value; e.size = 12; e.value = ''; e.value = v; }")
        page.locator("#subscribe-form").screenshot(  # the district options, for the record
            path=str(output_dir / f"avisos-{size}-district-options.png"))
        target.evaluate("e => { e.size = 0; }")
        page.fill("#subscribe-form input[name=address]", address)
        page.locator("#subscribe-form button[type=submit]").click()
        card = page.locator("li.card.sub", has_text=address)
        card.wait_for()
        heading = card.locator("h3").inner_text()
        assert heading.startswith(f"Distrito: {DISTRICT[1]}"), heading
        assert "district" not in card.inner_text()
        with engine.connect() as conn:
            row = conn.execute(sa.text(
                "SELECT subscriber, scope, scope_id, active FROM subscription "
                "WHERE email = :a"), {"a": address}).one()
        assert tuple(row) == (MEMBER, "district", DISTRICT[0], True)
        _fits(page)
        for sel in ("#subscribe-form select", "li.card.sub h3"):
            for box in (el.bounding_box() for el in page.locator(sel).all()):
                assert box is not None and box["x"] >= 0 and \
                    box["x"] + box["width"] <= page.viewport_size["width"] + 1, (sel, box)
        page.screenshot(path=str(output_dir / f"avisos-{size}-district.png"), full_page=True)

        page.goto(base + "/avisos?lang=en", wait_until="load")
        card = page.locator("li.card.sub", has_text=address)
        assert card.locator("h3").inner_text().startswith(f"District: {DISTRICT[1]}")
        assert page.locator("#subscribe-form optgroup[label=District]").count() == 1
        _fits(page)
        page.screenshot(path=str(output_dir / f"avisos-{size}-district-en.png"),
                        full_page=True)
        card.locator("button.remove").click()  # leave the member's list as it was
        page.locator("li.card.sub", has_text=address).wait_for(state="detached")
        assert errors == []
    finally:
        context.close()
