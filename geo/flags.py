"""Flag evaluation: which communities must fix legal personality or statutes, and by when.

Applies a country's rules (:mod:`geo.rule_files`) to each community's facts
(:func:`geo.community_facts.community_facts`) and turns every rule that fires into a
:class:`Flag` with its rendered Spanish and English texts (:mod:`geo.rule_text`), evidence
and due date, ranked in the one order of :mod:`geo.flag_rank`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from geo.community_facts import (
    FactColumns,
    as_str,
    consultation_index,
    fact_columns,
    frame_source,
)
from geo.flag_rank import rank_flags
from geo.overlay import AnalysisResult
from geo.rule_expr import Facts
from geo.rule_files import Rule, RuleSet, load_rules
from geo.rule_text import render_rows

__all__ = ["Flag", "evaluate", "evaluate_all", "flags_frame"]


@dataclass(frozen=True)
class Flag:
    """One raised rule for one community (the contract's ``flag`` row)."""

    community_id: str
    rule_id: str
    severity: str
    message_es: str
    message_en: str
    action_es: str
    action_en: str
    legal_ref: str
    evidence: dict[str, Any]
    due_date: date | None


def _json_safe(v: Any) -> Any:
    t = type(v)
    if v is None or t is str or t is int or t is bool:  # the usual cases first
        return v
    if t is list and all(type(x) is str for x in v):
        return list(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return [_json_safe(x) for x in v]
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


_BASE_EVIDENCE = ("consultation_id", "consultation_name", "consultation_start", "share_union")


def _lead_for(rule: Rule, rules: RuleSet, lead_days: int | Mapping[str, int] | None) -> int:
    if isinstance(lead_days, Mapping) and rule.id in lead_days:
        return int(lead_days[rule.id])
    if rule.due_lead_days is not None:
        return rule.due_lead_days
    if isinstance(lead_days, int):
        return lead_days
    return rules.statute_lead_days


def _rule_flags(
    rule: Rule, rules: RuleSet, facts: FactColumns, rows: list[int],
    lead_days: int | Mapping[str, int] | None,
) -> list[Flag]:
    """The flags of ``rule`` for the communities at ``rows`` (where it fires), built
    column-wise: each template is rendered for all of them at once."""
    cols = facts.columns

    def take(name: str) -> list[Any]:
        values = cols.get(name)
        return [None] * len(rows) if values is None else [values[i] for i in rows]

    lead = _lead_for(rule, rules, lead_days)
    memo: dict[Any, str] = {}
    evidence_columns = [(name, take(name), name in rule.evidence)
                        for name in dict.fromkeys((*rule.evidence, *_BASE_EVIDENCE))]
    texts = [render_rows(t, cols, rows, lang) for t, lang in (
        (rule.message_es, "es"), (rule.message_en, "en"), (rule.action_es, "es"),
        (rule.action_en, "en"))]
    out: list[Flag] = []
    for k, (cid, days, start) in enumerate(zip(take("community_id"), take("days_to_consultation"),
                                               take("consultation_start"), strict=True)):
        severity = memo.get(days)
        if severity is None:
            severity = memo[days] = rule.severity_for(days)
        due = start - timedelta(days=lead) if isinstance(start, date) else None
        evidence: dict[str, Any] = {}
        for name, values, always in evidence_columns:
            if always or values[k] is not None:
                evidence[name] = _json_safe(values[k])
        if severity != rule.severity:
            evidence["severity_base"] = rule.severity
            evidence["days_to_consultation"] = days
        if due is not None:
            evidence["lead_days"] = lead
        out.append(Flag(
            community_id=str(cid),
            rule_id=rule.id,
            severity=severity,
            message_es=texts[0][k],
            message_en=texts[1][k],
            action_es=texts[2][k],
            action_en=texts[3][k],
            legal_ref=rule.legal_ref,
            evidence=evidence,
            due_date=due,
        ))
    return out


def _flag(
    rule: Rule, rules: RuleSet, facts: Facts, lead_days: int | Mapping[str, int] | None
) -> Flag:
    """The flag of ``rule`` for one community's facts (``rule`` fires on them)."""
    one = FactColumns({k: [v] for k, v in facts.items()}, 1)
    return _rule_flags(rule, rules, one, [0], lead_days)[0]


def evaluate(
    rules: RuleSet,
    communities: Any,
    analysis: AnalysisResult,
    consultations: Any = None,
    *,
    today: date,
    lead_days: int | Mapping[str, int] | None = None,
    only_country: bool = True,
    extra_facts: Mapping[str, Mapping[str, Any]] | None = None,
    ranked: bool = True,
) -> list[Flag]:
    """Evaluate a rule set over communities; returns flags ranked by :func:`rank_flags`
    (or, with ``ranked`` False, community by community in frame order, rules in file order).

    ``extra_facts`` maps a community id to its raster facts (see :func:`community_facts`).

    ``lead_days`` overrides the file's ``statute_lead_days`` (an int), or the lead of
    given rule ids (a mapping, which also beats a rule's own ``due_lead_days``).
    With ``only_country`` communities of another country (``country`` column) are skipped;
    communities missing from ``analysis`` (outside a restricted run) are skipped too.

    Column-wise: the facts of all communities are built in bulk (:func:`fact_columns`),
    each condition is tested over all of them at once, and only the rules that fire are
    rendered.
    """
    cindex = consultation_index(consultations)
    analysed = set(analysis.communities["community_id"].astype(str))
    n_all, source = frame_source(communities)
    raw_ids = source("id")
    ids = [str(v) for v in raw_ids] if raw_ids is not None else ["None"] * n_all
    raw_country = source("country")
    countries = [as_str(c) for c in raw_country] if raw_country is not None else [None] * n_all
    other_country = only_country and bool(rules.country)
    keep = [
        i for i, (cid, country) in enumerate(zip(ids, countries, strict=True))
        if cid in analysed
        and not (other_country and country and country.upper() != rules.country)
    ]
    n, sub = frame_source(communities, keep)
    facts = fact_columns(n, sub, analysis, today=today, extra_facts=extra_facts,
                         consultations=cindex)
    found: list[tuple[int, int, Flag]] = []
    for r, rule in enumerate(rules.rules):
        rows = [i for i, hit in enumerate(rule.test_columns(facts.columns, n)) if hit]
        found.extend((i, r, fl) for i, fl in zip(
            rows, _rule_flags(rule, rules, facts, rows, lead_days), strict=True))
    found.sort(key=lambda t: (t[0], t[1]))
    flags = [fl for _i, _r, fl in found]
    return rank_flags(flags) if ranked else flags


def evaluate_all(
    communities: Any,
    analysis: AnalysisResult,
    consultations: Any = None,
    *,
    today: date,
    rulesets: Sequence[RuleSet] | None = None,
    lead_days: int | Mapping[str, int] | None = None,
    extra_facts: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Flag]:
    """Evaluate every country's rules on its own communities (PE and BO by default)."""
    sets = list(rulesets) if rulesets is not None else [load_rules("PE"), load_rules("BO")]
    out: list[Flag] = []
    for rs in sets:
        out.extend(
            evaluate(rs, communities, analysis, consultations, today=today,
                     lead_days=lead_days, extra_facts=extra_facts)
        )
    return rank_flags(out)


def flags_frame(flags: Iterable[Flag]) -> pd.DataFrame:
    """Flags as a DataFrame in the contract's ``flag`` column order."""
    cols = [
        "community_id",
        "rule_id",
        "severity",
        "message_es",
        "message_en",
        "action_es",
        "action_en",
        "legal_ref",
        "evidence",
        "due_date",
    ]
    return pd.DataFrame([{c: getattr(fl, c) for c in cols} for fl in flags], columns=cols)

