"""UI strings of the browser map, advocacy maps and dossiers: ONE dictionary (Spanish default).

The strings live in :mod:`geo.maps.labels` so the pure map renderers can use them too; the
web layer imports them from here.
"""

from __future__ import annotations

from geo.maps.labels import STRINGS, bundle, lang_of, legend_spec, t

__all__ = ["STRINGS", "bundle", "lang_of", "legend_spec", "t"]
