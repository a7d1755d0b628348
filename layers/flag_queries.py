"""Reading current flags, ranked, with the community and district they concern."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_ES = {"critical": "crítica", "high": "alta", "medium": "media", "low": "baja",
               "info": "informativa"}


@dataclass(frozen=True)
class FlagFilter:
    network: str | None = None
    district: str | None = None
    min_severity: str | None = None
    community_id: str | None = None
    visible_sensitivities: tuple[str, ...] = ("public", "network", "restricted")


def severity_order() -> str:
    cases = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(SEVERITIES))
    return f"CASE f.severity {cases} ELSE 9 END"


def current_flags(conn: Connection, filters: FlagFilter = FlagFilter()) -> list[dict[str, Any]]:
    """Current flags ranked by severity, then due date, then community name."""
    where = ["f.valid_to IS NULL", "c.sensitivity = ANY(:sens)"]
    params: dict[str, Any] = {"sens": list(filters.visible_sensitivities)}
    if filters.network:
        where.append("c.id = ANY(SELECT unnest(members) FROM network n "
                     "WHERE n.valid_to IS NULL AND (n.id = :net OR n.name = :net))")
        params["net"] = filters.network
    if filters.district:
        where.append("(c.admin_code = :dist OR lower(b.name) = lower(:dist))")
        params["dist"] = filters.district
    if filters.min_severity:
        if filters.min_severity not in SEVERITIES:
            from geo.errors import InputError

            raise InputError(f"Severidad desconocida '{filters.min_severity}'; use "
                             f"{', '.join(SEVERITIES)} / unknown severity")
        where.append(f"{severity_order()} <= :sev")
        params["sev"] = SEVERITIES.index(filters.min_severity)
    if filters.community_id:
        where.append("f.community_id = :cid")
        params["cid"] = filters.community_id
    sql = f"""
        SELECT row_number() OVER (ORDER BY {severity_order()}, f.due_date NULLS LAST,
                                  c.name, f.rule_id) AS rank,
               f.community_id, c.name AS community, c.admin_code, b.name AS district,
               f.rule_id, f.severity, f.message_es, f.message_en, f.action_es, f.action_en,
               f.legal_ref, f.evidence, f.due_date, f.computed_at,
               ST_X(c.location) AS lon, ST_Y(c.location) AS lat
        FROM flag f
        JOIN community c ON c.id = f.community_id AND c.valid_to IS NULL
        LEFT JOIN boundary b ON b.valid_to IS NULL AND b.code = c.admin_code
             AND b.level IN ('district', 'municipality')
        WHERE {' AND '.join(where)}
        ORDER BY rank
    """
    return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]
