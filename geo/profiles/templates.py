"""The Allpa templates: one per layer that has Spanish headers in the catalog, reading each
canonical field under its English or Spanish header (``codigo``/``id``, ``nombre``/``name``
...). A new layer with Spanish headers gets its template here without code; ``SIGNATURES``
only tunes how the existing templates are recognised."""

from __future__ import annotations

from geo.catalog import CATALOG, Layer
from geo.profiles.base import Profile, signature, template_aliases

__all__ = ["TEMPLATES"]

#: Column sets that identify each template (default: the required fields, in English or in
#: Spanish).
SIGNATURES: dict[str, tuple[frozenset[str], ...]] = {
    "communities": (
        signature("id", "name", "kind"),
        signature("codigo", "nombre", "tipo"),
        signature("id", "name", "title_status"),
        signature("codigo", "nombre", "personeria"),
        signature("codigo", "nombre", "estado_titulo"),
    ),
    "water": (signature("id", "kind"), signature("codigo", "tipo")),
    "consultations": (
        signature("id", "name", "stage"),
        signature("codigo", "nombre", "etapa"),
        signature("id", "measure"),
        signature("codigo", "medida"),
    ),
    "networks": (
        signature("id", "name", "members"),
        signature("codigo", "nombre", "miembros"),
        signature("id", "nombre", "miembros"),
    ),
}
#: Profile names and descriptions kept from before the catalog (commands and reports show
#: them).
_NAMES = {
    "communities": ("allpa_community", "Allpa community template (English or Spanish headers)"),
    "water": ("allpa_water",
              "Allpa water-source template (id/codigo, name/nombre, kind/tipo, use/uso)"),
    "consultations": ("allpa_consultation",
                      "Allpa consultation template (medida, promotor, etapa, fechas...)"),
    "networks": ("allpa_network",
                 "Allpa network table (id/codigo, nombre, descripcion, miembros)"),
}


def _template(layer: Layer) -> Profile:
    spanish = layer.spanish_headers
    name, description = _NAMES.get(layer.name, (
        f"allpa_{layer.name}", f"Allpa {layer.name} template (English or Spanish headers)"))
    required = [f.name for f in layer.imported_fields if f.required]
    default = (signature(*required), signature(*(spanish.get(r, r) for r in required)))
    return Profile(name=name, layers=(layer.name,), description=description,
                   aliases=template_aliases(spanish),
                   signatures=SIGNATURES.get(layer.name, default))


TEMPLATES: tuple[Profile, ...] = tuple(
    _template(layer) for layer in CATALOG.values() if layer.spanish_headers)
