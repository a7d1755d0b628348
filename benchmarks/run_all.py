"""Run every benchmark (what ``make bench`` does), each in its own process, output streamed.

    .venv/bin/python -m benchmarks.run_all [--only analysis,tiles,zonal]

Order: ``benchmarks.bench_analysis`` (overlaps and flags at national scale), then, when the
modules exist, ``benchmarks.bench_tiles``, ``benchmarks.bench_zonal``,
``benchmarks.bench_startup``, ``benchmarks.bench_import``, ``benchmarks.bench_desk`` and
``benchmarks.bench_watch``.
Exits non-zero if any benchmark failed to run (a missed target is reported by the benchmark,
not an error).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = [("analysis", "benchmarks.bench_analysis"), ("tiles", "benchmarks.bench_tiles"),
              ("zonal", "benchmarks.bench_zonal"), ("pageload", "benchmarks.bench_pageload"),
              ("startup", "benchmarks.bench_startup"), ("import", "benchmarks.bench_import"),
              ("desk", "benchmarks.bench_desk"), ("watch", "benchmarks.bench_watch"),
              ("casefiles", "benchmarks.bench_casefiles")]


def available(module: str) -> bool:
    return (ROOT / Path(*module.split("."))).with_suffix(".py").is_file() or (
        importlib.util.find_spec(module) is not None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated subset: "
                                   "analysis,tiles,zonal,pageload,startup,import,desk,"
                                   "watch,casefiles")
    args = ap.parse_args(argv)
    wanted = set(args.only.split(",")) if args.only else {name for name, _ in BENCHMARKS}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    failed: list[str] = []
    for name, module in BENCHMARKS:
        if name not in wanted:
            continue
        if not available(module):
            print(f"== {module}: not present, skipped", flush=True)
            continue
        print(f"\n== {module}", flush=True)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", module], cwd=ROOT, env=env, check=False)
        took = time.perf_counter() - started
        print(f"== {module}: exit {proc.returncode} after {took:.0f} s", flush=True)
        if proc.returncode != 0:
            failed.append(module)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
