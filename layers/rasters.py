"""Raster layers (DEM, land cover): metadata in PostGIS, pixels in files under var/rasters.

``import_raster`` inspects a file with :func:`geo.raster.inspect_raster` (unusable rasters are
refused with a :class:`geo.raster.RasterError` before anything is written), copies it into
``<var>/rasters/<sha256[:16]>_<name>`` (content-addressed: a file is never overwritten, old
versions keep their file) and stores its metadata as a new version of ``raster_layer`` with an
``import_batch`` for provenance. The same file under the same key changes nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import rasterio
import shapely
import sqlalchemy as sa
from geoalchemy2 import Geometry
from rasterio.crs import CRS
from rasterio.errors import NotGeoreferencedWarning
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

from geo.errors import CRSError, InputError, NotFoundError, bilingual
from geo.filehash import sha256_file
from geo.raster import LAND_COVER_CLASSES, RasterError, RasterInfo, inspect_raster
from layers import batches
from layers.config import Settings, load_settings
from layers.db import SRID, current_key_index, lifespan_columns, metadata
from layers.importer import ImportReport
from layers.versioning import write_snapshot

__all__ = ["KINDS", "LAYER", "current_raster", "current_rasters", "get_raster",
           "import_raster", "raster_layer"]

KINDS = ("dem", "landcover")
LAYER = "raster"

raster_layer = sa.Table(
    "raster_layer", metadata,
    *lifespan_columns(),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("file_path", sa.Text, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("crs", sa.Text, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("res_x", sa.Float, nullable=False),
    sa.Column("res_y", sa.Float, nullable=False),
    sa.Column("nodata", sa.Float),
    sa.Column("classes", JSONB, nullable=False, server_default="{}"),
    sa.Column("footprint", Geometry("POLYGON", srid=SRID, spatial_index=True), nullable=False),
    current_key_index("raster_layer", "key"),
)


def current_raster(conn: Connection, kind: str) -> dict[str, object] | None:
    """The current raster layer of a kind (``dem`` or ``landcover``), newest first."""
    row = conn.execute(
        sa.select(raster_layer).where(raster_layer.c.kind == kind,
                                      raster_layer.c.valid_to.is_(None))
        .order_by(raster_layer.c.vid.desc()).limit(1)
    ).mappings().first()
    return dict(row) if row else None


def get_raster(conn: Connection, key: str) -> dict[str, object]:
    """The current version of raster ``key``; a kind (``dem``) also names its newest raster."""
    row = conn.execute(sa.select(raster_layer).where(
        raster_layer.c.key == key, raster_layer.c.valid_to.is_(None))).mappings().first()
    if row is not None:
        return dict(row)
    by_kind = current_raster(conn, key) if key in KINDS else None
    if by_kind is not None:
        return by_kind
    raise NotFoundError(bilingual(f"No hay un raster vigente con clave «{key}»",
                                  f"No current raster with key '{key}'"), key=key)


def current_rasters(conn: Connection) -> list[dict[str, object]]:
    """Every current raster layer (without the footprint), by key."""
    cols = [c for c in raster_layer.columns if c.name != "footprint"]
    rows = conn.execute(sa.select(*cols).where(raster_layer.c.valid_to.is_(None))
                        .order_by(raster_layer.c.key)).mappings()
    return [dict(r) for r in rows]


# ------------------------------------------------------------------------------ import

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(name: str) -> str:
    cleaned = _SAFE.sub("_", name).strip("._") or "raster.tif"
    return cleaned[-80:]


def _footprint(info: RasterInfo) -> Polygon:
    """The raster extent as a polygon in EPSG:4326 (edges densified before reprojecting)."""
    left, bottom, right, top = info.bounds
    box = shapely.box(left, bottom, right, top)
    src = pyproj.CRS.from_user_input(info.crs)
    if src.to_epsg() == SRID:
        return box
    ring = shapely.segmentize(box, max(right - left, top - bottom) / 32.0)
    to84 = pyproj.Transformer.from_crs(src, "EPSG:4326", always_xy=True)
    out: BaseGeometry = shapely.transform(
        ring, lambda xy: np.column_stack(to84.transform(xy[:, 0], xy[:, 1])))
    if not out.is_valid or not isinstance(out, Polygon):
        out = shapely.make_valid(out).convex_hull
    return Polygon(out.exterior) if isinstance(out, Polygon) else shapely.box(*out.bounds)


def _legend(kind: str) -> dict[str, Any]:
    if kind != "landcover":
        return {}
    return {str(code): cls._asdict() for code, cls in LAND_COVER_CLASSES.items()}


def _check_degrees(info: RasterInfo, name: str) -> None:
    """A raster declared lat/lon whose bounds cannot be degrees: refuse, name the likely CRS."""
    crs = pyproj.CRS.from_user_input(info.crs)
    left, bottom, right, top = info.bounds
    if crs.is_geographic and (max(abs(left), abs(right)) > 181
                              or max(abs(bottom), abs(top)) > 91):
        raise CRSError(bilingual(
            f"El raster «{name}» declara {info.crs} (grados) pero sus coordenadas "
            f"({left:.0f}, {bottom:.0f}) no pueden ser grados: probablemente está en UTM "
            "(Perú 17S/18S/19S = EPSG:32717/32718/32719; PSAD56 = EPSG:24877-24879). "
            "Corrija el SRC con `gdal_edit.py -a_srs EPSG:32719 archivo.tif`.",
            f"Raster '{name}' declares {info.crs} (degrees) but its coordinates cannot be "
            "degrees: it is probably UTM (Peru 17S/18S/19S = EPSG:32717/32718/32719; PSAD56 = "
            "EPSG:24877-24879). Fix the CRS with `gdal_edit.py -a_srs EPSG:32719 file.tif`."),
            code="crs_mismatch")


def _with_crs(path: Path, crs: str, workdir: Path) -> Path:
    """A copy of ``path`` with ``crs`` written into it (for files that declare none)."""
    try:
        target = CRS.from_user_input(crs)
    except Exception as exc:  # rasterio raises its own CRSError subclasses
        raise CRSError(bilingual(f"SRC no válido: {crs}", f"invalid CRS: {crs}"),
                       code="crs_invalid") from exc
    tmp = workdir / f".tmp_{os.getpid()}_{_safe_name(path.name)}"
    shutil.copyfile(path, tmp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(tmp, "r+") as dst:
            dst.crs = target
    return tmp



def import_raster(
    conn: Connection,
    path: str | Path,
    *,
    kind: str,
    recorded_by: str,
    key: str | None = None,
    source: str | None = None,
    crs: str | None = None,
    settings: Settings | None = None,
) -> ImportReport:
    """Import a DEM or land-cover raster as a new version of ``raster_layer`` (atomic).

    ``key`` defaults to ``kind``. ``crs`` may only *supply* a CRS for a file that declares
    none (it is written into the stored copy); it never overrides a declared one. Bad rasters
    raise :class:`geo.raster.RasterError` (an ``InputError``) before anything is written.
    """
    if kind not in KINDS:
        raise InputError(bilingual(f"Tipo de raster desconocido «{kind}»; use dem o landcover",
                                   f"unknown raster kind '{kind}'; use dem or landcover"),
                         code="raster_bad_kind")
    s = settings or load_settings()
    src_path = Path(path)
    name = src_path.name
    key = key or kind
    store = s.var / "rasters"
    declared: str | None
    tmp: Path | None = None
    try:
        try:
            info = inspect_raster(src_path, kind=kind)  # type: ignore[arg-type]
            declared = info.crs
            if crs and pyproj.CRS.from_user_input(crs) != pyproj.CRS.from_user_input(info.crs):
                raise CRSError(bilingual(
                    f"«{name}» ya declara {info.crs}; --crs {crs} no lo reemplaza (Allpa nunca "
                    "cambia un datum en silencio). Corrija el archivo si el SRC declarado es "
                    "erróneo.",
                    f"'{name}' already declares {info.crs}; --crs {crs} does not replace it "
                    "(Allpa never silently changes a datum). Fix the file if its CRS is wrong."),
                    code="crs_conflict")
            source_sha = info.sha256
        except RasterError as exc:
            if exc.code != "raster_no_crs" or not crs:
                raise
            store.mkdir(parents=True, exist_ok=True)
            source_sha = sha256_file(src_path)
            tmp = _with_crs(src_path, crs, store)
            info = inspect_raster(tmp, kind=kind)  # type: ignore[arg-type]
            declared = None
        _check_degrees(info, name)
        footprint = _footprint(info)
        store.mkdir(parents=True, exist_ok=True)
        dest = store / f"{info.sha256[:16]}_{_safe_name(name)}"
        if not dest.exists():  # content-addressed: an existing file is this very raster
            part = store / f".part_{os.getpid()}_{dest.name}"
            if tmp is not None:
                tmp.replace(part)
                tmp = None
            else:
                shutil.copyfile(src_path, part)
            part.replace(dest)
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)

    warn: list[str] = []
    if not info.is_cog and info.width * info.height > 1024 * 1024:
        warn.append(bilingual(
            "el raster no es un GeoTIFF optimizado (COG: teselado con vistas generales); los "
            "mapas lo leerán más lento. Conviértalo con `gdal_translate -of COG`.",
            "not a Cloud-Optimised GeoTIFF (tiled with overviews); maps will read it slower. "
            "Convert it with `gdal_translate -of COG`."))
    report = ImportReport(layer=LAYER, file_name=name, sha256=source_sha, profile=kind,
                          crs_declared=declared, crs_used=info.crs, n_read=1, warnings=warn)
    row: dict[str, Any] = {
        "key": key, "kind": kind, "file_path": str(dest), "sha256": info.sha256,
        "crs": info.crs, "width": info.width, "height": info.height,
        "res_x": info.resolution[0], "res_y": info.resolution[1], "nodata": info.nodata,
        "classes": _legend(kind), "footprint": footprint,
    }
    with conn.begin_nested():
        current = conn.execute(sa.select(
            raster_layer.c.sha256, raster_layer.c.kind, raster_layer.c.file_path,
            raster_layer.c.import_batch_id).where(
            raster_layer.c.key == key, raster_layer.c.valid_to.is_(None))).first()
        if current is not None and (current.sha256, current.kind, current.file_path) == (
                info.sha256, kind, str(dest)):
            report.identical_to_batch = current.import_batch_id
            report.n_unchanged = 1
            return report
        batch_id = batches.create_batch(
            conn, layer=LAYER, file_name=name, sha256=source_sha, source_note=source,
            profile=kind, driver=info.driver, crs_declared=declared, crs_used=info.crs,
            n_read=1, recorded_by=recorded_by)
        report.batch_id = batch_id
        counts = write_snapshot(conn, raster_layer, "key", [row], recorded_by=recorded_by,
                                batch_id=batch_id, source=source or name, close_missing=False)
        report.n_inserted = len(counts.inserted)
        report.n_changed = len(counts.changed)
        report.n_unchanged = len(counts.unchanged)
        details = report.as_dict()
        details.update(key=key, kind=kind, file_path=str(dest), stored_sha256=info.sha256,
                       width=info.width, height=info.height, resolution=list(info.resolution),
                       bounds_wgs84=list(info.bounds_wgs84), dtype=info.dtype,
                       is_cog=info.is_cog, overviews=list(info.overviews))
        batches.update_batch(conn, batch_id, n_stored=report.n_stored,
                             n_unchanged=report.n_unchanged, report=details)
    return report
