"""Deterministic FICTIONAL sample rasters for the Huancané (Puno) demo area.

``python -m geo.rastersample [out_dir]`` writes ``dem_ficticio.tif`` and
``cobertura_ficticia.tif`` (default ``data/sample/``). Everything derives from
``numpy.random.default_rng(2106)`` and the files carry no timestamps, so regenerating gives
byte-identical files (tests compare them with the committed copies). The terrain is plausible
— lake at 3,810 m in the SE, altiplano rising to a cordillera with glaciated peaks in the N/NE,
two river valleys with bofedales — but it is invented; the files say so in their ``NOTA`` tag.
"""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.io import MemoryFile
from rasterio.transform import from_origin

from geo.raster import LAND_COVER_CLASSES
from geo.terrain import pixel_spacing_m

__all__ = ["LAKE_LEVEL_M", "SAMPLE_GRID", "write_sample_rasters"]

NOTA = "Datos FICTICIOS generados por Allpa"
LAKE_LEVEL_M = 3810
DEM_NODATA = -32768
#: west, north, pixel size (degrees), width, height — EPSG:4326, W −70.2 S −15.65 E −69.0 N −14.65
SAMPLE_GRID = (-70.2, -14.65, 0.0025, 480, 400)
SEED = 2106

_LAKE_CENTRE = (-69.35, -15.45)
_TOWNS = ((-69.762, -15.203, 1.3), (-69.505, -15.362, 0.7))  # lon, lat, radius km (fictional)
_RIVERS = (
    ((-69.86, -14.66), (-69.83, -14.85), (-69.80, -15.00), (-69.78, -15.16), (-69.68, -15.30),
     (-69.60, -15.38)),
    ((-69.30, -14.70), (-69.40, -14.88), (-69.47, -15.05), (-69.50, -15.20), (-69.46, -15.28)),
)
_PEAKS = ((-69.30, -14.715, 520.0), (-69.56, -14.695, 470.0), (-69.13, -14.80, 430.0),
          (-69.93, -14.675, 380.0))


def _smooth(field: np.ndarray, sigma_px: float) -> np.ndarray:
    """Gaussian filter via FFT (numpy only; periodic, so callers pad and crop)."""
    h, w = field.shape
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    kernel = np.exp(-2.0 * math.pi**2 * sigma_px**2 * (fx * fx + fy * fy))
    return np.fft.irfft2(np.fft.rfft2(field) * kernel, s=(h, w))


def _fractal(rng: np.random.Generator, shape: tuple[int, int], octaves: int = 6,
             base_sigma: float = 48.0, persistence: float = 0.55) -> np.ndarray:
    """Sum of smoothed random fields (fBm-like), unit standard deviation."""
    pad = int(3 * base_sigma)
    h, w = shape[0] + 2 * pad, shape[1] + 2 * pad
    total = np.zeros(shape)
    amp = 1.0
    sigma = base_sigma
    for _ in range(octaves):
        layer = _smooth(rng.standard_normal((h, w)), sigma)[pad:-pad, pad:-pad]
        total += amp * layer / layer.std()
        amp *= persistence
        sigma /= 2.0
    return total / total.std()


def _km_grid(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> tuple[
        np.ndarray, np.ndarray]:
    """Local east/north km offsets (equirectangular is fine for shaping fictional terrain)."""
    kx = 111.32 * math.cos(math.radians(lat0))
    return (lon - lon0) * kx, (lat - lat0) * 110.57


def _dist_to_polyline_km(lon: np.ndarray, lat: np.ndarray,
                         pts: tuple[tuple[float, float], ...]) -> np.ndarray:
    x, y = _km_grid(lon, lat, pts[0][0], pts[0][1])
    best = np.full(lon.shape, np.inf)
    for (ax, ay), (bx, by) in itertools.pairwise(pts):
        (px, py) = _km_grid(np.array(ax), np.array(ay), pts[0][0], pts[0][1])
        (qx, qy) = _km_grid(np.array(bx), np.array(by), pts[0][0], pts[0][1])
        dx, dy = qx - px, qy - py
        t = np.clip(((x - px) * dx + (y - py) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
        best = np.minimum(best, np.hypot(x - (px + t * dx), y - (py + t * dy)))
    return best


def _generate() -> tuple[np.ndarray, np.ndarray]:
    """(dem int16, landcover uint8) on SAMPLE_GRID; pure function of the seed."""
    west, north, res, width, height = SAMPLE_GRID
    rng = np.random.default_rng(SEED)
    cols = west + (np.arange(width) + 0.5) * res
    rows = north - (np.arange(height) + 0.5) * res
    lon, lat = np.meshgrid(cols, rows)

    hills = _fractal(rng, (height, width), base_sigma=40.0)
    ridges = _fractal(rng, (height, width), base_sigma=24.0, persistence=0.6)
    shore_noise = _fractal(rng, (height, width), octaves=4, base_sigma=30.0)
    cover_noise = [_fractal(rng, (height, width), octaves=4, base_sigma=10.0) for _ in range(4)]

    # lake: rotated ellipse with a wavy shore; rho = 1 on the shoreline
    x, y = _km_grid(lon, lat, *_LAKE_CENTRE)
    ang = math.radians(35.0)
    u = x * math.cos(ang) + y * math.sin(ang)
    v = -x * math.sin(ang) + y * math.cos(ang)
    rho = np.hypot(u / 40.0, v / 22.0) * (1.0 + 0.12 * shore_noise)
    lake = rho < 1.0
    shore_km = np.maximum(rho - 1.0, 0.0) * 28.0

    # altiplano: gentle rise from the shore, rolling hills that fade out at the water
    z = 3818.0 + 330.0 * (1.0 - np.exp(-shore_km / 14.0))
    z += 110.0 * hills * np.clip(shore_km / 6.0, 0.0, 1.0)
    # cordillera to the N/NE: the ridge line tilts so the NE rises first
    lat0 = -14.86 - 0.17 * (lon - west) / (SAMPLE_GRID[2] * width)
    cord = 1.0 / (1.0 + np.exp(-(lat - lat0) / 0.055))
    z += cord * (520.0 + 180.0 * np.abs(ridges))
    for plon, plat, hgt in _PEAKS:
        px, py = _km_grid(lon, lat, plon, plat)
        z += hgt * np.exp(-(px * px + py * py) / (2 * 2.6**2))

    # river valleys: flat floors (bofedales upstream, fields downstream), gentle sides
    zs = _smooth(np.pad(z, 64, mode="reflect"), 12.0)[64:-64, 64:-64]
    valley = np.zeros(z.shape)
    for river in _RIVERS:
        d = _dist_to_polyline_km(lon, lat, river)
        valley = np.maximum(valley, np.exp(-((d / 2.2) ** 3)))
    floor = zs - np.minimum(140.0, 0.2 * (zs - 3816.0))
    z = z * (1.0 - valley) + floor * valley
    z = np.where(lake, float(LAKE_LEVEL_M), np.maximum(z, LAKE_LEVEL_M + 5.0))
    dem = np.round(z).astype(np.int16)

    # land cover from the DEM
    transform = from_origin(west, north, res, res)
    dx, dy = pixel_spacing_m(transform, "EPSG:4326", height)
    zf = dem.astype(np.float64)
    gy, gx = np.gradient(zf)
    slope = np.degrees(np.arctan(np.hypot(gx / dx[:, None], gy / dy[:, None])))
    tpi = zf - _smooth(np.pad(zf, 64, mode="reflect"), 6.0)[64:-64, 64:-64]
    n1, n2, n3, n4 = cover_noise

    lc = np.full(dem.shape, 4, dtype=np.uint8)  # pajonal / pastizal everywhere first
    shrub = (zf > 3850) & (zf < 4400) & (slope > 4) & (slope < 24) & (n3 > 0.5)
    lc[shrub] = 8
    crop = (zf < 3950 + 25 * n2) & (slope < 8) & (n2 > -0.6)
    lc[crop] = 5
    bofe = (zf >= 3870) & (zf <= 4700) & (slope < 4) & (
        ((valley > 0.8) & (n1 > -0.8)) | ((slope < 2.0) & (tpi < -3.0) & (n1 > 0.3)))
    lc[bofe & ~(crop & (valley < 0.8))] = 1
    bare = ((slope > 24) & (zf > 4300)) | (zf > 4880 + 40 * n4)
    lc[bare] = 6
    lc[zf > 5000 + 40 * n4] = 2
    for tlon, tlat, rad in _TOWNS:
        tx, ty = _km_grid(lon, lat, tlon, tlat)
        lc[np.hypot(tx, ty) * (1 + 0.15 * n4) < rad] = 7
    lc[lake] = 3
    return dem, lc


def _write_cog(path: Path, data: np.ndarray, *, nodata: float, landcover: bool) -> None:
    """Write via an in-memory GTiff then the COG driver: tiled 256, deflate, overviews."""
    west, north, res, width, height = SAMPLE_GRID
    profile = {
        "driver": "GTiff", "width": width, "height": height, "count": 1,
        "dtype": data.dtype.name, "crs": "EPSG:4326",
        "transform": from_origin(west, north, res, res), "nodata": nodata,
    }
    with MemoryFile() as mem:
        with mem.open(**profile) as ds:
            ds.write(data, 1)
            ds.update_tags(
                NOTA=NOTA, FUENTE="geo.rastersample (semilla 2106)", AREA_OR_POINT="Area"
            )
            if landcover:
                ds.set_band_description(1, "cobertura")
                ds.update_tags(1, **{
                    f"CLASE_{code}": f"{c.key}|{c.name_es}|{c.name_en}"
                    for code, c in LAND_COVER_CLASSES.items()
                })
                cmap = {0: (0, 0, 0, 0)}
                for code, c in LAND_COVER_CLASSES.items():
                    col = c.color.lstrip("#")
                    cmap[code] = (int(col[0:2], 16), int(col[2:4], 16), int(col[4:6], 16), 255)
                ds.write_colormap(1, cmap)
            else:
                ds.set_band_description(1, "elevacion_m")
                ds.update_tags(1, UNIDAD="m", DATUM_VERTICAL="ficticio (nivel del lago 3810 m)")
        with mem.open() as ds:
            path.unlink(missing_ok=True)
            rasterio.shutil.copy(
                ds, path, driver="COG", COMPRESS="DEFLATE", LEVEL="9",
                PREDICTOR="NO" if landcover else "2", BLOCKSIZE="256", OVERVIEWS="AUTO",
                RESAMPLING="MODE" if landcover else "AVERAGE", NUM_THREADS="1",
                BIGTIFF="NO",
            )


def write_sample_rasters(out_dir: Path) -> dict[str, Path]:
    """Write the fictional DEM and land cover into ``out_dir``; returns {name: path}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dem, lc = _generate()
    dem_path = out_dir / "dem_ficticio.tif"
    lc_path = out_dir / "cobertura_ficticia.tif"
    _write_cog(dem_path, dem, nodata=DEM_NODATA, landcover=False)
    _write_cog(lc_path, lc, nodata=0, landcover=True)
    return {"dem": dem_path, "landcover": lc_path}


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m geo.rastersample [out_dir]`` (default data/sample/ in the repo)."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "data" / "sample"
    for name, path in write_sample_rasters(out).items():
        print(f"{name}: {path} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
