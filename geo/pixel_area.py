"""Pixel areas of a raster, in m² on the ellipsoid (why the hectares can be trusted).

* Geographic rasters (lat/lon, north-up): every pixel row gets the *exact* ellipsoidal area of
  its lat/lon cell, from the closed form ``A = a²/2 · Δλ · (q(φ₁) − q(φ₂))`` (Snyder's ``q``,
  equivalently ``R_q² · Δλ · (sin β₁ − sin β₂)`` with authalic latitude ``β``). The cell edges
  are parallels and meridians, so this is the true area of the cell, not an approximation.
* Projected rasters: the grid area ``|a·e − b·d|`` is the area *on the map plane*. In UTM the
  point scale factor ``k`` is 0.9996 on the central meridian and grows to ~1.001 at the zone edge,
  so grid area is off by up to ~0.1–0.2 %. With ``geodesic=True`` (default) each pixel area is
  divided by the areal scale ``k²`` obtained from :meth:`pyproj.Proj.get_factors`. The factor
  is fitted as a plane over every processed piece (≤ ~40 km wide), whose error is second order
  (≈ (Δx/R)² < 1e-5), so reported hectares are geodesic well within 0.01 %. With
  ``geodesic=False`` projected rasters report plain grid area.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pyproj
from affine import Affine
from rasterio.io import DatasetReader

__all__ = ["PixelAreaModel", "geodesic_row_areas"]


def _q(phi: np.ndarray, e: float) -> np.ndarray:
    """Snyder's q(φ) (Map Projections, eq. 3-12); q(±90°) gives the authalic sphere."""
    s = np.sin(phi)
    if e == 0.0:
        return 2.0 * s
    es = e * s
    return (1.0 - e * e) * (s / (1.0 - es * es) - np.log((1.0 - es) / (1.0 + es)) / (2.0 * e))


def geodesic_row_areas(
    transform: Affine, height: int, ellipsoid: tuple[float, float] = (6378137.0, 298.257223563)
) -> np.ndarray:
    """Exact ellipsoidal area (m²) of one pixel in each row of a north-up lat/lon grid.

    ``ellipsoid`` is ``(semi_major_m, inverse_flattening)``; inverse_flattening 0 = sphere.
    A lat/lon cell is bounded by two meridians and two parallels, so its area is the band area
    ``a²/2 · Δλ · |q(φ_top) − q(φ_bottom)|`` — exact, no sampling, vectorised over rows.
    """
    a, inv_f = ellipsoid
    f = 0.0 if inv_f == 0 else 1.0 / inv_f
    e = math.sqrt(f * (2.0 - f))
    rows = np.arange(height + 1, dtype=np.float64)
    lat_edges = np.clip(transform.f + transform.e * rows, -90.0, 90.0)
    q = _q(np.radians(lat_edges), e)
    dlon = math.radians(abs(transform.a))
    return np.asarray(0.5 * a * a * dlon * np.abs(np.diff(q)))


class PixelAreaModel:
    """Pixel area (m²) anywhere in the raster: exact per row, or a local plane per piece."""

    def __init__(self, src: DatasetReader, geodesic: bool) -> None:
        t: Affine = src.transform
        pcrs = pyproj.CRS.from_user_input(src.crs.to_wkt())
        self.transform = t
        self.row_area: np.ndarray | None = None
        self._scale_proj: pyproj.Proj | None = None
        self._to_geog: pyproj.Transformer | None = None
        self._ellps = pcrs.ellipsoid
        self.geographic = bool(pcrs.is_geographic)
        det = abs(t.a * t.e - t.b * t.d)
        unit = pcrs.axis_info[0].unit_conversion_factor if pcrs.axis_info else 1.0
        if self.geographic:
            ell = self._ellps
            params = (6378137.0, 298.257223563)
            if ell is not None:
                params = (ell.semi_major_metre, ell.inverse_flattening)
            self._params = params
            self.grid_area = det * math.radians(1.0) ** 2  # in rad², times M·N·cosφ below
            if t.b == 0 and t.d == 0:
                self.row_area = geodesic_row_areas(t, src.height, params)
        else:
            self.grid_area = det * unit * unit
            if geodesic:
                try:
                    self._scale_proj = pyproj.Proj(pcrs)
                    self._to_geog = pyproj.Transformer.from_crs(
                        pcrs, pcrs.geodetic_crs, always_xy=True
                    )
                except pyproj.exceptions.CRSError:  # pragma: no cover - exotic CRS
                    self._scale_proj = None
        # a plane is needed when the area varies inside a piece and is not row-exact
        self.varies = self.row_area is None and (self.geographic or self._scale_proj is not None)

    def area_at(self, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Pixel area at fractional pixel positions (vectorised)."""
        t = self.transform
        x = np.asarray(t.a * cols + t.b * rows + t.c, dtype=np.float64)
        y = np.asarray(t.d * cols + t.e * rows + t.f, dtype=np.float64)
        if self.geographic:
            a, inv_f = self._params
            f = 0.0 if inv_f == 0 else 1.0 / inv_f
            e2 = f * (2 - f)
            phi = np.radians(np.clip(y, -90, 90))
            w = 1.0 - e2 * np.sin(phi) ** 2
            m_rad = a * (1 - e2) / w**1.5
            n_rad = a / np.sqrt(w)
            return np.asarray(self.grid_area * m_rad * n_rad * np.cos(phi))
        if self._scale_proj is None or self._to_geog is None:
            return np.full(x.shape, self.grid_area)
        lon, lat = self._to_geog.transform(x, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            k2 = np.asarray(self._scale_proj.get_factors(lon, lat).areal_scale, dtype=np.float64)
        k2 = np.where(np.isfinite(k2) & (k2 > 0), k2, 1.0)
        return np.asarray(self.grid_area / k2)

    def planes(self, pieces: np.ndarray) -> np.ndarray:
        """(g0, gc, gr) per piece [r0, r1, c0, c1]: area ≈ g0 + gc·(col−cc) + gr·(row−rc)."""
        n = len(pieces)
        out = np.zeros((n, 3), dtype=np.float64)
        if n == 0:
            return out
        rc = (pieces[:, 0] + pieces[:, 1]) / 2.0
        cc = (pieces[:, 2] + pieces[:, 3]) / 2.0
        if not self.varies:
            out[:, 0] = self.grid_area
            return out
        hr = np.maximum((pieces[:, 1] - pieces[:, 0]) / 2.0, 0.5)
        hc = np.maximum((pieces[:, 3] - pieces[:, 2]) / 2.0, 0.5)
        cols = np.concatenate([cc, cc - hc, cc + hc, cc, cc])
        rows = np.concatenate([rc, rc, rc, rc - hr, rc + hr])
        v = self.area_at(cols, rows).reshape(5, n)
        out[:, 0] = v[0]
        out[:, 1] = (v[2] - v[1]) / (2 * hc)
        out[:, 2] = (v[4] - v[3]) / (2 * hr)
        return out

