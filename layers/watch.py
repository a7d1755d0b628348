"""``allpa watch``: import whatever is new in a file or folder, analyse, deliver alerts.

A file whose content hash is already in an import batch of the layer is skipped before it
is even read, so running the watch twice on the same files imports nothing and (the
deliveries being keyed per subscription and alert) sends nothing new. Each step commits on
its own: an import that fails leaves the earlier ones, and each delivery is committed
as soon as it goes out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from geo.filehash import vector_sha256
from layers import batches, delivery
from layers.config import Settings

#: file types a watched folder offers to the importer (shapefile sidecars are not files)
WATCHED_SUFFIXES = (".shp", ".zip", ".gpkg", ".geojson", ".json", ".kml", ".csv")


@dataclass
class WatchReport:
    """What one watch run did."""

    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    analysed: bool = False
    sent: int = 0
    failed: int = 0
    emails: int = 0


def candidates(target: Path) -> list[Path]:
    """The files of ``target`` (itself when a file), in name order."""
    if target.is_file():
        return [target]
    return sorted(p for p in target.iterdir()
                  if p.is_file() and p.suffix.lower() in WATCHED_SUFFIXES)


def known(engine: Engine, layer: str, path: Path) -> bool:
    """Whether this exact content was imported into ``layer`` before."""
    digest = vector_sha256(path)
    b = batches.import_batch
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.literal(1)).where(
            b.c.layer == layer, b.c.sha256 == digest)).first() is not None


def watch(engine: Engine, settings: Settings, target: Path, *, layer: str = "concessions",
          source: str | None = None, profile: str | None = None, recorded_by: str,
          now: dt.datetime | None = None) -> WatchReport:
    """Import new files of ``target``, analyse incrementally if anything came in, deliver."""
    from layers.analysis import run_analysis
    from layers.importer import import_file

    report = WatchReport()
    for path in candidates(target):
        if known(engine, layer, path):
            report.skipped.append(path.name)
            continue
        with engine.begin() as conn:
            imported = import_file(conn, layer, path, recorded_by=recorded_by, source=source,
                                   profile=profile)
        (report.imported if imported.identical_to_batch is None
         else report.skipped).append(path.name)
    if report.imported:
        with engine.begin() as conn:
            run_analysis(conn, settings, recorded_by=recorded_by)
        report.analysed = True
    now = now or dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        delivery.plan(conn, now)
    with engine.connect() as conn:
        sent = delivery.send_due(conn, settings, now, after_each=conn.commit)
        conn.commit()
    report.sent, report.failed, report.emails = sent.sent, sent.failed, sent.emails
    return report
