"""The collections the OGC API publishes: each layer, plus one view per geometry type where a
layer mixes them.

QGIS (3.22 and later) types an OGC API – Features layer from its first feature and silently
drops features of any other type: of the communities, those known only by a point vanish
behind the territories; of the water sources, lines and polygons hide the springs. So a
layer whose rows mix geometry types is also published as ``<layer>_points``,
``<layer>_lines``, ``<layer>_polygons`` (only the types it can hold). Every view is the
same query as the layer plus a ``ST_GeometryType`` predicate on the stored geometry, so
visibility, ``as_of``/``datetime``, ``bbox`` and CQL2 filters behave identically, and the
views of a layer add up to the layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from geo.catalog import CATALOG
from geo.errors import NotFoundError
from layers.queries import COLLECTIONS, Collection

#: PostGIS ``ST_GeometryType`` names per view kind.
GEOMETRY_KINDS: dict[str, tuple[str, ...]] = {
    "points": ("ST_Point", "ST_MultiPoint"),
    "lines": ("ST_LineString", "ST_MultiLineString"),
    "polygons": ("ST_Polygon", "ST_MultiPolygon"),
}
#: GeoJSON / OGR geometry type of each view (what QGIS and GDAL are told to expect).
KIND_GEOMETRY = {"points": "Point", "lines": "LineString", "polygons": "Polygon"}
_KIND_NAMES = {"points": ("puntos", "points"), "lines": ("líneas", "lines"),
               "polygons": ("polígonos", "polygons")}

#: Layers published whole, and the one-kind views of those that mix geometry kinds (from
#: the catalog: ``publish.ogc`` and ``kinds``).
LAYERS: dict[str, tuple[str, ...]] = {
    layer.name: layer.geometry_views for layer in CATALOG.values()
    if layer.publish.ogc and layer.has_geometry
}


class UnknownOgcCollectionError(NotFoundError):
    code = "unknown_collection"


@dataclass(frozen=True)
class OgcCollection:
    """One published collection: a layer, or the part of it with one geometry type."""

    id: str
    base: Collection
    kind: str | None = None
    siblings: tuple[str, ...] = ()

    def title(self, lang: str) -> str:
        title = self.base.title(lang)
        if self.kind is None:
            return title
        es, en = _KIND_NAMES[self.kind]
        return f"{title} ({en if lang == 'en' else es})"

    def description(self, lang: str) -> str:
        text = self.base.description(lang)
        if self.kind is not None:
            es, en = _KIND_NAMES[self.kind]
            whole = self.base.name
            if lang == "en":
                return (f"{text} Only the {en} of '{whole}': one geometry type per collection "
                        f"so QGIS draws every feature; together with "
                        f"{', '.join(self.siblings)} it is the whole layer.")
            return (f"{text} Solo los {es} de '{whole}': un tipo de geometría por colección "
                    f"para que QGIS dibuje todas las entidades; junto con "
                    f"{', '.join(self.siblings)} forma la capa completa.")
        if self.siblings:
            if lang == "en":
                return (f"{text} Mixed geometry types: QGIS draws only the type of the first "
                        f"feature; load {', '.join(self.siblings)} instead (one type each).")
            return (f"{text} Tipos de geometría mixtos: QGIS dibuja solo el tipo de la primera "
                    f"entidad; cargue {', '.join(self.siblings)} (un tipo cada una).")
        return text

    @property
    def geometry_type(self) -> str | None:
        """The single geometry type of the collection, or None when it mixes types."""
        if self.kind is not None:
            return KIND_GEOMETRY[self.kind]
        if self.siblings:
            return None
        return "Polygon" if self.base.geometry_type == "polygon" else None

    def predicates(self) -> tuple[sa.ColumnElement[bool], ...]:
        """The extra WHERE clause of a geometry-type view (nothing for a whole layer)."""
        if self.kind is None:
            return ()
        geom: Any = self.base.geometry()
        return (sa.func.ST_GeometryType(geom).in_(GEOMETRY_KINDS[self.kind]),)


def _build() -> dict[str, OgcCollection]:
    out: dict[str, OgcCollection] = {}
    for name, kinds in LAYERS.items():
        base = COLLECTIONS[name]
        views = tuple(f"{name}_{kind}" for kind in kinds)
        out[name] = OgcCollection(name, base, None, views)
        for kind, view in zip(kinds, views, strict=True):
            out[view] = OgcCollection(view, base, kind, tuple(v for v in views if v != view))
    return out


OGC_COLLECTIONS: dict[str, OgcCollection] = _build()


def get_ogc_collection(collection_id: str) -> OgcCollection:
    coll = OGC_COLLECTIONS.get(collection_id)
    if coll is None:
        names = ", ".join(OGC_COLLECTIONS)
        raise UnknownOgcCollectionError(
            f"Colección desconocida '{collection_id}'; use una de: {names} / unknown "
            f"collection '{collection_id}'; use one of: {names}")
    return coll
