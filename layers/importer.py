"""Import a file into a layer: prepare it with ``geo.ingest`` and store it atomically.

Everything happens inside one savepoint: on any error nothing of the file is stored. Rules that
keep an import from losing data:

* "identical" means the same file (SHA-256) **and** the same options (CRS used, profile,
  mapping, encoding, source layer, defaults, source) as the latest import of that source into
  the layer; anything else is a new import that re-versions what changed (so a wrong ``--crs``
  can be corrected by importing the same file again with the right one);
* a rejected feature never closes its current version (a truncated file is not a withdrawal);
  when a rejected feature cannot be tied to a key, nothing is closed at all;
* an import that would close more than ``max_close_share`` of a source's current records is
  refused unless ``allow_mass_close``;
* ``dry_run`` does everything, reports it, and rolls it back.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

import psycopg
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.errors import AllpaError, ConflictError, InputError, UnreadableFileError, bilingual
from geo.ingest import prepare
from layers import batches, changesets, concessions
from layers.base import LayerSpec
from layers.registry import get_layer
from layers.versioning import VersionCounts, write_columns, write_snapshot

MAX_REPORTED = 500

#: Default share of a source's current records an import may close without
#: ``allow_mass_close``.
MAX_CLOSE_SHARE = 0.2

#: A layer's ``to_rows`` -> the same records column by column, for the layers whose files
#: are large (a national cadastre): no dict per record (see ``_write``).
_COLUMNWISE: dict[Callable[[Any], Any], Callable[[Any], dict[str, list[Any]]]] = {
    concessions.to_rows: concessions.to_columns,
}


class RejectedFeaturesError(InputError):
    """``strict`` import refused because some features were rejected."""

    code = "features_rejected"


class MassCloseError(ConflictError):
    """The import would retire too large a share of a source's current records."""

    code = "mass_close"


@dataclass
class ImportReport:
    """What an import read, repaired, rejected and stored; shown to the user and kept."""

    layer: str
    file_name: str
    sha256: str
    profile: str
    crs_declared: str | None
    crs_used: str
    n_read: int
    n_inserted: int = 0
    n_changed: int = 0
    n_unchanged: int = 0
    n_closed: int = 0
    repairs: list[dict[str, Any]] = field(default_factory=list)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    batch_id: int | None = None
    identical_to_batch: int | None = None
    dry_run: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    inserted_keys: list[str] = field(default_factory=list)
    changed_keys: list[str] = field(default_factory=list)
    closed_keys: list[str] = field(default_factory=list)
    kept_rejected_keys: list[str] = field(default_factory=list)

    @property
    def n_stored(self) -> int:
        return self.n_inserted + self.n_changed

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["n_stored"] = self.n_stored
        data["n_repaired"] = len(self.repairs)
        data["n_rejected"] = len(self.rejections)
        return data

    def summary(self, lang: str = "es") -> str:
        if self.identical_to_batch is not None:
            if lang == "en":
                return (f"{self.file_name}: identical to import batch {self.identical_to_batch} "
                        f"(same SHA-256); nothing changed.")
            return (f"{self.file_name}: idéntico al lote de importación {self.identical_to_batch} "
                    f"(mismo SHA-256); no se cambió nada.")
        if lang == "en":
            return (f"{self.file_name} → {self.layer}: read {self.n_read}, stored "
                    f"{self.n_stored} (new {self.n_inserted}, changed {self.n_changed}), "
                    f"unchanged {self.n_unchanged}, closed {self.n_closed}, repaired "
                    f"{len(self.repairs)}, rejected {len(self.rejections)}; CRS {self.crs_used}"
                    + ("; DRY RUN, nothing written." if self.dry_run
                       else f"; batch {self.batch_id}."))
        return (f"{self.file_name} → {self.layer}: leídos {self.n_read}, guardados "
                f"{self.n_stored} (nuevos {self.n_inserted}, modificados {self.n_changed}), "
                f"sin cambios {self.n_unchanged}, cerrados {self.n_closed}, reparados "
                f"{len(self.repairs)}, rechazados {len(self.rejections)}; SRC {self.crs_used}"
                + ("; SIMULACIÓN, no se escribió nada." if self.dry_run
                   else f"; lote {self.batch_id}."))


def _plain(items: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        if is_dataclass(item) and not isinstance(item, type):
            d = asdict(item)
        elif isinstance(item, dict):
            d = dict(item)
        else:
            d = {"reason": str(item)}
        out.append({k: (v if isinstance(v, (str, int, float, bool, type(None))) else str(v))
                    for k, v in d.items()})
    return out


def _scope(spec: LayerSpec, frame_scope: str | None) -> sa.ColumnElement[bool] | None:
    """Which current rows a full re-import may close: those that came from the same source."""
    if frame_scope is None:
        return None
    return spec.table.c.source == frame_scope


def _rejected_keys(rejections: list[dict[str, Any]]) -> tuple[set[str], bool]:
    """Keys of rejected features, and whether some rejected feature has no key at all."""
    keys: set[str] = set()
    anonymous = False
    for r in rejections:
        fid = str(r.get("feature_id") or "")
        if not fid or fid.startswith("#"):
            anonymous = True
        else:
            keys.add(fid)
    return keys, anonymous


def _refuse_mass_close(report: ImportReport, n_scope: int, share: float) -> None:
    # report.closed_keys keeps only the first MAX_REPORTED keys: count with n_closed
    n_closed = report.n_closed
    shown = ", ".join(report.closed_keys[:10])
    more = f" … (+{n_closed - 10})" if n_closed > 10 else ""
    pct = 100 * n_closed / max(n_scope, 1)
    raise MassCloseError(
        f"{report.file_name}: esta importación cerraría {n_closed} de {n_scope} "
        f"registros vigentes de la fuente ({pct:.0f} %, más del {share:.0%}): {shown}{more}. "
        f"No se importó nada. Si de verdad desaparecieron, repita con --allow-mass-close "
        f"(allow_mass_close=true); pruebe antes con --dry-run / {report.file_name}: this "
        f"import would close {n_closed} of {n_scope} current records of the "
        f"source ({pct:.0f} %, over {share:.0%}): {shown}{more}. Nothing was imported. If they "
        f"really vanished, repeat with --allow-mass-close (allow_mass_close=true); try "
        f"--dry-run first",
        closed_keys=report.closed_keys[:MAX_REPORTED], n_current=n_scope,
    )


def import_file(
    conn: Connection,
    layer: str,
    path: Path,
    *,
    recorded_by: str,
    crs: str | None = None,
    profile: str | None = None,
    mapping: dict[str, str] | None = None,
    defaults: dict[str, Any] | None = None,
    source: str | None = None,
    encoding: str | None = None,
    source_layer: str | None = None,
    constants: dict[str, Any] | None = None,
    strict: bool = False,
    close_missing: bool | None = None,
    dry_run: bool = False,
    allow_mass_close: bool = False,
    max_close_share: float = MAX_CLOSE_SHARE,
) -> ImportReport:
    """Import ``path`` into ``layer`` atomically and return the report.

    ``source`` names where the data comes from (e.g. "INGEMMET GeoCatmin 2026-03-10"); it
    defaults to the file name. Re-importing from the same source closes the records that
    vanished from it (for layers that are full snapshots, such as concessions), never those
    whose feature was rejected. ``constants`` (``--set FIELD=VALUE``) fill fields the file
    lacks or leaves blank, checked like file values.
    """
    spec = get_layer(layer)
    prepared = _prepare(Path(path), layer=spec.name, crs=crs, profile=profile,
                        mapping=mapping, defaults=defaults, encoding=encoding,
                        source_layer=source_layer, constants=constants)
    source_name = source or prepared.source_name
    options: dict[str, Any] = {
        "crs": prepared.crs_decision.used, "profile": prepared.profile,
        "mapping": dict(sorted((mapping or {}).items())), "encoding": encoding,
        "source_layer": source_layer,
        "defaults": {k: str(v) for k, v in sorted({**(constants or {}),
                                                    **(defaults or {})}.items())},
        "source": source_name,
    }
    report = ImportReport(
        layer=spec.name, file_name=prepared.source_name, sha256=prepared.sha256,
        profile=prepared.profile, crs_declared=prepared.crs_decision.declared,
        crs_used=prepared.crs_decision.used, n_read=prepared.n_read,
        repairs=_plain(list(prepared.repairs)), rejections=_plain(list(prepared.rejections)),
        warnings=[str(w) for w in prepared.warnings], dry_run=dry_run, options=options,
    )
    if strict and report.rejections:
        first = report.rejections[0]
        raise RejectedFeaturesError(
            f"{len(report.rejections)} entidades rechazadas en {report.file_name} (p. ej. "
            f"{first.get('feature_id')}: {first.get('reason')}); no se importó nada. Corrija el "
            f"archivo o importe sin --strict / {len(report.rejections)} features rejected; "
            f"nothing imported",
            rejections=report.rejections[:MAX_REPORTED],
        )
    savepoint = conn.begin_nested()
    try:
        identical = batches.find_identical(conn, spec.name, prepared.sha256, options)
        if identical is not None:
            report.identical_to_batch = identical
            report.n_unchanged = len(prepared.frame)
            savepoint.commit()
            return report
        _store(conn, spec, prepared, report, recorded_by=recorded_by, source=source,
               source_name=source_name, close_missing=close_missing,
               allow_mass_close=allow_mass_close, max_close_share=max_close_share)
        changesets.after_import(conn, spec.name, report.batch_id)
    except psycopg.DataError as exc:
        # a value no column can take (class 22, or a NUL byte refused by the driver): the
        # file's content, not a fault of ours
        savepoint.rollback()
        why_es, why_en = ("un texto contiene un byte nulo (0x00)", "a text contains a NUL "
                          "byte (0x00)") if "NUL" in str(exc) else (
            f"un valor no se puede guardar ({type(exc).__name__})",
            f"a value cannot be stored ({type(exc).__name__})")
        raise InputError(bilingual(f"{report.file_name}: {why_es}; no se importó nada",
                                   f"{report.file_name}: {why_en}; nothing was imported"),
                         code="invalid_value") from None
    except sa.exc.DataError as exc:
        savepoint.rollback()
        raise InputError(bilingual(
            f"{report.file_name}: un valor no se puede guardar; no se importó nada",
            f"{report.file_name}: a value cannot be stored; nothing was imported"),
            code="invalid_value") from exc
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
        report.batch_id = None
    else:
        savepoint.commit()
    return report


def _prepare(path: Path, **options: Any) -> Any:
    """:func:`geo.ingest.prepare`, with any failure of a reader (a corrupt or lying archive, a
    truncated file) turned into a clear :class:`UnreadableFileError` instead of a traceback;
    Z and M ordinates dropped (the store is 2-D lon/lat), with a warning."""
    try:
        prepared = prepare(path, **options)
    except AllpaError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            RuntimeError, KeyError, IndexError, UnicodeError, RecursionError) as exc:
        raise UnreadableFileError(bilingual(
            f"No se pudo leer '{path.name}': el archivo está dañado, truncado o no es lo que "
            f"dice ser ({type(exc).__name__}). No se importó nada.",
            f"Could not read '{path.name}': the file is damaged, truncated or not what it "
            f"claims to be ({type(exc).__name__}). Nothing was imported.")) from None
    frame = prepared.frame
    name = frame.geometry.name if hasattr(frame, "geometry") else None
    if name is not None and name in frame.columns:
        geoms = frame[name].array
        has_zm = shapely.has_z(geoms) | shapely.has_m(geoms) if hasattr(shapely, "has_m") \
            else shapely.has_z(geoms)
        n = int(has_zm.sum())
        if n:
            frame[name] = shapely.force_2d(geoms)
            prepared.warnings.append(bilingual(
                f"{n} geometrías traían Z o M: se guardan en 2D (lon/lat)",
                f"{n} geometries had Z or M: stored in 2-D (lon/lat)"))
    return prepared


def _store(conn: Connection, spec: LayerSpec, prepared: Any, report: ImportReport, *,
           recorded_by: str, source: str | None, source_name: str,
           close_missing: bool | None, allow_mass_close: bool, max_close_share: float) -> None:
    batch_id = batches.create_batch(
        conn, layer=spec.name, file_name=prepared.source_name, sha256=prepared.sha256,
        source_note=source, profile=prepared.profile, driver=prepared.driver,
        crs_declared=report.crs_declared, crs_used=report.crs_used, n_read=report.n_read,
        recorded_by=recorded_by,
    )
    report.batch_id = batch_id
    closes = spec.closes_missing if close_missing is None else close_missing
    rejected, anonymous = _rejected_keys(report.rejections)
    if closes and anonymous:
        closes = False
        report.warnings.append(
            "Algunas entidades rechazadas no tienen clave: no se cerró ningún registro por "
            "ausencia / some rejected features have no key: no record was closed as missing")
    frame = prepared.frame
    if spec.resolve is not None:
        frame, notes = spec.resolve(conn, frame, batch_id, recorded_by, source_name)
        report.warnings.extend(notes)
    counts = _write(conn, spec, frame, recorded_by=recorded_by, batch_id=batch_id,
                    source=source_name, close_missing=closes, keep=rejected)
    report.n_inserted = len(counts.inserted)
    report.n_changed = len(counts.changed)
    report.n_unchanged = len(counts.unchanged)
    report.n_closed = len(counts.closed)
    report.inserted_keys = counts.inserted[:MAX_REPORTED]
    report.changed_keys = counts.changed[:MAX_REPORTED]
    report.closed_keys = counts.closed[:MAX_REPORTED]
    report.kept_rejected_keys = counts.kept[:MAX_REPORTED]
    if (counts.closed and not allow_mass_close
            and len(counts.closed) > max_close_share * counts.n_scope):
        _refuse_mass_close(report, counts.n_scope, max_close_share)
    details = report.as_dict()
    details["repairs"] = report.repairs[:MAX_REPORTED]
    details["rejections"] = report.rejections[:MAX_REPORTED]
    batches.update_batch(
        conn, batch_id, n_stored=report.n_stored, n_unchanged=report.n_unchanged,
        n_closed=report.n_closed, n_repaired=len(report.repairs),
        n_rejected=len(report.rejections), report=details,
    )


def _write(conn: Connection, spec: LayerSpec, frame: Any, *, recorded_by: str, batch_id: int,
           source: str, close_missing: bool, keep: set[str]) -> VersionCounts:
    """The frame's records as versions: column by column when the layer has that shortcut,
    else record by record (``spec.to_rows``)."""
    options: dict[str, Any] = {
        "recorded_by": recorded_by, "batch_id": batch_id, "source": source,
        "close_missing": close_missing, "scope": _scope(spec, source), "keep": keep}
    to_columns = _COLUMNWISE.get(spec.to_rows)
    if to_columns is not None:
        return write_columns(conn, spec.table, spec.key, to_columns(frame), len(frame),
                             **options)
    return write_snapshot(conn, spec.table, spec.key, spec.to_rows(frame), **options)
