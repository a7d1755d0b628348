"""SQL orderings derived from the vocabulary's ranks, so a database ``ORDER BY`` and a Python
sort over the same coded values agree (one order, defined in :mod:`geo.vocabulary`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from geo.vocabulary import Vocabulary


def rank_case(column: sa.ColumnElement[Any], vocabulary: Vocabulary) -> sa.ColumnElement[int]:
    """``CASE column WHEN code THEN rank ... ELSE -1``: the vocabulary's order as a number
    (a code it does not know ranks below every known one, as :meth:`Vocabulary.rank`)."""
    return sa.case({code: vocabulary.rank(code) for code in vocabulary.codes}, value=column,
                   else_=-1)


def label_case(column: sa.ColumnElement[Any], vocabulary: Vocabulary, lang: str | None = "es"
               ) -> sa.ColumnElement[str]:
    """``CASE column WHEN code THEN label ... ELSE column``: what a person reads in SQL
    output (an unknown code is shown as written, as :meth:`Vocabulary.label`)."""
    return sa.case({code: vocabulary.label(code, lang) for code in vocabulary.codes},
                   value=column, else_=sa.cast(column, sa.Text))
