"""Open pages in headless Chromium and report CSP violations, script errors and requests to
other hosts as JSON (run as a separate process: the browser tests hold Playwright's sync API
in the test process)."""

from __future__ import annotations

import json
import sys

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]


def main(base: str, out_dir: str, paths: list[str]) -> None:
    report: dict[str, dict[str, object]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for path in paths:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            problems: list[str] = []
            foreign: list[str] = []
            page.on("pageerror", lambda e, ps=problems: ps.append(f"pageerror: {e}"))
            page.on("console", lambda m, ps=problems: ps.append(
                f"{m.text} {m.location.get('url', '')}") if m.type == "error" else None)
            page.on("request", lambda r, fs=foreign: fs.append(r.url) if not r.url.startswith(
                (base, "data:", "blob:", "about:")) else None)
            response = page.goto(base + path, wait_until="networkidle")
            page.wait_for_timeout(500)
            name = path.strip("/").replace("/", "_").replace(".", "_") or "map"
            page.screenshot(path=f"{out_dir}/csp_{name}.png")
            report[path] = {"status": response.status if response else None,
                            "csp": (response.headers.get("content-security-policy")
                                    if response else None),
                            "problems": problems, "foreign": foreign}
            page.close()
        browser.close()
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
