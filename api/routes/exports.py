"""``GET /api/{layer}/export?format=geojson|gpkg|shp|kml|csv`` with the list filters and the
same visibility as every other read."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeAlias

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from sqlalchemy.engine import Engine
from starlette.background import BackgroundTask

from api.dependencies import AsOfDep, BBoxDep, EngineDep, ViewerDep
from api.enums import enum_query
from api.models import binary
from geo import vocabulary as V
from geo.catalog import CATALOG
from layers import exports
from layers.queries import Filters, Viewer, get_collection

router = APIRouter(prefix="/api", tags=["exportación / exports"])

#: Coded filters (OpenAPI ``enum``; ``kind`` is a community or a water-source kind).
if TYPE_CHECKING:
    _LegalStatusQ: TypeAlias = str | None
    _StateQ: TypeAlias = str | None
    _KindQ: TypeAlias = str | None
    _StageQ: TypeAlias = str | None
    _LevelQ: TypeAlias = str | None
else:
    _LegalStatusQ = enum_query(V.LEGAL_STATUS)
    _StateQ = enum_query(V.STATE)
    _KindQ = enum_query(V.KIND, V.WATER_KIND)
    _StageQ = enum_query(V.STAGE)
    _LevelQ = enum_query(V.LEVEL)
#: Layers that can be exported (from the catalog: ``publish.exports``).
EXPORT_LAYERS = "|".join(name for name, layer in CATALOG.items() if layer.publish.exports)


def _write(engine: Engine, layer: str, viewer: Viewer, filters: Filters, fmt_name: str,
           directory: Path, bom: bool) -> Path:
    coll = get_collection(layer)
    fmt = exports.get_format(fmt_name)
    with engine.connect() as conn:
        return exports.write_export(conn, coll, viewer, filters, fmt, directory, bom=bom)


@router.get("/{layer}/export", summary="Exportar una capa / export a layer",
            response_class=FileResponse,
            responses=binary(*{f.media_type.split(";")[0]: None
                               for f in exports.FORMATS.values()}))
async def export(
    layer: str,
    engine: EngineDep, viewer: ViewerDep, bbox: BBoxDep, as_of: AsOfDep,
    format: Annotated[str, Query(description="geojson|gpkg|shp|kml|csv")] = "geojson",
    bom: Annotated[bool, Query(description="CSV con BOM UTF-8 para Excel / CSV with a UTF-8 "
                                           "BOM for Excel")] = False,
    q: Annotated[str | None, Query()] = None,
    district: Annotated[str | None, Query()] = None,
    network: Annotated[str | None, Query()] = None,
    legal_status: _LegalStatusQ = None,
    flagged: Annotated[bool | None, Query()] = None,
    state: _StateQ = None,
    kind: _KindQ = None,
    stage: _StageQ = None,
    level: _LevelQ = None,
) -> FileResponse:
    coll = get_collection(layer)
    fmt = exports.get_format(format)
    filters = exports.export_filters(
        coll, bbox=bbox, as_of=as_of, q=q, district=district, network=network,
        flagged=flagged, equals={"legal_status": legal_status, "state": state, "kind": kind,
                                 "stage": stage, "level": level})
    tmp = Path(tempfile.mkdtemp(prefix="allpa-export-"))
    try:
        path = await run_in_threadpool(_write, engine, coll.name, viewer, filters, fmt.name,
                                       tmp, bom)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return FileResponse(path, media_type=fmt.media_type, filename=path.name,
                        background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True))
