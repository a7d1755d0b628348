"""The versioned data layers by name (what ``allpa import LAYER`` accepts), in catalog order."""

from __future__ import annotations

from geo import catalog
from layers import boundaries, communities, concessions, consultations, networks, water
from layers.base import LayerSpec

_SPECS = {spec.name: spec for spec in (boundaries.SPEC, communities.SPEC, concessions.SPEC,
                                       water.SPEC, consultations.SPEC, networks.SPEC)}
#: One spec per catalog layer (a layer without its module fails here, at import time).
LAYERS: dict[str, LayerSpec] = {name: _SPECS[name] for name in catalog.CATALOG}

#: Other names users type for a layer (from the catalog).
ALIASES = catalog.ALIASES


def get_layer(name: str) -> LayerSpec:
    from geo.errors import InputError

    key = ALIASES.get(name.lower(), name.lower())
    if key not in LAYERS:
        raise InputError(
            f"Capa desconocida '{name}'; use una de: {', '.join(LAYERS)} / unknown layer"
        )
    return LAYERS[key]
