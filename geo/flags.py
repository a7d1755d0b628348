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

from geo.community_facts import as_str, community_facts, consultation_index
from geo.flag_rank import rank_flags
from geo.overlay import AnalysisResult
from geo.rule_expr import Facts
from geo.rule_files import Rule, RuleSet, load_rules
from geo.rule_text import render_template

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


def _flag(
    rule: Rule, rules: RuleSet, facts: Facts, lead_days: int | Mapping[str, int] | None
) -> Flag:
    days = facts.get("days_to_consultation")
    severity = rule.severity_for(days)
    start = facts.get("consultation_start")
    lead = _lead_for(rule, rules, lead_days)
    due = start - timedelta(days=lead) if isinstance(start, date) else None
    evidence: dict[str, Any] = {}
    for name in (*rule.evidence, *_BASE_EVIDENCE):
        if name not in evidence and (name in rule.evidence or facts.get(name) is not None):
            evidence[name] = _json_safe(facts.get(name))
    if severity != rule.severity:
        evidence["severity_base"] = rule.severity
        evidence["days_to_consultation"] = days
    if due is not None:
        evidence["lead_days"] = lead
    return Flag(
        community_id=str(facts["community_id"]),
        rule_id=rule.id,
        severity=severity,
        message_es=render_template(rule.message_es, facts, "es"),
        message_en=render_template(rule.message_en, facts, "en"),
        action_es=render_template(rule.action_es, facts, "es"),
        action_en=render_template(rule.action_en, facts, "en"),
        legal_ref=rule.legal_ref,
        evidence=evidence,
        due_date=due,
    )


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
) -> list[Flag]:
    """Evaluate a rule set over communities; returns flags ranked by :func:`rank_flags`.

    ``extra_facts`` maps a community id to its raster facts (see :func:`community_facts`).

    ``lead_days`` overrides the file's ``statute_lead_days`` (an int), or the lead of
    given rule ids (a mapping, which also beats a rule's own ``due_lead_days``).
    With ``only_country`` communities of another country (``country`` column) are skipped;
    communities missing from ``analysis`` (outside a restricted run) are skipped too.
    """
    cindex = consultation_index(consultations)
    analysed = set(analysis.communities["community_id"].astype(str))
    flags: list[Flag] = []
    records: Iterable[Mapping[str, Any]] = (
        communities.drop(columns=[communities.geometry.name]).to_dict("records")
        if hasattr(communities, "geometry")
        else communities.to_dict("records")
    )
    for rec in records:
        if str(rec.get("id")) not in analysed:
            continue
        country = as_str(rec.get("country"))
        if only_country and rules.country and country and country.upper() != rules.country:
            continue
        extra = extra_facts.get(str(rec.get("id"))) if extra_facts else None
        facts = community_facts(rec, analysis, today=today, extra=extra, _consultations=cindex)
        for rule in rules.rules:
            if rule.test(facts):
                flags.append(_flag(rule, rules, facts, lead_days))
    return rank_flags(flags)


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

