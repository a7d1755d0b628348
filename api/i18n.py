"""UI strings of the browser map, advocacy maps and dossiers, from the gettext catalogs.

The strings live in ``geo/maps/locale`` (read through :mod:`geo.maps.labels`) so the pure map
renderers can use them too; the web layer imports them from here.
"""

from __future__ import annotations

from geo.maps.catalogs import COMPLETE, Language
from geo.maps.catalogs import LANGUAGES as _LANGUAGES
from geo.maps.labels import bundle, lang_of, legend_spec, page_lang, t

#: (code, name in the switcher, draft?) of every interface language, Spanish first.
LANGUAGES: list[tuple[str, str, bool]] = [(x.code, x.label, x.draft) for x in _LANGUAGES]


def is_draft(lang: str) -> bool:
    return any(x.code == lang and x.draft for x in _LANGUAGES)


def data_lang(lang: str) -> str:
    """The language of data answers (flags, panel, dossiers) for a page in ``lang``."""
    return lang if lang in COMPLETE else "es"


__all__ = ["LANGUAGES", "Language", "bundle", "data_lang", "is_draft", "lang_of",
           "legend_spec", "page_lang", "t"]
