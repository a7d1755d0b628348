"""Start-up of the ``allpa`` command: what a user waits for before any work is done.

Usage::

    .venv/bin/python -m benchmarks.bench_startup [--runs 7]

Measures, each as the median wall time of ``--runs`` fresh processes, in the same run:

- baseline: the bare interpreter (``python -c pass``), the floor no command can beat;
- ``allpa --help``;
- ``allpa analyze`` with nothing to do, on a throwaway database holding the analysed sample
  (created in the private cluster and dropped afterwards);
- ``allpa analyze`` with nothing to do through the full machinery (``layers.analysis``
  imported and run), to show what the empty-run path saves.

Targets (issue 16): ``allpa --help`` and ``allpa analyze`` with nothing to do ≤ 0.5 s.
The ratio to the bare interpreter is printed beside each figure so a slow machine can be told
from a slow command.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLPA = [sys.executable, "-c", "from api.cli import main; main()"]
TARGET_S = 0.5
FULL_MACHINERY = (
    "import datetime\n"
    "from layers.config import load_settings\n"
    "from layers.db import make_engine\n"
    "from layers.analysis import run_analysis\n"
    "s = load_settings()\n"
    "with make_engine(s).begin() as conn:\n"
    "    r = run_analysis(conn, s, recorded_by='bench', today=datetime.date.today())\n"
    "assert r.communities == 0, r\n"
)


def _median_seconds(cmd: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)

    import datetime as dt

    from layers import cluster, migrate
    from layers.analysis import run_analysis
    from layers.config import load_settings
    from layers.db import make_engine
    from layers.sample import load_sample

    settings = load_settings()
    name = "allpa_bench_startup"
    cluster.up(settings)
    cluster.drop_database(settings, name)
    cluster.ensure_database(settings, name)
    engine = make_engine(settings, name)
    try:
        migrate.upgrade(engine)
        with engine.begin() as conn:
            load_sample(conn, recorded_by="bench")
        with engine.begin() as conn:
            run_analysis(conn, settings, recorded_by="bench", full=True, today=dt.date.today())
        env = {**os.environ, "ALLPA_DB_NAME": name}
        base = _median_seconds([sys.executable, "-c", "pass"], args.runs, env)
        rows = [
            ("allpa --help", _median_seconds([*ALLPA, "--help"], args.runs, env), True),
            ("allpa analyze (nothing to do)",
             _median_seconds([*ALLPA, "analyze"], args.runs, env), True),
            ("full machinery, nothing to do (reference)",
             _median_seconds([sys.executable, "-c", FULL_MACHINERY], args.runs, env), False),
        ]
    finally:
        engine.dispose()
        cluster.drop_database(settings, name)

    print(f"Start-up, median of {args.runs} fresh processes")
    print(f"| command | seconds | × bare interpreter ({base:.3f} s) | target |")
    print("|---|---:|---:|---|")
    for label, seconds, targeted in rows:
        verdict = ("met" if seconds <= TARGET_S else "**missed**") if targeted else "-"
        target = f"≤ {TARGET_S} s: {verdict}" if targeted else "(reference)"
        print(f"| {label} | {seconds:.3f} | {seconds / base:.1f} | {target} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
