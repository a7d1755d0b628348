"""What a person calls a district (Peru) or municipality (Bolivia): its name and those of the
units above it, e.g. "Huancané (Huancané, Puno)" or "Escoma (La Paz)", never a bare code.

Names come from the boundaries the project holds (as the data has them); the units above a
district are found through ``parent_code``. Department names are public and fixed (INEI
ubigeo and INE codes, two digits), so they are known here too: a project that imported only
the districts' layer still tells "Qhapaq Marka (Puno)" apart from a namesake elsewhere.
Pure: no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from geo.vocabulary import normalise_name

#: INEI department codes (the first two digits of a ubigeo).
PE_DEPARTMENTS = {
    "01": "Amazonas", "02": "Áncash", "03": "Apurímac", "04": "Arequipa", "05": "Ayacucho",
    "06": "Cajamarca", "07": "Callao", "08": "Cusco", "09": "Huancavelica", "10": "Huánuco",
    "11": "Ica", "12": "Junín", "13": "La Libertad", "14": "Lambayeque", "15": "Lima",
    "16": "Loreto", "17": "Madre de Dios", "18": "Moquegua", "19": "Pasco", "20": "Piura",
    "21": "Puno", "22": "San Martín", "23": "Tacna", "24": "Tumbes", "25": "Ucayali",
}  # fmt: skip
#: INE department codes (the first two digits of a municipal code).
BO_DEPARTMENTS = {
    "01": "Chuquisaca", "02": "La Paz", "03": "Cochabamba", "04": "Oruro", "05": "Potosí",
    "06": "Tarija", "07": "Santa Cruz", "08": "Beni", "09": "Pando",
}  # fmt: skip
DEPARTMENTS = {"PE": PE_DEPARTMENTS, "BO": BO_DEPARTMENTS}
#: How each country's codes are called, for a unit the boundaries do not name.
CODE_SYSTEM = {"PE": "ubigeo", "BO": "INE"}


@dataclass(frozen=True)
class Unit:
    """One administrative unit as the boundaries layer holds it."""

    code: str
    name: str
    parent_code: str | None = None


def label(code: str, country: str, units: Mapping[str, Unit]) -> str:
    """``name (parent, grandparent)`` for ``code`` of ``country``; ``units`` are that
    country's boundaries by code. A unit without a boundary is named by its code's system
    and the department ("ubigeo 219999 (Puno)"), still never a bare code."""
    departments = DEPARTMENTS.get(country, {})
    unit = units.get(code)
    if unit is None and len(code) == 2 and code in departments:
        return departments[code]
    head = unit.name if unit is not None else f"{CODE_SYSTEM.get(country, 'código')} {code}"
    above: list[str] = []
    parent = unit.parent_code if unit is not None else None
    seen = {code}
    while parent and parent not in seen and len(above) < 3:
        found = units.get(parent)
        if found is None:
            break
        seen.add(parent)
        above.append(found.name)
        parent = found.parent_code
    department = departments.get(code[:2])
    if len(code) > 2 and department and not any(len(c) == 2 for c in seen):
        above.append(department)  # the boundaries did not reach the department
    return f"{head} ({', '.join(above)})" if above else head


def joined(labels: Sequence[str]) -> str:
    """One name for a code two countries share (a Peruvian and a Bolivian unit)."""
    return " / ".join(dict.fromkeys(labels))


def matches(text: str, name: str, full_label: str) -> bool:
    """Whether what somebody typed names this unit: its name or its whole label, without
    regard to case, accents or spacing ("huancane" is "Huancané")."""
    typed = normalise_name(text)
    return bool(typed) and typed in (normalise_name(name), normalise_name(full_label))
