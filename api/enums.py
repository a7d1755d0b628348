"""Query parameters derived from the vocabulary and the layer catalog, so OpenAPI lists the
allowed codes of every coded filter (``enum``) and a new layer's filters need no code."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from fastapi import Query

from geo.catalog import Layer
from geo.vocabulary import Vocabulary

Equals = dict[str, str]


def codes_literal(*vocabularies: Vocabulary) -> Any:
    """``Literal[...]`` of the codes of ``vocabularies`` (an OpenAPI ``enum``)."""
    codes: list[str] = []
    for vocabulary in vocabularies:
        codes += [c for c in vocabulary.codes if c not in codes]
    return Literal[tuple(codes)]


def enum_query(*vocabularies: Vocabulary, description: str | None = None) -> Any:
    """An optional query parameter taking one code of ``vocabularies``."""
    text = description or " | ".join(
        f"{t.code} ({t.label_es} / {t.label_en})" for v in vocabularies for t in v.terms)
    return Annotated[codes_literal(*vocabularies) | None, Query(description=text)]


def filter_dependency(layer: Layer, exclude: Iterable[str] = ()) -> Callable[..., Equals]:
    """A FastAPI dependency with one optional query parameter per filterable field of
    ``layer`` (an enum where the field has a vocabulary), returning the chosen ones."""
    skip = set(exclude)
    params = []
    for f in layer.fields:
        if not f.filterable or f.name in skip:
            continue
        annotation = enum_query(f.vocabulary) if f.vocabulary is not None else \
            Annotated[str | None, Query(description=f"{f.name} (valor exacto / exact value)")]
        params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                        annotation=annotation))

    def dependency(**values: str | None) -> Equals:
        return {k: v for k, v in values.items() if v}

    dependency.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    dependency.__name__ = f"{layer.name}_filters"
    return dependency
