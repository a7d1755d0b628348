"""Raster files: the land-cover legend, inspection and validation, clipping.

No database and no HTTP here (see docs/CONTRACT.md). Everything works on file paths so that
``layers`` can store what these functions return. Unusable rasters (not georeferenced, no
CRS, decimal land-cover classes) are refused with a bilingual :class:`RasterError` that says
how to fix the file. Zonal statistics live in :mod:`geo.zonal`, pixel areas in
:mod:`geo.pixel_area`.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.features
import rasterio.mask
from rasterio.crs import CRS
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.io import DatasetReader
from rasterio.warp import transform_bounds
from shapely.geometry.base import BaseGeometry

from geo.errors import InputError, bilingual
from geo.filehash import sha256_file

__all__ = [
    "LAND_COVER_CLASSES",
    "LandCoverClass",
    "RasterError",
    "RasterInfo",
    "RasterKind",
    "clip_raster",
    "inspect_raster",
    "open_raster",
    "validate_raster",
]

RasterKind = Literal["dem", "landcover"]


class LandCoverClass(NamedTuple):
    """One legend entry; a tuple ``(key, name_es, name_en, color)`` so it unpacks plainly."""

    key: str
    name_es: str
    name_en: str
    color: str  # "#rrggbb"


#: Default legend of the land-cover rasters Allpa ships and expects (code -> class).
LAND_COVER_CLASSES: dict[int, LandCoverClass] = {
    1: LandCoverClass("bofedal", "Bofedal (humedal altoandino)", "Wetland (bofedal)", "#1b9e77"),
    2: LandCoverClass("glaciar", "Glaciar / nieve", "Glacier / snow", "#e0f3f8"),
    3: LandCoverClass("lago_laguna", "Lago / laguna", "Lake / pond", "#2c7fb8"),
    4: LandCoverClass("pajonal_pastizal", "Pajonal / pastizal", "Grassland (puna)", "#d9c77e"),
    5: LandCoverClass("cultivo", "Cultivo", "Cropland", "#f4a460"),
    6: LandCoverClass("suelo_desnudo_roca", "Suelo desnudo / roca", "Bare soil / rock", "#a89f91"),
    7: LandCoverClass("urbano", "Urbano", "Urban", "#d7301f"),
    8: LandCoverClass("matorral", "Matorral", "Shrubland", "#7a9a3a"),
}


class RasterError(InputError):
    """A raster Allpa cannot use; ``code`` is stable for API clients and tests.

    An :class:`~geo.errors.InputError` (so the CLI and the API report it like any bad input),
    hence also a ``ValueError``.
    """

    code = "invalid_raster"

    def __init__(self, code: str, message_es: str, message_en: str) -> None:
        self.message_es = message_es
        self.message_en = message_en
        super().__init__(bilingual(message_es, message_en), code=code)


@dataclass(frozen=True)
class RasterInfo:
    """What the catalogue needs to know about a raster file before accepting it."""

    path: str
    driver: str
    crs: str  # "EPSG:nnnn" when identifiable, otherwise WKT
    width: int
    height: int
    count: int
    dtype: str
    resolution: tuple[float, float]  # (x, y) pixel size in CRS units, both positive
    nodata: float | None
    bounds: tuple[float, float, float, float]  # (left, bottom, right, top) in raster CRS
    bounds_wgs84: tuple[float, float, float, float]  # (west, south, east, north)
    is_cog: bool  # tiled and with overviews (or a single tile, where overviews are moot)
    sha256: str
    block_shape: tuple[int, int]
    overviews: tuple[int, ...]
    has_colormap: bool


# --------------------------------------------------------------------------------------------
# Opening and validation
# --------------------------------------------------------------------------------------------


def _crs_string(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def open_raster(path: str | Path) -> DatasetReader:
    """Open a raster file, or raise RasterError saying why it cannot be read."""
    p = Path(path)
    if not p.exists():
        raise RasterError(
            "raster_unreadable",
            f"No existe el archivo raster: {p}.",
            f"Raster file does not exist: {p}.",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            return rasterio.open(p)
    except RasterioIOError as exc:
        raise RasterError(
            "raster_unreadable",
            f"No se pudo leer «{p.name}» como raster ({exc}). ¿Es un GeoTIFF válido? "
            "Exporte la capa desde su SIG como GeoTIFF.",
            f"Could not read '{p.name}' as a raster ({exc}). Is it a valid GeoTIFF? "
            "Export the layer from your GIS as GeoTIFF.",
        ) from exc


def validate_raster(src: DatasetReader, kind: RasterKind | None) -> None:
    """Raise RasterError for rasters whose numbers would be meaningless."""
    name = Path(src.name).name
    if src.transform.is_identity and not src.gcps[0] and not src.rpcs:
        raise RasterError(
            "raster_no_georef",
            f"El raster «{name}» no está georreferenciado (no tiene transformación de píxel a "
            "coordenadas). Georreferéncielo en su SIG o con "
            "`gdal_translate -a_ullr <oeste> <norte> <este> <sur> -a_srs EPSG:32719 "
            "entrada.tif salida.tif` y vuelva a cargarlo.",
            f"Raster '{name}' is not georeferenced (no pixel-to-coordinate transform). "
            "Georeference it in your GIS or with `gdal_translate -a_ullr <west> <north> <east> "
            "<south> -a_srs EPSG:32719 in.tif out.tif` and upload it again.",
        )
    if src.crs is None:
        raise RasterError(
            "raster_no_crs",
            f"El raster «{name}» no declara sistema de coordenadas (CRS). Asígnelo con "
            "`gdal_edit.py -a_srs EPSG:32719 archivo.tif` (use el EPSG correcto: 32719 para "
            "UTM 19 Sur, 4326 para lat/lon WGS 84) o indique --crs al importarlo.",
            f"Raster '{name}' declares no coordinate reference system (CRS). Assign one with "
            "`gdal_edit.py -a_srs EPSG:32719 file.tif` (use the right EPSG: 32719 for UTM 19 "
            "South, 4326 for WGS 84 lat/lon) or pass --crs when importing it.",
        )
    if kind == "landcover" and np.dtype(src.dtypes[0]).kind not in "iu":
        raise RasterError(
            "raster_bad_classes",
            f"El raster de cobertura «{name}» tiene valores decimales ({src.dtypes[0]}); las "
            "clases deben ser códigos enteros (1 = bofedal … 8 = matorral). Conviértalo con "
            "`gdal_translate -ot Byte entrada.tif salida.tif` o reclasifíquelo en su SIG.",
            f"Land-cover raster '{name}' has decimal values ({src.dtypes[0]}); classes must be "
            "integer codes (1 = wetland … 8 = shrubland). Convert it with "
            "`gdal_translate -ot Byte in.tif out.tif` or reclassify it in your GIS.",
        )



def inspect_raster(path: str | Path, *, kind: RasterKind | None = None) -> RasterInfo:
    """Describe a raster and refuse unusable ones early, with a fix the user can apply."""
    p = Path(path)
    with open_raster(p) as src:
        validate_raster(src, kind)
        crs: CRS = src.crs
        bounds = tuple(float(v) for v in src.bounds)
        wgs = transform_bounds(crs, "EPSG:4326", *bounds, densify_pts=21)
        block_h, block_w = src.block_shapes[0]
        tiled = bool(src.profile.get("tiled", False))
        overviews = tuple(src.overviews(1))
        single_tile = src.width <= block_w and src.height <= block_h and block_h > 1
        try:
            src.colormap(1)
            has_cmap = True
        except ValueError:
            has_cmap = False
        info = RasterInfo(
            path=str(p),
            driver=src.driver,
            crs=_crs_string(crs),
            width=src.width,
            height=src.height,
            count=src.count,
            dtype=src.dtypes[0],
            resolution=(abs(float(src.res[0])), abs(float(src.res[1]))),
            nodata=None if src.nodata is None else float(src.nodata),
            bounds=(bounds[0], bounds[1], bounds[2], bounds[3]),
            bounds_wgs84=(float(wgs[0]), float(wgs[1]), float(wgs[2]), float(wgs[3])),
            is_cog=bool((tiled or single_tile) and (overviews or single_tile)),
            sha256=sha256_file(p),
            block_shape=(int(block_h), int(block_w)),
            overviews=overviews,
            has_colormap=has_cmap,
        )
    return info


# --------------------------------------------------------------------------------------------
# Clipping
# --------------------------------------------------------------------------------------------


def _default_nodata(dtype: str) -> float:
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return float("nan")
    if dt.kind == "u":
        return float(np.iinfo(dt).max)
    return float(np.iinfo(dt).min)


def clip_raster(
    raster_path: str | Path,
    geometry: BaseGeometry,
    out_path: str | Path,
    *,
    geometry_crs: str = "EPSG:4326",
) -> Path:
    """Write a GeoTIFF cropped and masked to ``geometry`` (e.g. one community's territory).

    Keeps CRS, nodata (or picks one when the source has none), tags and the colormap, so the
    clip of a land-cover raster still renders with its legend.
    """
    out = Path(out_path)
    with open_raster(raster_path) as src:
        validate_raster(src, None)
        geom = gpd.GeoSeries([geometry], crs=geometry_crs).to_crs(src.crs.to_wkt()).iloc[0]
        nodata = src.nodata if src.nodata is not None else _default_nodata(src.dtypes[0])
        try:
            data, transform = rasterio.mask.mask(
                src, [geom], crop=True, nodata=nodata, all_touched=False, filled=True
            )
        except ValueError as exc:
            raise RasterError(
                "raster_no_overlap",
                "La geometría no se superpone con el raster; revise que ambos cubran la misma "
                "zona.",
                "The geometry does not overlap the raster; check both cover the same area.",
            ) from exc
        profile = src.profile.copy()
        profile.update(
            driver="GTiff",
            height=data.shape[1],
            width=data.shape[2],
            transform=transform,
            nodata=nodata,
            compress="deflate",
        )
        if data.shape[1] >= 256 and data.shape[2] >= 256:
            profile.update(tiled=True, blockxsize=256, blockysize=256)
        else:
            profile.update(tiled=False)
            profile.pop("blockxsize", None)
            profile.pop("blockysize", None)
        cmaps: dict[int, Any] = {}
        for b in range(1, src.count + 1):
            with contextlib.suppress(ValueError):
                cmaps[b] = src.colormap(b)
        tags = src.tags()
        band_tags = [src.tags(b) for b in range(1, src.count + 1)]
        descriptions = src.descriptions
        out.parent.mkdir(parents=True, exist_ok=True)
        with rasterio.open(out, "w", **profile) as dst:
            dst.write(data)
            dst.update_tags(**tags)
            for b in range(1, src.count + 1):
                if band_tags[b - 1]:
                    dst.update_tags(b, **band_tags[b - 1])
                if descriptions[b - 1]:
                    dst.set_band_description(b, descriptions[b - 1])
                if b in cmaps:
                    dst.write_colormap(b, cmaps[b])
    return out
