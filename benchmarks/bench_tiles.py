"""Concession vector tiles: Allpa vs tipg on the same PostGIS tables, same load, same run.

Usage::

    .venv/bin/python -m benchmarks.bench_tiles [--database-url URL] [--n 60000]
        [--requests 2000] [--concurrency 32] [--workers 2] [--max-seconds 60] [--rounds 3]

Without ``--database-url`` a benchmark database ``allpa_bench_tiles`` is created in the
private cluster and filled with ``--n`` grid-aligned 100–1,000 ha rectangles over southern
Peru (through the layers API: ``write_snapshot`` → COPY) unless it already holds them. If
``benchmarks/national.py`` (the national-scale generator) has filled a database, pass its URL.

Three servers run as uvicorn subprocesses on 127.0.0.1 with the same number of workers:
``allpa`` (in-process tile cache on, filled by three untimed passes over the tile list
before each timed run — each of the 2 workers has its own cache, so a few tiles still miss:
the *warm* figure, what a map viewed by many people gets), ``allpa-cold`` (the same code with
``ALLPA_TILE_CACHE_MB=0``: every tile renders in PostGIS, like tipg) and ``tipg``. Every
client sends ``Accept-Encoding: gzip`` to all three (both servers gzip tiles), and the bytes
counted are the ones on the wire. A fixed tile list per zoom (z10: every tile over the data;
z14: a seeded sample over the data) is requested by 32 concurrent asyncio clients, bounded in
count and time; each round runs the three servers one after the other, and ratios are taken
within a round. Target (judged on the warm figure, the cold one printed beside it): Allpa
throughput ≥ 2× tipg and p99 ≤ tipg's p99 at z10 and z14, in the median of the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import math
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
        deadline = time.monotonic() + 180  # a loaded 2-core machine starts slowly
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
    empty: int

    @property
    def throughput(self) -> float:
        return self.n / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(q * len(data)))] * 1000.0


class _Conn:
    """One keep-alive HTTP/1.1 connection, as light as a client gets in Python (httpx costs
    several times the CPU of a cached tile and would measure itself on 2 shared cores)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, int, int]:
        """(status, bytes on the wire after the headers, decoded body bytes)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                          f"Accept-Encoding: gzip\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in
                  (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in fields:
            body = await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding") == "chunked":
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                parts.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")
            body = b"".join(p[:-2] for p in parts)
        else:
            body = b""
        if fields.get("connection") == "close":
            await self.close()
        plain = len(gzip.decompress(body)) if fields.get("content-encoding") == "gzip" \
            else len(body)
        return status, len(body), plain

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def _load(urls: list[str], requests: int, concurrency: int, max_seconds: float,
                warm_passes: int) -> Result:
    latencies: list[float] = []
    errors = size = empty = counter = 0
    parsed = urlsplit(urls[0])
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    paths = [u[len(f"{parsed.scheme}://{parsed.netloc}"):] for u in urls]
    conns = [_Conn(host, port) for _ in range(concurrency)]
    # untimed: connections, plans, PostgreSQL buffers of both sides (and Allpa's cache)
    for _ in range(warm_passes):
        queue = iter(paths)

        async def warm(c: _Conn, queue: Iterator[str] = queue) -> None:
            for p in queue:
                await c.get(p)

        await asyncio.gather(*(warm(c) for c in conns))
    await asyncio.gather(*(c.get(p) for c, p in zip(conns, paths, strict=False)))
    start = time.perf_counter()
    deadline = start + max_seconds

    async def worker(c: _Conn) -> None:
        nonlocal counter, errors, size, empty
        while counter < requests and time.perf_counter() <= deadline:
            i = counter
            counter += 1
            t0 = time.perf_counter()
            status, wire, plain = await c.get(paths[i % len(paths)])
            latencies.append(time.perf_counter() - t0)
            if status not in (200, 204):
                errors += 1
            empty += status == 204 or plain == 0
            size += wire  # on the wire (gzipped), headers excluded

    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - start
    for c in conns:
        await c.close()
    return Result("", 0, len(latencies), elapsed, latencies, errors, size, empty)


def run(name: str, zoom: int, urls: list[str], args: argparse.Namespace,
        warm_passes: int) -> Result:
    result = asyncio.run(_load(urls, args.requests, args.concurrency, args.max_seconds,
                               warm_passes))
    result.name, result.zoom = name, zoom
    print(f"  {name:<10} z{zoom:<2} {result.n:>5} req in {result.seconds:6.2f}s  "
          f"{result.throughput:7.1f} req/s  p50 {result.pct(0.5):6.1f} ms  "
          f"p99 {result.pct(0.99):6.1f} ms  errors {result.errors}  empty {result.empty}  "
          f"avg {result.bytes / max(result.n, 1):6.0f} B on the wire", flush=True)
    return result


def _median(values: list[float]) -> float:
    data = sorted(values)
    mid = len(data) // 2
    return data[mid] if len(data) % 2 else (data[mid - 1] + data[mid]) / 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--n", type=int, default=60000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm-passes", type=int, default=3,
                        help="untimed passes over the tile list before each timed run of the "
                             "cached server (one for the others: connections, buffers, plans)")
    args = parser.parse_args(argv)

    url = prepare_database(args.database_url, args.n)
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    tiles = {10: tile_list(10, 400), 14: tile_list(14, 2000)}
    results: dict[tuple[str, int], list[Result]] = {}
    names = ("allpa", "allpa-cold", "tipg")
    with serve("api.app:create_app", {"ALLPA_DATABASE_URL": url}, args.workers,
               factory=True) as allpa, \
         serve("api.app:create_app", {"ALLPA_DATABASE_URL": url, "ALLPA_TILE_CACHE_MB": "0"},
               args.workers, factory=True) as cold, \
         serve("tipg.main:app", {"DATABASE_URL": plain, "TIPG_DB_SCHEMAS": '["public"]',
                                 "TIPG_MAX_FEATURES_PER_TILE": "100000"},
               args.workers) as tipg:
        for zoom, tl in tiles.items():
            lists = {
                name: [f"{base}/tiles/concessions/{z}/{x}/{y}.pbf" for z, x, y in tl]
                for name, base in (("allpa", allpa), ("allpa-cold", cold))}
            lists["tipg"] = [f"{tipg}/collections/public.concession/tiles/WebMercatorQuad/"
                             f"{z}/{x}/{y}?properties={TIPG_PROPERTIES}" for z, x, y in tl]
            print(f"z{zoom}: {len(tl)} distinct tiles, {args.concurrency} clients, "
                  f"Accept-Encoding: gzip", flush=True)
            for rnd in range(args.rounds):
                print(f" round {rnd + 1}", flush=True)
                for name in names:
                    passes = args.warm_passes if name == "allpa" else 1
                    results.setdefault((name, zoom), []).append(
                        run(name, zoom, lists[name], args, passes))
    return summary(results, tiles, args.rounds)


def _medians(runs: list[Result]) -> dict[str, float]:
    return {"t": _median([r.throughput for r in runs]),
            "p50": _median([r.pct(0.5) for r in runs]),
            "p99": _median([r.pct(0.99) for r in runs])}


def summary(results: dict[tuple[str, int], list[Result]], tiles: dict[int, Any],
            rounds: int) -> int:
    """Ratios within each round, then their median over the rounds."""
    print("\nsummary: ratios within each round (allpa / tipg); median of the rounds")
    ok = True
    for zoom in tiles:
        for name in ("allpa", "allpa-cold"):
            thr, p99s = [], []
            for i in range(rounds):
                a, t = results[(name, zoom)][i], results[("tipg", zoom)][i]
                thr.append(a.throughput / t.throughput if t.throughput else float("inf"))
                p99s.append(a.pct(0.99) / max(t.pct(0.99), 1e-9))
            med, tip = _medians(results[(name, zoom)]), _medians(results[("tipg", zoom)])
            label = "warm" if name == "allpa" else "cold"
            print(f"  z{zoom} {label}: allpa {med['t']:7.1f} req/s p50 {med['p50']:6.1f} ms "
                  f"p99 {med['p99']:6.1f} ms | tipg {tip['t']:7.1f} req/s p50 "
                  f"{tip['p50']:6.1f} ms p99 {tip['p99']:6.1f} ms | throughput ratio per "
                  f"round {' '.join(f'{x:.2f}' for x in thr)} (median {_median(thr):.2f}x), "
                  f"p99 ratio per round {' '.join(f'{x:.2f}' for x in p99s)} "
                  f"(median {_median(p99s):.2f})")
            if name == "allpa":
                ok = ok and _median(thr) >= 2.0 and _median(p99s) <= 1.0
    print("target (warm, z10 and z14: throughput ≥ 2× tipg, p99 ≤ tipg's):",
          "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
