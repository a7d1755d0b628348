"""The donor report of a programme: PDF (matplotlib), XLSX (openpyxl) and CSV, from the one
dict ``layers.programme_report.compute`` returns, so all three carry the same figures, the
same date and the same evidence (definition, filters, SQL and record versions per number).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from geo.programme import bar_color, fmt_number

_T = {
    "es": {"title": "Informe al financiador", "as_of": "Fecha de corte",
           "generated": "Generado", "programme": "Programa", "donor": "Financiador",
           "scope": "Ámbito", "all": "todo el programa", "visibility": "Visibilidad",
           "indicator": "Indicador", "value": "Valor", "target": "Meta",
           "progress": "Avance", "period": "Periodo", "unit": "Unidad",
           "evidence": "Evidencia", "definition": "Definición", "filters": "Filtros",
           "community": "Comunidad", "district": "Distrito", "version": "Versión (vid)",
           "detail": "Detalle", "query": "Consulta SQL", "none": "ninguno",
           "fictional": "Datos de muestra FICTICIOS", "items": "Registros",
           "target_record": "Registro de la meta", "no_programme": "sin programa",
           "no_target": "sin meta", "reserved_short": "reservado",
           "reserved": "Reservado: solo el equipo legal lo ve"},
    "en": {"title": "Donor report", "as_of": "Cut-off date", "generated": "Generated",
           "programme": "Programme", "donor": "Donor", "scope": "Scope",
           "all": "whole programme", "visibility": "Visibility", "indicator": "Indicator",
           "value": "Value", "target": "Target", "progress": "Progress",
           "period": "Period", "unit": "Unit", "evidence": "Evidence",
           "definition": "Definition", "filters": "Filters", "community": "Community",
           "district": "District", "version": "Version (vid)", "detail": "Detail",
           "query": "SQL query", "none": "none", "fictional": "FICTIONAL sample data",
           "items": "Records", "target_record": "Target record",
           "no_programme": "no programme", "no_target": "no target",
           "reserved_short": "reserved", "reserved": "Reserved: visible to the legal team only"},
}


def strings(lang: str) -> dict[str, str]:
    return _T["en" if lang == "en" else "es"]


def _name(ind: Mapping[str, Any], lang: str) -> str:
    return str(ind["name_en"] if lang == "en" else ind["name_es"])


def value_text(ind: Mapping[str, Any], lang: str) -> str:
    """The figure as text; "reservado" when the reader may not see the source (never 0)."""
    return strings(lang)["reserved_short"] if ind.get("reserved") else fmt_number(ind["value"])


def _progress(ind: Mapping[str, Any]) -> str:
    p = ind.get("progress")
    return "–" if p is None else f"{p * 100:.0f} %"


def _period(ind: Mapping[str, Any]) -> str:
    return f"{ind['period']['start']} – {ind['period']['end']}"


def _scope(report: Mapping[str, Any], t: Mapping[str, str]) -> str:
    scope = report.get("scope") or {}
    return ", ".join(f"{k}: {v}" for k, v in scope.items()) or t["all"]


def _programme(report: Mapping[str, Any], t: Mapping[str, str]) -> str:
    p = report.get("programme")
    return f"{p['name']} ({p['id']})" if p else t["no_programme"]


def header_lines(report: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    t = strings(lang)
    p = report.get("programme") or {}
    return [(t["programme"], _programme(report, t)), (t["donor"], p.get("donor") or "–"),
            (t["as_of"], str(report["as_of"])), (t["generated"], str(report["generated_at"])),
            (t["scope"], _scope(report, t)),
            (t["visibility"], str(report["visibility"]["en" if lang == "en" else "es"]))]


def report_csv(report: Mapping[str, Any], lang: str = "es") -> str:
    """One row per indicator, then one row per item behind each number."""
    t = strings(lang)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for k, v in header_lines(report, lang):
        w.writerow([k, v])
    w.writerow([])
    w.writerow(["id", t["indicator"], t["value"], t["target"], t["progress"], t["period"],
                t["unit"]])
    for ind in report["indicators"]:
        w.writerow([ind["id"], _name(ind, lang),
                    t["reserved_short"] if ind.get("reserved") else ind["value"],
                    "" if ind["target"] is None else fmt_number(ind["target"]),
                    _progress(ind), _period(ind), ind["unit_en" if lang == "en" else "unit_es"]])
    w.writerow([])
    w.writerow(["id", t["community"], t["district"], t["version"], t["detail"]])
    for ind in report["indicators"]:
        for item in ind["items"]:
            w.writerow([ind["id"], f"{item['community_id']} {item['community']}",
                        item["district"] or "", item["vid"], item["detail"] or ""])
    return buf.getvalue()


def report_xlsx(report: Mapping[str, Any], lang: str = "es", *, fictional: bool = False
                ) -> bytes:
    """Sheets: summary (header + one row per indicator), evidence (one row per item with its
    record version), queries (definition, filters and SQL per indicator)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    t = strings(lang)
    wb = Workbook()
    ws = wb.active
    ws.title = "Resumen" if lang == "es" else "Summary"
    ws.append([t["title"]])
    ws["A1"].font = Font(bold=True, size=14)
    if fictional:
        ws.append([t["fictional"]])
    for k, v in header_lines(report, lang):
        ws.append([k, v])
    ws.append([])
    ws.append(["id", t["indicator"], t["value"], t["target"], t["progress"],
               t["period"], t["unit"], t["target_record"]])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for ind in report["indicators"]:
        rec = ind.get("target_record")
        ws.append([ind["id"], _name(ind, lang),
                   t["reserved_short"] if ind.get("reserved") else ind["value"], ind["target"],
                   ind["progress"], _period(ind), ind["unit_en" if lang == "en" else "unit_es"],
                   f"{rec['key']} (vid {rec['vid']})" if rec else ""])
        ws.cell(ws.max_row, 5).number_format = "0%"
    for col, width in zip("ABCDEFGH", (30, 58, 9, 9, 9, 24, 14, 48), strict=True):
        ws.column_dimensions[col].width = width
    ev = wb.create_sheet("Evidencia" if lang == "es" else "Evidence")
    ev.append(["id", t["community"], t["district"], t["version"], t["detail"]])
    for ind in report["indicators"]:
        for item in ind["items"]:
            ev.append([ind["id"], f"{item['community_id']} {item['community']}",
                       item["district"], item["vid"], item["detail"]])
    q = wb.create_sheet("Consultas" if lang == "es" else "Queries")
    q.append(["id", t["definition"], t["filters"], t["query"]])
    for ind in report["indicators"]:
        filters = ", ".join(f"{k}={v}" for k, v in ind["evidence"]["filters"].items() if v)
        q.append([ind["id"], ind["definition_en" if lang == "en" else "definition_es"],
                  filters, ind["evidence"]["sql"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def report_pdf(report: Mapping[str, Any], lang: str = "es", *, fictional: bool = False
               ) -> bytes:
    """A4 portrait: a summary page with a progress chart per indicator, then the evidence
    (definition, filters, communities and record versions behind each number)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    from geo.maps.dossier_pdf import A4_PORTRAIT, wrap_to_width

    t = strings(lang)
    inds = list(report["indicators"])
    out = io.BytesIO()
    with PdfPages(out, metadata={"Title": f"{t['title']} {report['as_of']}",
                                 "Creator": "Allpa"}) as pdf:
        fig = plt.figure(figsize=A4_PORTRAIT)
        fig.text(0.07, 0.955, t["title"], fontsize=16, weight="bold", family="DejaVu Sans")
        y = 0.93
        if fictional:
            fig.text(0.07, y, t["fictional"], fontsize=9, color="#b00020", weight="bold")
            y -= 0.018
        for k, v in header_lines(report, lang):
            lines = wrap_to_width(f"{k}: {v}", 0.86 * A4_PORTRAIT[0] * 72, 8.5)
            for line in lines:
                fig.text(0.07, y, line, fontsize=8.5, family="DejaVu Sans")
                y -= 0.016
        ax = fig.add_axes((0.45, 0.06, 0.38, y - 0.09))
        names = [wrap_to_width(_name(i, lang), 0.36 * A4_PORTRAIT[0] * 72, 7)[:2]
                 for i in inds]
        rows = range(len(inds))
        # a reserved indicator has no number: no bar, the word "reserved" as its label
        scale = [max(float(i["value"] or 0), float(i["target"] or 0), 1.0) for i in inds]
        ax.barh(rows, [1.0] * len(inds), color="#e6e1d8", height=0.6)
        ax.barh(rows, [float(i["value"] or 0) / s for i, s in zip(inds, scale, strict=True)],
                color=[bar_color(i["value"] or 0, i["target"],
                                 lower_is_better=i.get("better") == "lower") for i in inds],
                height=0.6)
        for r, (i, s) in enumerate(zip(inds, scale, strict=True)):
            if i["target"]:
                ax.plot([i["target"] / s] * 2, [r - 0.38, r + 0.38], color="#222", lw=1.5)
            shown = value_text(i, lang)
            label = f"{shown} / {fmt_number(i['target'])}" \
                if i["target"] is not None else f"{shown} ({t['no_target']})"
            ax.text(1.02, r, label, va="center", fontsize=7, family="DejaVu Sans")
        ax.set_yticks(list(rows), ["\n".join(n) for n in names], fontsize=7,
                      family="DejaVu Sans")
        ax.invert_yaxis()
        ax.set_xlim(0, 1.0)
        ax.set_xticks([])
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_title(f"{t['value']} / {t['target']}", fontsize=8, loc="left")
        pdf.savefig(fig)
        plt.close(fig)
        _evidence_pages(pdf, report, lang)
    return out.getvalue()


def _evidence_pages(pdf: Any, report: Mapping[str, Any], lang: str) -> None:
    import matplotlib.pyplot as plt

    from geo.maps.dossier_pdf import A4_PORTRAIT, wrap_to_width

    t = strings(lang)
    width_pt = 0.86 * A4_PORTRAIT[0] * 72
    lines: list[tuple[str, float, bool]] = [(t["evidence"], 12, True)]
    for ind in report["indicators"]:
        lines.append(("", 4, False))
        head = f"{_name(ind, lang)} [{ind['id']}]: {value_text(ind, lang)}"
        lines += [(w, 9, True) for w in wrap_to_width(head, width_pt, 9, True)]
        definition = ind["definition_en" if lang == "en" else "definition_es"]
        lines += [(w, 7.5, False) for w in wrap_to_width(f"{t['definition']}: {definition}",
                                                         width_pt, 7.5)]
        filters = ", ".join(f"{k}={v}" for k, v in ind["evidence"]["filters"].items() if v)
        lines += [(w, 7.5, False) for w in wrap_to_width(f"{t['filters']}: {filters}",
                                                         width_pt, 7.5)]
        # a case is listed with its type (the item's detail: a label, never a code)
        typed = ind["id"].startswith("cases")
        items = "; ".join(f"{i['community_id']} (vid {i['vid']}"
                          f"{': ' + i['detail'] if typed and i['detail'] else ''})"
                          for i in ind["items"])
        shown = t["reserved"] if ind.get("reserved") else items or t["none"]
        lines += [(w, 7.5, False) for w in wrap_to_width(
            f"{t['items']}: {shown}", width_pt, 7.5)]
    fig = None
    y = 0.0
    for text, size, bold in lines:
        step = size * 1.45 / (A4_PORTRAIT[1] * 72)
        if fig is None or y - step < 0.05:
            if fig is not None:
                pdf.savefig(fig)
                plt.close(fig)
            fig = plt.figure(figsize=A4_PORTRAIT)
            y = 0.95
        y -= step
        if text:
            fig.text(0.07, y, text, fontsize=size, weight="bold" if bold else "normal",
                     family="DejaVu Sans")
    if fig is not None:
        pdf.savefig(fig)
        plt.close(fig)
