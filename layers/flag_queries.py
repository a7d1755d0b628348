"""Reading current flags, ranked, with the community and district they concern."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.flag_rank import SEVERITIES, severities_at_least
from geo.rule_files import Rule, load_rules
from geo.rule_text import render_template
from layers.boundaries import boundary
from layers.communities import community
from layers.derived_tables import flag
from layers.flag_order import flag_order_by
from layers.networks import network
from layers.visibility import REDACTED, scrub


@dataclass(frozen=True)
class FlagFilter:
    network: str | None = None
    district: str | None = None
    min_severity: str | None = None
    community_id: str | None = None
    visible_sensitivities: tuple[str, ...] = ("public", "network", "restricted")


def current_flags(conn: Connection, filters: FlagFilter = FlagFilter()) -> list[dict[str, Any]]:
    """Current flags in the one ranking (:mod:`geo.flag_rank`), numbered from 1, with the
    community and district they concern."""
    f, c, b, n = flag, community, boundary, network
    where: list[sa.ColumnElement[bool]] = [
        f.c.valid_to.is_(None), c.c.sensitivity.in_(filters.visible_sensitivities)]
    if filters.network:
        where.append(c.c.id.in_(sa.select(sa.func.unnest(n.c.members)).where(
            n.c.valid_to.is_(None),
            sa.or_(n.c.id == filters.network, n.c.name == filters.network))))
    if filters.district:
        where.append(sa.or_(c.c.admin_code == filters.district,
                            sa.func.lower(b.c.name) == sa.func.lower(filters.district)))
    if filters.min_severity:
        if filters.min_severity not in SEVERITIES:
            from geo.errors import InputError

            raise InputError(f"Severidad desconocida '{filters.min_severity}'; use "
                             f"{', '.join(reversed(SEVERITIES))} / unknown severity")
        where.append(f.c.severity.in_(severities_at_least(filters.min_severity)))
    if filters.community_id:
        where.append(f.c.community_id == filters.community_id)
    order = flag_order_by(f)
    query = (sa.select(
        sa.func.row_number().over(order_by=order).label("rank"),
        f.c.community_id, c.c.name.label("community"), c.c.admin_code,
        b.c.name.label("district"), f.c.rule_id, f.c.severity, f.c.message_es, f.c.message_en,
        f.c.action_es, f.c.action_en, f.c.legal_ref, f.c.evidence, f.c.due_date,
        f.c.computed_at, sa.func.ST_X(c.c.location).label("lon"),
        sa.func.ST_Y(c.c.location).label("lat"))
        .select_from(f.join(c, sa.and_(c.c.id == f.c.community_id, c.c.valid_to.is_(None)))
                     .outerjoin(b, sa.and_(b.c.valid_to.is_(None), b.c.code == c.c.admin_code,
                                           b.c.level.in_(("district", "municipality")))))
        .where(*where)
        .order_by(*order))
    return [dict(r) for r in conn.execute(query).mappings()]


# --- flags as one viewer may read them ------------------------------------------------------

#: Evidence numbers that count records without listing them (they may count hidden ones).
UNLISTED_COUNTS = ("water_count", "neighbour_overlap_total_ha", "neighbour_overlap_ha",
                   "neighbour_max_id")

#: Community columns a re-rendered message may name (the flagged community is visible).
_COMMUNITY_FACTS = ("name", "title_status", "legal_status", "registry_entry",
                    "registration_date", "statute_adopted", "statute_modified",
                    "clause_territory", "clause_water", "clause_environment",
                    "clause_consultation", "clause_women", "board_elected", "board_term_end",
                    "board_registered")


@functools.lru_cache(maxsize=1)
def _rules() -> dict[str, Rule]:
    return {r.id: r for country in ("PE", "BO") for r in load_rules(country).rules}


def _filter_value(value: Any, hidden: set[str], pattern: re.Pattern[str]
                  ) -> tuple[Any, bool, bool]:
    """(value without hidden records, whether anything was removed, whether a list that
    named hidden records is left empty)."""
    if isinstance(value, str):
        if value in hidden:
            return None, True, False
        scrubbed = scrub(value, pattern)
        return scrubbed, scrubbed != value, False
    if isinstance(value, list):
        kept = [v for v in value if not (isinstance(v, str) and v in hidden)]
        out, changed, emptied = [], len(kept) != len(value), False
        for v in kept:
            fv, ch, em = _filter_value(v, hidden, pattern)
            out.append(fv)
            changed, emptied = changed or ch, emptied or em
        return out, changed, emptied or (bool(value) and not out)
    if isinstance(value, dict):
        res: dict[str, Any] = {}
        changed = emptied = False
        for k, v in value.items():
            fv, ch, em = _filter_value(v, hidden, pattern)
            res[k] = fv
            changed, emptied = changed or ch, emptied or em
        return res, changed, emptied
    return value, False, False


def _render_text(template: str, facts: dict[str, Any], lang: str) -> str:
    return render_template(template, facts, lang)


def flag_for_viewer(item: dict[str, Any], *, hidden: set[str],
                    pattern: re.Pattern[str] | None, lang: str,
                    community: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A stored flag as this viewer may read it, or None when it exists only because of
    records the viewer may not see.

    Stored messages were rendered with every record in view; when the evidence or the text
    names a hidden record, the message and action are rendered again from the rule's
    template with the hidden records taken out of the evidence (and out of the counts), so
    a hidden record is never named or counted.
    """
    if pattern is None:
        return item
    evidence = dict(item.get("evidence") or {})
    for name in UNLISTED_COUNTS:
        evidence.pop(name, None)
    filtered, changed, emptied = _filter_value(evidence, hidden, pattern)
    texts = f"{item.get('message') or ''}\n{item.get('action') or ''}"
    if not changed and not pattern.search(texts):
        return {**item, "evidence": filtered}
    if emptied:
        return None
    rule = _rules().get(str(item.get("rule_id")))
    facts: dict[str, Any] = {k: (community or {}).get(k) for k in _COMMUNITY_FACTS}
    facts.update(filtered)
    for key, value in filtered.items():
        if isinstance(value, list) and key.endswith(("_ids", "_codes")):
            facts.setdefault(key.rsplit("_", 1)[0] + "_count", len(value))
            facts[key.rsplit("_", 1)[0] + "_count"] = len(value)
    out = {**item, "evidence": filtered}
    for field_name, attr in (("message", f"message_{lang}"), ("action", f"action_{lang}")):
        # a rule no longer in the rule files has no template: its stored text, scrubbed
        text = _render_text(getattr(rule, attr), facts, lang) if rule \
            else scrub(str(item.get(field_name) or ""), pattern)
        if not text or pattern.search(text):
            text = (rule.title_en if lang == "en" else rule.title_es) if rule else ""
            text = scrub(text, pattern) if text else REDACTED
        out[field_name] = text
    return out
