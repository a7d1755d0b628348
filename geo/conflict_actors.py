"""Actors as the Defensoría's conflict reports name them: a stable id for a name, a guess
of the kind of actor from how it is written, and the community a name points at.

Pure functions (no database): the conflicts import (``layers.conflicts``) uses them to link
the names of a report to stored actors and communities, and to create the actors it has
never seen.
"""

from __future__ import annotations

import hashlib
import re

from geo.vocabulary import normalise_name

__all__ = ["actor_id", "community_name", "guess_kind", "same_name"]

#: Words that say what kind of actor a name is, checked in this order (first hit wins).
_KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("community", ("comunidad_campesina", "comunidad_nativa", "comunidad", "ayllu", "c_c", "c_n",
                   "comuneros")),
    ("company", ("empresa", "minera", "s_a_c", "sac", "s_a", "s_r_l", "compania",
                 "corporacion", "mining", "eirl")),
    ("state_agency", ("ministerio", "municipalidad", "gobierno_regional", "gobierno",
                      "direccion_regional", "oefa", "ana", "autoridad_nacional",
                      "autoridad_local", "ingemmet", "sernanp", "pcm", "prefectura",
                      "subprefectura", "policia", "defensoria", "fiscalia")),
    ("community_org", ("federacion", "confederacion", "central_de_comunidades",
                       "organizacion_indigena", "consejo_indigena")),
    ("social_org", ("frente", "ronda", "rondas", "sindicato", "asociacion", "comite",
                    "junta_de_usuarios", "comision_de_regantes", "pobladores", "vecinos")),
    ("ngo", ("ong", "instituto", "fundacion", "centro_de_estudios")),
    ("church", ("iglesia", "vicaria", "parroquia", "obispado", "prelatura")),
)

_COMMUNITY_PREFIX = re.compile(
    r"^(comunidad(_campesina|_nativa)?|c_?c|c_?n|ayllu)(_de(_la|_los|_las)?)?_")


def guess_kind(name: str) -> str:
    """The ``ACTOR_KIND`` code a name most likely means (``other`` when nothing says)."""
    words = f"_{normalise_name(name)}_"
    for kind, needles in _KIND_WORDS:
        if any(f"_{n}_" in words for n in needles):
            return kind
    return "other"


def actor_id(name: str) -> str:
    """A stable id for an actor known only by name: ``ACT-`` + a readable slug + a short
    hash of the normalised name (the same name always gives the same id)."""
    key = normalise_name(name)
    slug = re.sub(r"[^a-z0-9_]", "", key)[:24].strip("_").upper()
    digest = hashlib.sha256(key.encode()).hexdigest()[:6].upper()
    return f"ACT-{slug}-{digest}" if slug else f"ACT-{digest}"


def community_name(name: str) -> str:
    """The normalised community name inside an actor name ("Comunidad Campesina de Ccollana"
    -> ``ccollana``); the whole normalised name when it has no such prefix."""
    key = normalise_name(name)
    return _COMMUNITY_PREFIX.sub("", key) or key


def same_name(a: str, b: str) -> bool:
    """Whether two names mean the same (case, accents, punctuation and spacing ignored)."""
    return normalise_name(a) == normalise_name(b)
