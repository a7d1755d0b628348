"""Every source profile by name, in detection order: the official sources first (INGEMMET,
INEI, INE Bolivia, the Defensoría's conflict reports), then the Allpa templates, then
``columns`` (an explicit mapping)."""

from __future__ import annotations

from geo.profiles.base import Profile
from geo.profiles.boundaries import BO_PROFILE, INEI_PROFILE
from geo.profiles.defensoria import PROFILE as DEFENSORIA_PROFILE
from geo.profiles.ingemmet import PROFILE as INGEMMET_PROFILE
from geo.profiles.schema import LAYERS
from geo.profiles.templates import TEMPLATES

__all__ = ["PROFILES"]

COLUMNS_PROFILE = Profile(
    name="columns",
    layers=LAYERS,
    description="explicit mapping {canonical: source column} given by the caller",
)

PROFILES: dict[str, Profile] = {
    p.name: p for p in (INGEMMET_PROFILE, INEI_PROFILE, BO_PROFILE, DEFENSORIA_PROFILE, *TEMPLATES,
                      COLUMNS_PROFILE)
}
