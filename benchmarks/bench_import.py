"""Import of the real INGEMMET file: Allpa against ``ogr2ogr`` and a plain geopandas script.

Usage::

    .venv/bin/python -m benchmarks.bench_import [--repeat 3] [--file PATH]

The file is ``../shared/data/peru/mining/ingemmet_17s_100326.geojson`` (9,025 polygons, UTM
17S coordinates with no CRS declared, 7 invalid geometries). Each contender writes the
concessions into an empty table of a fresh database of the private cluster, reprojecting
EPSG:32717 to EPSG:4326 and repairing invalid geometries:

* ``allpa import concessions FILE --crs EPSG:32717`` (the CLI, a fresh process: start-up
  included), and ``layers.importer.import_file`` alone in a fresh process (libraries
  already imported: the work only). Both include what the others skip: validation with a
  per-feature report, profile mapping, SHA-256 provenance, versioning.
* ``ogr2ogr -f PostgreSQL`` with ``-s_srs EPSG:32717 -t_srs EPSG:4326 -makevalid``
  (``apt-get install gdal-bin``; the benchmark says so and skips it if missing).
* a plain geopandas script: ``read_file``, ``set_crs``, ``to_crs``, ``make_valid``,
  ``to_postgis`` (a fresh process, start-up included).

Every contender writes into its own fresh, empty, migrated database of the same private
cluster. Runs are interleaved ``--repeat`` times (the machine is shared); the best of each is
compared, in wall time and in client CPU time (user + system of the contender's process,
which moves less than wall time when other jobs share the cores).
Target (issue 16): Allpa ≤ 2 x ``ogr2ogr``. Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from layers.config import PROJECT_ROOT, load_settings

DATA = PROJECT_ROOT.parent / "shared" / "data" / "peru" / "mining" / "ingemmet_17s_100326.geojson"
DB = "allpa_bench_import"
SOURCE = "INGEMMET 2026-03-10 (benchmark)"

GEOPANDAS_SCRIPT = """
import sys, geopandas as gpd, sqlalchemy as sa
frame = gpd.read_file(sys.argv[1]).set_crs(32717, allow_override=True).to_crs(4326)
frame["geometry"] = frame.geometry.make_valid()
engine = sa.create_engine(sys.argv[2])
frame.to_postgis("gpd_concession", engine, if_exists="replace")
print(len(frame))
"""

WORK_SCRIPT = """
import json, sys, time
from pathlib import Path
from layers.config import load_settings
from layers.db import make_engine
from layers import changesets
from layers.importer import import_file
engine = make_engine(load_settings(), sys.argv[2])
with engine.connect() as conn:
    conn.exec_driver_sql("SELECT 1")
t, cpu = time.perf_counter(), time.process_time()
with engine.begin() as conn:
    report = import_file(conn, "concessions", Path(sys.argv[1]), recorded_by="benchmark",
                         crs="EPSG:32717", source=sys.argv[3])
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu,
                  "changes": sum(changesets.last_timings.values()),
                  "stored": report.n_inserted,
                  "repaired": len(report.repairs), "rejected": len(report.rejections)}))
"""


def fresh_database() -> str:
    """A new, migrated, empty database; returns its URL."""
    from benchmarks.national import create_database

    engine = create_database(load_settings(), DB)
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    return url


_CPU: dict[str, float] = {}


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall seconds and stdout of ``cmd``; its CPU seconds (user + system of the client
    process, not of PostgreSQL) go to ``_CPU[cmd[0]]``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **(env or {})})
    seconds = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    _CPU[cmd[0]] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed:\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout


def _count(url: str, table: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def run_once(path: Path, ogr2ogr: str | None) -> dict[str, Any]:
    """One round: every contender writes into its own fresh, empty, migrated database of
    the same cluster (the same target for all), one after the other."""
    out: dict[str, Any] = {}
    url = fresh_database()
    allpa = str(Path(sys.executable).with_name("allpa"))
    out["allpa_cli"], _ = _timed([allpa, "import", "concessions", str(path), "--crs",
                                  "EPSG:32717", "--source", SOURCE],
                                 {"ALLPA_DATABASE_URL": url})
    out["allpa_cli_cpu"] = _CPU[allpa]
    out["allpa_cli_rows"] = _count(url, "concession")
    url = fresh_database()
    _, text = _timed([sys.executable, "-c", WORK_SCRIPT, str(path), DB, SOURCE])
    work = json.loads(text.strip().splitlines()[-1])
    out["allpa_work"] = work["seconds"]
    out["allpa_work_cpu"] = work["cpu"]
    out["allpa_work_changes"] = work["changes"]
    out["allpa_report"] = work
    if ogr2ogr:
        url = fresh_database()
        pg = url.replace("postgresql+psycopg://", "postgresql://")
        out["ogr2ogr"], _ = _timed([ogr2ogr, "-f", "PostgreSQL", f"PG:{_libpq(pg)}",
                                    str(path), "-s_srs", "EPSG:32717", "-t_srs", "EPSG:4326",
                                    "-nln", "ogr_concession", "-nlt", "PROMOTE_TO_MULTI",
                                    "-lco", "GEOMETRY_NAME=geom", "-makevalid"])
        out["ogr2ogr_cpu"] = _CPU[ogr2ogr]
        out["ogr2ogr_rows"] = _count(url, "ogr_concession")
    url = fresh_database()
    out["geopandas"], _ = _timed([sys.executable, "-c", GEOPANDAS_SCRIPT, str(path), url])
    out["geopandas_cpu"] = _CPU[sys.executable]
    out["geopandas_rows"] = _count(url, "gpd_concession")
    return out


def _libpq(url: str) -> str:
    """``host=… port=… dbname=… user=…`` from a postgresql:// URL (what GDAL's PG: takes)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    parts = [f"host={u.host}", f"port={u.port}", f"dbname={u.database}", f"user={u.username}"]
    if u.password:
        parts.append(f"password={u.password}")
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=DATA)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    if not args.file.is_file():
        print(f"missing {args.file} (the real data lives in ../shared/data)", file=sys.stderr)
        return 2
    ogr2ogr = shutil.which("ogr2ogr")
    if not ogr2ogr:
        print("ogr2ogr not found: `apt-get install gdal-bin` to compare with it; skipped")
    runs = [run_once(args.file, ogr2ogr) for _ in range(args.repeat)]
    keys = ["allpa_cli", "allpa_work", "ogr2ogr", "geopandas"]
    best = {k: min(r[k] for r in runs) for k in keys if k in runs[0]}
    labels = {"allpa_cli": "allpa import (CLI, fresh process)",
              "allpa_work": "layers.importer.import_file (work only)",
              "ogr2ogr": "ogr2ogr -f PostgreSQL (fresh process)",
              "geopandas": "plain geopandas script (fresh process)"}
    print(f"\n{args.file.name}: {runs[0]['allpa_cli_rows']} concessions stored by Allpa "
          f"({runs[0]['allpa_report']['repaired']} repaired, "
          f"{runs[0]['allpa_report']['rejected']} rejected); ogr2ogr "
          f"{runs[0].get('ogr2ogr_rows', '-')} rows, geopandas {runs[0]['geopandas_rows']} rows")
    print("\n| contender | runs (s) | best (s) | / ogr2ogr |\n|---|---|---:|---:|")
    for k, v in best.items():
        ratio = f"{v / best['ogr2ogr']:.2f}" if "ogr2ogr" in best else "-"
        print(f"| {labels[k]} | {', '.join(f'{r[k]:.2f}' for r in runs)} | {v:.2f} | {ratio} |")
    cpu = {k: min(r[f"{k}_cpu"] for r in runs)
           for k in ("allpa_cli", "allpa_work", "ogr2ogr", "geopandas") if f"{k}_cpu" in runs[0]}
    print("\nclient CPU (user + system of the process, best run): "
          + ", ".join(f"{labels[k]} {v:.2f} s" for k, v in cpu.items())
          + (f"; allpa CLI / ogr2ogr {cpu['allpa_cli'] / cpu['ogr2ogr']:.2f}, work only / "
             f"ogr2ogr {cpu['allpa_work'] / cpu['ogr2ogr']:.2f}" if "ogr2ogr" in cpu else ""))
    fastest = min(runs, key=lambda r: r["allpa_work"])
    print(f"work only, fastest run: {fastest['allpa_work']:.2f} s wall, "
          f"{fastest['allpa_work_cpu']:.2f} s client CPU, so "
          f"{fastest['allpa_work'] - fastest['allpa_work_cpu']:.2f} s off the client's CPU "
          f"(PostgreSQL working, or the client waiting for a core), of which the change set "
          f"and alerts {fastest['allpa_work_changes']:.2f} s; load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if "ogr2ogr" in best:
        ok = best["allpa_cli"] <= 2 * best["ogr2ogr"]
        print(f"{'OK  ' if ok else 'MISS'} allpa import <= 2 x ogr2ogr "
              f"({best['allpa_cli'] / best['ogr2ogr']:.2f}x; work only "
              f"{best['allpa_work'] / best['ogr2ogr']:.2f}x)")
    from layers import cluster

    cluster.drop_database(load_settings(), DB)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
