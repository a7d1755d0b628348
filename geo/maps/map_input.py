"""The one input of every map generator: what a map shows, already filtered for its viewer.

``layers.maps.map_data`` builds it (through the one visibility rule); the interactive map
(:mod:`geo.maps.advocacy`), the print map and the dossier's small map
(:mod:`geo.maps.printmap`) and the dossier PDF (:mod:`geo.maps.dossier_pdf`) all read it, so
a new layer or field is added here once instead of to a parallel dict or tuple per output.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd

__all__ = ["FlagItems", "MapInput", "MapKind", "Overlaps"]

MapKind = Literal["network", "community"]
#: Per community id: its current flags as the viewer may read them (ranked).
FlagItems = Mapping[str, Sequence[Mapping[str, Any]]]
#: Per community id: its overlaps (concessions, water, consultations, neighbours).
Overlaps = Mapping[str, Sequence[Mapping[str, Any]]]


@dataclass(frozen=True)
class MapInput:
    """Everything one map draws (GeoDataFrames in EPSG:4326, already visibility-filtered)."""

    kind: MapKind
    key: str  # the network id, or the community id of a community map
    title: str
    communities: gpd.GeoDataFrame
    concessions: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    consultations: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame
    subtitle: str | None = None
    flags: FlagItems = field(default_factory=dict)
    overlaps: Overlaps = field(default_factory=dict)
    #: per community id: the stored pressure figures (share of territory under concessions…)
    pressure: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    sources: Sequence[str] = ()
    dem_path: str | None = None
    landcover_path: str | None = None
    #: the public view: sensitive points are generalised, popups say so
    public: bool = True
    #: drawn from the bundled FICTIONAL sample (every output says so)
    fictional: bool = False
    #: every visible administrative unit (simplified), for the print map's locator inset
    locator: gpd.GeoDataFrame | None = None

    @property
    def focus(self) -> str | None:
        """The community of a community map (outlined, its overlaps labelled); None for a
        network map."""
        return self.key if self.kind == "community" else None
