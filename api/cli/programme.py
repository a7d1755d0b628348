"""``allpa indicators`` (programme figures as of a date, or the donor report) and
``allpa targets import|list``. Heavy libraries are imported inside the commands."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.context import friendly_errors, ready_engine

targets_app = typer.Typer(help="Metas del programa / programme targets", no_args_is_help=True)


def _as_of(value: str | None) -> dt.date | dt.datetime | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 \
            else dt.datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"--as-of: AAAA-MM-DD / YYYY-MM-DD, no '{value}'") from None


def _table(data: dict[str, Any], lang: str) -> str:
    from geo.maps.programme_report import value_text
    from geo.programme import fmt_number

    rows = [(i["id"], i["name_en" if lang == "en" else "name_es"], value_text(i, lang),
             fmt_number(i["target"]),
             "–" if i["progress"] is None else f"{i['progress'] * 100:.0f} %",
             f"{i['period']['start']}–{i['period']['end']}") for i in data["indicators"]]
    head = ("id", "indicador" if lang == "es" else "indicator", "valor" if lang == "es"
            else "value", "meta" if lang == "es" else "target",
            "avance" if lang == "es" else "progress", "periodo" if lang == "es" else "period")
    widths = [max(len(str(r[k])) for r in [head, *rows]) for k in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [head, *rows]]
    prog = data["programme"]
    title = (f"{prog['name']} ({prog['id']})" if prog else "—") + f" · {data['as_of']}"
    return title + "\n" + "\n".join(lines) + "\n"


@friendly_errors
def indicators_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="AAAA-MM-DD (hoy si falta)")]
    = None,
    fmt: Annotated[str, typer.Option("--format", help="table|json|csv")] = "table",
    district: Annotated[str | None, typer.Option(help="Prefijo de ubigeo")] = None,
    network: Annotated[str | None, typer.Option(help="id de red")] = None,
    country: Annotated[str | None, typer.Option(help="PE|BO")] = None,
    programme: Annotated[str | None, typer.Option(help="id del programa")] = None,
    public: Annotated[bool, typer.Option(
        "--public", help="Solo comunidades públicas / public communities only")] = False,
    lang: Annotated[str, typer.Option(help="es|en")] = "es",
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Informe al financiador .pdf|.xlsx|.csv")] = None,
) -> None:
    """Indicadores del programa a una fecha / programme indicators as of a date."""
    from layers import indicators, programme_report
    from layers.users import ANONYMOUS, Principal

    principal = ANONYMOUS if public else Principal(name="allpa-cli", role="admin")
    scope = indicators.Scope(country=country, district=district, network=network)
    with ready_engine().connect() as conn:
        data = programme_report.compute(conn, principal, as_of=_as_of(as_of), scope=scope,
                                        programme_id=programme)
        if output is not None:
            _write_report(conn, data, output, lang)
            return
    if fmt == "table":
        typer.echo(_table(data, lang), nl=False)
    elif fmt == "json":
        for ind in data["indicators"]:
            ind.pop("items", None)
        typer.echo(json.dumps(data, ensure_ascii=False, default=str, indent=2))
    elif fmt == "csv":
        from geo.maps.programme_report import strings

        reserved = strings(lang)["reserved_short"]
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["id", "name_es", "name_en", "value", "target", "period_start",
                         "period_end", "as_of"])
        for i in data["indicators"]:
            writer.writerow([i["id"], i["name_es"], i["name_en"],
                             reserved if i["reserved"] else i["value"],
                             "" if i["target"] is None else i["target"],
                             i["period"]["start"], i["period"]["end"], data["as_of"]])
    else:
        raise typer.BadParameter("--format: table|json|csv")


def _write_report(conn: Any, data: dict[str, Any], output: Path, lang: str) -> None:
    from geo.maps import programme_report as files
    from layers.maps import sample_loaded

    fictional = sample_loaded(conn)
    suffix = output.suffix.lower()
    if suffix == ".pdf":
        output.write_bytes(files.report_pdf(data, lang, fictional=fictional))
    elif suffix == ".xlsx":
        output.write_bytes(files.report_xlsx(data, lang, fictional=fictional))
    elif suffix == ".csv":
        output.write_text(files.report_csv(data, lang), encoding="utf-8")
    else:
        raise typer.BadParameter("-o: .pdf | .xlsx | .csv")
    typer.echo(str(output))


@targets_app.command("import")
@friendly_errors
def targets_import_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    by: Annotated[str | None, typer.Option("--by", help="Quién registra")] = None,
) -> None:
    """Importar metas desde CSV (todo o nada) / import targets from CSV (all or nothing).

    Columnas: programa, programa_nombre, financiador, indicador, meta, desde, hasta, ambito.
    """
    from layers.config import load_settings
    from layers.programme import import_targets_csv

    engine = ready_engine()
    with engine.begin() as conn:
        counts = import_targets_csv(conn, file.read_text(encoding="utf-8-sig"),
                                    recorded_by=by or load_settings().user,
                                    source=file.name)
    typer.echo(f"metas / targets: {counts['inserted']} nuevas / new, {counts['changed']} "
               f"cambiadas / changed, {counts['unchanged']} sin cambio / unchanged")


@targets_app.command("list")
@friendly_errors
def targets_list_cmd() -> None:
    """Metas vigentes / current targets."""
    from layers.programme import targets

    with ready_engine().connect() as conn:
        rows = targets(conn)
    for r in rows:
        scope = "todo" if r["scope_kind"] == "all" else f"{r['scope_kind']}:{r['scope_value']}"
        typer.echo(f"{r['programme_id']}  {r['indicator']:32s} {r['target']:>8g}  "
                   f"{r['period_start']}–{r['period_end']}  {scope}")


def register(app: typer.Typer) -> None:
    app.command("indicators")(indicators_cmd)
    app.add_typer(targets_app, name="targets")
