"""Message templates of rule files: ``{fact}`` placeholders rendered in Spanish or English.

A rule's ``message_*``, ``action_*`` and ``title_*`` are ``str.format`` templates whose
placeholders must be plain fact names (:data:`geo.rule_facts.FACTS`); a missing or unknown
value reads "no consta" / "not on record", booleans read sí/no, dates 31/12/2025 in Spanish.
"""

from __future__ import annotations

import functools
import math
import string
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from geo.rule_expr import Columns, ConditionError, Facts

__all__ = ["render_rows", "render_template", "template_fields"]

_FORMATTER = string.Formatter()
_UNKNOWN = {"es": "no consta", "en": "not on record"}
_YES_NO = {"es": ("sí", "no"), "en": ("yes", "no")}


def _show(v: Any, spec: str, lang: str) -> str:
    """A fact as a message shows it: none → "no consta", booleans and dates localised."""
    if type(v) is str and not spec:  # the usual case first: format(text, "") is the text
        return v
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return _UNKNOWN[lang]
    if isinstance(v, bool):
        return _YES_NO[lang][0 if v else 1]
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y") if lang == "es" else v.isoformat()
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v) if v else "—"
    try:
        return format(v, spec)
    except (TypeError, ValueError):
        return str(v)


class _Shown:
    """A fact rendered for a message (see :func:`_show`), for templates whose format specs
    hold placeholders themselves (``str.format`` fills those in)."""

    __slots__ = ("lang", "value")

    def __init__(self, value: Any, lang: str) -> None:
        self.value, self.lang = value, lang

    def __format__(self, spec: str) -> str:
        return _show(self.value, spec, self.lang)


@functools.lru_cache(maxsize=4096)
def template_fields(text: str) -> tuple[str, ...]:
    """Placeholder names of a message template (parsed once per template text)."""
    names: list[str] = []
    for _lit_text, name, _spec, conv in _FORMATTER.parse(text):
        if name is None:
            continue
        if not name.isidentifier() or conv is not None:
            raise ConditionError(f"placeholder {{{name}}} must be a plain fact name")
        names.append(name)
    return tuple(names)


@functools.lru_cache(maxsize=4096)
def _compiled(text: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """``text`` with every placeholder turned into ``{}`` and its (fact, format spec) pairs,
    so that a message is one ``str.format`` of already shown values; None when a format
    spec nests a placeholder (rendered through :class:`_Shown` instead)."""
    out: list[str] = []
    fields: list[tuple[str, str]] = []
    for lit, name, spec, _conv in _FORMATTER.parse(text):
        out.append(lit.replace("{", "{{").replace("}", "}}"))
        if name is None:
            continue
        if spec and ("{" in spec or "}" in spec):
            return None
        out.append("{}")
        fields.append((name, spec or ""))
    return "".join(out), tuple(fields)


def render_template(text: str, facts: Facts, lang: str) -> str:
    """Render a rule's message or action template from facts (a missing fact reads "no
    consta"); ``layers`` uses it to render a flag again for a viewer who may not see every
    record its evidence names."""
    compiled = _compiled(text)
    if compiled is None:
        shown = {k: _Shown(facts.get(k), lang) for k in template_fields(text)}
        return text.format_map(shown)
    fmt, fields = compiled
    return fmt.format(*(_show(facts.get(name), spec, lang) for name, spec in fields))


def render_rows(text: str, columns: Columns, rows: Sequence[int], lang: str) -> list[str]:
    """:func:`render_template` for the facts of ``rows`` of many communities as columns."""
    compiled = _compiled(text)
    if compiled is None:
        return [render_template(text, _ColumnRow(columns, i), lang) for i in rows]
    fmt, fields = compiled
    if not fields:
        return [fmt.format()] * len(rows)
    shown = []
    for name, spec in fields:
        values = columns.get(name)
        shown.append([_UNKNOWN[lang]] * len(rows) if values is None
                     else [_show(values[i], spec, lang) for i in rows])
    return [fmt.format(*args) for args in zip(*shown, strict=True)]


class _ColumnRow(Mapping[str, Any]):
    """Row ``i`` of columns as a read-only mapping (what :func:`render_template` reads)."""

    def __init__(self, columns: Columns, i: int) -> None:
        self.columns, self.i = columns, i

    def __getitem__(self, name: str) -> Any:
        return self.columns[name][self.i]

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)
