"""Content-Security-Policy for the HTML Allpa serves, so that a strict policy never breaks a
page and a page never needs more than it uses.

- The browser map (``/``) has no inline script and no inline handler: its own origin only
  (plus the basemap host when ``ALLPA_BASEMAP`` is set). Its configuration is a
  ``<script type="application/json">`` block, which browsers never execute.
- Standalone documents (advocacy maps, dossiers) must open offline from a file, so their
  scripts and styles are inline: the policy lists the SHA-256 of every inline script; style
  attributes (folium, Leaflet popups) need ``'unsafe-inline'`` for styles only.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", re.S | re.I)


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def inline_script_hashes(html: str) -> list[str]:
    """CSP hash sources of the executable inline scripts of ``html`` (JSON data blocks are
    not scripts and need none)."""
    out = []
    for attrs, body in _INLINE_SCRIPT.findall(html):
        kind = re.search(r"type=[\"']?([^\"' >]+)", attrs)
        if kind and "json" in kind.group(1).lower():
            continue
        out.append(_sha256(body))
    return sorted(set(out))


def map_page_policy(basemap: str | None = None) -> str:
    img = "'self' data: blob:"
    if basemap:
        parts = urlsplit(basemap.replace("{s}", "a"))
        if parts.scheme and parts.netloc:
            img += f" {parts.scheme}://{parts.netloc.replace('a.', '*.', 1)}"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src {img}; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'")


def document_policy(html: str) -> str:
    """The policy of a standalone document (advocacy map, dossier): nothing from anywhere,
    exactly its own inline scripts, inline styles, data: images."""
    scripts = " ".join(inline_script_hashes(html)) or "'none'"
    return (f"default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; "
            "img-src data:; font-src data:; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'none'")
