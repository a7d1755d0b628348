"""PyQGIS drawing Allpa's vector tiles (QGIS's own XYZ vector tile provider), headless: run by
``test_tiles.py`` with the system Python that carries ``qgis``.

Usage: python3 qgis_tiles_client.py TILE_URL_TEMPLATE ZOOM MINX MINY MAXX MAXY (EPSG:3857);
prints one JSON object: whether the layer is valid, the render job's errors, and how many
pixels of the image are not the background.
"""

from __future__ import annotations

import json
import sys
import tempfile


def main() -> None:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QGIS_AUTH_DB_DIR_PATH"] = tempfile.mkdtemp(prefix="qgis-auth-")
    from qgis.core import (
        QgsApplication,
        QgsCoordinateReferenceSystem,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsRectangle,
        QgsVectorTileLayer,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    template, zoom, *box = sys.argv[1:]
    uri = f"type=xyz&url={template}&zmin={zoom}&zmax={zoom}"
    layer = QgsVectorTileLayer(uri, "allpa")
    out: dict[str, object] = {"version": app.version() if hasattr(app, "version") else "",
                              "valid": layer.isValid()}
    if layer.isValid():
        settings = QgsMapSettings()
        settings.setLayers([layer])
        settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
        settings.setExtent(QgsRectangle(*(float(v) for v in box)))
        settings.setOutputSize(QSize(768, 768))
        settings.setBackgroundColor(QColor(255, 255, 255))
        job = QgsMapRendererSequentialJob(settings)
        job.start()
        job.waitForFinished()
        image = job.renderedImage()
        drawn = sum(1 for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
                    if image.pixelColor(x, y) != QColor(255, 255, 255))
        out.update(errors=[f"{e.layerID}: {e.message}" for e in job.errors()], drawn=drawn)
    print(json.dumps(out))
    app.exitQgis()


if __name__ == "__main__":
    main()
