"""The bundle of derived tables one analysis produces, and its rows in the stored shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo.overlay_inputs import (
    _empty,
    _sort,
)


@dataclass
class AnalysisResult:
    """Every derived table for a set of communities (what layers.analysis stores).

    All tables are sorted by their keys; ``community_ids`` records a restriction (None for
    a full run).
    """

    communities: pd.DataFrame  # COMMUNITY_COLUMNS
    concession_overlaps: pd.DataFrame  # CONCESSION_PAIR_COLUMNS
    pressure: pd.DataFrame  # PRESSURE_COLUMNS
    neighbour_overlaps: pd.DataFrame  # NEIGHBOUR_COLUMNS
    water_in_communities: pd.DataFrame  # water_id, community_id, kind, measure, unit
    water_in_concessions: pd.DataFrame  # water_id, concession_code, kind, measure, unit
    water_at_risk: pd.DataFrame  # WATER_AT_RISK_COLUMNS
    proximity: pd.DataFrame  # PROXIMITY_COLUMNS
    consultation_membership: pd.DataFrame  # CONSULTATION_COLUMNS
    radius_m: float = 5000.0
    neighbour_min_ha: float = 0.0
    community_ids: frozenset[str] | None = None
    _groups: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict, repr=False)
    _records: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict, repr=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name (for exports, notebooks and equality checks)."""
        return {
            "communities": self.communities,
            "concession_overlaps": self.concession_overlaps,
            "pressure": self.pressure,
            "neighbour_overlaps": self.neighbour_overlaps,
            "water_in_communities": self.water_in_communities,
            "water_in_concessions": self.water_in_concessions,
            "water_at_risk": self.water_at_risk,
            "proximity": self.proximity,
            "consultation_membership": self.consultation_membership,
        }

    def for_community(self, table: str, community_id: str) -> pd.DataFrame:
        """Rows of a community-keyed table for one community (indexed once, then O(1))."""
        if table not in self._groups:
            df = self.tables()[table]
            self._groups[table] = {str(k): g for k, g in df.groupby("community_id", sort=False)}
        got = self._groups[table].get(str(community_id))
        if got is None:
            return self.tables()[table].iloc[0:0]
        return got

    def records(self, table: str, community_id: str) -> list[dict[str, Any]]:
        """Rows of a community-keyed table for one community as plain dicts (table order).

        Built once per table, so evaluating rules for 10,000 communities stays cheap.
        """
        if table not in self._records:
            grouped: dict[str, list[dict[str, Any]]] = {}
            df = self.tables()[table]
            names = [str(k) for k in df.columns]
            # column-wise .tolist() gives the Python scalars to_dict("records") gives, faster
            for values in zip(*(df[k].tolist() for k in df.columns), strict=True):
                rec = dict(zip(names, values, strict=True))
                grouped.setdefault(str(rec["community_id"]), []).append(rec)
            self._records[table] = grouped
        return self._records[table].get(str(community_id), [])

    def overlap_rows(self) -> pd.DataFrame:
        """Rows in the contract's derived ``overlap`` shape.

        Columns: community_id, other_kind (concession|community|consultation|water),
        other_id, intersection_ha, share, estimate, details (dict).
        """
        parts: list[pd.DataFrame] = []
        co = self.concession_overlaps
        parts.append(
            pd.DataFrame(
                {
                    "community_id": co["community_id"],
                    "other_kind": "concession",
                    "other_id": co["concession_code"],
                    "intersection_ha": co["intersection_ha"].astype(float),
                    "share": co["share"].astype(float),
                    "estimate": False,
                    "details": [{"state": s} for s in co["state"].tolist()],
                }
            )
        )
        px = self.proximity
        parts.append(
            pd.DataFrame(
                {
                    "community_id": px["community_id"],
                    "other_kind": "concession",
                    "other_id": px["concession_code"],
                    "intersection_ha": np.nan,
                    "share": np.nan,
                    "estimate": True,
                    "details": [
                        {"distance_m": float(d), "state": s, "radius_m": self.radius_m}
                        for d, s in zip(px["distance_m"].tolist(), px["state"].tolist(),
                                        strict=True)
                    ],
                }
            )
        )
        nb = self.neighbour_overlaps
        parts.append(
            pd.DataFrame(
                {
                    "community_id": nb["community_id"],
                    "other_kind": "community",
                    "other_id": nb["other_id"],
                    "intersection_ha": nb["intersection_ha"].astype(float),
                    "share": nb["share"].astype(float),
                    "estimate": False,
                    "details": [{} for _ in range(len(nb))],
                }
            )
        )
        cm = self.consultation_membership
        terr = dict(
            zip(self.communities["community_id"].tolist(),
                self.communities["territory_ha"].tolist(), strict=True)
        )
        parts.append(
            pd.DataFrame(
                {
                    "community_id": cm["community_id"],
                    "other_kind": "consultation",
                    "other_id": cm["consultation_id"],
                    "intersection_ha": cm["intersection_ha"].astype(float),
                    "share": [
                        (float(h) / terr[c]) if terr.get(c) and terr[c] > 0 else np.nan
                        for c, h in zip(cm["community_id"].tolist(), cm["intersection_ha"].tolist(),
                                       strict=True)
                    ],
                    "estimate": [not (terr.get(c) or 0) > 0 for c in cm["community_id"].tolist()],
                    "details": [{"inside_point": bool(p)} for p in cm["inside_point"].tolist()],
                }
            )
        )
        wc = self.water_in_communities
        risk = set(
            zip(self.water_at_risk["community_id"].tolist(),
                self.water_at_risk["water_id"].tolist(), strict=True)
        )
        parts.append(
            pd.DataFrame(
                {
                    "community_id": wc["community_id"],
                    "other_kind": "water",
                    "other_id": wc["water_id"],
                    "intersection_ha": [
                        float(m) if u == "ha" else np.nan
                        for m, u in zip(wc["measure"].tolist(), wc["unit"].tolist(), strict=True)
                    ],
                    "share": np.nan,
                    "estimate": False,
                    "details": [
                        {"kind": k, "measure": float(m), "unit": u, "in_concession": (c, w) in risk}
                        for k, m, u, c, w in zip(
                            wc["kind"].tolist(),
                            wc["measure"].tolist(),
                            wc["unit"].tolist(),
                            wc["community_id"].tolist(),
                            wc["water_id"].tolist(),
                            strict=True,
                        )
                    ],
                }
            )
        )
        parts = [p for p in parts if len(p)]
        if not parts:
            return _empty(
                [
                    "community_id",
                    "other_kind",
                    "other_id",
                    "intersection_ha",
                    "share",
                    "estimate",
                    "details",
                ]
            )
        return _sort(
            pd.concat(parts, ignore_index=True), ["community_id", "other_kind", "other_id"]
        )
