"""The one order of flags, most urgent first, defined once as data.

Every reader ranks flags alike because every ranking is derived from :data:`RANKING`:
:func:`rank_key` sorts :class:`~geo.flags.Flag` objects in Python (the rule engine, the
stored ``rank`` of a run, notebooks) and ``layers.flag_order.flag_order_by`` turns the
same terms into SQL ``ORDER BY`` clauses (``allpa flags``, ``GET /api/flags``, the map,
the dossier). A new tie-breaker is one more :class:`RankTerm`; both sides follow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Protocol, TypeVar

from geo import vocabulary as V

__all__ = [
    "RANKING",
    "SEVERITIES",
    "RankTerm",
    "most_severe",
    "rank_flags",
    "rank_key",
    "severities_at_least",
    "severity_rank",
]

#: Severities from the least to the most severe.
SEVERITIES: tuple[str, ...] = V.SEVERITY.codes
_SEV_RANK = {s: i for i, s in enumerate(SEVERITIES)}
#: Rank of a severity no rule file declares (below ``info``: ranked last, never hidden).
UNKNOWN_SEVERITY_RANK = -1

Kind = Literal["severity", "date", "number", "text"]


@dataclass(frozen=True)
class RankTerm:
    """One sort term: where its value is, what kind of value it is, which way it sorts.

    Missing values: a severity no rule declares ranks below ``info``; a missing date sorts
    last; a missing or non-numeric number counts as 0; text compares by code point
    (``COLLATE "C"`` in SQL), never by locale, so Python and PostgreSQL agree.
    """

    name: str  # a flag field, or a key of its evidence when ``evidence`` is true
    kind: Kind
    descending: bool = False
    evidence: bool = False

    def __post_init__(self) -> None:
        if self.descending and self.kind in ("date", "text"):
            raise ValueError(f"rank term {self.name!r}: {self.kind} sorts ascending only")
        if self.evidence and self.kind not in ("number", "text"):
            raise ValueError(f"rank term {self.name!r}: evidence holds numbers and text only")


#: Most severe first, then the earliest due date, then the largest share of territory
#: under concessions, then community id and rule id (a total order over current flags).
RANKING: tuple[RankTerm, ...] = (
    RankTerm("severity", "severity", descending=True),
    RankTerm("due_date", "date"),
    RankTerm("share_union", "number", descending=True, evidence=True),
    RankTerm("community_id", "text"),
    RankTerm("rule_id", "text"),
)


class Rankable(Protocol):
    """What ranking reads of a flag (:class:`geo.flags.Flag` has it)."""

    @property
    def severity(self) -> str: ...
    @property
    def due_date(self) -> date | None: ...
    @property
    def evidence(self) -> Mapping[str, Any]: ...
    @property
    def community_id(self) -> str: ...
    @property
    def rule_id(self) -> str: ...


F = TypeVar("F", bound=Rankable)


def severity_rank(severity: str | None) -> int:
    """0 for ``info`` up to 4 for ``critical``; :data:`UNKNOWN_SEVERITY_RANK` otherwise."""
    return _SEV_RANK.get(severity or "", UNKNOWN_SEVERITY_RANK)


def severities_at_least(minimum: str) -> tuple[str, ...]:
    """``minimum`` and every severity above it (``ValueError`` for an unknown one)."""
    if minimum not in _SEV_RANK:
        raise ValueError(f"unknown severity {minimum!r} (one of {', '.join(SEVERITIES)})")
    return SEVERITIES[_SEV_RANK[minimum]:]


def most_severe(severities: Iterable[str]) -> str | None:
    """The highest of ``severities`` (an unknown one counts as ``info``); None if empty."""
    known = [s if s in _SEV_RANK else "info" for s in severities]
    return max(known, key=severity_rank) if known else None


def _term_key(term: RankTerm) -> Callable[[Rankable], Any]:
    """The sort key of one term as a function of a flag (built once per term)."""
    name, descending = term.name, term.descending

    def raw(flag: Rankable) -> Any:
        return flag.evidence.get(name) if term.evidence else getattr(flag, name)

    if term.kind == "severity":
        sign = -1 if descending else 1
        return lambda flag: sign * severity_rank(raw(flag))
    if term.kind == "date":
        def when(flag: Rankable) -> Any:
            value = raw(flag)
            return (value is None, value or date.min)
        return when
    if term.kind == "number":
        def number(flag: Rankable) -> float:
            value = raw(flag)
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            x = float(value) if numeric else 0.0
            return -x if descending else x
        return number

    def text(flag: Rankable) -> str:
        value = raw(flag)
        return "" if value is None else str(value)
    return text


_TERM_KEYS = tuple(_term_key(term) for term in RANKING)


def rank_key(flag: Rankable) -> tuple[Any, ...]:
    """Sort key of :func:`rank_flags`, one part per term of :data:`RANKING`."""
    return tuple(key(flag) for key in _TERM_KEYS)


def rank_flags(flags: Iterable[F]) -> list[F]:
    """Flags most urgent first, in the order of :data:`RANKING`."""
    return sorted(flags, key=rank_key)
