"""What a source profile is: where a source keeps each canonical field and how to recognise
the source from its columns, plus the result of applying one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.validity import Rejection
from geo.vocabulary import normalise_name

__all__ = ["Hook", "Profile", "ProfileResult", "find_column", "find_series", "signature",
           "template_aliases"]


@dataclass
class ProfileResult:
    """Canonical frame (index = raw row labels) plus the rows left out and why."""

    frame: gpd.GeoDataFrame
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    profile: str = ""


Hook = Callable[[pd.DataFrame, dict[str, pd.Series], dict[str, Any], list[str]], None]


@dataclass(frozen=True)
class Profile:
    """Where a source keeps each canonical field, and how to recognise the source."""

    name: str
    layers: tuple[str, ...]
    description: str
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    signatures: tuple[frozenset[str], ...] = ()
    hook: Hook | None = None

    def matches(self, columns: Iterable[str]) -> bool:
        names = {normalise_name(c) for c in columns}
        return any(sig <= names for sig in self.signatures)


def signature(*names: str) -> frozenset[str]:
    return frozenset(normalise_name(n) for n in names)


def find_column(raw: pd.DataFrame, *names: str) -> str | None:
    """The raw column matching any of ``names`` (case/accent-insensitive), else None."""
    lookup = {normalise_name(c): c for c in raw.columns if c != "geometry"}
    return next((lookup[normalise_name(n)] for n in names if normalise_name(n) in lookup), None)


def find_series(raw: pd.DataFrame, *names: str) -> pd.Series | None:
    col = find_column(raw, *names)
    return raw[col] if col is not None else None



def template_aliases(spanish: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """An Allpa template reads each field under its English or its Spanish header."""
    return {en: (en, es) for en, es in spanish.items()}
