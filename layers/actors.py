"""Actors (companies, state agencies, community and social organisations, NGOs) and their
positions in conflicts: catalog layers without code of their own but for their tables,
which the conflicts import and the relationship graph read."""

from __future__ import annotations

from geo import catalog
from layers.base import generic_spec

SPEC = generic_spec(catalog.ACTORS)
POSITIONS_SPEC = generic_spec(catalog.POSITIONS)
actor = SPEC.table
actor_position = POSITIONS_SPEC.table
