"""Overlap analysis at national scale: Allpa vs a careful analyst, a naive analyst and PostGIS.

Usage::

    .venv/bin/python -m benchmarks.bench_analysis [--scales 1,2,3] [--repeat 2]
        [--skip-naive] [--skip-postgis] [--skip-incremental] [--results benchmarks/RESULTS.md]

For each scale, the same generated data (``benchmarks.national``: at scale 1 10,000
communities, 60,000 concessions, 50,000 water points and a few consultations over southern
Peru, fixed seed; scale k multiplies every count by k over the same region), stored in a
fresh ``allpa_bench`` database with ``write_snapshot`` (COPY), then side by side:

(a) Allpa's full analysis, ``layers.analysis.run_analysis(full=True)``: load the layers
    from PostGIS, the overlays, the flag rules, store overlaps / flags / statistics with
    COPY, in a fresh subprocess. Its peak RSS is that process's ``VmHWM`` (not
    ``ru_maxrss``, which a child inherits from its parent).
(b) The careful analyst (``benchmarks.baselines.careful``): spatial-index queries,
    vectorised intersections of the hits, one-direction neighbours, ``union_all`` per
    community. In-memory frames, no flags, no storage.
(n) The naive analyst (``benchmarks.baselines.naive``): ``overlay`` + ``dissolve`` + ``sjoin``.
(c) Plain PostGIS SQL for the same tables (``benchmarks.postgis_baseline``).
(d) One day of filings (20 new concessions), then ``run_analysis()`` incremental (fresh
    subprocess); a second full run checks the incremental rows equal the full rows exactly.

Targets (issue 16): (a) ≤ 0.5 x (b) at every scale; peak RSS of (a) ≤ 1 GB at scale 3;
cost linear in output (seconds per 100k overlap rows flat across scales); (d) ≤ 2 % of (a).
With ``--repeat N`` (a) and (b) run N times each, interleaved, and the best of each is
compared (the machine is shared; ratios come from the same run). Not part of the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from benchmarks.baselines import careful, naive
from benchmarks.national import BENCH_DB, create_database, generate, load, new_filings, store
from benchmarks.postgis_baseline import postgis
from benchmarks.timing import Timer, peak_rss_mb, process_cpu_s
from layers.config import PROJECT_ROOT, load_settings
from layers.db import make_engine

TODAY = dt.date(2026, 11, 23)
RESULTS = Path(__file__).with_name("RESULTS.md")
RSS_TARGET_MB = 1024.0
RATIO_TARGET = 0.5


def _tree_pss_kb() -> int:
    """Proportional set size of this process and its children (forked workers), in kB:
    pages shared after a fork count once in total, split among the sharers."""
    pids = {os.getpid()}
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):
            pids.update(int(p) for p in (task / "children").read_text().split())
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
    return total


class PssPeak:
    """Samples :func:`_tree_pss_kb` every ``interval`` seconds in a thread; ``peak_mb``."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval, self.peak_kb = interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, _tree_pss_kb())
            self._stop.wait(self.interval)

    def __enter__(self) -> PssPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024.0


def child(mode: str, database: str) -> dict[str, Any]:
    """Run Allpa's analysis (``full`` or ``incremental``) alone in this process."""
    import layers.analysis as la

    timer = Timer()

    def timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with timer.step(name):
                return func(*args, **kwargs)
        return wrapper

    la.load_inputs = timed("load", la.load_inputs)
    la.load_selected_inputs = timed("load", la.load_selected_inputs)
    import layers.analysis_backend as backend

    # partitions are computed in a thread while flags and COPY run: overlapping wall time
    backend.analyse_partition = timed("analyse", backend.analyse_partition)
    la.evaluate_flags = timed("flags", la.evaluate_flags)
    settings = load_settings()
    engine = make_engine(settings, database)
    with engine.connect() as conn:  # connect outside the timing
        conn.execute(sa.text("SELECT 1"))
    rss_before = peak_rss_mb()
    t = time.perf_counter()
    with engine.begin() as conn, PssPeak() as pss:
        backend_pid = int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
        cpu0, pg0 = time.process_time(), process_cpu_s(backend_pid)
        summary = la.run_analysis(conn, settings, recorded_by="benchmark",
                                  full=mode == "full", today=TODAY)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # forked workers, reaped
        cpu_s = time.process_time() - cpu0 + kids.ru_utime + kids.ru_stime
        pg_cpu_s = process_cpu_s(backend_pid) - pg0
    seconds = time.perf_counter() - t
    engine.dispose()
    return {"mode": summary.mode, "seconds": seconds, "communities": summary.communities,
            "affected": len(summary.affected), "overlaps": summary.overlaps,
            "flags": summary.flags, "load_s": timer.steps.get("load", 0.0),
            "analyse_s": timer.steps.get("analyse", 0.0),
            "flags_s": timer.steps.get("flags", 0.0),
            "store_s": seconds - timer.steps.get("load", 0.0)
            - timer.steps.get("flags", 0.0), "rss_before_mb": rss_before,
            "peak_rss_mb": peak_rss_mb(), "cpu_s": cpu_s, "pg_cpu_s": pg_cpu_s,
            "worker_peak_rss_mb": kids.ru_maxrss / 1024.0, "peak_pss_mb": pss.peak_mb,
            "processes": backend.local_processes(settings)}


def run_child(mode: str, database: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_analysis", "--child", mode,
         "--database", database],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {mode} failed:\n{proc.stdout}\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result



# ------------------------------------------------------------------ comparisons, output


def stored_totals(database: str) -> dict[str, float]:
    engine = make_engine(load_settings(), database)
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.text("""
                SELECT sum((stats->>'concession_ha_union')::float8),
                       sum((stats->>'titled_ha')::float8), sum((stats->>'in_process_ha')::float8)
                FROM community_stat WHERE valid_to IS NULL AND kind = 'pressure'""")).one()
            pairs = conn.execute(sa.text("""
                SELECT count(*), sum(intersection_ha) FROM overlap
                WHERE valid_to IS NULL AND other_kind = 'concession' AND NOT estimate""")).one()
    finally:
        engine.dispose()
    return {"union_ha": float(row[0]), "titled_ha": float(row[1]),
            "in_process_ha": float(row[2]), "pairs": int(pairs[0]),
            "pairs_ha": float(pairs[1])}


_DERIVED = {
    "overlap": "SELECT community_id, other_kind, other_id, intersection_ha, share, estimate, "
               "details::text FROM overlap WHERE valid_to IS NULL",
    # stored rank = position within its run; compare the read-time global order instead
    "flag": "SELECT community_id, rule_id, severity, row_number() OVER (ORDER BY CASE severity "
            "WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 "
            "ELSE 0 END DESC, due_date NULLS LAST, CASE WHEN jsonb_typeof(evidence->'share_union')"
            " = 'number' THEN (evidence->>'share_union')::float8 ELSE 0 END DESC, community_id "
            "COLLATE \"C\", rule_id COLLATE \"C\"), message_es, message_en, evidence::text, "
            "due_date FROM flag WHERE valid_to IS NULL",
    "community_stat": "SELECT community_id, kind, stats::text FROM community_stat "
                      "WHERE valid_to IS NULL",
}


def derived_rows(database: str) -> dict[str, set[tuple[Any, ...]]]:
    engine = make_engine(load_settings(), database)
    try:
        with engine.connect() as conn:
            return {t: {tuple(r) for r in conn.execute(sa.text(q))} for t, q in _DERIVED.items()}
    finally:
        engine.dispose()


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.platform()}"


def versions(database: str) -> str:
    import geopandas
    import shapely

    engine = make_engine(load_settings(), database)
    try:
        with engine.connect() as conn:
            pg = conn.execute(sa.text("SHOW server_version")).scalar_one()
            postgis_v = conn.execute(sa.text("SELECT postgis_lib_version()")).scalar_one()
    finally:
        engine.dispose()
    return (f"Python {platform.python_version()}, shapely {shapely.__version__} "
            f"(GEOS {shapely.geos_version_string}), geopandas {geopandas.__version__}, "
            f"pandas {pd.__version__}, numpy {np.__version__}, PostgreSQL {pg}, "
            f"PostGIS {postgis_v}")



def run_scale(scale: float, args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement at one scale, on one freshly generated and stored data set."""
    settings = load_settings()
    radius, min_ha = settings.point_radius_m, settings.neighbour_overlap_min_ha
    t = time.perf_counter()
    data = generate(n_communities=int(10_000 * scale), n_concessions=int(60_000 * scale),
                    n_water=int(50_000 * scale))
    gen_s = time.perf_counter() - t
    print(f"\n## scale {scale:g}: {data.counts()} generated in {gen_s:.1f} s", flush=True)
    t = time.perf_counter()
    engine = create_database(settings, args.database)
    stored = load(engine, data)
    load_s = time.perf_counter() - t
    print(f"stored in {args.database} (write_snapshot/COPY) in {load_s:.1f} s", flush=True)
    a_runs: list[dict[str, Any]] = []
    b_runs: list[dict[str, Any]] = []
    for _ in range(args.repeat):  # interleaved, so both see the same machine load
        r = run_child("full", args.database)
        a_runs.append(r)
        print(f"(a) Allpa full: {r['seconds']:.2f} s (load {r['load_s']:.2f}, the rest in "
              f"{r['processes']} process(es) + COPY); {r['overlaps']} overlaps; peak PSS "
              f"of the process tree {r['peak_pss_mb']:.0f} MB (VmHWM parent "
              f"{r['peak_rss_mb']:.0f} MB, largest worker {r['worker_peak_rss_mb']:.0f} MB); "
              f"CPU {r['cpu_s'] + r['pg_cpu_s']:.2f} s", flush=True)
        b_runs.append(careful(data, radius_m=radius, neighbour_min_ha=min_ha))
        print(f"(b) careful analyst: {b_runs[-1]['seconds']:.2f} s", flush=True)
    a = min(a_runs, key=lambda r: r["seconds"])
    b = min(b_runs, key=lambda r: r["seconds"])
    for key in ("peak_rss_mb", "peak_pss_mb", "worker_peak_rss_mb"):
        a[key] = max(r[key] for r in a_runs)
    a_tot = stored_totals(args.database)
    n = None if args.skip_naive else naive(data, radius_m=radius, neighbour_min_ha=min_ha)
    if n:
        print(f"(n) naive analyst: {n['seconds']:.2f} s", flush=True)
    filings = new_filings(data)
    counts = data.counts()
    del data
    c = None if args.skip_postgis else postgis(args.database, radius_m=radius,
                                               neighbour_min_ha=min_ha)
    if c:
        print(f"(c) PostGIS SQL: {c['seconds']:.2f} s", flush=True)
    d = a2 = same = None
    if not args.skip_incremental:
        with engine.begin() as conn:
            store(conn, "concessions", filings)
        d = run_child("incremental", args.database)
        after_incremental = derived_rows(args.database)
        a2 = run_child("full", args.database)
        same = {k: v == derived_rows(args.database)[k] for k, v in after_incremental.items()}
        print(f"(d) incremental after {len(filings)} filings: {d['seconds']:.2f} s "
              f"({d['affected']} communities); incremental == full: {same}", flush=True)
    engine.dispose()
    software = versions(args.database)
    if not args.keep_db:
        from layers import cluster

        cluster.drop_database(settings, args.database)
    return {"scale": scale, "counts": counts, "stored": stored, "gen_s": gen_s,
            "load_s": load_s, "a": a, "a_runs": [r["seconds"] for r in a_runs], "b": b,
            "b_runs": [r["seconds"] for r in b_runs], "n": n, "c": c, "d": d, "a2": a2,
            "same": same, "a_tot": a_tot, "versions": software,
            "union_gap": _rel(a_tot["union_ha"], b["union_ha"])}


def summary_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The per-scale figures the README and RESULTS.md cite."""
    rows = []
    for r in results:
        a, b, n = r["a"], r["b"], r["n"]
        k10 = r["counts"]["communities"] / 10_000
        rows.append({
            "scale": r["scale"], "communities": r["counts"]["communities"],
            "overlaps": a["overlaps"], "a_s": a["seconds"], "b_s": b["seconds"],
            "n_s": n["seconds"] if n else float("nan"),
            "a_b": a["seconds"] / b["seconds"],
            "a_n": a["seconds"] / n["seconds"] if n else float("nan"),
            "a_per_10k": a["seconds"] / k10, "b_per_10k": b["seconds"] / k10,
            "a_per_100k_rows": a["seconds"] / (a["overlaps"] / 100_000),
            "b_per_100k_pairs": b["seconds"] / (b["pairs"] / 100_000),
            "rss_mb": a["peak_pss_mb"], "rss_start_mb": a["rss_before_mb"],
            "parent_rss_mb": a["peak_rss_mb"], "worker_rss_mb": a["worker_peak_rss_mb"],
            "a_cpu": a["cpu_s"] + a["pg_cpu_s"], "b_cpu": b["cpu_s"],
            "a_b_cpu": (a["cpu_s"] + a["pg_cpu_s"]) / b["cpu_s"],
            "d_a": r["d"]["seconds"] / a["seconds"] if r["d"] else float("nan"),
            "union_gap": r["union_gap"], "same": r["same"],
        })
    return rows


def print_summary(rows: list[dict[str, Any]]) -> dict[str, bool]:
    print("\n| scale | communities | overlap rows | (a) s | (b) careful s | (n) naive s | "
          "(a)/(b) | (a)/(n) | (a) s per 10k comm. | (b) s per 10k comm. | "
          "(a) s per 100k rows | peak PSS (a) MB | (a) CPU s | (b) CPU s | (a)/(b) CPU |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in rows:
        print(f"| {s['scale']:g} | {s['communities']} | {s['overlaps']} | {s['a_s']:.2f} | "
              f"{s['b_s']:.2f} | {s['n_s']:.2f} | {s['a_b']:.2f} | {s['a_n']:.2f} | "
              f"{s['a_per_10k']:.2f} | {s['b_per_10k']:.2f} | {s['a_per_100k_rows']:.2f} | "
              f"{s['rss_mb']:.0f} | {s['a_cpu']:.2f} | {s['b_cpu']:.2f} | "
              f"{s['a_b_cpu']:.2f} |")
    per_row = [s["a_per_100k_rows"] for s in rows]
    targets = {f"(a) <= {RATIO_TARGET} x (b) at scale {s['scale']:g}": s["a_b"] <= RATIO_TARGET
               for s in rows}
    big = max(rows, key=lambda s: s["scale"])
    targets[f"peak memory (PSS of the process tree) of (a) <= 1 GB at scale {big['scale']:g}"] = (
        big["rss_mb"] <= RSS_TARGET_MB)
    if len(rows) > 1:
        # linear (or better): the cost per overlap row must not grow with the scale
        targets["cost linear in output (s per 100k rows at most +25 % over scale 1)"] = all(
            x <= 1.25 * per_row[0] for x in per_row)
    for s in rows:
        if s["same"] is not None:
            targets[f"incremental == full at scale {s['scale']:g}"] = all(s["same"].values())
            targets[f"(d) <= 2 % of (a) at scale {s['scale']:g}"] = s["d_a"] <= 0.02
        targets[f"union ha (a) vs (b) within 0.01 % at scale {s['scale']:g}"] = (
            s["union_gap"] <= 1e-4)
    for name, ok in targets.items():
        print(f"{'OK  ' if ok else 'MISS'} {name}")
    return targets


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1", help="comma-separated, e.g. 1,2,3")
    ap.add_argument("--repeat", type=int, default=1, help="runs of (a) and (b) per scale")
    ap.add_argument("--database", default=BENCH_DB)
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--skip-postgis", action="store_true")
    ap.add_argument("--skip-incremental", action="store_true")
    ap.add_argument("--results", type=Path, default=RESULTS, help="where to write RESULTS.md")
    ap.add_argument("--no-results", action="store_true")
    ap.add_argument("--keep-db", action="store_true", help="keep the benchmark database")
    ap.add_argument("--child", choices=["full", "incremental"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.database)))
        return 0
    started = time.perf_counter()
    results = [run_scale(float(s), args) for s in args.scales.split(",")]
    rows = summary_rows(results)
    targets = print_summary(rows)
    total = time.perf_counter() - started
    print(f"whole benchmark: {total:.0f} s")
    if not args.no_results:
        from benchmarks.analysis_report import write_results

        write_results(args.results, results=results, rows=rows, targets=targets, total=total,
                      machine=machine(), versions=results[0]["versions"], repeat=args.repeat)
        print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
