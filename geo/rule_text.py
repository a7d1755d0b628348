"""Message templates of rule files: ``{fact}`` placeholders rendered in Spanish or English.

A rule's ``message_*``, ``action_*`` and ``title_*`` are ``str.format`` templates whose
placeholders must be plain fact names (:data:`geo.rule_facts.FACTS`); a missing or unknown
value reads "no consta" / "not on record", booleans read sí/no, dates 31/12/2025 in Spanish.
"""

from __future__ import annotations

import functools
import math
import string
from datetime import date
from typing import Any

from geo.rule_expr import ConditionError, Facts

__all__ = ["render_template", "template_fields"]

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


def render_template(text: str, facts: Facts, lang: str) -> str:
    """Render a rule's message or action template from facts (a missing fact reads "no
    consta"); ``layers`` uses it to render a flag again for a viewer who may not see every
    record its evidence names."""
    shown = {k: _Shown(facts.get(k), lang) for k in template_fields(text)}
    return text.format_map(shown)
