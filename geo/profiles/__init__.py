"""Source profiles: from the columns a source really has to Allpa's canonical layer frames.

A profile only chooses *which* source column feeds each canonical field (plus a few
source-specific rules such as INGEMMET states or INEI levels); the canonical fields come from
the layer catalog (:mod:`geo.catalog`) and their values are parsed the same way for every
source. Split by job: :mod:`~geo.profiles.values` (value parsing),
:mod:`~geo.profiles.schema` (canonical fields), one module per source profile
(:mod:`~geo.profiles.ingemmet`, :mod:`~geo.profiles.boundaries`,
:mod:`~geo.profiles.templates`), :mod:`~geo.profiles.registry` and
:mod:`~geo.profiles.apply`.
"""

from __future__ import annotations

from geo.profiles.apply import apply_profile, detect_profile, parse_value
from geo.profiles.base import Profile, ProfileResult
from geo.profiles.ingemmet import ingemmet_state
from geo.profiles.registry import PROFILES
from geo.profiles.schema import CANONICAL_COLUMNS, FIELDS, KEY_COLUMNS, LAYERS, FieldSpec
from geo.profiles.values import normalise_name, parse_bool, parse_date, parse_float

__all__ = [
    "CANONICAL_COLUMNS",
    "FIELDS",
    "KEY_COLUMNS",
    "LAYERS",
    "PROFILES",
    "FieldSpec",
    "Profile",
    "ProfileResult",
    "apply_profile",
    "detect_profile",
    "ingemmet_state",
    "normalise_name",
    "parse_bool",
    "parse_date",
    "parse_float",
    "parse_value",
]
