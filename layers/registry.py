"""The versioned data layers by name (what ``allpa import LAYER`` accepts), in catalog order."""

from __future__ import annotations

from geo import catalog
from layers import (
    actors,
    boundaries,
    cases,
    communities,
    concessions,
    conflicts,
    consultations,
    networks,
    water,
)
from layers.base import LayerSpec, generic_spec

#: Layers whose rows need code of their own (a module in ``layers/``).
_SPECS = {spec.name: spec for spec in (boundaries.SPEC, communities.SPEC, concessions.SPEC,
                                       water.SPEC, consultations.SPEC, networks.SPEC,
                                       cases.SPEC, actors.SPEC, actors.POSITIONS_SPEC,
                                       conflicts.SPEC)}
#: One spec per catalog layer: its module's, else the generic one (table and rows from the
#: catalog alone).
LAYERS: dict[str, LayerSpec] = {
    name: _SPECS.get(name) or generic_spec(layer) for name, layer in catalog.CATALOG.items()
}

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
