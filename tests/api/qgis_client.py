"""PyQGIS (QGIS's own OAPIF provider) reading the OGC API: run by ``test_ogc_qgis.py`` with
the system Python that carries ``qgis`` (Debian's ``python3-qgis``), headless.

Usage: python3 qgis_client.py BASE_URL USER TOKEN COLLECTION... ; prints one JSON object:
per collection, the layer's geometry type, the features QGIS returns, how many carry a
drawable geometry of the layer's type, and the same for a subset string and for a layer
signed in with QGIS's Basic authentication method.
"""

from __future__ import annotations

import json
import sys
import tempfile
from typing import Any


def main() -> None:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QGIS_AUTH_DB_DIR_PATH"] = tempfile.mkdtemp(prefix="qgis-auth-")
    from qgis.core import (
        QgsApplication,
        QgsAuthMethodConfig,
        QgsVectorLayer,
        QgsWkbTypes,
    )

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    base, user, token, *collections = sys.argv[1:]
    auth = QgsApplication.authManager()
    auth.setMasterPassword("allpa-test", True)
    config = QgsAuthMethodConfig()
    config.setMethod("Basic")
    config.setName("allpa")
    config.setConfig("username", user)
    config.setConfig("password", token)
    auth.storeAuthenticationConfig(config)

    def read(collection: str, subset: str | None = None, authcfg: str | None = None
             ) -> dict[str, Any]:
        uri = (f"url='{base}/ogc' typename='{collection}' pagingEnabled='true' "
               f"restrictToRequestBBOX='0'")
        if authcfg:
            uri += f" authcfg='{authcfg}'"
        layer = QgsVectorLayer(uri, collection, "OAPIF")
        if not layer.isValid():
            return {"valid": False}
        if subset:
            layer.setSubsetString(subset)
        geom_type = QgsWkbTypes.geometryType(layer.wkbType())
        feats = list(layer.getFeatures())
        drawable = sum(1 for f in feats if f.hasGeometry() and not f.geometry().isEmpty()
                       and f.geometry().type() == geom_type)
        ids = [str(f["id"]) for f in feats if "id" in f.fields().names()]
        return {"valid": True, "type": QgsWkbTypes.displayString(layer.wkbType()),
                "features": len(feats), "drawable": drawable, "ids": ids}

    out: dict[str, Any] = {"version": __import__("qgis.core").core.Qgis.version()}
    for collection in collections:
        out[collection] = read(collection)
    out["subset"] = read("communities_polygons", "legal_status = 'registered'")
    out["signed_in"] = read("communities_polygons", authcfg=config.id())
    print(json.dumps(out))
    app.exitQgis()


if __name__ == "__main__":
    main()
