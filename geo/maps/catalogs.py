"""The interface strings as gettext catalogs (Babel ``.po`` files under ``geo/maps/locale``),
read and compiled in memory at first use: no build step, nothing to forget at setup.

msgids are stable keys (``layer_communities``), msgstrs the text. Spanish is complete and is
the fallback for every string a catalog lacks or leaves empty; English is complete; Quechua
(``quy``) and Aymara (``ay``) are DRAFTS started for the map page and legend, shown in the
interface as such until native speakers have reviewed them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "allpa"
FALLBACK = "es"


@dataclass(frozen=True)
class Language:
    code: str
    label: str  # as shown in the language switcher
    draft: bool


LANGUAGES = (Language("es", "ES", False), Language("en", "EN", False),
             Language("quy", "QU", True), Language("ay", "AY", True))
#: languages complete enough for data outputs (dossiers, maps, print): the rest of the
#: interface falls back to Spanish string by string
COMPLETE = ("es", "en")


@functools.cache
def catalog(code: str) -> dict[str, str]:
    """key -> text of one language (only the strings it actually translates)."""
    path = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        cat = read_po(f)
    return {str(m.id): str(m.string) for m in cat if m.id and m.string and not m.fuzzy}


def strings(code: str) -> dict[str, str]:
    """Every key in ``code``, Spanish where ``code`` has no text for it."""
    return {**catalog(FALLBACK), **catalog(code)}


def known(code: str | None) -> bool:
    return any(lang.code == code for lang in LANGUAGES)
