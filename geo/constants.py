"""Constant values for fields a file lacks (``allpa import --set country=BO``).

Real sources often leave out what is the same for every feature: the La Paz census
communities carry no country, the ANA stations and the Lake Titicaca shoreline no water kind.
A constant is checked like a value read from the file (same parser, same allowed values) but
an unparseable one is an error up front: the user typed it, so guessing or dropping it would
hide a typo behind thousands of rejected features.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from geo import profiles
from geo.errors import ProfileError, bilingual

__all__ = ["check_constants", "detection_columns", "parse_set"]


def parse_set(pairs: Iterable[str]) -> dict[str, str]:
    """``["country=BO", "kind=lake"]`` -> ``{"country": "BO", "kind": "lake"}`` (unchecked)."""
    out: dict[str, str] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or not field.strip():
            raise ProfileError(
                bilingual(f"--set espera CAMPO=VALOR, recibió '{pair}'",
                          f"--set expects FIELD=VALUE, got '{pair}'"),
                code="set_invalid", pair=pair)
        out[field.strip()] = value.strip()
    return out


def check_constants(layer: str, values: Mapping[str, Any]) -> dict[str, str]:
    """Validate constants for ``layer``: known field, value the field's parser accepts.

    Returns them as text (the profile parses them again, like a file value)."""
    specs = {spec.name: spec for spec in profiles.FIELDS.get(layer, ())}
    out: dict[str, str] = {}
    for field, raw in values.items():
        spec = specs.get(field)
        if spec is None:
            fields = ", ".join(specs)
            raise ProfileError(
                bilingual(f"'{field}' no es un campo de la capa '{layer}' (--set). Campos: "
                          f"{fields}.",
                          f"'{field}' is not a field of layer '{layer}' (--set). Fields: "
                          f"{fields}."),
                code="set_field_unknown", field=field, fields=list(specs))
        text = "" if raw is None else str(raw).strip()
        if not text or _parse(spec, text) is None:
            raise ProfileError(_bad_value(layer, spec, text), code="set_value_invalid",
                               field=field, value=text, allowed=_allowed(spec))
        out[field] = text
    return out


def detection_columns(layer: str, columns: Iterable[str], constants: Iterable[str]
                      ) -> list[str]:
    """The file's columns plus the constant fields under every name a profile of ``layer``
    knows them by, so that ``--set kind=…`` counts as a present ``tipo`` column when the
    profile is recognised."""
    names = [str(c) for c in columns]
    for field in constants:
        names.append(field)
        for profile in profiles.PROFILES.values():
            if layer in profile.layers:
                names.extend(profile.aliases.get(field, ()))
    return list(dict.fromkeys(names))


def _parse(spec: Any, text: str) -> Any:
    """The profile's own value parser (``None`` when it cannot read ``text``)."""
    try:
        return profiles.parse_value(spec, text)
    except ValueError:
        return None


def _allowed(spec: Any) -> list[str]:
    return sorted(set((spec.enum or {}).values())) if spec.kind == "enum" else []


_KIND_ES = {"date": "una fecha (AAAA-MM-DD)", "float": "un número", "int": "un entero",
            "bool": "sí/no", "code": "un código", "concession_code": "un código de concesión",
            "list": "una lista", "str": "un texto"}
_KIND_EN = {"date": "a date (YYYY-MM-DD)", "float": "a number", "int": "an integer",
            "bool": "yes/no", "code": "a code", "concession_code": "a concession code",
            "list": "a list", "str": "a text"}


def _bad_value(layer: str, spec: Any, text: str) -> str:
    allowed = _allowed(spec)
    if allowed:
        listed = ", ".join(allowed)
        return bilingual(
            f"Valor '{text}' no válido para '{spec.name}' en la capa '{layer}' (--set). "
            f"Valores válidos: {listed}.",
            f"Invalid value '{text}' for '{spec.name}' in layer '{layer}' (--set). "
            f"Allowed values: {listed}.")
    return bilingual(
        f"Valor '{text}' no válido para '{spec.name}' (--set): se espera "
        f"{_KIND_ES.get(spec.kind, spec.kind)}.",
        f"Invalid value '{text}' for '{spec.name}' (--set): expected "
        f"{_KIND_EN.get(spec.kind, spec.kind)}.")
