"""Atom 1.0 (RFC 4287) documents from plain values: pure, so feeds are testable anywhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree import ElementTree as ET

ATOM_NS = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class Entry:
    """One entry: a stable id (a URN), a title, when it last changed, a summary, a link."""

    id: str
    title: str
    updated: dt.datetime
    summary: str
    link: str


def _stamp(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def feed(*, feed_id: str, title: str, self_link: str, alternate: str, updated: dt.datetime,
         entries: Iterable[Entry], lang: str = "es", author: str = "Allpa") -> bytes:
    """The feed as UTF-8 XML; ``updated`` is the latest entry's time (or the caller's)."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str
            ) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    root = ET.Element(f"{{{ATOM_NS}}}feed", {"xml:lang": lang})
    sub(root, "id", feed_id)
    sub(root, "title", title)
    sub(root, "updated", _stamp(updated))
    sub(sub(root, "author"), "name", author)
    sub(root, "link", rel="self", href=self_link, type="application/atom+xml")
    sub(root, "link", rel="alternate", href=alternate, type="text/html")
    for e in entries:
        item = sub(root, "entry")
        sub(item, "id", e.id)
        sub(item, "title", e.title)
        sub(item, "updated", _stamp(e.updated))
        sub(item, "summary", e.summary)
        sub(item, "link", rel="alternate", href=e.link, type="text/html")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
