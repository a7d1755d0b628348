"""Rule files: where each country's file lives, and how it is read and checked.

Rules are data (``geo/rules/<country>.toml``) so lawyers can edit wording, thresholds and
legal references without touching code (see ``docs/ADDING_A_RULE.md``). Everything about a
rule file is checked at load time (unknown keys, severities, condition syntax, unknown fact
names, literal types and enum values, template placeholders), raising
:class:`RuleFileError` naming the file and the rule.

Only the standard library and our pure rule modules are imported here (no pandas), so a
command that only needs the files' bytes, such as an analysis with nothing to do, stays
cheap to start.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo import vocabulary
from geo.deadlines import ResponseDeadline, WorkCalendar, parse_calendar, parse_deadlines
from geo.errors import InputError
from geo.flag_rank import SEVERITIES, severity_rank
from geo.rule_expr import Columns, ConditionError, Evaluator, parse_condition, suggest
from geo.rule_facts import FACTS
from geo.rule_text import template_fields

__all__ = [
    "COUNTRY_FILES",
    "RULES_DIR",
    "RULE_COUNTRIES",
    "Escalation",
    "Rule",
    "RuleFileError",
    "RuleSet",
    "country_rule_file",
    "load_rules",
    "parse_rules",
    "rules_path",
]


RULES_DIR = Path(__file__).with_name("rules")

#: Country code or name (lower case) → rule file stem in ``RULES_DIR``.
COUNTRY_FILES = {
    "pe": "peru",
    "peru": "peru",
    "perú": "peru",
    "bo": "bolivia",
    "bolivia": "bolivia",
}

#: The countries that have a rule file (ISO 3166-1 alpha-2).
RULE_COUNTRIES = ("BO", "PE")


def country_rule_file(country: str) -> Path | None:
    """The bundled rule file of ``country`` (``"PE"``, ``"bolivia"``…), None if there is none."""
    stem = COUNTRY_FILES.get(country.strip().lower())
    return RULES_DIR / f"{stem}.toml" if stem else None


class RuleFileError(InputError):
    """A rule file is malformed; names the file and the rule so a lawyer can fix it.

    An :class:`~geo.errors.InputError`, hence also a ``ValueError``.
    """

    code = "invalid_rules"

    def __init__(self, source: str, rule_id: str | None, message: str) -> None:
        self.source, self.rule_id, self.detail = source, rule_id, message
        where = f"{source}" + (f", rule {rule_id!r}" if rule_id else "")
        super().__init__(f"{where}: {message}", source=source, rule_id=rule_id)



@dataclass(frozen=True)
class Escalation:
    """Raise a rule's severity once the consultation starts within ``within_days``."""

    within_days: int
    severity: str


@dataclass(frozen=True)
class Rule:
    """One rule as written in the TOML file (plus its compiled condition)."""

    id: str
    severity: str
    condition: str
    message_es: str
    message_en: str
    action_es: str
    action_en: str
    legal_ref: str
    evidence: tuple[str, ...] = ()
    due_lead_days: int | None = None
    escalate: tuple[Escalation, ...] = ()
    title_es: str = ""
    title_en: str = ""
    #: the case type (``geo.vocabulary.CASE_TYPE``) an editor opens to address this flag
    case_type: str | None = None
    facts_used: frozenset[str] = frozenset()
    test: Evaluator = field(default=lambda _f: False, compare=False, repr=False)
    #: ``test`` over many communities' facts as columns (one truth value per row)
    test_columns: Callable[[Columns, int], list[bool]] = field(
        default=lambda _c, n: [False] * n, compare=False, repr=False)

    def severity_for(self, days_to_consultation: int | None) -> str:
        """Severity after escalation (the most severe step whose window has been reached)."""
        sev = self.severity
        if days_to_consultation is None:
            return sev
        for step in self.escalate:
            if (
                days_to_consultation <= step.within_days
                and severity_rank(step.severity) > severity_rank(sev)
            ):
                sev = step.severity
        return sev


@dataclass(frozen=True)
class RuleSet:
    """The rules of one country with their defaults and provenance."""

    country: str
    source: str
    rules: tuple[Rule, ...]
    statute_lead_days: int = 120
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: response deadlines of cadastre alerts (``[[deadline]]``) and the business-day calendar
    deadlines: tuple[ResponseDeadline, ...] = ()
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    def deadline_for(self, change_kind: str) -> ResponseDeadline | None:
        """The response deadline of a kind of cadastre change, if the file gives one."""
        return next((d for d in self.deadlines if d.change_kind == change_kind), None)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def by_id(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


_TOP_KEYS = {"meta", "defaults", "rule", "deadline", "calendar"}
_META_KEYS = {"country", "name_es", "name_en", "version", "note_es", "note_en", "reviewed"}
_DEFAULT_KEYS = {"statute_lead_days"}
_RULE_REQUIRED = {
    "id",
    "severity",
    "condition",
    "message_es",
    "message_en",
    "action_es",
    "action_en",
    "legal_ref",
}
_RULE_OPTIONAL = {"evidence", "due_lead_days", "escalate", "title_es", "title_en",
                  "case_type"}
_ESC_KEYS = {"within_days", "severity"}


def _resolve_path(country: str | Path) -> Path:
    if isinstance(country, Path):
        return country
    bundled = country_rule_file(country)
    if bundled is not None:
        return bundled
    path = Path(country)
    if path.suffix == ".toml" or path.exists():
        return path
    raise RuleFileError(country, None, "unknown country (use PE/peru, BO/bolivia or a .toml path)")


def load_rules(country: str | Path) -> RuleSet:
    """Load and fully validate a country's rule file (``"PE"``, ``"bolivia"`` or a path)."""
    path = _resolve_path(country)
    src = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleFileError(src, None, "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(src, None, f"not valid TOML: {exc}") from None
    return parse_rules(data, source=src)


def parse_rules(data: Mapping[str, Any], *, source: str = "<rules>") -> RuleSet:
    """Validate an already-parsed rules document (used by :func:`load_rules` and tests)."""
    extra = set(data) - _TOP_KEYS
    if extra:
        raise RuleFileError(source, None, f"unknown top-level keys: {', '.join(sorted(extra))}")
    meta = dict(data.get("meta", {}))
    bad = set(meta) - _META_KEYS
    if bad:
        raise RuleFileError(source, None, f"unknown [meta] keys: {', '.join(sorted(bad))}")
    defaults = dict(data.get("defaults", {}))
    bad = set(defaults) - _DEFAULT_KEYS
    if bad:
        raise RuleFileError(source, None, f"unknown [defaults] keys: {', '.join(sorted(bad))}")
    lead = defaults.get("statute_lead_days", 120)
    if not isinstance(lead, int) or isinstance(lead, bool) or lead < 0:
        raise RuleFileError(
            source, None, "[defaults] statute_lead_days must be a non-negative integer"
        )
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list) or not raw_rules:
        raise RuleFileError(source, None, "no [[rule]] tables")
    rules: list[Rule] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_rules, start=1):
        rule = _parse_rule(raw, source, n)
        if rule.id in seen:
            raise RuleFileError(source, rule.id, "duplicate rule id")
        seen.add(rule.id)
        rules.append(rule)
    country = str(meta.get("country", "")).upper()

    def fail(rule_id: str | None, message: str) -> RuleFileError:
        return RuleFileError(source, rule_id, message)

    return RuleSet(
        country=country, source=source, rules=tuple(rules), statute_lead_days=lead, meta=meta,
        deadlines=parse_deadlines(data.get("deadline"), fail),
        calendar=parse_calendar(data.get("calendar"), fail),
    )


def _parse_rule(raw: Any, source: str, n: int) -> Rule:
    if not isinstance(raw, dict):
        raise RuleFileError(source, f"#{n}", "a [[rule]] must be a table")
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid.strip():
        raise RuleFileError(source, f"#{n}", "missing or empty 'id'")

    def fail(msg: str) -> RuleFileError:
        return RuleFileError(source, rid, msg)

    unknown = set(raw) - _RULE_REQUIRED - _RULE_OPTIONAL
    if unknown:
        raise fail(f"unknown keys: {', '.join(sorted(unknown))}")
    missing = _RULE_REQUIRED - set(raw)
    if missing:
        raise fail(f"missing keys: {', '.join(sorted(missing))}")
    for key in (*sorted(_RULE_REQUIRED), "title_es", "title_en"):
        if key in raw and not isinstance(raw[key], str):
            raise fail(f"{key!r} must be a string")
    severity = raw["severity"]
    if severity not in SEVERITIES:
        raise fail(f"bad severity {severity!r} (one of {', '.join(SEVERITIES)})")
    try:
        cond = parse_condition(raw["condition"], FACTS)
    except ConditionError as exc:
        raise fail(f"condition {raw['condition']!r}: {exc}") from None
    if not cond.is_test:
        raise fail(f"condition {raw['condition']!r} is not a true/false test")
    evidence = raw.get("evidence", [])
    if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
        raise fail("'evidence' must be a list of fact names")
    for name in evidence:
        if name not in FACTS:
            raise fail(f"evidence names unknown fact {name!r}{suggest(name, FACTS)}")
    for key in ("message_es", "message_en", "action_es", "action_en", "title_es", "title_en"):
        try:
            for name in template_fields(raw.get(key, "")):
                if name not in FACTS:
                    raise ConditionError(f"unknown fact {name!r}{suggest(name, FACTS)}")
        except (ConditionError, ValueError) as exc:
            raise fail(f"{key}: {exc}") from None
    lead = raw.get("due_lead_days")
    if lead is not None and (not isinstance(lead, int) or isinstance(lead, bool) or lead < 0):
        raise fail("'due_lead_days' must be a non-negative integer")
    case_type = raw.get("case_type")
    if case_type is not None and case_type not in vocabulary.CASE_TYPE.codes:
        raise fail(f"case_type {case_type!r} is not a case type (one of "
                   f"{', '.join(vocabulary.CASE_TYPE.codes)})")
    steps: list[Escalation] = []
    esc = raw.get("escalate", [])
    if not isinstance(esc, list):
        raise fail("'escalate' must be a list of tables ([[rule.escalate]])")
    for step in esc:
        if not isinstance(step, dict):
            raise fail("each [[rule.escalate]] must be a table")
        if set(step) != _ESC_KEYS:
            got = ", ".join(sorted(step))
            raise fail(f"[[rule.escalate]] needs exactly within_days and severity (got {got})")
        days, sev = step["within_days"], step["severity"]
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            raise fail("escalate.within_days must be a non-negative integer")
        if sev not in SEVERITIES:
            raise fail(f"bad escalate severity {sev!r} (one of {', '.join(SEVERITIES)})")
        if severity_rank(sev) < severity_rank(severity):
            raise fail(f"escalation to {sev!r} would lower the severity {severity!r}")
        steps.append(Escalation(days, sev))
    return Rule(
        id=rid,
        severity=severity,
        condition=raw["condition"],
        message_es=raw["message_es"],
        message_en=raw["message_en"],
        action_es=raw["action_es"],
        action_en=raw["action_en"],
        legal_ref=raw["legal_ref"],
        evidence=tuple(evidence),
        due_lead_days=lead,
        escalate=tuple(sorted(steps, key=lambda s: -s.within_days)),
        title_es=raw.get("title_es", ""),
        title_en=raw.get("title_en", ""),
        case_type=case_type,
        facts_used=cond.facts_used,
        test=cond.test,
        test_columns=cond.test_columns,
    )


def rules_path(country: str | Path) -> Path:
    """The rule file used for a country (its bytes fingerprint an analysis run)."""
    return _resolve_path(country)
