"""UI strings of the browser map, advocacy maps and dossiers: ONE dictionary (Spanish default).

The strings live in :mod:`geo.maps.labels` so the pure map renderers can use them too; the
web layer imports them from here.
"""

from __future__ import annotations

from geo.maps.labels import STRINGS, bundle, lang_of, legend_spec, t

#: (code, name in the switcher, draft?) of every interface language, Spanish first.
LANGUAGES: list[tuple[str, str, bool]] = [("es", "ES", False), ("en", "EN", False)]


def is_draft(lang: str) -> bool:
    return any(code == lang and draft for code, _, draft in LANGUAGES)


__all__ = ["LANGUAGES", "STRINGS", "bundle", "is_draft", "lang_of", "legend_spec", "t"]
