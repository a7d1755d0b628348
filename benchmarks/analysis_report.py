"""``benchmarks/RESULTS.md`` from one ``bench_analysis`` run: only figures it measured."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any


def _steps(steps: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in steps.items())


def write_results(path: Path, *, results: list[dict[str, Any]], rows: list[dict[str, Any]],
                  targets: dict[str, bool], total: float, machine: str, versions: str,
                  repeat: int) -> None:
    scales = ",".join(f"{r['scale']:g}" for r in results)
    lines = [
        "# Benchmark results: overlap analysis at national scale",
        "",
        f"Measured {dt.date.today().isoformat()} by `python -m benchmarks.bench_analysis "
        f"--scales {scales} --repeat {repeat}` (whole run {total:.0f} s).",
        "",
        f"- Machine: {machine} (shared with other jobs while measured: ratios come from "
        "the same run, (a) and (b) interleaved, best of each).",
        f"- Software: {versions}",
        "- Data: `benchmarks/national.py`, fixed seed, FICTIONAL; scale k = k x (10,000 "
        "communities, 60,000 concessions, 50,000 water points) over the same region of "
        "southern Peru (so overlaps per community grow with k too).",
        "- (a) Allpa `run_analysis(full=True)` in a fresh process: load from PostGIS, "
        "overlays, flag rules, store with COPY. (b) careful analyst (`sindex.query`, "
        "vectorised intersections, one-direction neighbours, `union_all` per community), "
        "(n) naive analyst (`overlay` + `dissolve` + `sjoin`): in-memory frames, no flags, no "
        "storage, which favours them. Peak memory of (a): the largest proportional set size "
        "(PSS, sampled every 0.2 s) of the fresh process running (a) plus its forked worker "
        "processes (pages shared after the fork count once); beside it the `VmHWM` of the "
        "parent and of the largest worker (each counts the shared pages in full). "
        "CPU: user + system seconds of (a)'s process (all threads), its workers and its PostgreSQL "
        "backend, and of (b)'s process: the work done, not the waiting, so it moves far less "
        "than wall time when other jobs share the cores.",
        "",
        "| scale | communities | overlap rows | (a) s | (b) careful s | (n) naive s | "
        "(a)/(b) | (a)/(n) | (a) s per 10k communities | (b) s per 10k communities | "
        "(a) s per 100k overlap rows | peak PSS (a) MB | (a) CPU s | (b) CPU s | "
        "(a)/(b) CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in rows:
        lines.append(
            f"| {s['scale']:g} | {s['communities']} | {s['overlaps']} | {s['a_s']:.2f} | "
            f"{s['b_s']:.2f} | {s['n_s']:.2f} | {s['a_b']:.2f} | {s['a_n']:.2f} | "
            f"{s['a_per_10k']:.2f} | {s['b_per_10k']:.2f} | {s['a_per_100k_rows']:.2f} | "
            f"{s['rss_mb']:.0f} | {s['a_cpu']:.2f} | {s['b_cpu']:.2f} | {s['a_b_cpu']:.2f} |")
    lines += ["", "| target | result |", "|---|---|"]
    lines += [f"| {k} | {'met' if v else '**missed**'} |" for k, v in targets.items()]
    lines += ["", "## Per scale", ""]
    for r, s in zip(results, rows, strict=True):
        a, b, n, c, d = r["a"], r["b"], r["n"], r["c"], r["d"]
        lines += [
            f"### scale {r['scale']:g}: {r['counts']}",
            "",
            f"- Generated in {r['gen_s']:.1f} s, stored in {r['load_s']:.1f} s.",
            f"- (a) runs {', '.join(f'{x:.2f}' for x in r['a_runs'])} s; best {a['seconds']:.2f}"
            f" s = load {a['load_s']:.2f} + the rest {a['store_s']:.2f} (overlays and flag rules"
            f" in {a.get('processes', 1)} process(es), COPY, bookkeeping); CPU "
            f"{a['cpu_s']:.2f} s (parent and workers) + {a['pg_cpu_s']:.2f} s (PostgreSQL); "
            f"{a['overlaps']} overlap rows, {a['flags']} flags; peak PSS of the process tree "
            f"{a['peak_pss_mb']:.0f} MB (VmHWM parent {a['peak_rss_mb']:.0f} MB, "
            f"{a['rss_before_mb']:.0f} MB after imports and connecting; largest worker "
            f"{a['worker_peak_rss_mb']:.0f} MB).",
            f"- (b) careful runs {', '.join(f'{x:.2f}' for x in r['b_runs'])} s; best "
            f"{b['seconds']:.2f} s: {_steps(b['steps'])}.",
        ]
        if n:
            lines.append(f"- (n) naive {n['seconds']:.2f} s: {_steps(n['steps'])}.")
        if c:
            lines.append(f"- (c) PostGIS SQL {c['seconds']:.2f} s: {_steps(c['steps'])}.")
        if d:
            lines.append(
                f"- (d) incremental after 20 new concessions: {d['seconds']:.2f} s "
                f"({d['affected']} communities recomputed), (d)/(a) = {s['d_a']:.4f}; then a "
                f"second full run ({r['a2']['seconds']:.2f} s): incremental rows equal the "
                f"full recompute exactly: {r['same']}.")
        tot = r["a_tot"]
        lines += [
            f"- Agreement: union of concessions over all territories (a) {tot['union_ha']:.1f}"
            f" ha, (b) {b['union_ha']:.1f} ha" + (f", (n) {n['union_ha']:.1f} ha" if n else "")
            + (f", (c) {c['union_ha']:.1f} ha" if c else "")
            + f" ((a) vs (b) relative gap {r['union_gap']:.1e}); pairs (a) {tot['pairs']} / "
            f"{tot['pairs_ha']:.1f} ha, (b) {b['pairs']} / {b['pairs_ha']:.1f} ha.",
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
