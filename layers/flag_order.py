"""The flag ranking of :mod:`geo.flag_rank` as SQL, so every read path orders flags alike.

``allpa flags`` (:mod:`layers.flag_queries`) and the API, map and dossier
(:func:`layers.queries.flags`) order their queries with :func:`flag_order_by`, built term by
term from :data:`geo.flag_rank.RANKING`: the same order :func:`geo.flag_rank.rank_flags`
gives the same flags in Python.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from geo.flag_rank import RANKING, RankTerm
from geo.vocabulary import SEVERITY
from layers.vocabulary_sql import rank_case


def _value(term: RankTerm, flag: sa.FromClause) -> sa.ColumnElement[Any]:
    column = flag.c["evidence" if term.evidence else term.name]
    if term.kind == "severity":
        return rank_case(column, SEVERITY)
    if term.kind == "number":
        if not term.evidence:
            return sa.func.coalesce(column, 0.0)
        item = column[term.name]
        return sa.case((sa.func.jsonb_typeof(item) == "number", item.as_float()), else_=0.0)
    return column[term.name].as_string() if term.evidence else column


def flag_order_by(flag: sa.FromClause) -> list[sa.ColumnElement[Any]]:
    """ORDER BY clauses ranking rows of the ``flag`` table (or an alias of it) as
    :func:`geo.flag_rank.rank_key` ranks flags: missing dates last, text by code point."""
    clauses: list[sa.ColumnElement[Any]] = []
    for term in RANKING:
        value = _value(term, flag)
        if term.kind == "text":
            clauses.append(sa.func.coalesce(value, "").collate("C").asc())
        elif term.kind == "date":
            clauses.append(value.asc().nulls_last())
        else:
            clauses.append(value.desc() if term.descending else value.asc())
    return clauses
