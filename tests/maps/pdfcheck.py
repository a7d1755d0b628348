"""Look at a PDF the way a reader does: render its pages to PNG (PDFium) and read where every
run of text sits, to find text that runs off the page or lies on top of other text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium


@dataclass(frozen=True)
class TextRun:
    page: int
    text: str
    box: tuple[float, float, float, float]  # left, bottom, right, top (PDF points)


@dataclass(frozen=True)
class PdfLook:
    sizes: list[tuple[float, float]]
    runs: list[TextRun]
    text: str


def look(data: bytes) -> PdfLook:
    pdf = pdfium.PdfDocument(data)
    sizes, runs, texts = [], [], []
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            sizes.append(tuple(page.get_size()))
            tp = page.get_textpage()
            texts.append(tp.get_text_range())
            for r in range(tp.count_rects()):
                box = tp.get_rect(r)
                text = tp.get_text_bounded(*box).strip()
                if text:
                    runs.append(TextRun(i, text, tuple(box)))  # type: ignore[arg-type]
    finally:
        pdf.close()
    return PdfLook(sizes=sizes, runs=runs, text="\n".join(texts))  # type: ignore[arg-type]


def off_page(pdf: PdfLook, margin: float = 0.5) -> list[TextRun]:
    """Text runs that leave the page (or its ``margin`` points)."""
    out = []
    for r in pdf.runs:
        w, h = pdf.sizes[r.page]
        left, bottom, right, top = r.box
        if left < margin or bottom < margin or right > w - margin or top > h - margin:
            out.append(r)
    return out


def overlapping(pdf: PdfLook, min_share: float = 0.3) -> list[tuple[TextRun, TextRun]]:
    """Pairs of text runs on the same page whose boxes cover each other by more than
    ``min_share`` of the smaller one (text printed over text)."""
    pairs = []
    by_page: dict[int, list[TextRun]] = {}
    for r in pdf.runs:
        by_page.setdefault(r.page, []).append(r)
    for runs in by_page.values():
        for i, a in enumerate(runs):
            for b in runs[i + 1:]:
                w = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
                h = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
                if w <= 0 or h <= 0:
                    continue
                smaller = min((a.box[2] - a.box[0]) * (a.box[3] - a.box[1]),
                              (b.box[2] - b.box[0]) * (b.box[3] - b.box[1]))
                if smaller > 0 and w * h / smaller > min_share:
                    pairs.append((a, b))
    return pairs


def render(data: bytes, out_prefix: Path, scale: float = 1.5) -> list[Path]:
    """Every page as ``<prefix>-<n>.png``; returns the paths."""
    pdf = pdfium.PdfDocument(data)
    paths = []
    try:
        for i in range(len(pdf)):
            image = pdf[i].render(scale=scale).to_pil()
            path = out_prefix.with_name(f"{out_prefix.name}-{i + 1}.png")
            image.save(path)
            paths.append(path)
    finally:
        pdf.close()
    return paths


def overprinted_chars(data: bytes, min_share: float = 0.35) -> list[tuple[int, str, str]]:
    """Characters printed on top of other characters (a column running into the next, a
    title over a table): ``(page, text near a, text near b)`` per clash."""
    pdf = pdfium.PdfDocument(data)
    clashes: list[tuple[int, str, str]] = []
    try:
        for p in range(len(pdf)):
            tp = pdf[p].get_textpage()
            n = tp.count_chars()
            text = tp.get_text_range()
            boxes = []
            for i in range(n):
                if i < len(text) and text[i].isspace():
                    continue
                left, bottom, right, top = tp.get_charbox(i)
                if right - left > 0.2 and top - bottom > 0.2:
                    boxes.append((i, left, bottom, right, top))
            grid: dict[tuple[int, int], list[tuple[int, float, float, float, float]]] = {}
            for b in boxes:
                grid.setdefault((int(b[1] // 20), int(b[2] // 20)), []).append(b)
            for a in boxes:
                cx, cy = int(a[1] // 20), int(a[2] // 20)
                for dx in (-1, 0, 1):
                    for dy in (-1, 0, 1):
                        for b in grid.get((cx + dx, cy + dy), []):
                            if b[0] <= a[0] + 3:  # neighbours and ligatures (ffi)
                                continue
                            w = min(a[3], b[3]) - max(a[1], b[1])
                            h = min(a[4], b[4]) - max(a[2], b[2])
                            if w <= 0 or h <= 0:
                                continue
                            small = min((a[3] - a[1]) * (a[4] - a[2]),
                                        (b[3] - b[1]) * (b[4] - b[2]))
                            if w * h > min_share * small:
                                clashes.append((p, text[max(0, a[0] - 8):a[0] + 8],
                                                text[max(0, b[0] - 8):b[0] + 8]))
    finally:
        pdf.close()
    return clashes
