"""Import a file into a layer: prepare it with ``geo.ingest`` and store it atomically.

Everything happens inside one savepoint: on any error nothing of the file is stored. A file
identical (SHA-256) to one already imported into the same layer changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.errors import InputError
from geo.ingest import prepare
from layers import batches
from layers.base import LayerSpec
from layers.registry import get_layer
from layers.versioning import write_snapshot

MAX_REPORTED = 500


class RejectedFeaturesError(InputError):
    """``strict`` import refused because some features were rejected."""

    code = "features_rejected"


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
                    f"; batch {self.batch_id}.")
        return (f"{self.file_name} → {self.layer}: leídos {self.n_read}, guardados "
                f"{self.n_stored} (nuevos {self.n_inserted}, modificados {self.n_changed}), "
                f"sin cambios {self.n_unchanged}, cerrados {self.n_closed}, reparados "
                f"{len(self.repairs)}, rechazados {len(self.rejections)}; SRC {self.crs_used}"
                f"; lote {self.batch_id}.")


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
    strict: bool = False,
    close_missing: bool | None = None,
) -> ImportReport:
    """Import ``path`` into ``layer`` atomically and return the report.

    ``source`` names where the data comes from (e.g. "INGEMMET GeoCatmin 2026-03-10"); it
    defaults to the file name. Re-importing from the same source closes the records that
    vanished from it (for layers that are full snapshots, such as concessions).
    """
    spec = get_layer(layer)
    prepared = prepare(Path(path), layer=spec.name, crs=crs, profile=profile,
                       mapping=mapping, defaults=defaults, encoding=encoding)
    source_name = source or prepared.source_name
    report = ImportReport(
        layer=spec.name, file_name=prepared.source_name, sha256=prepared.sha256,
        profile=prepared.profile, crs_declared=prepared.crs_decision.declared,
        crs_used=prepared.crs_decision.used, n_read=prepared.n_read,
        repairs=_plain(list(prepared.repairs)), rejections=_plain(list(prepared.rejections)),
        warnings=[str(w) for w in prepared.warnings],
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
    with conn.begin_nested():
        identical = batches.find_identical(conn, spec.name, prepared.sha256)
        if identical is not None:
            report.identical_to_batch = identical
            report.n_unchanged = len(prepared.frame)
            return report
        batch_id = batches.create_batch(
            conn, layer=spec.name, file_name=prepared.source_name, sha256=prepared.sha256,
            source_note=source, profile=prepared.profile, driver=prepared.driver,
            crs_declared=report.crs_declared, crs_used=report.crs_used, n_read=report.n_read,
            recorded_by=recorded_by,
        )
        report.batch_id = batch_id
        closes = spec.closes_missing if close_missing is None else close_missing
        counts = write_snapshot(
            conn, spec.table, spec.key, spec.to_rows(prepared.frame),
            recorded_by=recorded_by, batch_id=batch_id, source=source_name,
            close_missing=closes, scope=_scope(spec, source_name),
        )
        report.n_inserted = len(counts.inserted)
        report.n_changed = len(counts.changed)
        report.n_unchanged = len(counts.unchanged)
        report.n_closed = len(counts.closed)
        details = report.as_dict()
        details["repairs"] = report.repairs[:MAX_REPORTED]
        details["rejections"] = report.rejections[:MAX_REPORTED]
        details["changed_keys"] = counts.changed[:MAX_REPORTED]
        details["closed_keys"] = counts.closed[:MAX_REPORTED]
        batches.update_batch(
            conn, batch_id, n_stored=report.n_stored, n_unchanged=report.n_unchanged,
            n_closed=report.n_closed, n_repaired=len(report.repairs),
            n_rejected=len(report.rejections), report=details,
        )
    return report
