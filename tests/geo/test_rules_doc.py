"""docs/ADDING_A_RULE.md lists exactly the facts of geo.rule_facts.FACTS, with their types,
so the guide a lawyer follows cannot drift from what the rule loader accepts."""

from __future__ import annotations

import re
from pathlib import Path

from geo.rule_facts import FACTS

DOC = Path(__file__).resolve().parents[2] / "docs" / "ADDING_A_RULE.md"
ROW = re.compile(r"^\| `([a-z_]+)` \| (bool|number|str|date|list) \|", re.MULTILINE)


def test_fact_table_matches_the_catalogue() -> None:
    rows = ROW.findall(DOC.read_text(encoding="utf-8"))
    documented = dict(rows)
    assert len(documented) == len(rows), "a fact is listed twice"
    assert documented == {name: spec.type for name, spec in FACTS.items()}


def test_fact_table_lists_allowed_values() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, spec in FACTS.items():
        if spec.values:
            line = next(ln for ln in text.splitlines() if ln.startswith(f"| `{name}` |"))
            for value in spec.values:
                assert f"`{value}`" in line, (name, value)
