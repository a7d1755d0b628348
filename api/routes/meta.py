"""``/`` (what this service offers) and ``/healthz``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.dependencies import LangDep

router = APIRouter(tags=["servicio / service"])


@router.get("/", summary="Índice del servicio / service index")
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
              for name in ("communities", "concessions", "water", "consultations",
                           "networks", "boundaries", "flags", "batches")),
        ],
    }


@router.get("/healthz", summary="Salud / health")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
