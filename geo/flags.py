"""Flag rule engine: which communities must fix legal personality or statutes, and by when.

Rules are data (``geo/rules/<country>.toml``) so lawyers can edit wording, thresholds and
legal references without touching code. A rule's ``condition`` is written in a tiny, safe
expression language (no Python ``eval``) over a per-community *facts* dict built from the
community record and an :class:`~geo.overlay.AnalysisResult`:

    legal_status != "registered" and (under_pressure or in_consultation)
    clause_water != true and water_in_concession_count > 0
    neighbour_overlap_ha > 10

Grammar: ``or`` / ``and`` / ``not``; comparisons ``== != < <= > >=``; ``in`` / ``not in``
(against a ``[list]`` literal or a list fact); numbers, ``"strings"``, ``true``, ``false``,
``none``; parentheses; fact names. A fact alone is read as a truth value. Unknown values
(``none``) compare equal only to ``none`` and make every ordering comparison false, so
``clause_territory != true`` fires for "no" *and* for "not on record" (the message then
says "no consta").

Everything about a rule file is checked at load time (unknown keys, severities, syntax,
unknown fact names, literal types and enum values, template placeholders), raising
:class:`RuleFileError` naming the file and the rule.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import string
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import InputError
from geo.flag_rank import SEVERITIES, rank_flags, rank_key, severity_rank
from geo.overlay import PRESSURE_STATES, AnalysisResult
from geo.rule_files import RULES_DIR, country_rule_file

__all__ = [
    "FACTS",
    "RASTER_FACTS",
    "RULES_DIR",
    "SEVERITIES",
    "Escalation",
    "FactSpec",
    "Flag",
    "Rule",
    "RuleFileError",
    "RuleSet",
    "community_facts",
    "compile_condition",
    "evaluate",
    "evaluate_all",
    "flags_frame",
    "load_rules",
    "parse_rules",
    "rank_flags",
    "rank_key",
]



# ------------------------------------------------------------------------ fact catalogue


@dataclass(frozen=True)
class FactSpec:
    """A fact rules may use: its type (for load-time checks), allowed values, meaning."""

    type: str  # bool | number | str | date | list
    doc: str
    values: tuple[str, ...] | None = None


_LEGAL = ("none", "in_process", "registered")
_TITLE = ("titled", "recognised_untitled", "unrecognised")
_KIND = (
    "comunidad_campesina",
    "comunidad_nativa",
    "ayllu",
    "asociacion",
    "junta_vecinal",
    "tioc",
    "otro",
)
_STAGE = (
    "announced",
    "planning",
    "information",
    "internal_evaluation",
    "dialogue",
    "decision",
    "closed",
)

#: Every fact a rule condition, evidence list or message template may name.
FACTS: dict[str, FactSpec] = {
    # identity
    "community_id": FactSpec("str", "stable community id"),
    "name": FactSpec("str", "community name"),
    "kind": FactSpec("str", "kind of community", _KIND),
    "country": FactSpec("str", "PE or BO", ("PE", "BO")),
    "today": FactSpec("date", "evaluation date"),
    # land and title
    "title_status": FactSpec("str", "title status", _TITLE),
    "title_status_es": FactSpec("str", "title status in Spanish (for messages)"),
    "official_area_ha": FactSpec("number", "official area (ha) as recorded"),
    "georeferenced": FactSpec("bool", "a territory polygon is known (not only a point)"),
    "estimate": FactSpec("bool", "figures are radius estimates (point-only community)"),
    "territory_ha": FactSpec("number", "geodesic territory area (ha); none if point-only"),
    # legal personality and statute
    "legal_status": FactSpec("str", "legal personality status", _LEGAL),
    "legal_status_es": FactSpec("str", "legal personality status in Spanish (for messages)"),
    "registry_entry": FactSpec("str", "registry entry (SUNARP partida)"),
    "registration_date": FactSpec("date", "registration date"),
    "statute_known": FactSpec("bool", "a statute adoption date is on record"),
    "statute_adopted": FactSpec("date", "statute adopted on"),
    "statute_modified": FactSpec("date", "statute last modified on"),
    "clause_territory": FactSpec("bool", "statute protects the territory (none = no consta)"),
    "clause_water": FactSpec("bool", "statute covers water / natural resources"),
    "clause_environment": FactSpec("bool", "statute covers the environment"),
    "clause_consultation": FactSpec("bool", "statute rules representation in consultations"),
    "clause_women": FactSpec("bool", "statute guarantees women's participation"),
    # board
    "board_elected": FactSpec("date", "board elected on"),
    "board_term_end": FactSpec("date", "board term ends on"),
    "board_registered": FactSpec("bool", "board registered in the registry"),
    "board_days_left": FactSpec("number", "days from today to the end of the board term"),
    "board_term_expired": FactSpec("bool", "board term ended before today"),
    "board_term_end_days_before_consultation": FactSpec(
        "number", "days by which the board term ends before the consultation starts (>0 = before)"
    ),
    # concessions
    "concession_count": FactSpec(
        "number", "non-extinguished concessions overlapping the territory"
    ),
    "concession_codes": FactSpec("list", "their codes"),
    "titled_count": FactSpec("number", "titled concessions overlapping"),
    "in_process_count": FactSpec("number", "concessions in process overlapping"),
    "concession_ha_union": FactSpec("number", "ha of territory under the union of concessions"),
    "share_union": FactSpec("number", "share (0..1) of territory under the union of concessions"),
    "titled_ha": FactSpec("number", "ha under titled concessions (union)"),
    "in_process_ha": FactSpec("number", "ha under concessions in process (union)"),
    "share_titled": FactSpec("number", "share under titled concessions"),
    "share_in_process": FactSpec("number", "share under concessions in process"),
    "nearby_concession_count": FactSpec("number", "point-only: concessions within the radius"),
    "nearby_concession_codes": FactSpec("list", "their codes"),
    "nearest_concession_m": FactSpec(
        "number", "point-only: distance to the nearest concession (m)"
    ),
    "radius_m": FactSpec("number", "radius used for point-only communities (m)"),
    "radius_km": FactSpec("number", "the same in km"),
    "under_pressure": FactSpec("bool", "overlapped by, or (point-only) near, a concession"),
    # consultations
    "in_consultation": FactSpec("bool", "inside the area of an open consultation"),
    "consultation_count": FactSpec("number", "open consultations concerning the community"),
    "consultation_id": FactSpec("str", "the next (or current) consultation"),
    "consultation_name": FactSpec("str", "its name"),
    "consultation_stage": FactSpec("str", "its stage", _STAGE),
    "consultation_start": FactSpec("date", "its start date"),
    "consultation_ids": FactSpec("list", "all open consultations concerning the community"),
    "days_to_consultation": FactSpec("number", "days from today to its start (negative: started)"),
    # water
    "water_count": FactSpec("number", "water sources inside the territory"),
    "water_ids": FactSpec("list", "their ids"),
    "water_in_concession_count": FactSpec(
        "number", "of those, inside a non-extinguished concession"
    ),
    "water_in_concession_ids": FactSpec("list", "their ids"),
    "water_in_concession_codes": FactSpec("list", "the concessions holding them"),
    # neighbours
    "neighbour_overlap_ha": FactSpec(
        "number", "largest overlap with a neighbouring community (ha)"
    ),
    "neighbour_overlap_total_ha": FactSpec("number", "sum of overlaps with neighbours (ha)"),
    "neighbour_count": FactSpec("number", "neighbours overlapping"),
    "neighbour_ids": FactSpec("list", "their ids"),
    "neighbour_max_id": FactSpec("str", "neighbour with the largest overlap"),
}

#: Facts from raster layers (DEM, land cover), supplied per community through
#: ``extra_facts`` by the caller (``layers.raster_analysis``); none when no raster covers
#: the territory, so rules on them stay silent.
RASTER_FACTS: dict[str, FactSpec] = {
    "raster_available": FactSpec(
        "bool", "a DEM or land-cover raster covers (part of) the territory"
    ),
    "raster_sources": FactSpec("list", "rasters used (key, version, SHA-256 prefix)"),
    "dem_coverage": FactSpec("number", "share (0..1) of the territory with DEM data"),
    "landcover_coverage": FactSpec("number", "share (0..1) of the territory with land cover"),
    "territory_min_elevation_m": FactSpec("number", "lowest DEM value in the territory (m)"),
    "territory_mean_elevation_m": FactSpec("number", "mean DEM value in the territory (m)"),
    "territory_max_elevation_m": FactSpec("number", "highest DEM value in the territory (m)"),
    "wetland_ha": FactSpec("number", "wetland (bofedal) in the territory (ha, land cover)"),
    "glacier_ha": FactSpec("number", "glacier / snow in the territory (ha, land cover)"),
    "wetland_in_concession_ha": FactSpec(
        "number", "wetland (bofedal) under the union of non-extinguished concessions (ha)"
    ),
    "glacier_in_concession_ha": FactSpec(
        "number", "glacier / snow under the union of non-extinguished concessions (ha)"
    ),
    "wetland_in_concession_codes": FactSpec("list", "concessions holding wetland (bofedal)"),
    "concession_max_elevation_m": FactSpec(
        "number", "highest DEM value of the territory under non-extinguished concessions (m)"
    ),
}
FACTS.update(RASTER_FACTS)


# ------------------------------------------------------------------ expression language


class RuleFileError(InputError):
    """A rule file is malformed; names the file and the rule so a lawyer can fix it.

    An :class:`~geo.errors.InputError`, hence also a ``ValueError``.
    """

    code = "invalid_rules"

    def __init__(self, source: str, rule_id: str | None, message: str) -> None:
        self.source, self.rule_id, self.detail = source, rule_id, message
        where = f"{source}" + (f", rule {rule_id!r}" if rule_id else "")
        super().__init__(f"{where}: {message}", source=source, rule_id=rule_id)


class _ConditionError(Exception):
    """Internal: a condition failed to parse or type-check (wrapped in RuleFileError)."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "none"}

Facts = Mapping[str, Any]
Evaluator = Callable[[Facts], Any]


@dataclass(frozen=True)
class _Tok:
    kind: str  # num | str | op | name | kw | end
    value: Any
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _ConditionError(f"unexpected character {text[pos:].strip()[:1]!r} at {pos}")
        start = m.start(m.lastgroup) if m.lastgroup else pos
        if m.group("num") is not None:
            raw = m.group("num")
            value: Any = float(raw) if any(c in raw for c in ".eE") else int(raw)
            toks.append(_Tok("num", value, start))
        elif m.group("str") is not None:
            raw = m.group("str")[1:-1]
            toks.append(_Tok("str", re.sub(r"\\(.)", r"\1", raw), start))
        elif m.group("op") is not None:
            toks.append(_Tok("op", m.group("op"), start))
        else:
            word = m.group("name")
            toks.append(_Tok("kw" if word.lower() in _KEYWORDS else "name", word, start))
        pos = m.end()
    toks.append(_Tok("end", None, len(text)))
    return toks


@dataclass(frozen=True)
class _Node:
    """Typed compiled node: ``type`` is bool|number|str|date|list|none|any."""

    fn: Evaluator
    type: str
    fact: str | None = None
    literal: bool = False
    value: Any = None


def _lit(value: Any, typ: str) -> _Node:
    return _Node(lambda _f: value, typ, literal=True, value=value)


class _Parser:
    """Recursive-descent parser compiling a condition to closures (no eval)."""

    def __init__(self, text: str, facts: Mapping[str, FactSpec]) -> None:
        self.text, self.facts = text, facts
        self.toks = _tokenize(text)
        self.i = 0
        self.used: set[str] = set()

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def is_kw(self, word: str, offset: int = 0) -> bool:
        t = self.toks[min(self.i + offset, len(self.toks) - 1)]
        return t.kind == "kw" and str(t.value).lower() == word

    def expect_op(self, op: str) -> None:
        t = self.take()
        if t.kind != "op" or t.value != op:
            raise _ConditionError(f"expected {op!r} at {t.pos}, found {self._show(t)}")

    @staticmethod
    def _show(t: _Tok) -> str:
        return "end of condition" if t.kind == "end" else repr(t.value)

    def parse(self) -> _Node:
        node = self.or_()
        t = self.peek()
        if t.kind != "end":
            raise _ConditionError(f"unexpected {self._show(t)} at {t.pos}")
        return node

    def or_(self) -> _Node:
        node = self.and_()
        while self.is_kw("or"):
            self.take()
            right = self.and_()
            node = _Node(_or(node.fn, right.fn), "bool")
        return node

    def and_(self) -> _Node:
        node = self.not_()
        while self.is_kw("and"):
            self.take()
            right = self.not_()
            node = _Node(_and(node.fn, right.fn), "bool")
        return node

    def not_(self) -> _Node:
        if self.is_kw("not"):
            self.take()
            inner = self.not_()
            return _Node(_not(inner.fn), "bool")
        return self.comparison()

    def comparison(self) -> _Node:
        left = self.atom()
        t = self.peek()
        if t.kind == "op" and t.value in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            right = self.atom()
            self._check_compare(left, str(t.value), right, t.pos)
            return _Node(_compare_fn(str(t.value), left.fn, right.fn), "bool")
        negate = False
        if self.is_kw("not") and self.is_kw("in", 1):
            self.take()
            negate = True
        if self.is_kw("in"):
            pos = self.take().pos
            right = self.atom()
            self._check_in(left, right, pos)
            return _Node(_in(left.fn, right.fn, negate), "bool")
        return left

    def atom(self) -> _Node:
        t = self.take()
        if t.kind == "num":
            return _lit(t.value, "number")
        if t.kind == "str":
            return _lit(t.value, "str")
        if t.kind == "kw":
            word = str(t.value).lower()
            if word == "true":
                return _lit(True, "bool")
            if word == "false":
                return _lit(False, "bool")
            if word == "none":
                return _lit(None, "none")
            raise _ConditionError(f"unexpected keyword {t.value!r} at {t.pos}")
        if t.kind == "name":
            name = str(t.value)
            spec = self.facts.get(name)
            if spec is None:
                close = _suggest(name, self.facts)
                raise _ConditionError(f"unknown fact {name!r} at {t.pos}{close}")
            self.used.add(name)
            return _Node(_fact(name), spec.type, fact=name)
        if t.kind == "op" and t.value == "(":
            node = self.or_()
            self.expect_op(")")
            return node
        if t.kind == "op" and t.value == "[":
            items: list[_Node] = []
            if not (self.peek().kind == "op" and self.peek().value == "]"):
                while True:
                    item = self.atom()
                    if not item.literal or item.type == "list":
                        raise _ConditionError(f"list items must be plain literals (at {t.pos})")
                    items.append(item)
                    if self.peek().kind == "op" and self.peek().value == ",":
                        self.take()
                        continue
                    break
            self.expect_op("]")
            return _lit(tuple(item.value for item in items), "list")
        raise _ConditionError(f"unexpected {self._show(t)} at {t.pos}")

    # -- load-time type checks: catch typos like "registred" before a lawyer ships them
    def _check_literal_for_fact(self, fact: str, value: Any, pos: int) -> None:
        spec = self.facts[fact]
        if value is None:
            return
        ok = {
            "bool": isinstance(value, bool),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "str": isinstance(value, str),
            "date": False,
            "list": isinstance(value, str | int | float) and not isinstance(value, bool),
        }.get(spec.type, True)
        if not ok:
            raise _ConditionError(
                f"{fact} is a {spec.type}; cannot compare with {value!r} (at {pos})"
            )
        if spec.values is not None and value not in spec.values:
            allowed = ", ".join(spec.values)
            raise _ConditionError(
                f"{value!r} is not a value of {fact} (one of {allowed}) (at {pos})"
            )

    def _check_compare(self, left: _Node, op: str, right: _Node, pos: int) -> None:
        for a, b in ((left, right), (right, left)):
            if a.fact and b.literal:
                self._check_literal_for_fact(a.fact, b.value, pos)
        types = {left.type, right.type} - {"none", "any"}
        if len(types) > 1:
            raise _ConditionError(f"cannot compare {left.type} with {right.type} (at {pos})")
        if op not in ("==", "!=") and (
            types & {"bool", "str", "list"} or "none" in (left.type, right.type)
        ):
            raise _ConditionError(f"{op!r} needs numbers or dates (at {pos})")

    def _check_in(self, left: _Node, right: _Node, pos: int) -> None:
        if right.type != "list":
            raise _ConditionError(f"'in' needs a [list] or a list fact on its right (at {pos})")
        if left.fact and right.literal:
            for v in right.value:
                self._check_literal_for_fact(left.fact, v, pos)


def _suggest(name: str, facts: Mapping[str, FactSpec]) -> str:
    close = difflib.get_close_matches(name, list(facts), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _or(a: Evaluator, b: Evaluator) -> Evaluator:
    return lambda f: _truth(a(f)) or _truth(b(f))


def _and(a: Evaluator, b: Evaluator) -> Evaluator:
    return lambda f: _truth(a(f)) and _truth(b(f))


def _not(a: Evaluator) -> Evaluator:
    return lambda f: not _truth(a(f))


def _fact(name: str) -> Evaluator:
    return lambda f: f.get(name)


def _in(item: Evaluator, container: Evaluator, negate: bool) -> Evaluator:
    if negate:
        return lambda f: not _contains(container(f), item(f))
    return lambda f: _contains(container(f), item(f))


def _truth(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, float) and math.isnan(v):
        return False
    return bool(v)


def _contains(container: Any, item: Any) -> bool:
    if container is None or item is None:
        return False
    return item in container


def _compare_fn(op: str, a: Evaluator, b: Evaluator) -> Evaluator:
    if op == "==":
        return lambda f: a(f) == b(f)
    if op == "!=":
        return lambda f: a(f) != b(f)
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "<": lambda x, y: x < y,
        "<=": lambda x, y: x <= y,
        ">": lambda x, y: x > y,
        ">=": lambda x, y: x >= y,
    }
    cmp = ops[op]

    def run(f: Facts) -> bool:
        x, y = a(f), b(f)
        if x is None or y is None:
            return False  # unknown is never less or greater than anything
        return cmp(x, y)

    return run


def compile_condition(text: str, facts: Mapping[str, FactSpec] | None = None) -> Evaluator:
    """Compile a condition to a function of a facts dict (raises ValueError when invalid)."""
    try:
        node = _Parser(text, facts or FACTS).parse()
    except _ConditionError as exc:
        raise ValueError(f"condition {text!r}: {exc}") from None
    fn = node.fn
    return lambda f: _truth(fn(f))


# ------------------------------------------------------------------------- templates

_FORMATTER = string.Formatter()
_UNKNOWN = {"es": "no consta", "en": "not on record"}
_YES_NO = {"es": ("sí", "no"), "en": ("yes", "no")}


class _Shown:
    """A fact rendered for a message: none → "no consta", booleans and dates localised."""

    __slots__ = ("lang", "value")

    def __init__(self, value: Any, lang: str) -> None:
        self.value, self.lang = value, lang

    def __format__(self, spec: str) -> str:
        v = self.value
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return _UNKNOWN[self.lang]
        if isinstance(v, bool):
            return _YES_NO[self.lang][0 if v else 1]
        if isinstance(v, date):
            return v.strftime("%d/%m/%Y") if self.lang == "es" else v.isoformat()
        if isinstance(v, list | tuple):
            return ", ".join(str(x) for x in v) if v else "—"
        try:
            return format(v, spec)
        except (TypeError, ValueError):
            return str(v)


@functools.lru_cache(maxsize=4096)
def _template_fields(text: str) -> tuple[str, ...]:
    """Placeholder names of a message template (parsed once per template text)."""
    names: list[str] = []
    for _lit_text, name, _spec, conv in _FORMATTER.parse(text):
        if name is None:
            continue
        if not name.isidentifier() or conv is not None:
            raise _ConditionError(f"placeholder {{{name}}} must be a plain fact name")
        names.append(name)
    return tuple(names)


def _render(text: str, facts: Facts, lang: str) -> str:
    shown = {k: _Shown(facts.get(k), lang) for k in _template_fields(text)}
    return text.format_map(shown)


def render_template(text: str, facts: Facts, lang: str) -> str:
    """Render a rule's message or action template from facts (a missing fact reads "no
    consta"); ``layers`` uses it to render a flag again for a viewer who may not see every
    record its evidence names."""
    return _render(text, facts, lang)


# ------------------------------------------------------------------------- rule files


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
    facts_used: frozenset[str] = frozenset()
    test: Evaluator = field(default=lambda _f: False, compare=False, repr=False)

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

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def by_id(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


_TOP_KEYS = {"meta", "defaults", "rule"}
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
_RULE_OPTIONAL = {"evidence", "due_lead_days", "escalate", "title_es", "title_en"}
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
    return RuleSet(
        country=country, source=source, rules=tuple(rules), statute_lead_days=lead, meta=meta
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
        parser = _Parser(raw["condition"], FACTS)
        node = parser.parse()
    except _ConditionError as exc:
        raise fail(f"condition {raw['condition']!r}: {exc}") from None
    if node.type not in ("bool", "any") and not node.fact:
        raise fail(f"condition {raw['condition']!r} is not a true/false test")
    evidence = raw.get("evidence", [])
    if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
        raise fail("'evidence' must be a list of fact names")
    for name in evidence:
        if name not in FACTS:
            raise fail(f"evidence names unknown fact {name!r}{_suggest(name, FACTS)}")
    for key in ("message_es", "message_en", "action_es", "action_en", "title_es", "title_en"):
        try:
            for name in _template_fields(raw.get(key, "")):
                if name not in FACTS:
                    raise _ConditionError(f"unknown fact {name!r}{_suggest(name, FACTS)}")
        except (_ConditionError, ValueError) as exc:
            raise fail(f"{key}: {exc}") from None
    lead = raw.get("due_lead_days")
    if lead is not None and (not isinstance(lead, int) or isinstance(lead, bool) or lead < 0):
        raise fail("'due_lead_days' must be a non-negative integer")
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
    fn = node.fn
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
        facts_used=frozenset(parser.used),
        test=lambda f: _truth(fn(f)),
    )


# ------------------------------------------------------------------------------ facts


def _none(v: Any) -> Any:
    """Normalise pandas/numpy missing values to None and numpy scalars to Python."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item") and not isinstance(v, list | tuple | dict | str):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            return v
        if isinstance(v, float) and math.isnan(v):
            return None
    return v


def _as_date(v: Any) -> date | None:
    v = _none(v)
    if v is None:
        return None
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date()
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, int):  # numpy datetime64[ns] .item() gives nanoseconds
        return pd.Timestamp(v).date()
    if isinstance(v, str):
        s = v.strip()
        if not s:
            return None
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(s[:10], fmt).date()
            except ValueError:
                continue
    return None


def _as_bool(v: Any) -> bool | None:
    v = _none(v)
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return bool(v)
    if isinstance(v, str):
        s = v.strip().lower()
        if s in ("true", "1", "si", "sí", "x", "yes"):
            return True
        if s in ("false", "0", "no"):
            return False
    return None


def _as_str(v: Any) -> str | None:
    v = _none(v)
    return None if v is None else str(v)


def _as_float(v: Any) -> float | None:
    v = _none(v)
    if v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


_LEGAL_ES = {
    "none": "sin personería jurídica",
    "in_process": "en trámite",
    "registered": "inscrita",
}
_TITLE_ES = {
    "titled": "titulada",
    "recognised_untitled": "reconocida sin título",
    "unrecognised": "no reconocida",
}


@dataclass(frozen=True)
class _Consultation:
    id: str
    name: str | None
    stage: str | None
    start: date | None
    end: date | None


def _consultation_index(consultations: Any) -> dict[str, _Consultation]:
    out: dict[str, _Consultation] = {}
    if consultations is None or len(consultations) == 0:
        return out
    cols = set(consultations.columns)
    for rec in consultations.to_dict("records"):
        cid = str(rec["id"])
        out[cid] = _Consultation(
            id=cid,
            name=_as_str(rec.get("name")) if "name" in cols else None,
            stage=_as_str(rec.get("stage")) if "stage" in cols else None,
            start=_as_date(rec.get("start_date")) if "start_date" in cols else None,
            end=_as_date(rec.get("end_date")) if "end_date" in cols else None,
        )
    return out


def _open(c: _Consultation, today: date) -> bool:
    if c.stage == "closed":
        return False
    return not (c.end is not None and c.end < today)


def _start_key(c: _Consultation) -> tuple[date, str]:
    return (c.start or date.min, c.id)


def _primary(cons: list[_Consultation], today: date) -> _Consultation | None:
    """The consultation that sets deadlines: the next to start, else the latest started."""
    if not cons:
        return None
    upcoming = sorted((c for c in cons if c.start is not None and c.start >= today), key=_start_key)
    if upcoming:
        return upcoming[0]
    started = sorted((c for c in cons if c.start is not None), key=_start_key, reverse=True)
    if started:
        return started[0]
    return sorted(cons, key=lambda c: c.id)[0]


def community_facts(
    community_row: Mapping[str, Any] | pd.Series,
    analysis: AnalysisResult,
    consultations: Any = None,
    *,
    today: date,
    extra: Mapping[str, Any] | None = None,
    _consultations: Mapping[str, _Consultation] | None = None,
) -> dict[str, Any]:
    """The facts rules see for one community (names and meanings in :data:`FACTS`).

    Unknown source values stay None ("no consta"); counts and areas from the analysis are
    0 when nothing overlaps. Extinguished concessions never count as pressure.
    ``extra`` supplies this community's raster facts (:data:`RASTER_FACTS`; other keys are
    ignored); missing ones are None.
    """
    get = community_row.get
    cid = str(get("id"))
    cindex = _consultations if _consultations is not None else _consultation_index(consultations)

    legal = _as_str(get("legal_status"))
    title = _as_str(get("title_status"))
    f: dict[str, Any] = {
        "community_id": cid,
        "name": _as_str(get("name")) or cid,
        "kind": _as_str(get("kind")),
        "country": _as_str(get("country")),
        "today": today,
        "title_status": title,
        "title_status_es": _TITLE_ES.get(title or "", title),
        "official_area_ha": _as_float(get("official_area_ha")),
        "legal_status": legal,
        "legal_status_es": _LEGAL_ES.get(legal or "", legal),
        "registry_entry": _as_str(get("registry_entry")),
        "registration_date": _as_date(get("registration_date")),
        "statute_adopted": _as_date(get("statute_adopted")),
        "statute_modified": _as_date(get("statute_modified")),
    }
    f["statute_known"] = f["statute_adopted"] is not None
    for clause in (
        "clause_territory",
        "clause_water",
        "clause_environment",
        "clause_consultation",
        "clause_women",
    ):
        f[clause] = _as_bool(get(clause))
    f["board_elected"] = _as_date(get("board_elected"))
    term_end = _as_date(get("board_term_end"))
    f["board_term_end"] = term_end
    f["board_registered"] = _as_bool(get("board_registered"))
    f["board_days_left"] = None if term_end is None else (term_end - today).days
    f["board_term_expired"] = None if term_end is None else term_end < today

    # territory and concessions
    rec = analysis.records
    summ = rec("communities", cid)
    georef = bool(summ[0]["has_territory"]) if summ else False
    f["georeferenced"] = georef
    f["estimate"] = not georef
    f["territory_ha"] = _as_float(summ[0]["territory_ha"]) if summ and georef else None
    live = [r for r in rec("concession_overlaps", cid) if r["state"] in PRESSURE_STATES]
    f["concession_codes"] = [str(r["concession_code"]) for r in live]
    f["concession_count"] = len(live)
    f["titled_count"] = sum(1 for r in live if r["state"] == "titled")
    f["in_process_count"] = sum(1 for r in live if r["state"] == "in_process")
    pres = rec("pressure", cid)
    for key in (
        "concession_ha_union",
        "share_union",
        "titled_ha",
        "in_process_ha",
        "share_titled",
        "share_in_process",
    ):
        f[key] = float(pres[0][key]) if pres else 0.0
    near = [r for r in rec("proximity", cid) if r["state"] in PRESSURE_STATES]
    f["nearby_concession_codes"] = [str(r["concession_code"]) for r in near]
    f["nearby_concession_count"] = len(near)
    f["nearest_concession_m"] = min((float(r["distance_m"]) for r in near), default=None)
    f["radius_m"] = float(analysis.radius_m)
    f["radius_km"] = float(analysis.radius_m) / 1000.0
    f["under_pressure"] = f["concession_count"] > 0 or f["nearby_concession_count"] > 0

    # consultations
    mem = [str(r["consultation_id"]) for r in rec("consultation_membership", cid)]
    # membership without consultation attributes still means "in consultation"
    cons = [cindex.get(k) or _Consultation(k, None, None, None, None) for k in mem]
    cons = [c for c in cons if _open(c, today)]
    prim = _primary(cons, today)
    f["in_consultation"] = bool(cons)
    f["consultation_count"] = len(cons)
    f["consultation_ids"] = sorted(c.id for c in cons)
    f["consultation_id"] = prim.id if prim else None
    f["consultation_name"] = (prim.name or prim.id) if prim else None
    f["consultation_stage"] = prim.stage if prim else None
    f["consultation_start"] = prim.start if prim else None
    f["days_to_consultation"] = (prim.start - today).days if prim and prim.start else None
    f["board_term_end_days_before_consultation"] = (
        (prim.start - term_end).days if prim and prim.start and term_end else None
    )

    # water
    f["water_ids"] = sorted({str(r["water_id"]) for r in rec("water_in_communities", cid)})
    f["water_count"] = len(f["water_ids"])
    risk = [r for r in rec("water_at_risk", cid) if r["concession_state"] in PRESSURE_STATES]
    f["water_in_concession_ids"] = sorted({str(r["water_id"]) for r in risk})
    f["water_in_concession_codes"] = sorted({str(r["concession_code"]) for r in risk})
    f["water_in_concession_count"] = len(f["water_in_concession_ids"])

    # neighbours
    nb = rec("neighbour_overlaps", cid)
    if nb:
        top = min(nb, key=lambda r: (-float(r["intersection_ha"]), str(r["other_id"])))
        f["neighbour_overlap_ha"] = float(top["intersection_ha"])
        f["neighbour_max_id"] = str(top["other_id"])
        f["neighbour_overlap_total_ha"] = float(sum(float(r["intersection_ha"]) for r in nb))
        f["neighbour_ids"] = [str(r["other_id"]) for r in nb]
    else:
        f["neighbour_overlap_ha"] = 0.0
        f["neighbour_max_id"] = None
        f["neighbour_overlap_total_ha"] = 0.0
        f["neighbour_ids"] = []
    f["neighbour_count"] = len(f["neighbour_ids"])

    # rasters (computed outside geo.overlay; unknown unless supplied)
    extra = extra or {}
    for name in RASTER_FACTS:
        f[name] = _none(extra.get(name))
    return f


# ------------------------------------------------------------------------------ flags


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
        message_es=_render(rule.message_es, facts, "es"),
        message_en=_render(rule.message_en, facts, "en"),
        action_es=_render(rule.action_es, facts, "es"),
        action_en=_render(rule.action_en, facts, "en"),
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
    cindex = _consultation_index(consultations)
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
        country = _as_str(rec.get("country"))
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


def rules_path(country: str | Path) -> Path:
    """The rule file used for a country (its bytes fingerprint an analysis run)."""
    return _resolve_path(country)
