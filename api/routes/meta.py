"""``/`` (what this service offers), ``/healthz`` (liveness) and ``/readyz`` (readiness:
the database answers)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from api.dependencies import EngineDep, LangDep
from api.errors import is_db_unavailable, unavailable
from api.models import Health, Ready, ServiceIndex, ok
from layers.layer_collections import COLLECTIONS

router = APIRouter(tags=["servicio / service"])


@router.get("/", summary="Índice del servicio / service index", response_model=None,
            responses=ok(ServiceIndex))
def index(request: Request, lang: LangDep) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    return {
        "name": "Allpa",
        "description": ("Derechos territoriales comunales, personería jurídica, agua y "
                        "concesiones mineras" if lang == "es" else
                        "Community land rights, legal personality, water and mining "
                        "concessions"),
        "links": [
            {"rel": "service-doc", "href": f"{base}/docs", "type": "text/html"},
            {"rel": "service-desc", "href": f"{base}/openapi.json",
             "type": "application/vnd.oai.openapi+json;version=3.0"},
            {"rel": "ogc", "href": f"{base}/ogc", "type": "application/json"},
            *({"rel": "data", "href": f"{base}/api/{name}", "type": "application/json"}
              for name in (*COLLECTIONS, "flags", "batches")),
        ],
    }


@router.get("/healthz", summary="Vivo / liveness", response_model=None,
            responses=ok(Health))
def healthz() -> dict[str, str]:
    """The process answers (it does not look at the database: see ``/readyz``)."""
    return {"status": "ok"}


def _ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


@router.get("/readyz", summary="Listo / readiness", response_model=None,
            responses=ok(Ready))
async def readyz(request: Request, engine: EngineDep) -> JSONResponse:
    """Ready when the database answers (within the connect timeout); 503 otherwise."""
    try:
        await run_in_threadpool(_ping, engine)
    except Exception as exc:
        if is_db_unavailable(exc):
            return unavailable(request)
        raise
    return JSONResponse({"status": "ok", "database": "ok"})
