"""Terrain rendering: hillshade and land-cover RGBA images for print maps and folium overlays.

Kept separate from :mod:`geo.raster` because these produce pictures, not numbers for reports.
Images come back with an :class:`Extent` in EPSG:4326 so folium's ``ImageOverlay`` and
matplotlib's ``imshow`` can place them without knowing the raster's CRS.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyproj
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning, WindowError
from rasterio.warp import calculate_default_transform, reproject, transform_bounds
from rasterio.windows import Window, from_bounds

from geo.raster import LAND_COVER_CLASSES, LandCoverClass, RasterError

__all__ = ["Extent", "hillshade", "hillshade_image", "landcover_rgba", "pixel_spacing_m"]

_WGS84 = CRS.from_epsg(4326)


class Extent(NamedTuple):
    """Image extent in EPSG:4326 (degrees)."""

    west: float
    south: float
    east: float
    north: float

    def folium_bounds(self) -> list[list[float]]:
        """``[[south, west], [north, east]]`` as folium.raster_layers.ImageOverlay wants."""
        return [[self.south, self.west], [self.north, self.east]]

    def mpl_extent(self) -> tuple[float, float, float, float]:
        """``(left, right, bottom, top)`` for matplotlib ``imshow(extent=...)``."""
        return (self.west, self.east, self.south, self.north)


def pixel_spacing_m(
    transform: Affine, crs: CRS | str | None, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row (dx, dy) pixel spacing in metres; geographic CRSs use the row's latitude.

    In lat/lon a degree of longitude shrinks with cos φ (and the ellipsoid's radii of curvature
    M, N vary with φ), so one constant spacing would tilt slopes north-south across the image.
    """
    px = math.hypot(transform.a, transform.d)
    py = math.hypot(transform.b, transform.e)
    pcrs: pyproj.CRS | None = None
    if crs:
        pcrs = pyproj.CRS.from_user_input(crs.to_wkt() if isinstance(crs, CRS) else crs)
    if pcrs is not None and pcrs.is_geographic:
        ell = pcrs.ellipsoid
        a = ell.semi_major_metre if ell else 6378137.0
        inv_f = ell.inverse_flattening if ell else 298.257223563
        f = 0.0 if inv_f == 0 else 1.0 / inv_f
        e2 = f * (2 - f)
        lat = transform.f + transform.e * (np.arange(height) + 0.5)
        phi = np.radians(np.clip(lat, -89.9999, 89.9999))
        w = 1.0 - e2 * np.sin(phi) ** 2
        n_rad = a / np.sqrt(w)
        m_rad = a * (1 - e2) / w**1.5
        dx = np.radians(px) * n_rad * np.cos(phi)
        dy = np.radians(py) * m_rad
        return dx, dy
    unit = pcrs.axis_info[0].unit_conversion_factor if pcrs is not None and pcrs.axis_info else 1.0
    return np.full(height, px * unit), np.full(height, py * unit)


def hillshade(
    dem: np.ndarray,
    transform: Affine,
    crs: CRS | str | None,
    azimuth: float = 315.0,
    altitude: float = 45.0,
    z_factor: float | None = None,
) -> np.ndarray:
    """Horn (1981) hillshade as uint8 (0 = shadow or nodata, 255 = facing the sun).

    ``azimuth`` is clockwise from north (315 = light from the NW, the cartographic default),
    ``altitude`` degrees above the horizon. Horizontal spacing is converted to metres (per row
    in geographic CRSs), so ``z_factor=None`` means 1.0 for a DEM in metres; pass a value for
    vertical exaggeration or feet. NaN cells give 0. Edges replicate the border cells.
    """
    z = np.asarray(dem, dtype=np.float64)
    if np.ma.isMaskedArray(dem):
        z = np.ma.filled(np.ma.asarray(dem).astype(np.float64), np.nan)
    h = z.shape[0]
    dx, dy = pixel_spacing_m(transform, crs, h)
    zf = 1.0 if z_factor is None else float(z_factor)
    p = np.pad(z, 1, mode="edge")
    a, b, c = p[:-2, :-2], p[:-2, 1:-1], p[:-2, 2:]
    d, f = p[1:-1, :-2], p[1:-1, 2:]
    g, hh, i = p[2:, :-2], p[2:, 1:-1], p[2:, 2:]
    # x grows east, y grows north; row 0 is the northern edge for north-up rasters
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * dx[:, None]) * zf
    dzdy = ((a + 2 * b + c) - (g + 2 * hh + i)) / (8.0 * dy[:, None]) * zf
    if transform.e > 0:  # south-up grid: rows grow northwards
        dzdy = -dzdy
    if transform.a < 0:
        dzdx = -dzdx
    az = math.radians(azimuth)
    alt = math.radians(altitude)
    lx, ly, lz = math.sin(az) * math.cos(alt), math.cos(az) * math.cos(alt), math.sin(alt)
    norm = np.sqrt(dzdx * dzdx + dzdy * dzdy + 1.0)
    shade = (-dzdx * lx - dzdy * ly + lz) / norm
    shade = np.clip(np.nan_to_num(shade, nan=0.0), 0.0, 1.0)
    return np.asarray(np.round(shade * 255.0), dtype=np.uint8)


def _read_decimated(
    src: rasterio.io.DatasetReader,
    bounds_wgs84: tuple[float, float, float, float],
    max_size: int,
    resampling: Resampling,
) -> tuple[np.ndarray, Affine] | None:
    """Read the window of ``bounds_wgs84`` at ≤ max_size px (GDAL picks overviews)."""
    if src.crs is None:
        raise RasterError(
            "raster_no_crs",
            "El raster no declara sistema de coordenadas; asígnelo con gdal_edit.py -a_srs.",
            "The raster declares no CRS; assign one with gdal_edit.py -a_srs.",
        )
    b = transform_bounds(_WGS84, src.crs, *bounds_wgs84, densify_pts=21)
    win = from_bounds(*b, transform=src.transform)
    try:
        win = win.intersection(Window(0, 0, src.width, src.height))
    except WindowError:  # the bounds lie wholly outside the raster (rasterio raises)
        return None
    col0, row0 = math.floor(win.col_off), math.floor(win.row_off)
    col1 = math.ceil(win.col_off + win.width)
    row1 = math.ceil(win.row_off + win.height)
    win = Window(col0, row0, col1 - col0, row1 - row0)
    if win.width <= 0 or win.height <= 0:
        return None
    scale = max(win.width / max_size, win.height / max_size, 1.0)
    out_h = max(1, round(win.height / scale))
    out_w = max(1, round(win.width / scale))
    arr = src.read(
        1, window=win, out_shape=(out_h, out_w), resampling=resampling, masked=True
    )
    t = src.window_transform(win) @ Affine.scale(win.width / out_w, win.height / out_h)
    return np.ma.asarray(arr), t


def _to_wgs84(
    data: np.ndarray,
    transform: Affine,
    crs: CRS,
    max_size: int,
    resampling: Resampling,
    fill: float,
) -> tuple[np.ndarray, Affine]:
    """Warp a small in-memory array to EPSG:4326 (no-op when already lat/lon WGS 84)."""
    if crs == _WGS84:
        return data, transform
    h, w = data.shape
    left, top = transform @ (0, 0)
    right, bottom = transform @ (w, h)
    dst_t, dw, dh = calculate_default_transform(
        crs, _WGS84, w, h, left=min(left, right), bottom=min(top, bottom),
        right=max(left, right), top=max(top, bottom),
    )
    scale = max((dw or w) / max_size, (dh or h) / max_size, 1.0)
    dw = max(1, round((dw or w) / scale))
    dh = max(1, round((dh or h) / scale))
    dst_t = dst_t @ Affine.scale(scale, scale)
    out = np.full((dh, dw), fill, dtype=data.dtype)
    reproject(
        data, out, src_transform=transform, src_crs=crs, dst_transform=dst_t, dst_crs=_WGS84,
        resampling=resampling, src_nodata=fill, dst_nodata=fill,
    )
    return out, dst_t


def _extent(shape: tuple[int, ...], t: Affine) -> Extent:
    left, top = t @ (0, 0)
    right, bottom = t @ (shape[1], shape[0])
    return Extent(min(left, right), min(top, bottom), max(left, right), max(top, bottom))


def _open(path: str | Path) -> rasterio.io.DatasetReader:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        try:
            return rasterio.open(path)
        except rasterio.errors.RasterioIOError as exc:
            raise RasterError(
                "raster_unreadable",
                f"No se pudo leer «{Path(path).name}» como raster.",
                f"Could not read '{Path(path).name}' as a raster.",
            ) from exc


def hillshade_image(
    dem_path: str | Path,
    bounds_wgs84: tuple[float, float, float, float],
    max_size: int = 1024,
    *,
    azimuth: float = 315.0,
    altitude: float = 45.0,
) -> tuple[np.ndarray, Extent]:
    """Grey RGBA hillshade of the DEM over ``bounds_wgs84`` (W, S, E, N), ≤ max_size px.

    Reads decimated (overviews when present), shades in the native CRS (metric spacing),
    then warps the shade to EPSG:4326. Nodata and outside-raster pixels are transparent.
    The extent is that of the data actually covered (bounds ∩ raster).
    """
    with _open(dem_path) as src:
        got = _read_decimated(src, bounds_wgs84, max_size, Resampling.average)
        crs = src.crs
    if got is None:
        return np.zeros((1, 1, 4), dtype=np.uint8), Extent(*bounds_wgs84)
    dem, t = got
    valid = ~np.ma.getmaskarray(dem)
    z = np.ma.filled(dem.astype(np.float64), np.nan)
    shade = hillshade(z, t, crs, azimuth=azimuth, altitude=altitude).astype(np.float32)
    shade[~valid] = np.nan
    shade84, t84 = _to_wgs84(shade, t, crs, max_size, Resampling.bilinear, float("nan"))
    ok = np.isfinite(shade84)
    grey = np.where(ok, shade84, 0).astype(np.uint8)
    rgba = np.dstack([grey, grey, grey, np.where(ok, 255, 0).astype(np.uint8)])
    return rgba, _extent(rgba.shape, t84)


def _hex_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def landcover_rgba(
    path: str | Path,
    bounds_wgs84: tuple[float, float, float, float],
    max_size: int = 1024,
    *,
    classes: Mapping[int, LandCoverClass] = LAND_COVER_CLASSES,
) -> tuple[np.ndarray, Extent]:
    """RGBA land-cover image over ``bounds_wgs84`` for a folium ImageOverlay or a print map.

    Colours come from the file's colormap when it has one (the publisher's legend), else from
    ``classes``; nodata and codes without a colour are transparent. Decimation uses the modal
    class so small classes do not turn into blends that do not exist.
    """
    with _open(path) as src:
        got = _read_decimated(src, bounds_wgs84, max_size, Resampling.mode)
        crs = src.crs
        try:
            cmap: dict[int, tuple[int, int, int, int]] = dict(src.colormap(1))
        except ValueError:
            cmap = {}
    if got is None:
        return np.zeros((1, 1, 4), dtype=np.uint8), Extent(*bounds_wgs84)
    lc, t = got
    codes = np.ma.filled(lc.astype(np.int32), -1)
    codes84, t84 = _to_wgs84(codes, t, crs, max_size, Resampling.nearest, -1)
    lut = np.zeros((65536, 4), dtype=np.uint8)
    for code, cls in classes.items():
        if 0 <= code < 65536:
            lut[code] = (*_hex_rgb(cls.color), 255)
    for code, rgba in cmap.items():
        # GDAL pads palettes to 256 opaque-black entries; those are not the publisher's legend
        if 0 <= code < 65536 and tuple(rgba[:4]) != (0, 0, 0, 255):
            lut[code] = rgba[:4]
    idx = np.clip(codes84, 0, 65535)
    rgba_img = lut[idx]
    rgba_img[codes84 < 0] = 0
    return rgba_img, _extent(rgba_img.shape, t84)
