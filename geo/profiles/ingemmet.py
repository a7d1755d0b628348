"""The INGEMMET mining cadastre (``CODIGOU, CONCESION, TIT_CONCES, D_ESTADO/ESTADO, ...``):
states normalised to titled / in_process / extinguished / other, the raw code kept."""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo.profiles.base import Profile, find_series, signature
from geo.profiles.values import normalise_name, text_value

__all__ = ["PROFILE", "ingemmet_state"]

_STATE_CODES = {
    **dict.fromkeys("TNE", "titled"),
    **dict.fromkeys("PD", "in_process"),
    **dict.fromkeys("FLXY", "extinguished"),
}
_STATE_TEXT = (
    ("extinguished", ("EXTING", "CADUC", "ABANDON", "NULID", "NULO", "RENUNC", "CANCEL")),
    ("in_process", ("TRAMITE", "PETITORIO", "EN TRAM")),
    ("titled", ("TITULAD", "VIGENTE")),
)


def ingemmet_state(text: Any, code: Any) -> str | None:
    """INGEMMET state from ``D_ESTADO`` text, else from the ``ESTADO`` letter code."""
    t = text_value(text)
    if t:
        upper = normalise_name(t).upper().replace("_", " ")
        for state, needles in _STATE_TEXT:
            if any(n in upper for n in needles):
                return state
        return "other"
    c = text_value(code)
    if c:
        return _STATE_CODES.get(c.upper()[:1], "other")
    return None


def _ingemmet_hook(
    raw: pd.DataFrame, values: dict[str, pd.Series], defaults: dict[str, Any], warn: list[str]
) -> None:
    text = find_series(raw, "D_ESTADO", "DESC_ESTADO")
    code = find_series(raw, "ESTADO", "COD_ESTADO")
    if "state" not in values and (text is not None or code is not None):
        t = text if text is not None else pd.Series(None, index=raw.index, dtype=object)
        c = code if code is not None else pd.Series(None, index=raw.index, dtype=object)
        values["state"] = pd.Series(
            [ingemmet_state(a, b) for a, b in zip(t, c, strict=True)], index=raw.index
        )
        values["state_raw"] = pd.Series(
            [text_value(a) or text_value(b) for a, b in zip(t, c, strict=True)], index=raw.index
        )
    hectagis, hasdatum = find_series(raw, "HECTAGIS"), find_series(raw, "HASDATUM")
    if "official_ha" not in values and (hectagis is not None or hasdatum is not None):
        first = hectagis if hectagis is not None else hasdatum
        assert first is not None
        other = hasdatum if hectagis is not None else None
        values["official_ha"] = first.where(first.notna(), other) if other is not None else first


PROFILE = Profile(
    name="ingemmet",
    layers=("concessions",),
    description="INGEMMET mining cadastre (CODIGOU, CONCESION, TIT_CONCES, ...)",
    aliases={
        "code": ("CODIGOU", "CODIGO_U", "CODIGO"),
        "name": ("CONCESION", "NOMBRE"),
        "holder": ("TIT_CONCES", "TITULAR"),
        "substance": ("SUSTANCIA",),
        "filed_on": ("FEC_DENU", "FECHA_DENUNCIO", "FEC_FORMUL"),
        "zone": ("ZONA",),
        "datum": ("DATUM",),
    },
    signatures=(signature("CODIGOU"), signature("CONCESION", "TIT_CONCES")),
    hook=_ingemmet_hook,
)
