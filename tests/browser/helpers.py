"""Steps the page tests share: open a page at a size with its script errors collected, sign
in through the form, check nothing scrolls sideways. One copy, so a change of the sign-in
form or of the sizes is made once."""

from __future__ import annotations

from typing import Any

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 860}}
DESK_READY = "body[data-desk-ready='1'] #session-user"


def watch_errors(page: Any) -> list[str]:
    """The page's script errors and console errors, as they happen."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def open_page(browser: Any, size: str) -> tuple[Any, Any, list[str]]:
    """A new Spanish context at one of SIZES (touch on the phone): (context, page, errors)."""
    phone = size == "phone"
    context = browser.new_context(viewport=SIZES[size], locale="es-PE", is_mobile=phone,
                                  has_touch=phone)
    page = context.new_page()
    return context, page, watch_errors(page)


def submit_sign_in(page: Any, name: str, password: str) -> None:
    """Fill and send the sign-in form already on the page."""
    page.fill("#signin-name", name)
    page.fill("#signin-password", password)
    page.locator("#signin-submit").click()


def sign_in(page: Any, base: str, name: str, password: str, ready: str = DESK_READY) -> None:
    """Sign in from the map's header link, then wait for `ready`."""
    page.goto(base + "/", wait_until="load")
    page.locator("#sign-in-link").click()
    page.wait_for_selector("#signin-form")
    submit_sign_in(page, name, password)
    page.wait_for_selector(ready)


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= "
                         "document.documentElement.clientWidth")
