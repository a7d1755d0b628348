"""Deciding the CRS of an import, and reprojecting to WGS84 with a real datum shift.

The dangerous cases in Andean data are (1) UTM coordinates in a file that declares nothing
(GeoJSON readers then call them degrees) and (2) PSAD56 data reprojected with a "ballpark"
transformation that silently ignores the datum (a ~400 m error, larger than many comunidad
boundaries disputes). So this module refuses rather than guesses: it names the likely CRS and
the option to pass, and it never picks a datum on the user's behalf.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError
from pyproj.transformer import AreaOfInterest, TransformerGroup

from geo.errors import CRSError, bilingual

__all__ = [
    "ANDES_BBOX",
    "UTM_SOUTH_ZONES",
    "WGS84",
    "CRSDecision",
    "decide_crs",
    "guess_utm_zones",
    "resolve_crs",
    "select_transformer",
    "to_wgs84",
]

WGS84 = CRS.from_epsg(4326)
#: Peru + Bolivia (lon_min, lat_min, lon_max, lat_max): where Allpa data is expected to fall.
ANDES_BBOX = (-81.5, -23.0, -57.4, 0.1)
UTM_SOUTH_ZONES = (17, 18, 19)
_PSAD56_HINT = "PSAD56: EPSG:24877-24879"
#: How far (degrees) outside a projected CRS's area of use data may fall before we call the
#: CRS wrong; UTM is routinely stretched over neighbouring zones (e.g. 18S for all of Peru).
_AREA_OF_USE_SLACK = 10.0


@dataclass(frozen=True)
class CRSDecision:
    """Which CRS the import used and whether it came from the file, the user or a default."""

    crs: CRS
    declared: str | None
    used: str
    defaulted: bool


def resolve_crs(
    frame: gpd.GeoDataFrame,
    declared: CRS | None,
    override: str | None,
    *,
    source_name: str,
    zone_hint: int | None = None,
) -> CRS:
    """The CRS in which ``frame``'s coordinates are expressed; see :func:`decide_crs`."""
    return decide_crs(frame, declared, override, source_name=source_name, zone_hint=zone_hint).crs


def decide_crs(
    frame: gpd.GeoDataFrame,
    declared: CRS | None,
    override: str | None,
    *,
    source_name: str,
    zone_hint: int | None = None,
) -> CRSDecision:
    """Decide the CRS: explicit override, else declared, else the WGS84 format default.

    Whatever the source, the coordinates must be plausible for it; otherwise a
    :class:`CRSError` (``crs_mismatch`` or ``crs_missing``) explains what to pass instead.
    """
    bounds = _bounds(frame)
    robust = _robust_bounds(frame)
    declared_label = _label(declared) if declared is not None else None
    if override:
        crs = _parse_override(override, source_name)
        _check_plausible(crs, bounds, robust, source_name, zone_hint, "override")
        return CRSDecision(crs, declared_label, _label(crs), defaulted=False)
    if declared is not None:
        _check_plausible(declared, bounds, robust, source_name, zone_hint, "declared")
        return CRSDecision(declared, declared_label, _label(declared), defaulted=False)
    _check_plausible(WGS84, bounds, robust, source_name, zone_hint, "default")
    return CRSDecision(WGS84, None, "EPSG:4326", defaulted=True)


def _label(crs: CRS) -> str:
    auth = crs.to_authority(min_confidence=90)
    if auth is not None:
        name, code = auth
        if (name, code) == ("OGC", "CRS84"):
            return "EPSG:4326"
        return f"{name}:{code}"
    return crs.name


def _parse_override(text: str, source_name: str) -> CRS:
    try:
        return CRS.from_user_input(text.strip())
    except PyprojCRSError as exc:
        raise CRSError(
            bilingual(
                f"CRS inválido '{text}' para '{source_name}': {exc}. Use un código como "
                "EPSG:32719 (WGS 84 / UTM 19S) o EPSG:4326.",
                f"Invalid CRS '{text}' for '{source_name}': {exc}. Use a code such as "
                "EPSG:32719 (WGS 84 / UTM 19S) or EPSG:4326.",
            ),
            code="crs_invalid",
            file=source_name,
            crs=text,
        ) from exc


def _bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    geoms = np.asarray(frame.geometry.array, dtype=object)
    present = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if present.size == 0:
        return None
    b = shapely.total_bounds(present)
    if not np.all(np.isfinite(b)):
        return None
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])


def _robust_bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    """Bounds of the bulk of the data (1st-99th percentile of feature bounds).

    Real extracts contain a few stray features (the INGEMMET 17S file has 4 at x = 195000,
    probably zone-18 data); they must not veto the zone that fits everything else.
    """
    geoms = np.asarray(frame.geometry.array, dtype=object)
    present = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if present.size == 0:
        return None
    b = shapely.bounds(present)
    if present.size < 20:
        out = (np.nanmin(b[:, 0]), np.nanmin(b[:, 1]), np.nanmax(b[:, 2]), np.nanmax(b[:, 3]))
    else:
        out = (
            np.nanquantile(b[:, 0], 0.01),
            np.nanquantile(b[:, 1], 0.01),
            np.nanquantile(b[:, 2], 0.99),
            np.nanquantile(b[:, 3], 0.99),
        )
    if not all(math.isfinite(v) for v in out):
        return None
    return float(out[0]), float(out[1]), float(out[2]), float(out[3])


def _looks_like_degrees(bounds: tuple[float, float, float, float]) -> bool:
    minx, miny, maxx, maxy = bounds
    return max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90


def _check_plausible(
    crs: CRS,
    bounds: tuple[float, float, float, float] | None,
    robust: tuple[float, float, float, float] | None,
    source_name: str,
    zone_hint: int | None,
    origin: str,
) -> None:
    if bounds is None:
        return  # nothing to check (table without geometry, or all geometries missing)
    if crs.is_geographic:
        if not _looks_like_degrees(bounds):
            raise _not_degrees_error(crs, bounds, robust, source_name, zone_hint, origin)
        return
    if _looks_like_degrees(bounds):
        raise CRSError(
            bilingual(
                f"'{source_name}' usa {_label(crs)} ({crs.name}), pero sus coordenadas parecen "
                f"grados (x = {bounds[0]:.4f}, y = {bounds[1]:.4f}). Si son longitud/latitud, "
                "vuelva a importar con --crs EPSG:4326.",
                f"'{source_name}' uses {_label(crs)} ({crs.name}) but its coordinates look like "
                f"degrees (x = {bounds[0]:.4f}, y = {bounds[1]:.4f}). If they are "
                "longitude/latitude, re-import with --crs EPSG:4326.",
            ),
            code="crs_mismatch",
            file=source_name,
            candidates=["EPSG:4326"],
        )
    lonlat = _lonlat_bounds(crs, robust or bounds)
    if lonlat is None or not _within_area_of_use(crs, lonlat):
        raise _outside_area_error(crs, robust or bounds, lonlat, source_name, zone_hint)


def _lonlat_bounds(
    crs: CRS, bounds: tuple[float, float, float, float]
) -> tuple[float, float, float, float] | None:
    try:
        t = Transformer.from_crs(crs, WGS84, always_xy=True)
        out = t.transform_bounds(*bounds, densify_pts=5)
    except Exception:  # pyproj raises ProjError for coordinates outside the projection
        return None
    if not all(math.isfinite(v) for v in out):
        return None
    return float(out[0]), float(out[1]), float(out[2]), float(out[3])


def _within_area_of_use(crs: CRS, lonlat: tuple[float, float, float, float]) -> bool:
    area = crs.area_of_use
    if area is None:
        return True
    s = _AREA_OF_USE_SLACK
    w, so, e, n = area.bounds
    return lonlat[0] >= w - s and lonlat[2] <= e + s and lonlat[1] >= so - s and lonlat[3] <= n + s


def _inside_andes(lonlat: tuple[float, float, float, float]) -> bool:
    w, s, e, n = ANDES_BBOX
    return lonlat[0] >= w and lonlat[2] <= e and lonlat[1] >= s and lonlat[3] <= n


def guess_utm_zones(
    bounds: tuple[float, float, float, float],
    source_name: str,
    zone_hint: int | None = None,
) -> list[int]:
    """Rank the WGS 84 UTM south zones 17-19 for projected coordinates of unknown CRS.

    Order: the caller's hint (e.g. a ZONA column), then zones named in the file name, then
    zones whose transformed bbox lands in Peru+Bolivia. Only zones that pass the bbox test
    are returned; an empty list means none is plausible.
    """
    plausible = [
        z
        for z in UTM_SOUTH_ZONES
        if (ll := _lonlat_bounds(CRS.from_epsg(32700 + z), bounds)) and _inside_andes(ll)
    ]
    ranked: list[int] = []
    for z in [zone_hint, *_zones_in_name(source_name), *plausible]:
        if z in plausible and z not in ranked:
            ranked.append(z)
    return ranked


def _zones_in_name(source_name: str) -> list[int]:
    """Zones written in a file name: ``17s``, ``_18_``, ``zona19``, ``utm-19s``."""
    stem = source_name.lower().rsplit(".", 1)[0]
    return [int(m) for m in re.findall(r"(?<![0-9])(1[789])(?![0-9])", stem)]


def _utm_label(zone: int) -> str:
    return f"EPSG:{32700 + zone} (WGS 84 / UTM {zone}S)"


def _not_degrees_error(
    crs: CRS,
    bounds: tuple[float, float, float, float],
    robust: tuple[float, float, float, float] | None,
    source_name: str,
    zone_hint: int | None,
    origin: str,
) -> CRSError:
    x = bounds[2] if abs(bounds[2]) >= abs(bounds[0]) else bounds[0]
    zones = guess_utm_zones(robust or bounds, source_name, zone_hint)
    all_codes = [f"EPSG:{32700 + z}" for z in UTM_SOUTH_ZONES] + [
        f"EPSG:{24860 + z}" for z in UTM_SOUTH_ZONES
    ]
    if origin == "default":
        why_es, why_en = "El archivo no declara CRS y l", "The file declares no CRS and c"
        code = "crs_missing"
    else:
        what = "el CRS indicado" if origin == "override" else "el CRS declarado"
        what_en = "the given CRS" if origin == "override" else "the declared CRS"
        why_es = f"Con {what} {_label(crs)} l"
        why_en = f"With {what_en} {_label(crs)} c"
        code = "crs_mismatch"
    hinted = bool(zones) and zones[0] in [zone_hint, *_zones_in_name(source_name)]
    prob_es, prob_en = (
        ("probable", "Likely")
        if hinted
        else (
            "posible (sin pista de zona en el nombre ni en una columna ZONA)",
            "Possible (no zone hint in the file name or a ZONA column)",
        )
    )
    if zones:
        best = zones[0]
        others = ", ".join(f"EPSG:{32700 + z} {z}S" for z in UTM_SOUTH_ZONES if z != best)
        likely_es = (
            f"parecen UTM. CRS {prob_es}: {_utm_label(best)}. Vuelva a importar con "
            f"--crs EPSG:{32700 + best} (otras opciones: {others}; {_PSAD56_HINT})"
        )
        likely_en = (
            f"they look like UTM. {prob_en} CRS: {_utm_label(best)}. Re-import with "
            f"--crs EPSG:{32700 + best} (other options: {others}; {_PSAD56_HINT})"
        )
    else:
        options = ", ".join(_utm_label(z) for z in UTM_SOUTH_ZONES)
        likely_es = (
            "son coordenadas proyectadas, pero ninguna zona UTM 17S-19S las ubica en "
            f"Perú o Bolivia. Indique el CRS con --crs (p. ej. {options}; {_PSAD56_HINT})"
        )
        likely_en = (
            "they are projected coordinates, but no UTM zone 17S-19S places them in "
            f"Peru or Bolivia. Pass the CRS with --crs (e.g. {options}; {_PSAD56_HINT})"
        )
    return CRSError(
        bilingual(
            f"{why_es}as coordenadas de '{source_name}' no pueden ser grados (x = {x:.0f}): "
            f"{likely_es}.",
            f"{why_en}oordinates of '{source_name}' cannot be degrees (x = {x:.0f}): {likely_en}.",
        ),
        code=code,
        file=source_name,
        candidates=[f"EPSG:{32700 + z}" for z in zones]
        + [c for c in all_codes if c not in {f"EPSG:{32700 + z}" for z in zones}],
        likely=f"EPSG:{32700 + zones[0]}" if zones else None,
    )


def _outside_area_error(
    crs: CRS,
    bounds: tuple[float, float, float, float],
    lonlat: tuple[float, float, float, float] | None,
    source_name: str,
    zone_hint: int | None,
) -> CRSError:
    zones = guess_utm_zones(bounds, source_name, zone_hint)
    hint = ", ".join(_utm_label(z) for z in zones) or _PSAD56_HINT
    where = (
        f"lon {lonlat[0]:.2f}..{lonlat[2]:.2f}, lat {lonlat[1]:.2f}..{lonlat[3]:.2f}"
        if lonlat
        else "fuera de la proyección / outside the projection"
    )
    return CRSError(
        bilingual(
            f"Con {_label(crs)} ({crs.name}) las coordenadas de '{source_name}' caen fuera de "
            f"su zona de uso ({where}). Revise el CRS; candidatos: {hint}.",
            f"With {_label(crs)} ({crs.name}) the coordinates of '{source_name}' fall outside "
            f"its area of use ({where}). Check the CRS; candidates: {hint}.",
        ),
        code="crs_mismatch",
        file=source_name,
        candidates=[f"EPSG:{32700 + z}" for z in zones],
    )


# --------------------------------------------------------------------------- reprojection


def select_transformer(
    crs: CRS, bounds: tuple[float, float, float, float] | None = None
) -> Transformer:
    """Best available non-ballpark transformer from ``crs`` to WGS84 for the data's area.

    PROJ may fall back to a "ballpark" transformation that ignores a datum change; for a
    datum on another ellipsoid (PSAD56: International 1924) that is a silent error of
    hundreds of metres, so we refuse it. For GRS80 datums (SIRGAS) ballpark is sub-metre.
    """
    aoi = None
    if bounds is not None:
        ll = _lonlat_bounds(crs, bounds) if not crs.is_geographic else bounds
        if ll is not None:
            aoi = AreaOfInterest(*ll)
    group = TransformerGroup(crs, WGS84, always_xy=True, area_of_interest=aoi)
    for transformer in group.transformers:
        if not _is_ballpark(transformer):
            return transformer
    if group.transformers and _same_ellipsoid_as_wgs84(crs):
        return group.transformers[0]
    raise CRSError(
        bilingual(
            f"No hay una transformación de datum conocida de {_label(crs)} ({crs.name}) a "
            "WGS 84 para esta zona; reproyectar daría errores de cientos de metros. "
            "Reproyecte el archivo a WGS 84 (EPSG:4326) en su SIG o use un CRS con TOWGS84.",
            f"No known datum transformation from {_label(crs)} ({crs.name}) to WGS 84 for "
            "this area; reprojecting would err by hundreds of metres. Reproject the file to "
            "WGS 84 (EPSG:4326) in your GIS or use a CRS with TOWGS84.",
        ),
        code="crs_no_datum_shift",
        crs=_label(crs),
    )


def _is_ballpark(transformer: Transformer) -> bool:
    names = [transformer.description, *(op.name for op in transformer.operations or [])]
    return any("ballpark" in name.lower() for name in names)


def _same_ellipsoid_as_wgs84(crs: CRS) -> bool:
    ellipsoid = crs.ellipsoid
    return ellipsoid is not None and abs(ellipsoid.semi_major_metre - 6378137.0) < 1.0


def to_wgs84(frame: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """Reproject ``frame`` (whose coordinates are in ``crs``) to EPSG:4326, keeping Z."""
    out = frame.copy()
    if crs.equals(WGS84, ignore_axis_order=True) or _label(crs) == "EPSG:4326":
        return out.set_crs(WGS84, allow_override=True)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    transformer = select_transformer(crs, _bounds(frame))

    def _apply(xy: np.ndarray) -> np.ndarray:
        lon, lat = transformer.transform(xy[:, 0], xy[:, 1], errcheck=False)
        return np.column_stack([lon, lat]).astype(float)

    projected = shapely.transform(geoms, _apply, include_z=False)
    projected = _restore_z(geoms, projected)
    out = out.set_geometry(gpd.GeoSeries(projected, index=frame.index, crs=WGS84))
    return out


def _restore_z(original: np.ndarray, projected: np.ndarray) -> np.ndarray:
    """Keep the Z flag so :mod:`geo.validity` can count it as a dropped dimension.

    Heights are not reprojected (vertical datums are out of scope); only their presence
    matters downstream, where they are dropped.
    """
    has_z = shapely.has_z(original)
    if not has_z.any():
        return projected
    out = projected.copy()
    out[has_z] = shapely.force_3d(projected[has_z])
    return out
