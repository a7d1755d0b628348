"""The SQL ORDER BY built from geo.flag_rank.RANKING orders stored flags exactly as
geo.flag_rank.rank_flags orders the same flags in Python, on the values where the two could
part: unknown severities, missing due dates, missing or non-numeric shares, equal shares,
and ids that a locale collation would sort differently from code points (the ORDER BY says
COLLATE "C"; this cluster's databases are C.UTF-8, where that changes nothing)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.flag_rank import RANKING, most_severe, rank_flags, severities_at_least
from geo.flags import Flag
from layers.derived_tables import analysis_run, flag
from layers.flag_order import flag_order_by

SEVERITIES = ("critical", "info", "urgentísima", "medium")
DUES = (None, dt.date(2027, 1, 2), dt.date(2026, 12, 31))
SHARES: tuple[Any, ...] = (0.25, 0.1 + 0.2, 0.30000000000000004, None, "0.9", True, 0, 1e-7)
COMMUNITIES = ("pe_b", "PE-B", "Pe-a", "PE B", "ñandú", "Z")
RULES = ("R-2", "r-10", "R_1")


def _rows(run_id: int) -> list[dict[str, Any]]:
    rows = []
    combos = itertools.product(SEVERITIES, DUES, SHARES, COMMUNITIES, RULES)
    for n, (sev, due, share, cid, rule) in enumerate(combos):
        if n % 7:  # a spread of combinations, not all 1,728 of them
            continue
        evidence = {} if share is None else {"share_union": share}
        rows.append({"run_id": run_id, "community_id": cid, "rule_id": f"{rule}-{n}",
                     "severity": sev, "message_es": "m", "message_en": "m",
                     "evidence": evidence, "due_date": due})
    return rows


def test_sql_order_is_rank_flags_order(conn: Connection) -> None:
    run_id = conn.execute(sa.insert(analysis_run).values(mode="full", recorded_by="pytest")
                          .returning(analysis_run.c.id)).scalar_one()
    conn.execute(sa.insert(flag), _rows(run_id))
    fields = list(Flag.__dataclass_fields__)
    in_sql = [Flag(**{k: r[k] for k in fields}) for r in conn.execute(
        sa.select(flag).where(flag.c.run_id == run_id)
        .order_by(*flag_order_by(flag), flag.c.id)).mappings()]
    assert len(in_sql) > 200
    assert [(f.community_id, f.rule_id) for f in in_sql] == [
        (f.community_id, f.rule_id) for f in rank_flags(reversed(in_sql))]
    # every term matters: the order is not merely the first terms' order
    assert [t.name for t in RANKING] == ["severity", "due_date", "share_union",
                                         "community_id", "rule_id"]
    assert in_sql[0].severity == "critical" and in_sql[-1].severity == "urgentísima"


def test_severity_helpers() -> None:
    assert severities_at_least("high") == ("high", "critical")
    assert most_severe(["low", "urgentísima", "high", "medium"]) == "high"
    assert most_severe(["urgentísima"]) == "info" and most_severe([]) is None
