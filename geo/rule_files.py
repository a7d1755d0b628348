"""Where each country's rule file lives (no parsing here: cheap to import, so a command that
only needs the files' bytes, such as an analysis with nothing to do, loads no rule engine)."""

from __future__ import annotations

from pathlib import Path

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
