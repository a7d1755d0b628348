"""Benchmark geo.zonal.zonal_stats: 10,000 communities on a 10,000 × 10,000 px 30 m DEM.

Not a test; run manually:  ``.venv/bin/python benchmarks/bench_zonal.py [--polygons N]``

1. writes a synthetic UTM 19S Int16 DEM (tiled 256, deflate) strip by strip, so generation
   memory stays bounded, plus N irregular polygons of 500–15,000 ha (overlaps allowed);
2. times ``zonal_stats(kind='dem')`` in a fresh child process and reports its peak RSS
   (VmHWM: interpreter + libraries + GDAL block cache) and the tracemalloc peak
   (Python/numpy allocations only);
3. the peers on the same DEM and polygons, each in a fresh child (reprojection timed):
   ``exactextract`` (coverage-weighted: edge cells count by the fraction covered, so count
   and mean differ slightly and min/max may include edge cells) and ``rasterstats``
   (pixel centres, like zonal_stats: identical results expected); the accuracy differences
   against zonal_stats are printed (mean, count, min/max per polygon);
4. baselines, each in its own child process:
   * windowed, per polygon (rasterstats-like): one read + mask per polygon, same open dataset,
     no strip sharing — run on ALL polygons;
   * naive: whole raster in memory once, then ``geometry_mask`` on the full 10,000² array per
     polygon — run on a SUBSET and EXTRAPOLATED linearly (stated in the output).
   Results of the baselines are checked against zonal_stats for the polygons they processed.
5. repeats zonal_stats and baseline A with GDAL_CACHEMAX=64 MB: with a block cache smaller
   than the raster, per-polygon reads decode the same compressed blocks again and again,
   while zonal_stats decodes each block once per strip.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIZE = 10_000
PIXEL = 30.0
X0, Y0 = 300_000.0, 8_400_000.0  # UTM 19S, west of Lake Titicaca's meridian band
NODATA = -32768


def write_dem(path: Path, size: int, seed: int = 2106) -> None:
    """Synthetic relief written in 512-row strips (bounded memory)."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    rng = np.random.default_rng(seed)
    profile = {
        "driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "int16",
        "crs": "EPSG:32719", "transform": from_origin(X0, Y0, PIXEL, PIXEL), "nodata": NODATA,
        "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate",
        "predictor": 2, "BIGTIFF": "IF_SAFER",
    }
    xs = np.arange(size) * PIXEL / 1000.0  # km
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, size, 512):
            h = min(512, size - r0)
            ys = (r0 + np.arange(h))[:, None] * PIXEL / 1000.0
            z = (
                4200.0
                + 500.0 * np.sin(xs[None, :] / 23.0) * np.cos(ys / 31.0)
                + 250.0 * np.sin((xs[None, :] + 2 * ys) / 7.3)
                + 80.0 * np.cos((3 * xs[None, :] - ys) / 2.1)
                + rng.normal(0.0, 3.0, (h, size))
            )
            block = np.round(z).astype(np.int16)
            # a "lake" of nodata in the SE so nodata handling is exercised
            yy, xx = np.mgrid[r0 : r0 + h, 0:size]
            block[(xx - 0.8 * size) ** 2 + (yy - 0.8 * size) ** 2 < (0.08 * size) ** 2] = NODATA
            dst.write(block, 1, window=Window(0, r0, size, h))


def make_polygons(n: int, size: int, seed: int = 2106) -> list[Any]:
    """Irregular star-shaped polygons of 500–15,000 ha spread over the raster (UTM metres)."""
    import shapely

    rng = np.random.default_rng(seed + 1)
    extent = size * PIXEL
    areas_m2 = rng.uniform(500, 15_000, n) * 1e4
    cx = X0 + rng.uniform(-0.02, 1.02, n) * extent  # a few cross the raster edge
    cy = Y0 - rng.uniform(-0.02, 1.02, n) * extent
    polys = []
    for i in range(n):
        k = int(rng.integers(16, 48))
        ang = np.sort(rng.uniform(0, 2 * math.pi, k))
        rad = 1.0 + 0.35 * rng.uniform(-1, 1, k)
        ring = np.column_stack([np.cos(ang) * rad, np.sin(ang) * rad])
        poly = shapely.Polygon(ring)
        if not poly.is_valid:
            poly = poly.buffer(0)
        scale = math.sqrt(areas_m2[i] / poly.area)
        coords = shapely.get_coordinates(poly) * scale + (cx[i], cy[i])
        polys.append(shapely.Polygon(coords))
    return polys


def _rss_mb() -> float:
    """Peak RSS of this process image (VmHWM; ``ru_maxrss`` is inherited from the parent)."""
    from benchmarks.timing import peak_rss_mb

    return peak_rss_mb()


def phase_peer(work: Path, peer: str) -> dict[str, Any]:
    """The same statistics with a peer library, polygons reprojected to the DEM's CRS (timed)."""
    gdf4326 = pickle.loads((work / "polys.pkl").read_bytes())
    rss_before = _rss_mb()
    t0 = time.perf_counter()
    gdf = gdf4326.to_crs("EPSG:32719")
    rows: list[tuple[float, float, float, float]] = []
    if peer == "rasterstats":
        from rasterstats import zonal_stats as rs_zonal

        got = rs_zonal(list(gdf.geometry), str(work / "dem.tif"), nodata=NODATA,
                       stats=["count", "min", "mean", "max"], all_touched=False)
        rows = [(float(r["count"] or 0), _nan(r["min"]), _nan(r["mean"]), _nan(r["max"]))
                for r in got]
    else:
        from exactextract import exact_extract

        got = exact_extract(str(work / "dem.tif"), gdf, ["count", "min", "mean", "max"],
                            output="pandas")
        rows = [(float(c), _nan(a), _nan(m), _nan(b)) for c, a, m, b in zip(
            got["count"], got["min"], got["mean"], got["max"], strict=True)]
    dt = time.perf_counter() - t0
    (work / f"{peer}.pkl").write_bytes(pickle.dumps(rows))
    return {"seconds": dt, "maxrss_mb": _rss_mb(), "rss_before_mb": rss_before, "n": len(rows)}


def _nan(value: Any) -> float:
    return math.nan if value is None else float(value)


def compare_peer(ref: Any, rows: list[tuple[float, float, float, float]]) -> dict[str, Any]:
    """How a peer's statistics differ from zonal_stats (polygons where both have pixels)."""
    cnt = np.array([r[0] for r in rows])
    mn, mean, mx = (np.array([r[k] for r in rows]) for k in (1, 2, 3))
    ours = ref["count"].to_numpy(dtype=float)
    both = (ours > 0) & (cnt > 0)
    d_mean = np.abs(mean[both] - ref["elev_mean"].to_numpy()[both])
    rel_count = np.abs(cnt[both] - ours[both]) / ours[both]
    return {
        "both": int(both.sum()),
        "identical": int(((cnt == ours) & ((ours == 0) | (
            (mn == ref["elev_min"].to_numpy()) & (mx == ref["elev_max"].to_numpy())
            & (np.abs(mean - ref["elev_mean"].to_numpy()) <= 1e-6)))).sum()),
        "mean_abs_median_m": float(np.median(d_mean)) if len(d_mean) else math.nan,
        "mean_abs_max_m": float(d_mean.max()) if len(d_mean) else math.nan,
        "count_rel_median": float(np.median(rel_count)) if len(rel_count) else math.nan,
        "count_rel_max": float(rel_count.max()) if len(rel_count) else math.nan,
        "minmax_differ": int(((mn[both] != ref["elev_min"].to_numpy()[both])
                              | (mx[both] != ref["elev_max"].to_numpy()[both])).sum()),
        "only_peer_has_pixels": int(((ours == 0) & (cnt > 0)).sum()),
    }


def phase_zonal(work: Path) -> dict[str, Any]:
    import geopandas as gpd

    from geo.zonal import zonal_stats

    gdf: gpd.GeoDataFrame = pickle.loads((work / "polys.pkl").read_bytes())
    rss_before = _rss_mb()
    t0 = time.perf_counter()
    res = zonal_stats(work / "dem.tif", gdf, "id", kind="dem")
    dt = time.perf_counter() - t0
    rss_after = _rss_mb()
    # second, untimed run under tracemalloc (it slows Python allocations down)
    tracemalloc.start()
    zonal_stats(work / "dem.tif", gdf, "id", kind="dem")
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    res.to_pickle(work / "zonal.pkl")
    return {
        "seconds": dt, "rss_before_mb": rss_before, "maxrss_mb": rss_after,
        "tracemalloc_peak_mb": peak / 2**20, "n": len(res),
        "with_pixels": int((res["count"] > 0).sum()),
        "coverage_lt_1": int((res["coverage"] < 0.999).sum()),
    }


def _stats(vals: np.ndarray) -> tuple[int, float, float, float]:
    if vals.size == 0:
        return 0, math.nan, math.nan, math.nan
    return int(vals.size), float(vals.min()), float(vals.mean(dtype=np.float64)), float(vals.max())


def phase_windowed(work: Path) -> dict[str, Any]:
    """rasterstats-like: per polygon window read + pixel-centre mask (dataset opened once)."""
    import rasterio
    from rasterio.features import geometry_mask
    from rasterio.windows import Window

    gdf4326 = pickle.loads((work / "polys.pkl").read_bytes())
    t0 = time.perf_counter()
    gdf = gdf4326.to_crs("EPSG:32719")  # timed: zonal_stats reprojects too
    out = []
    with rasterio.open(work / "dem.tif") as src:
        inv = ~src.transform
        for g in gdf.geometry:
            minx, miny, maxx, maxy = g.bounds
            c0, r0 = inv @ (minx, maxy)
            c1, r1 = inv @ (maxx, miny)
            c0, r0 = max(0, math.floor(c0)), max(0, math.floor(r0))
            c1, r1 = min(src.width, math.ceil(c1)), min(src.height, math.ceil(r1))
            if c1 <= c0 or r1 <= r0:
                out.append(_stats(np.zeros(0)))
                continue
            w = Window(c0, r0, c1 - c0, r1 - r0)
            arr = src.read(1, window=w)
            m = geometry_mask([g], arr.shape, src.window_transform(w), invert=True)
            out.append(_stats(arr[m & (arr != NODATA)]))
    dt = time.perf_counter() - t0
    (work / "windowed.pkl").write_bytes(pickle.dumps(out))
    return {"seconds": dt, "maxrss_mb": _rss_mb(), "n": len(out)}


def phase_naive(work: Path, subset: int) -> dict[str, Any]:
    """Whole raster in RAM, full-size geometry_mask per polygon, on a subset."""
    import rasterio
    from rasterio.features import geometry_mask

    gdf4326 = pickle.loads((work / "polys.pkl").read_bytes())
    t0 = time.perf_counter()
    gdf = gdf4326.to_crs("EPSG:32719")
    with rasterio.open(work / "dem.tif") as src:
        dem = src.read(1)
        transform = src.transform
    t_read = time.perf_counter() - t0  # reprojection + whole-raster read
    valid = dem != NODATA
    out = []
    t1 = time.perf_counter()
    for g in gdf.geometry.iloc[:subset]:
        m = geometry_mask([g], dem.shape, transform, invert=True)
        out.append(_stats(dem[m & valid]))
    dt = time.perf_counter() - t1
    (work / "naive.pkl").write_bytes(pickle.dumps(out))
    return {"read_seconds": t_read, "loop_seconds": dt, "subset": subset,
            "maxrss_mb": _rss_mb(), "n": len(gdf)}


def _child(phase: str, work: Path, extra: list[str], env: dict[str, str]) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--phase", phase, "--work", str(work), *extra]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"phase {phase} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _check(name: str, ref: Any, rows: list[tuple[int, float, float, float]]) -> str:
    bad = 0
    for i, (cnt, mn, mean, mx) in enumerate(rows):
        r = ref.iloc[i]
        if cnt != int(r["count"]) or (cnt and (
            mn != r["elev_min"] or mx != r["elev_max"] or abs(mean - r["elev_mean"]) > 1e-6
        )):
            bad += 1
    return f"{name}: {len(rows) - bad}/{len(rows)} polygons identical to zonal_stats"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phase", choices=["zonal", "windowed", "naive", "exactextract",
                                        "rasterstats"])
    ap.add_argument("--work", type=Path)
    ap.add_argument("--size", type=int, default=SIZE)
    ap.add_argument("--polygons", type=int, default=10_000)
    ap.add_argument("--subset", type=int, default=200)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--skip-windowed", action="store_true")
    args = ap.parse_args()

    if args.phase:
        work: Path = args.work
        if args.phase == "zonal":
            res = phase_zonal(work)
        elif args.phase == "windowed":
            res = phase_windowed(work)
        elif args.phase in ("exactextract", "rasterstats"):
            res = phase_peer(work, args.phase)
        else:
            res = phase_naive(work, args.subset)
        print(json.dumps(res))
        return 0

    import geopandas as gpd
    import pandas as pd

    work = Path(tempfile.mkdtemp(prefix="allpa-bench-"))
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    try:
        t0 = time.perf_counter()
        write_dem(work / "dem.tif", args.size)
        t_dem = time.perf_counter() - t0
        t0 = time.perf_counter()
        polys = make_polygons(args.polygons, args.size)
        gdf = gpd.GeoDataFrame(
            {"id": [f"CC-{i:05d}" for i in range(len(polys))]}, geometry=polys, crs="EPSG:32719"
        ).to_crs("EPSG:4326")  # as the service stores them (contract CRS)
        (work / "polys.pkl").write_bytes(pickle.dumps(gdf))
        t_poly = time.perf_counter() - t0
        size_mb = (work / "dem.tif").stat().st_size / 2**20
        ha = gpd.GeoSeries(polys, crs="EPSG:32719").area / 1e4
        print(f"DEM {args.size}×{args.size} px, 30 m, UTM 19S Int16 tiled+deflate: "
              f"{size_mb:.0f} MiB written in {t_dem:.1f} s (512-row strips)")
        print(f"{len(polys)} polygons, {ha.min():.0f}–{ha.max():.0f} ha "
              f"(mean {ha.mean():.0f}), built in {t_poly:.1f} s; passed in EPSG:4326")

        z = _child("zonal", work, [], env)
        print(f"\nzonal_stats(kind='dem'): {z['seconds']:.1f} s for {z['n']} polygons "
              f"({z['with_pixels']} with pixels, {z['coverage_lt_1']} with coverage < 1)")
        print(f"  peak RSS of the child process {z['maxrss_mb']:.0f} MiB, of which "
              f"{z['rss_before_mb']:.0f} MiB before the call (interpreter, libraries, the "
              f"GeoDataFrame) -> +{z['maxrss_mb'] - z['rss_before_mb']:.0f} MiB for zonal_stats "
              f"(incl. GDAL block cache); tracemalloc peak (separate run) "
              f"{z['tracemalloc_peak_mb']:.0f} MiB")
        ref = pd.read_pickle(work / "zonal.pkl")

        for peer in ("exactextract", "rasterstats"):
            pr = _child(peer, work, [], env)
            cmp = compare_peer(ref, pickle.loads((work / f"{peer}.pkl").read_bytes()))
            print(f"\n{peer} (same DEM, same polygons reprojected to UTM 19S, timed): "
                  f"{pr['seconds']:.1f} s, peak RSS {pr['maxrss_mb']:.0f} MiB; ratio "
                  f"{peer} / zonal_stats = {pr['seconds'] / z['seconds']:.2f}x")
            print(f"  accuracy vs zonal_stats over {cmp['both']} polygons with pixels in both: "
                  f"{cmp['identical']}/{len(ref)} polygons identical (count, min, mean, max); "
                  f"|mean difference| median {cmp['mean_abs_median_m']:.3f} m, max "
                  f"{cmp['mean_abs_max_m']:.3f} m; |count difference| median "
                  f"{100 * cmp['count_rel_median']:.2f} %, max "
                  f"{100 * cmp['count_rel_max']:.1f} %; min or max differ in "
                  f"{cmp['minmax_differ']} polygons; {cmp['only_peer_has_pixels']} polygons "
                  "have pixels only for the peer")

        if not args.skip_windowed:
            w = _child("windowed", work, [], env)
            rows = pickle.loads((work / "windowed.pkl").read_bytes())
            print(f"\nbaseline A, per-polygon windowed read + mask (rasterstats-like), measured on "
                  f"all {w['n']} polygons: {w['seconds']:.1f} s, peak RSS {w['maxrss_mb']:.0f} MiB")
            print(f"  ratio A / zonal_stats = {w['seconds'] / z['seconds']:.1f}×; "
                  + _check("check", ref, rows))

        if not args.skip_windowed:
            small = dict(env, GDAL_CACHEMAX="64")  # MB: a cache far smaller than the raster
            zs = _child("zonal", work, [], small)
            ws = _child("windowed", work, [], small)
            decoded = args.size**2 * 2 / 2**20
            print(f"\nsame two runs with GDAL_CACHEMAX=64 MB (raster is {decoded:.0f} MiB "
                  "decoded, so blocks no longer stay cached between polygons):")
            print(f"  zonal_stats {zs['seconds']:.1f} s (peak RSS {zs['maxrss_mb']:.0f} MiB); "
                  f"baseline A {ws['seconds']:.1f} s (peak RSS {ws['maxrss_mb']:.0f} MiB); "
                  f"ratio A / zonal_stats = {ws['seconds'] / zs['seconds']:.1f}×")

        nv = _child("naive", work, ["--subset", str(args.subset)], env)
        rows = pickle.loads((work / "naive.pkl").read_bytes())
        per = nv["loop_seconds"] / nv["subset"]
        est = nv["read_seconds"] + per * nv["n"]
        print(f"\nbaseline B, whole raster in RAM + full-array geometry_mask per polygon: "
              f"MEASURED on a subset of {nv['subset']} polygons "
              f"({nv['loop_seconds']:.1f} s, {per * 1000:.0f} ms/polygon) + reprojection and full "
              f"read {nv['read_seconds']:.1f} s; peak RSS {nv['maxrss_mb']:.0f} MiB")
        print(f"  EXTRAPOLATED (linear) to {nv['n']} polygons: {est:.0f} s "
              f"(≈ {est / 60:.0f} min); ratio B / zonal_stats ≈ {est / z['seconds']:.0f}×; "
              + _check("check", ref, rows))
    finally:
        if args.keep:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
