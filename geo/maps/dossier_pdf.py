"""The lawyer's dossier as a multi-page PDF (matplotlib ``PdfPages``; no system libraries).

Input is the plain dict ``layers.maps.dossier`` returns plus the map frames; text is laid
out top to bottom on A4 portrait pages with automatic page breaks.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font

from geo.maps import labels as L
from geo.maps.map_input import MapInput
from geo.maps.printmap import map_png

A4_PORTRAIT = (8.27, 11.69)
LEFT, RIGHT, TOP, BOTTOM = 0.07, 0.93, 0.95, 0.05
#: the text column in points
TEXT_PT = (RIGHT - LEFT) * A4_PORTRAIT[0] * 72
CELL_PAD_PT = 5.0
MAP_HEIGHT = 0.5  # of the page height
_FONTS = {False: FontProperties(family="DejaVu Sans"),
          True: FontProperties(family="DejaVu Sans", weight="bold")}


@functools.lru_cache(maxsize=8192)
def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of ``text`` as matplotlib lays it out (FreeType advance widths with
    kerning: measured, not estimated from a character count)."""
    if not text:
        return 0.0
    font = get_font(findfont(_FONTS[bold]))
    font.set_size(size, 720)  # 10x resolution: hinting would round widths down
    font.set_text(text, 0.0)
    width, _ = font.get_width_height()
    return float(width) / 640.0


def wrap_to_width(value: str, width_pt: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap on measured widths; a word wider than the column (a SHA-256, a
    long code) is split between characters, so nothing runs into the next column."""
    lines: list[str] = []
    for paragraph in str(value).split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, size, bold) <= width_pt:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            while text_width(word, size, bold) > width_pt and len(word) > 1:
                cut = len(word)
                while cut > 1 and text_width(word[:cut], size, bold) > width_pt:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines or [""]


class _Doc:
    """A tiny flowing-text writer over PdfPages."""

    def __init__(self, pdf: PdfPages, footer: str) -> None:
        self.pdf = pdf
        self.footer = footer
        self.page = 0
        self.fig: Figure | None = None
        self.y = TOP

    def _new(self) -> Figure:
        if self.fig is not None:
            self._close()
        self.page += 1
        self.fig = plt.figure(figsize=A4_PORTRAIT)
        self.y = TOP
        return self.fig

    def _close(self) -> None:
        assert self.fig is not None
        self.fig.text(LEFT, 0.02, f"{self.footer} · {self.page}", fontsize=6, color="#555555")
        self.pdf.savefig(self.fig)
        plt.close(self.fig)
        self.fig = None

    def _need(self, height: float) -> Figure:
        if self.fig is None or self.y - height < BOTTOM:
            return self._new()
        return self.fig

    def text(self, value: str, *, size: float = 9, bold: bool = False,
             color: str = "black", x: float = LEFT) -> None:
        lines = wrap_to_width(value, TEXT_PT - (x - LEFT) * A4_PORTRAIT[0] * 72, size, bold)
        line_h = size / 72 / A4_PORTRAIT[1] * 1.35
        for line in lines:
            fig = self._need(line_h)
            fig.text(x, self.y, line, fontsize=size, fontweight="bold" if bold else "normal",
                     va="top", color=color)
            self.y -= line_h

    def gap(self, h: float = 0.01) -> None:
        self.y -= h

    def heading(self, value: str, keep: float = 0.05) -> None:
        """A section title; ``keep``: room the section's start needs on the same page."""
        self.gap(0.012)
        self._need(keep)
        self.text(value, size=12, bold=True)
        assert self.fig is not None
        self.fig.add_artist(plt.Line2D([LEFT, RIGHT], [self.y + 0.003, self.y + 0.003],
                                       color="#888888", linewidth=0.6))
        self.gap(0.006)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]],
              widths: Sequence[float], size: float = 7) -> None:
        """Columns at fixed fractions of the page width; long cells wrap."""
        total = RIGHT - LEFT
        xs = [LEFT]
        for w in widths[:-1]:
            xs.append(xs[-1] + w * total)
        cell_pt = [w * TEXT_PT - CELL_PAD_PT for w in widths]
        line_h = size / 72 / A4_PORTRAIT[1] * 1.3

        def emit(cells: Sequence[str], bold: bool) -> None:
            wrapped = [wrap_to_width(str(c), n, size, bold) for c, n in
                       zip(cells, cell_pt, strict=True)]
            height = max(len(w) for w in wrapped) * line_h + 0.004
            fig = self._need(height)
            for x, lines in zip(xs, wrapped, strict=True):
                for i, line in enumerate(lines):
                    fig.text(x, self.y - i * line_h, line, fontsize=size, va="top",
                             fontweight="bold" if bold else "normal")
            self.y -= height
            fig.add_artist(plt.Line2D([LEFT, RIGHT], [self.y + 0.002, self.y + 0.002],
                                      color="#cccccc", linewidth=0.4))

        emit(headers, True)
        for row in rows:
            emit(row, False)

    def image(self, png: bytes, height: float = 0.42) -> None:
        fig = self._need(height)
        img = mpimg.imread(io.BytesIO(png), format="png")
        ax = fig.add_axes((LEFT, self.y - height, RIGHT - LEFT, height))
        ax.imshow(img)
        ax.axis("off")
        self.y -= height + 0.01

    def finish(self) -> None:
        if self.fig is not None:
            self._close()


def _yn(lang: str, v: Any) -> str:
    return L.t(lang, "yes") if v is True else L.t(lang, "no") if v is False else \
        L.t(lang, "unknown")


def _n(v: Any, digits: int = 2) -> str:
    return "–" if v is None else f"{float(v):.{digits}f}"


def render_dossier_pdf(d: Mapping[str, Any], inp: MapInput, *, lang: str = "es") -> bytes:
    """The lawyer's dossier of community ``d`` (:func:`layers.maps.dossier`) as PDF, with
    the community map drawn from ``inp`` (its community map, :func:`layers.maps.map_data`)."""
    lang = L.lang_of(lang)

    def t(k: str) -> str:
        return L.t(lang, k)

    buf = io.BytesIO()
    title = f"{t('report_title')}: {d['name']}"
    # the evidence hashes also go into the PDF metadata: machine-readable without OCR
    evidence = "; ".join(f"{b['file_name']} sha256:{b['sha256']}" for b in d["evidence"])
    meta = {"Title": title, "Creator": f"Allpa {d['software_version']}", "Subject": evidence,
            "Keywords": f"allpa dossier {d['id']}"}
    with PdfPages(buf, metadata=meta) as pdf:
        doc = _Doc(pdf, f"Allpa {d['software_version']} · {d['id']} · {t('generated')} "
                        f"{d['generated_at']} · {t('page')}")
        doc.text(title, size=15, bold=True)
        kind = t("kind_" + str(d.get("kind"))) if d.get("kind") else ""
        country = t("country_" + str(d.get("country"))) if d.get("country") else ""
        doc.text(f"{d['id']} · {kind} · {d.get('district') or d.get('admin_code') or ''}, "
                 f"{country}", color="#555555")
        lp, st, bd, pr = d["legal_personality"], d["statute"], d["board"], d["procedure"]
        doc.heading(t("legal_status"))
        for k, v in ((t("legal_status"), t("legal_" + (lp.get("status") or "unknown"))),
                     (t("registry_office"), lp.get("registry_office") or "–"),
                     (t("registry_entry"), lp.get("registry_entry") or "–"),
                     (t("registration_date"), lp.get("registration_date") or "–"),
                     (t("statute_adopted"), st.get("adopted") or "–"),
                     (t("statute_modified"), st.get("modified") or "–"),
                     (t("clauses"), "; ".join(f"{t('clause_' + k)}: {_yn(lang, v)}"
                                              for k, v in st["clauses"].items())),
                     (t("board_elected"), bd.get("elected") or "–"),
                     (t("board_term"), bd.get("term_end") or "–"),
                     (t("board_registered"), _yn(lang, bd.get("registered"))),
                     (t("procedure"), " ".join(str(x) for x in (pr.get("what"), pr.get("stage"),
                                                                pr.get("since")) if x) or "–")):
            doc.text(f"{k}: {v}", size=9)
        doc.heading(t("history"))
        doc.table([t("version"), t("valid_from"), t("valid_to"), t("recorded_by"), t("source"),
                   t("legal_status"), t("board_term")],
                  [[f"v{v['vid']}", str(v["valid_from"])[:19], str(v["valid_to"] or
                                                                   t("current"))[:19],
                    str(v["recorded_by"]), f"{v.get('source') or '–'}"
                    f"{' · ' + v['change_note'] if v.get('change_note') else ''}",
                    t("legal_" + str(v["legal_status"])) if v.get("legal_status") else "–",
                    str(v.get("board_term_end") or "–")]
                   for v in d["history"]], [0.07, 0.16, 0.16, 0.12, 0.27, 0.11, 0.11])
        doc.heading(f"{t('concessions_overlap')} ({len(d['concessions'])})")
        if d.get("point_only"):
            doc.text(t("print_estimate_note"), size=8, color="#7a5a00")
        cov = d.get("coverage") or {}
        if not cov.get("any_cadastre"):
            doc.text(t("coverage_no_cadastre"), bold=True, color="#a50f15")
        elif not cov.get("covered"):
            doc.text(t("coverage_none"), bold=True, color="#a50f15")
        else:
            doc.text(f"{t('coverage_ok')}: " + "; ".join(
                f"{b['file_name']} ({str(b['created_at'])[:10]})" for b in cov["batches"]),
                size=8, color="#444444")
        if d.get("share_union") is not None:
            doc.text(f"{t('territory_under_concessions')}: {100 * d['share_union']:.1f} %")
        doc.table([t("code"), t("name"), t("holder"), t("state"), t("filed_on"),
                   t("official_ha"), t("overlap_ha"), t("pct_territory")],
                  [[c["code"], c.get("name") or "–", c.get("holder") or "–",
                    t("state_" + (c.get("state") or "unknown")), str(c.get("filed_on") or "–"),
                    _n(c.get("official_ha")), _n(c.get("overlap_ha")),
                    "–" if c.get("share") is None else f"{100 * c['share']:.1f}"]
                   for c in d["concessions"]],
                  [0.1, 0.16, 0.19, 0.1, 0.11, 0.1, 0.13, 0.11])
        doc.heading(f"{t('water_sources')} ({len(d['water'])})")
        doc.table([t("name"), t("kind"), t("use"), t("in_concession")],
                  [[w.get("name") or w["id"], t("water_" + str(w.get("kind"))),
                    t("use_" + str(w["use"])) if w.get("use") else "–",
                    _yn(lang, bool(w.get("in_concession")))]
                   for w in d["water"]], [0.45, 0.2, 0.15, 0.2])
        doc.heading(f"{t('flags')} ({len(d['flags'])})")
        if not d["flags"]:
            doc.text(t("no_flags"))
        for f in d["flags"]:
            doc.text(f"{t('sev_' + f['severity'])} · {f['rule_id']}", bold=True)
            doc.text(str(f.get("message") or ""))
            doc.text(f"{t('action')}: {f.get('action') or '–'}")
            doc.text(f"{t('legal_ref')}: {f.get('legal_ref') or '–'} · {t('due')}: "
                     f"{L.due_text(f['due_date'], lang=lang) if f.get('due_date') else '–'}",
                     color="#444444")
            doc.gap(0.006)
        doc.heading(t("map"), keep=0.05 + MAP_HEIGHT)
        doc.image(map_png(inp, lang=lang, dpi=130),
                  height=MAP_HEIGHT)
        doc.heading(t("evidence"))
        doc.table([t("layer"), t("file"), t("sha256"), t("imported_at"), t("crs_declared"),
                   t("crs_used")],
                  [[t("layer_" + str(b["layer"])), b["file_name"], b["sha256"],
                    str(b["created_at"])[:19].replace("T", " "),
                    b.get("crs_declared") or "–", b.get("crs_used") or "–"]
                   for b in d["evidence"]], [0.13, 0.2, 0.3, 0.15, 0.11, 0.11], size=6.5)
        run = d.get("analysis_run")
        if run:
            when = str(run.get("finished_at") or run.get("started_at"))[:19].replace("T", " ")
            doc.text(f"{t('computed_at')}: {when} (#{run.get('id')}, {run.get('mode')}, "
                     f"{float(run.get('seconds') or 0):.2f} s) · {t('evaluated_on')} "
                     f"{run.get('evaluated_on') or '–'}", size=8)
            if run.get("rules_sha256"):
                doc.text(f"{t('rules_hash')}: {run['rules_sha256']}", size=7)
        doc.text(t("rule_files"), size=9, bold=True)
        doc.table([t("file"), t("rules_version"), t("sha256")],
                  [[r["file"], str(r.get("version") or "–"), r["sha256"]]
                   for r in d.get("rule_files") or []], [0.2, 0.12, 0.68], size=6.5)
        v = d.get("versions") or {}
        doc.text(f"{t('software_versions')}: Allpa {v.get('allpa', d['software_version'])} · "
                 f"PostGIS {v.get('postgis', '–')} · GEOS {v.get('geos_postgis', '–')} "
                 f"(PostGIS), {v.get('geos_python', '–')} (shapely) · PROJ "
                 f"{v.get('proj_postgis', '–')} (PostGIS), {v.get('proj_python', '–')} (pyproj)",
                 size=8)
        doc.finish()
    return buf.getvalue()
