"""Column-wise rule evaluation gives exactly what one community at a time gives.

The rule engine builds every community's facts as columns and tests each condition over
all of them at once (``Rule.test_columns``); these tests hold it to the scalar semantics
(``Rule.test`` on one facts dict) on adversarial values (unknowns, NaN, empty lists,
mixed types) and end to end (:func:`geo.flags.evaluate` on a frame equals evaluating each
community alone).
"""

from __future__ import annotations

import itertools
import math
import random
from datetime import date, timedelta
from typing import Any

import pytest

from geo.community_facts import FactColumns
from geo.flag_rank import rank_flags
from geo.flags import evaluate
from geo.rule_expr import parse_condition
from geo.rule_facts import FACTS
from geo.rule_files import load_rules
from geo.rule_text import render_rows, render_template
from tests.geo.test_flags import TODAY, _scenario

# values a fact of each type may hold, unknowns and oddities included
SAMPLES: dict[str, list[Any]] = {
    "bool": [True, False, None],
    "number": [None, 0, 1, -1, 10, 10.5, 0.5, float("nan"), 4500, 4501.0],
    "str": [None, "registered", "in_process", "none", "titled", "", "PE"],
    "date": [None, date(2025, 1, 1), date(2027, 12, 31)],
    "list": [None, [], ["010000001"], ["a", "b"]],
}

CONDITIONS = [
    "clause_territory != true",
    "clause_territory == none",
    "share_union > 0.5",
    "not (share_union > 0.5)",
    "share_union >= 0.5 and concession_count > 1",
    "true or false and false",
    'legal_status in ["none", "in_process"]',
    'legal_status not in ["none", "in_process"]',
    '"010000001" in concession_codes',
    '"010000001" not in concession_codes',
    "in_consultation",
    "not in_consultation or georeferenced",
    "days_to_consultation <= -1",
    "board_term_end == none or board_days_left < 30",
    "board_term_end < today",
    "neighbour_overlap_ha == 10.5",
]


def _random_rows(names: set[str], n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [{k: rng.choice(SAMPLES.get(FACTS[k].type, [None])) for k in sorted(names)}
            for _ in range(n)]


def _columns(rows: list[dict[str, Any]]) -> tuple[dict[str, list[Any]], int]:
    names = set(itertools.chain.from_iterable(rows))
    return {k: [r.get(k) for r in rows] for k in names}, len(rows)


@pytest.mark.parametrize("condition", CONDITIONS)
def test_condition_columns_equal_rows(condition: str) -> None:
    cond = parse_condition(condition, FACTS)
    rows = _random_rows(set(cond.facts_used) | {"today"}, 400, seed=len(condition))
    for row in rows:
        row["today"] = date(2026, 1, 1)
    cols, n = _columns(rows)
    assert cond.test_columns(cols, n) == [cond.test(r) for r in rows]
    # a fact missing from the columns reads as unknown, as a missing key does
    assert cond.test_columns({}, 3) == [cond.test({})] * 3


@pytest.mark.parametrize("country", ["PE", "BO"])
def test_rule_columns_equal_rows(country: str) -> None:
    for rule in load_rules(country):
        rows = _random_rows(set(rule.facts_used), 600, seed=sum(map(ord, rule.id)))
        cols, n = _columns(rows)
        got = rule.test_columns(cols, n)
        assert got == [rule.test(r) for r in rows], rule.id
        assert any(got) or not rows, f"{rule.id} never fired on the samples"


def test_render_rows_equal_render_template() -> None:
    rows = [
        {"name": "Uno", "share_union": 0.256, "concession_ha_union": 12.34, "radius_km": 5.0,
         "clause_territory": None, "in_consultation": True, "consultation_start": date(2025, 9, 1),
         "concession_codes": ["a", "b"], "water_in_concession_ids": []},
        {"name": "Dos {x}", "share_union": float("nan"), "concession_ha_union": None,
         "radius_km": 2.5, "clause_territory": False, "in_consultation": False,
         "consultation_start": None, "concession_codes": [], "water_in_concession_ids": ["M1"]},
    ]
    cols, _n = _columns(rows)
    for country in ("PE", "BO"):
        for rule in load_rules(country):
            for text, lang in ((rule.message_es, "es"), (rule.message_en, "en"),
                               (rule.action_es, "es"), (rule.action_en, "en")):
                assert render_rows(text, cols, [1, 0], lang) == [
                    render_template(text, rows[1], lang), render_template(text, rows[0], lang)]
    braces = "{share_union:.1%} {{literal}} {name} {radius_km:.0f} {nope}"
    assert render_rows(braces, cols, [0, 1], "es") == [
        "25.6% {literal} Uno 5 no consta", "no consta {literal} Dos {x} 2 no consta"]


@pytest.mark.parametrize("days", [-400, -10, 0, 50, 200])
def test_evaluate_frame_equals_one_community_at_a_time(days: int) -> None:
    comm, res, cons = _scenario()
    today = TODAY + timedelta(days=days)
    for country in ("PE", "BO"):
        rules = load_rules(country)
        together = evaluate(rules, comm, res, cons, today=today)
        alone = [f for i in range(len(comm))
                 for f in evaluate(rules, comm.iloc[[i]], res, cons, today=today)]
        assert together == rank_flags(alone)
        assert together, country
        # unranked: community by community, each one's rules in file order
        assert evaluate(rules, comm, res, cons, today=today, ranked=False) == [
            f for i in range(len(comm))
            for f in evaluate(rules, comm.iloc[[i]], res, cons, today=today, ranked=False)]


def test_fact_row_reads_its_column() -> None:
    facts = FactColumns({"name": ["a", "b"], "share_union": [0.1, math.inf]}, 2)
    row = facts.row(1)
    assert dict(row) == {"name": "b", "share_union": math.inf}
    assert row.get("missing") is None and row["name"] == "b" and len(row) == 2
