"""The versioned data layers by name (what ``allpa import LAYER`` accepts)."""

from __future__ import annotations

from layers import boundaries, communities, concessions, consultations, networks, water
from layers.base import LayerSpec

LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (boundaries.SPEC, communities.SPEC, concessions.SPEC, water.SPEC,
                 consultations.SPEC, networks.SPEC)
}

ALIASES = {
    "boundary": "boundaries", "limites": "boundaries", "districts": "boundaries",
    "community": "communities", "comunidades": "communities",
    "concession": "concessions", "concesiones": "concessions",
    "water_sources": "water", "agua": "water", "fuentes_agua": "water",
    "consultation": "consultations", "consultas": "consultations",
    "network": "networks", "redes": "networks",
}


def get_layer(name: str) -> LayerSpec:
    from geo.errors import InputError

    key = ALIASES.get(name.lower(), name.lower())
    if key not in LAYERS:
        raise InputError(
            f"Capa desconocida '{name}'; use una de: {', '.join(LAYERS)} / unknown layer"
        )
    return LAYERS[key]
