"""Concession vector tiles: Allpa vs tipg on the same PostGIS tables, same load, same run.

Usage::

    .venv/bin/python -m benchmarks.bench_tiles [--database-url URL] [--n 60000]
        [--requests 2000] [--concurrency 32] [--workers 2] [--max-seconds 60]

Without ``--database-url`` a benchmark database ``allpa_bench_tiles`` is created in the
private cluster and filled with ``--n`` grid-aligned 100–1,000 ha rectangles over southern
Peru (through the layers API: ``write_snapshot`` → COPY) unless it already holds them. If
``benchmarks/national.py`` (the national-scale generator) has filled a database, pass its URL.

Both servers run as uvicorn subprocesses on 127.0.0.1 with the same number of workers. A fixed
tile list per zoom (z10: every tile over the data; z14: a seeded sample over the data) is
requested by 32 concurrent asyncio clients, bounded in count and time, alternating servers.
Prints throughput and p50/p99 latency for both and the ratios. Targets: Allpa throughput ≥
1.0× tipg and p99 ≤ 100 ms at z10.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa
from shapely.geometry import MultiPolygon, box

ROOT = Path(__file__).resolve().parents[1]
BBOX = (-75.0, -17.5, -69.0, -13.0)  # southern Peru (Arequipa, Cusco, Puno, Moquegua...)
TIPG_PROPERTIES = "code,name,holder,state,substance,official_ha"


# --- data ----------------------------------------------------------------------------------


def _rectangles(n: int, seed: int = 7) -> Iterator[dict[str, object]]:
    """Grid-aligned rectangles of 100-1,000 ha (1 km cadastral grid, ~0.009°)."""
    rng = random.Random(seed)
    cell = 0.009  # ~1 km
    for i in range(n):
        w_cells = rng.randint(1, 3)
        h_cells = rng.randint(1, 3)
        x0 = BBOX[0] + rng.randrange(int((BBOX[2] - BBOX[0]) / cell) - 4) * cell
        y0 = BBOX[1] + rng.randrange(int((BBOX[3] - BBOX[1]) / cell) - 4) * cell
        ha = w_cells * h_cells * 100.0 * (1.0 + 0.1 * rng.random())
        yield {
            "code": f"{10_000_000 + i:09d}", "name": f"BENCH {i}",
            "holder": f"TITULAR {rng.randrange(2000)}", "state": "titled", "state_raw": "T",
            "substance": "metallic", "filed_on": None, "official_ha": round(ha, 2),
            "zone": 19 if x0 > -72 else 18, "datum": "WGS84",
            "geom": MultiPolygon([box(x0, y0, x0 + w_cells * cell, y0 + h_cells * cell)]),
        }


def prepare_database(url: str | None, n: int) -> str:
    from layers import cluster, concessions, migrate
    from layers.config import load_settings
    from layers.db import make_engine
    from layers.versioning import write_snapshot

    settings = load_settings()
    if url is None:
        cluster.up(settings)
        cluster.ensure_database(settings, "allpa_bench_tiles")
        engine = make_engine(settings, "allpa_bench_tiles")
        migrate.upgrade(engine)
        url = engine.url.render_as_string(hide_password=False)
    else:
        engine = sa.create_engine(url)
    with engine.begin() as conn:
        have = conn.execute(sa.text("SELECT count(*) FROM concession WHERE valid_to IS NULL"))
        current = int(have.scalar_one())
        if current < n:
            started = time.perf_counter()
            write_snapshot(conn, concessions.concession, "code", list(_rectangles(n)),
                           recorded_by="bench", batch_id=None, source="bench_tiles",
                           close_missing=False)
            print(f"generated {n} concessions in {time.perf_counter() - started:.1f}s")
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(sa.text("ANALYZE concession"))
        current = int(conn.execute(sa.text(
            "SELECT count(*) FROM concession WHERE valid_to IS NULL")).scalar_one())
    engine.dispose()
    print(f"database: {url.rsplit('@', 1)[-1]}  current concessions: {current}")
    return url


# --- tiles ---------------------------------------------------------------------------------


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def tile_list(z: int, count: int, seed: int = 11) -> list[tuple[int, int, int]]:
    x0, y0 = _tile_of(BBOX[0], BBOX[3], z)
    x1, y1 = _tile_of(BBOX[2], BBOX[1], z)
    every = [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    if len(every) <= count:
        return every
    return random.Random(seed).sample(every, count)


# --- servers -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: str, env: dict[str, str], workers: int, factory: bool = False
          ) -> Iterator[str]:
    port = _free_port()
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    if factory:
        cmd.append("--factory")
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{app} did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


# --- load ----------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    zoom: int
    n: int
    seconds: float
    latencies: list[float]
    errors: int
    bytes: int

    @property
    def throughput(self) -> float:
        return self.n / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(q * len(data)))] * 1000.0


async def _load(urls: list[str], requests: int, concurrency: int, max_seconds: float
                ) -> tuple[int, float, list[float], int, int]:
    latencies: list[float] = []
    errors = 0
    size = 0
    counter = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        # warm-up: one pass over a few tiles (connections, plans, caches of both sides)
        await asyncio.gather(*(client.get(u) for u in urls[:concurrency]))
        start = time.perf_counter()
        deadline = start + max_seconds

        async def worker() -> None:
            nonlocal counter, errors, size
            while True:
                if counter >= requests or time.perf_counter() > deadline:
                    return
                i = counter
                counter += 1
                t0 = time.perf_counter()
                r = await client.get(urls[i % len(urls)])
                latencies.append(time.perf_counter() - t0)
                if r.status_code not in (200, 204):
                    errors += 1
                size += len(r.content)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return len(latencies), elapsed, latencies, errors, size


def run(name: str, zoom: int, urls: list[str], args: argparse.Namespace) -> Result:
    n, secs, lat, errors, size = asyncio.run(
        _load(urls, args.requests, args.concurrency, args.max_seconds))
    result = Result(name, zoom, n, secs, lat, errors, size)
    print(f"  {name:<6} z{zoom:<2} {result.n:>5} req in {secs:6.2f}s  "
          f"{result.throughput:7.1f} req/s  p50 {result.pct(0.5):6.1f} ms  "
          f"p99 {result.pct(0.99):6.1f} ms  errors {errors}  avg {size / max(n, 1):7.0f} B")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--n", type=int, default=60000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)

    url = prepare_database(args.database_url, args.n)
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    tiles = {10: tile_list(10, 400), 14: tile_list(14, 2000)}
    results: dict[tuple[str, int], list[Result]] = {}
    with serve("api.app:create_app", {"ALLPA_DATABASE_URL": url}, args.workers,
               factory=True) as allpa, \
         serve("tipg.main:app", {"DATABASE_URL": plain, "TIPG_DB_SCHEMAS": '["public"]',
                                 "TIPG_MAX_FEATURES_PER_TILE": "100000"},
               args.workers) as tipg:
        for zoom, tl in tiles.items():
            allpa_urls = [f"{allpa}/tiles/concessions/{z}/{x}/{y}.pbf" for z, x, y in tl]
            tipg_urls = [f"{tipg}/collections/public.concession/tiles/WebMercatorQuad/"
                         f"{z}/{x}/{y}?properties={TIPG_PROPERTIES}" for z, x, y in tl]
            print(f"z{zoom}: {len(tl)} distinct tiles, {args.concurrency} clients")
            for _ in range(args.rounds):
                for name, urls in (("allpa", allpa_urls), ("tipg", tipg_urls)):
                    results.setdefault((name, zoom), []).append(run(name, zoom, urls, args))
    print("\nsummary (best round of each)")
    ok = True
    for zoom in tiles:
        a = max(results[("allpa", zoom)], key=lambda r: r.throughput)
        t = max(results[("tipg", zoom)], key=lambda r: r.throughput)
        ratio = a.throughput / t.throughput if t.throughput else float("inf")
        median_ratio = statistics.median(a.latencies) / max(statistics.median(t.latencies),
                                                             1e-9)
        print(f"  z{zoom}: allpa {a.throughput:7.1f} req/s p50 {a.pct(0.5):6.1f} ms p99 "
              f"{a.pct(0.99):6.1f} ms | tipg {t.throughput:7.1f} req/s p50 "
              f"{t.pct(0.5):6.1f} ms p99 {t.pct(0.99):6.1f} ms | throughput ratio "
              f"{ratio:.2f}x  median latency ratio {median_ratio:.2f}")
        if zoom == 10:
            ok = ratio >= 1.0 and a.pct(0.99) <= 100.0
    print("targets (z10: ≥1.0× tipg, p99 ≤ 100 ms):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
