"""The browser map on a slow rural link: Chromium with CDP network emulation (400 kbit/s down
and up, 400 ms round trip), desktop (1280×800) and phone (390×844), a fresh cache, then a
second visit with the cache of the first.

Usage::

    .venv/bin/python -m benchmarks.bench_pageload [--database-url URL] [--runs 2]

Without ``--database-url`` the private cluster's ``allpa`` database is used; the bundled sample
is loaded and analysed first when it holds no community. The service runs as an ``allpa
serve`` subprocess on 127.0.0.1.

Reported per profile (median of ``--runs``): time from navigation start to the first
community drawn on the map, to the last community of the first view drawn (the page is then
left until the network is idle for 3 s), requests and bytes on the wire for the first view
(``encodedDataLength`` of every response: headers + compressed body), and the same for a
second visit. Targets: first community ≤ 3.5 s, all communities ≤ 6 s, first view ≤ 150 KB.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
ALLPA = str(ROOT / ".venv" / "bin" / "allpa")
CHROMIUM = "/usr/bin/chromium"
LATENCY_MS = 400
KBIT_S = 400
TARGET_FIRST_S = 3.5
TARGET_ALL_S = 6.0
TARGET_KB = 150
PROFILES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3,
              "is_mobile": True, "has_touch": True},
}
#: community shapes on the map: the per-layer grid of the old page and the class of the new
COMMUNITY_SELECTOR = ".leaflet-communities-pane path, path.allpa-community"
_OBSERVER = """
(() => {
  const sel = SELECTOR;
  const b = window.__bench = {first: null, last: null, count: 0};
  const check = () => {
    const n = document.querySelectorAll(sel).length;
    if (n > 0 && b.first === null) { b.first = performance.now(); }
    if (n !== b.count) { b.count = n; b.last = performance.now(); }
  };
  new MutationObserver(check).observe(document, {childList: true, subtree: true});
})();
""".replace("SELECTOR", repr(COMMUNITY_SELECTOR))


@dataclass
class Visit:
    first_s: float | None
    all_s: float | None
    communities: int
    requests: int
    kilobytes: float
    tile_requests: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ensure_sample(env: dict[str, str]) -> None:
    out = subprocess.run([ALLPA, "flags", "--format", "json"], env=env, capture_output=True,
                         text=True, check=False)
    if out.returncode == 0 and out.stdout.strip() not in ("", "[]"):
        return
    subprocess.run([ALLPA, "sample"], env=env, check=True)
    subprocess.run([ALLPA, "analyze", "--full"], env=env, check=True)


@contextmanager
def serve(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([ALLPA, "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/flags?limit=1", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("allpa serve did not start")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _visit(page: Any, cdp: Any, url: str) -> Visit:
    sizes: dict[str, float] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent",
           lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished",
           lambda e: sizes.__setitem__(e["requestId"], float(e["encodedDataLength"])))
    failed: set[str] = set()
    cdp.on("Network.loadingFailed", lambda e: failed.add(e["requestId"]))
    page.goto(url, wait_until="load", timeout=120_000)
    quiet_since = time.monotonic()
    state = (0, 0)
    deadline = time.monotonic() + 180
    # idle: every request answered (or failed) and nothing new for 3 s
    while time.monotonic() - quiet_since < 3.0 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        now = (len(urls), len(sizes) + len(failed))
        if now != state or now[0] > now[1]:
            state, quiet_since = now, time.monotonic()
    bench = page.evaluate("window.__bench")
    tiles = sum(1 for u in urls.values() if "/tiles/" in u)
    return Visit(first_s=bench["first"] / 1000 if bench["first"] is not None else None,
                 all_s=bench["last"] / 1000 if bench["last"] is not None else None,
                 communities=int(bench["count"]), requests=len(urls),
                 kilobytes=sum(sizes.values()) / 1000, tile_requests=tiles)


def run_profile(browser: Any, base: str, profile: str) -> tuple[Visit, Visit]:
    context = browser.new_context(**PROFILES[profile], locale="es-PE")
    try:
        context.add_init_script(_OBSERVER)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": LATENCY_MS,
            "downloadThroughput": KBIT_S * 1000 / 8, "uploadThroughput": KBIT_S * 1000 / 8})
        first = _visit(page, cdp, base + "/")
        page2 = context.new_page()
        cdp2 = context.new_cdp_session(page2)
        cdp2.send("Network.enable")
        cdp2.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": LATENCY_MS,
            "downloadThroughput": KBIT_S * 1000 / 8, "uploadThroughput": KBIT_S * 1000 / 8})
        second = _visit(page2, cdp2, base + "/")
        return first, second
    finally:
        context.close()


def _median(values: list[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return statistics.median(got) if got else None


def _fmt(v: float | None, unit: str = " s") -> str:
    return "–" if v is None else f"{v:.2f}{unit}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", help="PostGIS URL (default: the private cluster)")
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args(argv)
    env = dict(os.environ)
    if args.database_url:
        env["ALLPA_DATABASE_URL"] = args.database_url
    _ensure_sample(env)
    from playwright.sync_api import sync_playwright

    ok = True
    with serve(env) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        print(f"slow link: {KBIT_S} kbit/s, {LATENCY_MS} ms RTT; median of {args.runs} runs")
        print(f"{'profile':8} {'first':>8} {'all':>8} {'comms':>6} {'req':>5} {'tiles':>6} "
              f"{'KB':>8} | 2nd visit: {'first':>8} {'req':>5} {'KB':>7}")
        for profile in PROFILES:
            runs = [run_profile(browser, base, profile) for _ in range(args.runs)]
            f_first = _median([r[0].first_s for r in runs])
            f_all = _median([r[0].all_s for r in runs])
            kb = _median([r[0].kilobytes for r in runs])
            second = runs[-1][1]
            one = runs[-1][0]
            print(f"{profile:8} {_fmt(f_first):>8} {_fmt(f_all):>8} {one.communities:>6} "
                  f"{one.requests:>5} {one.tile_requests:>6} {_fmt(kb, ''):>8} | "
                  f"{_fmt(second.first_s):>19} {second.requests:>5} "
                  f"{_fmt(second.kilobytes, ''):>7}")
            met = (f_first is not None and f_first <= TARGET_FIRST_S and f_all is not None
                   and f_all <= TARGET_ALL_S and kb is not None and kb <= TARGET_KB)
            ok = ok and met
            print(f"  targets first ≤ {TARGET_FIRST_S} s, all ≤ {TARGET_ALL_S} s, "
                  f"≤ {TARGET_KB} KB: {'met' if met else 'MISSED'}")
        browser.close()
    print("all targets met" if ok else "some targets missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
