"""``allpa analyze`` and ``allpa flags``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from typing import Annotated, Any

import typer

from api.cli.context import friendly_errors, ready_engine, settings


@friendly_errors
def analyze_cmd(
    full: Annotated[bool, typer.Option("--full", help="Recalcula todo / recompute all")] = False,
    today: Annotated[str | None, typer.Option(help="Fecha de evaluación YYYY-MM-DD")] = None,
    by: Annotated[str | None, typer.Option(help="Quién registra")] = None,
) -> None:
    """Calcula superposiciones y alertas / compute overlaps and flags."""
    from layers.analysis_state import quick_incremental_run

    s = settings()
    day = dt.date.fromisoformat(today) if today else dt.date.today()
    summary = None if full else quick_incremental_run(s, recorded_by=by or s.user, today=day)
    if summary is None:
        from layers.analysis import run_analysis

        with ready_engine(s).begin() as conn:
            summary = run_analysis(conn, s, recorded_by=by or s.user, full=full, today=day)
    typer.echo(f"Análisis #{summary.run_id} ({summary.mode}): {summary.communities} comunidades, "
               f"{summary.overlaps} superposiciones, {summary.flags} alertas en "
               f"{summary.seconds:.2f} s")


def _table(rows: list[dict[str, Any]], lang: str) -> str:
    from geo.maps.labels import due_text
    from geo.vocabulary import SEVERITY

    head = (["#", "Comunidad", "Distrito", "Severidad", "Regla", "Acción", "Plazo"]
            if lang == "es" else
            ["#", "Community", "District", "Severity", "Rule", "Action", "Due"])
    lines = []
    for r in rows:
        sev = SEVERITY.label(r["severity"], lang)
        action = r["action_es"] if lang == "es" else r["action_en"]
        lines.append([str(r["rank"]), r["community"], r["district"] or r["admin_code"] or "-",
                      sev, r["rule_id"], (action or "")[:70],
                      due_text(r["due_date"], lang=lang) if r["due_date"] else "-"])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines, strict=True)]
    out = io.StringIO()
    for row in [head, *lines]:
        out.write("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip())
        out.write("\n")
    return out.getvalue()


def _geojson(rows: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    feats = []
    for r in rows:
        props = {k: v for k, v in r.items() if k not in ("lon", "lat")}
        props["message"] = r["message_es"] if lang == "es" else r["message_en"]
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]}})
    return {"type": "FeatureCollection", "features": feats}


@friendly_errors
def flags_cmd(
    lang: Annotated[str, typer.Option(help="es|en")] = "es",
    fmt: Annotated[str, typer.Option("--format", help="table|csv|json|geojson")] = "table",
    network: Annotated[str | None, typer.Option(help="Red (id o nombre)")] = None,
    district: Annotated[str | None, typer.Option(help="Distrito (ubigeo o nombre)")] = None,
    severity: Annotated[str | None, typer.Option(help="Severidad mínima")] = None,
) -> None:
    """Alertas priorizadas / ranked flags with reasons and actions."""
    from geo.maps.labels import with_due_status
    from layers.flag_queries import FlagFilter, current_flags

    with ready_engine().connect() as conn:
        rows = current_flags(conn, FlagFilter(network=network, district=district,
                                              min_severity=severity))
    rows = [with_due_status(r, lang) for r in rows]  # "vencido hace N días"
    if fmt == "table":
        typer.echo(_table(rows, lang), nl=False)
        typer.echo(f"{len(rows)} alertas" if lang == "es" else f"{len(rows)} flags")
    elif fmt == "csv":
        keys = ["rank", "community_id", "community", "district", "severity", "rule_id",
                "message_es" if lang == "es" else "message_en",
                "action_es" if lang == "es" else "action_en", "legal_ref", "due_date",
                "due_status"]
        writer = csv.DictWriter(sys.stdout, fieldnames=keys, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    elif fmt == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, default=str, indent=2))
    elif fmt == "geojson":
        typer.echo(json.dumps(_geojson(rows, lang), ensure_ascii=False, default=str))
    else:
        raise typer.BadParameter("--format: table|csv|json|geojson")


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze_cmd)
    app.command("flags")(flags_cmd)
