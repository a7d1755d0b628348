"""A few FICTIONAL cases (trámites) of sample communities, written by code, not copied.

Deadlines (rows of ``case_deadline``, several per case) are relative to the day the sample
is loaded, so the agenda always shows one overdue deadline and some coming ones. Existing
sample records are not touched.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from layers import communities
from layers.case_tables import case_deadline
from layers.cases import COLUMNS, legal_case
from layers.versioning import write_snapshot

#: (id, community, type, stage, authority, lawyer, days to the deadline, what is due, rule)
_CASES = (
    ("TR-MUESTRA-01", "HF-001", "board_registration", "observed",
     "SUNARP – Oficina Registral de Juliaca (ficticia)", "abogada", -12,
     "Subsanar la observación registral", "PE-JUN-INSC"),
    ("TR-MUESTRA-02", "HF-002", "titling", "filed",
     "Dirección Regional Agraria (ficticia)", "abogada", 20,
     "Presentar el plano georreferenciado", "PE-TERR-TIT"),
    ("TR-MUESTRA-03", "HF-003", "mining_opposition", "preparation",
     "INGEMMET (ficticio)", "abogado2", 5, "Plazo para oponerse al petitorio", None),
    ("TR-MUESTRA-04", "HF-004", "statute_change", "intake",
     "Asamblea comunal (ficticia)", None, None, None, "PE-EST-AGUA"),
    # Bolivian procedure: Gobernación (Ley 351, D.S. 1597) for the legal personality of
    # organisations within one department, the municipality for OTBs, INRA for saneamiento
    # and TIOC titles, AJAM for oppositions and the mining prior consultation (Ley 535)
    ("TR-MUESTRA-BO-01", "BF-010", "legal_personality", "observed",
     "Gobernación del Departamento de La Paz – personalidades jurídicas (Ley 351, "
     "D.S. 1597) (ficticio)", "abogada", -9,
     "Subsanar las observaciones al estatuto y reglamento", "BO-PJ-01"),
    ("TR-MUESTRA-BO-02", "BF-029", "legal_personality", "filed",
     "Gobierno Autónomo Municipal de Achacachi – registro de OTB (ficticio)", "abogado2", 25,
     "Presentar el acta de conformación y el libro de actas", None),
    ("TR-MUESTRA-BO-03", "BF-027", "titling", "filed",
     "INRA – Dirección Departamental La Paz, saneamiento TIOC (ficticio)", "abogada", -21,
     "Presentar observaciones al informe de cierre del saneamiento", "BO-TERR-TIT"),
    ("TR-MUESTRA-BO-04", "BF-006", "mining_opposition", "preparation",
     "AJAM – Dirección Departamental La Paz (ficticia)", "abogado2", 6,
     "Plazo para oponerse a la solicitud de contrato administrativo minero", "BO-PJ-01"),
    ("TR-MUESTRA-BO-05", "BF-014", "prior_consultation", "preparation",
     "AJAM – consulta previa minera (Ley 535, arts. 207-216) (ficticia)", "abogada", 40,
     "Acreditar a los representantes para la primera reunión de consulta", "BO-EST-CONS"),
    ("TR-MUESTRA-BO-06", "BF-001", "board_registration", "intake",
     "Gobernación del Departamento de La Paz – personalidades jurídicas (ficticio)", None,
     None, None, "BO-AUT-VENC"),
)


#: A second, internal deadline of the first case (a case has several deadlines).
_EXTRA_DEADLINES = (("TR-MUESTRA-01", 9, "Reunión con la junta para revisar la subsanación",
                     "internal"),)


def sample_case_rows(today: dt.date) -> list[dict[str, Any]]:
    rows = []
    for cid, community, kind, stage, authority, lawyer, _days, _what, rule in _CASES:
        row: dict[str, Any] = dict.fromkeys(COLUMNS)
        row.update(id=cid, community_id=community, type=kind, stage=stage,
                   authority=authority, lawyer=lawyer, opened=today - dt.timedelta(days=60),
                   stage_date=today - dt.timedelta(days=15), rule_id=rule,
                   intake_who="Presidencia comunal (ficticia)", intake_role="Presidente/a",
                   intake_channel="visita", intake_date=today - dt.timedelta(days=61),
                   intake_need="Acompañamiento legal (ejemplo ficticio)", alert_ids=[],
                   sensitivity="restricted")
        rows.append(row)
    return rows


def sample_deadline_rows(today: dt.date, recorded_by: str, source: str
                         ) -> list[dict[str, Any]]:
    """The sample cases' deadlines: one legal deadline per case that has one, and more."""
    rows = [{"case_id": cid, "due": today + dt.timedelta(days=days), "what": what,
             "kind": "legal"} for cid, _c, _k, _s, _a, _l, days, what, _r in _CASES
            if days is not None]
    rows += [{"case_id": cid, "due": today + dt.timedelta(days=days), "what": what,
              "kind": kind} for cid, days, what, kind in _EXTRA_DEADLINES]
    return [{**r, "state": "open", "created_by": recorded_by, "source": source}
            for r in rows]


def load_sample_cases(conn: Connection, *, recorded_by: str, source: str,
                      today: dt.date | None = None) -> int:
    """Write the sample cases whose community exists; returns how many."""
    c = communities.community
    today = today or dt.date.today()
    present = set(conn.execute(sa.select(c.c.id).where(c.c.valid_to.is_(None))).scalars())
    rows = [r for r in sample_case_rows(today) if r["community_id"] in present]
    if rows:
        counts = write_snapshot(conn, legal_case, "id", rows, recorded_by=recorded_by,
                                batch_id=None, source=source, close_missing=False)
        new = set(counts.inserted)  # a case loaded before keeps the deadlines it has
        deadlines = [d for d in sample_deadline_rows(today, recorded_by, source)
                     if d["case_id"] in new]
        if deadlines:
            conn.execute(sa.insert(case_deadline), deadlines)
    return len(rows)
