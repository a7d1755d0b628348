"""Map and dossier test fixtures: the analysed map world (see tests/maps_world.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from layers.config import Settings
from tests.maps_world import MapWorld, map_world_fixture


@pytest.fixture(scope="session")
def map_world(settings: Settings) -> Iterator[MapWorld]:
    yield from map_world_fixture(settings, "maps")
