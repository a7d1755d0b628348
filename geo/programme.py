"""Programme targets and progress, pure: reading target rows and drawing progress bars.

No database, no HTTP: ``layers.programme`` stores what :func:`parse_targets` accepts and
``layers.indicators`` computes the values; the page, the PDF and the XLSX all draw their bars
with :func:`progress_svg` / :func:`progress_share`, so one figure looks the same everywhere.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape

from geo.errors import InputError

#: Scope kinds of a target: the whole programme, a country, a district (admin-code prefix)
#: or a network of communities.
SCOPE_KINDS = ("all", "country", "district", "network")
_SCOPE_ES = {"todo": "all", "pais": "country", "país": "country", "distrito": "district",
             "red": "network"}

#: Spanish header -> canonical field (English headers are accepted as they are).
HEADERS = {"programa": "programme", "programa_nombre": "programme_name",
           "financiador": "donor", "indicador": "indicator", "meta": "target",
           "desde": "period_start", "hasta": "period_end", "ambito": "scope",
           "ámbito": "scope"}
REQUIRED = ("programme", "indicator", "target", "period_start", "period_end")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class TargetFileError(InputError):
    """A targets file with bad rows: nothing of it is stored."""

    code = "invalid_targets"


@dataclass(frozen=True)
class Target:
    """One target: ``target`` units of ``indicator`` in [period_start, period_end] within
    ``scope``."""

    programme: str
    indicator: str
    target: float
    period_start: dt.date
    period_end: dt.date
    scope_kind: str = "all"
    scope_value: str = ""
    programme_name: str | None = None
    donor: str | None = None

    @property
    def key(self) -> str:
        """One target per programme, indicator, scope and period start."""
        return "|".join([self.programme, self.indicator, self.scope_kind, self.scope_value,
                         self.period_start.isoformat()])

    @property
    def scope(self) -> str:
        return "all" if self.scope_kind == "all" else f"{self.scope_kind}:{self.scope_value}"


def parse_scope(text: str | None) -> tuple[str, str]:
    """``todo`` / ``all`` / ``distrito:219901`` / ``red:RED-01`` / ``pais:PE`` (or English)."""
    raw = (text or "").strip()
    if raw in ("", "todo", "all"):
        return "all", ""
    kind, _, value = raw.partition(":")
    kind = _SCOPE_ES.get(kind.strip().lower(), kind.strip().lower())
    value = value.strip()
    if kind not in SCOPE_KINDS[1:] or not value:
        raise ValueError(raw)
    return kind, value


def _date(text: str) -> dt.date:
    text = text.strip()
    if re.fullmatch(r"\d{2}/\d{2}/\d{4}", text):
        d, m, y = text.split("/")
        return dt.date(int(y), int(m), int(d))
    return dt.date.fromisoformat(text)


def _row_errors(line: int, row: Mapping[str, str], indicators: set[str]
                ) -> tuple[Target | None, list[dict[str, object]]]:
    errors: list[dict[str, object]] = []

    def bad(field: str, es: str, en: str) -> None:
        errors.append({"line": line, "field": field, "code": f"bad_{field}",
                       "message_es": f"línea {line}: {es}", "message_en": f"line {line}: {en}"})

    for field in REQUIRED:
        if not (row.get(field) or "").strip():
            bad(field, f"falta '{field}'", f"'{field}' is missing")
    if errors:
        return None, errors
    programme = row["programme"].strip()
    if not _ID.match(programme):
        bad("programme", f"código de programa no válido '{programme}' (letras, cifras, - _ .)",
            f"invalid programme code '{programme}' (letters, digits, - _ .)")
    indicator = row["indicator"].strip()
    if indicator not in indicators:
        bad("indicator", f"indicador desconocido '{indicator}'",
            f"unknown indicator '{indicator}'")
    value = None
    try:
        value = float(row["target"].strip().replace(",", "."))
        if not value >= 0 or value == float("inf"):
            raise ValueError
    except ValueError:
        bad("target", f"la meta debe ser un número ≥ 0, no '{row['target']}'",
            f"the target must be a number ≥ 0, not '{row['target']}'")
    dates: list[dt.date] = []
    for field in ("period_start", "period_end"):
        try:
            dates.append(_date(row[field]))
        except ValueError:
            bad(field, f"fecha no válida '{row[field]}' (AAAA-MM-DD o DD/MM/AAAA)",
                f"invalid date '{row[field]}' (YYYY-MM-DD or DD/MM/YYYY)")
    if len(dates) == 2 and dates[1] < dates[0]:
        bad("period_end", "el periodo termina antes de empezar",
            "the period ends before it starts")
    try:
        kind, scope_value = parse_scope(row.get("scope"))
    except ValueError:
        kind, scope_value = "all", ""
        bad("scope", f"ámbito no válido '{row.get('scope')}' (todo, pais:PE, "
            "distrito:219901, red:RED-01)",
            f"invalid scope '{row.get('scope')}' (all, country:PE, district:219901, "
            "network:RED-01)")
    if errors or value is None:
        return None, errors
    return Target(programme=programme, indicator=indicator, target=value,
                  period_start=dates[0], period_end=dates[1], scope_kind=kind,
                  scope_value=scope_value,
                  programme_name=(row.get("programme_name") or "").strip() or None,
                  donor=(row.get("donor") or "").strip() or None), []


def parse_targets(rows: Iterable[Mapping[str, str]], indicators: Iterable[str]) -> list[Target]:
    """Validate every row (line numbers count the header as line 1); any bad row refuses the
    whole set, listing every bad row in Spanish and English."""
    known = set(indicators)
    out: list[Target] = []
    errors: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(rows, start=2):
        row = {HEADERS.get((k or "").strip().lower(), (k or "").strip().lower()): (v or "")
               for k, v in raw.items() if k is not None}
        target, errs = _row_errors(i, row, known)
        errors += errs
        if target is None:
            continue
        if target.key in seen:
            errors.append({"line": i, "field": "indicator", "code": "duplicate_target",
                           "message_es": f"línea {i}: meta repetida (igual que la línea "
                                         f"{seen[target.key]})",
                           "message_en": f"line {i}: duplicate target (same as line "
                                         f"{seen[target.key]})"})
            continue
        seen[target.key] = i
        out.append(target)
    if errors:
        raise TargetFileError(
            f"{len(errors)} error(es) en las metas; no se guardó nada: "
            + "; ".join(str(e["message_es"]) for e in errors[:5])
            + f" / {len(errors)} error(s) in the targets; nothing was stored: "
            + "; ".join(str(e["message_en"]) for e in errors[:5]), errors=errors)
    if not out:
        raise TargetFileError("El archivo no tiene metas / the file has no targets",
                              errors=[])
    return out


def read_targets_csv(text: str, indicators: Iterable[str]) -> list[Target]:
    """Targets from CSV text (comma or semicolon separated, Spanish or English headers)."""
    text = text.lstrip("\ufeff")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    fields = {HEADERS.get((f or "").strip().lower(), (f or "").strip().lower())
              for f in reader.fieldnames or []}
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        raise TargetFileError(
            f"Faltan columnas: {', '.join(missing)} (programa, indicador, meta, desde, hasta, "
            f"ambito) / missing columns: {', '.join(missing)} (programme, indicator, target, "
            "period_start, period_end, scope)", errors=[{"line": 1, "missing": missing}])
    return parse_targets(reader, indicators)


def progress_share(value: float, target: float | None) -> float | None:
    """Value over target (may exceed 1); None without a positive target."""
    if target is None or target <= 0:
        return None
    return value / target


def bar_color(value: float, target: float | None, *, lower_is_better: bool = False) -> str:
    """Green when the target is met (for a ceiling such as open flags: not exceeded), amber
    otherwise, slate without a target (a full bar then means nothing but the scale)."""
    share = progress_share(value, target)
    if share is None:
        return "#6b7f99"
    met = share <= 1 if lower_is_better else share >= 1
    return "#2f7d4f" if met else "#c9772b"


def fmt_number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}".replace(",", " ") if float(value).is_integer() \
        else f"{value:,.1f}".replace(",", " ")


def progress_svg(value: float, target: float | None, *, label: str, width: int = 320,
                 height: int = 28, lower_is_better: bool = False) -> str:
    """A bar of ``value`` against ``target`` as standalone SVG (presentation attributes
    only, no ``style``: it renders under a strict CSP). The bar is scaled to the larger of
    value and target; a dark tick marks the target."""
    scale = max(value, target or 0.0, 1.0)
    bar_w = round(width * value / scale, 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bar" role="img" '
             f'viewBox="0 0 {width} {height}" width="100%" height="{height}" '
             f'preserveAspectRatio="none" aria-label="{escape(label)}">',
             f'<rect class="track" x="0" y="4" width="{width}" height="{height - 8}" '
             'fill="#e6e1d8"/>']
    color = bar_color(value, target, lower_is_better=lower_is_better)
    if bar_w > 0:
        parts.append(f'<rect class="value" x="0" y="4" width="{bar_w}" '
                     f'height="{height - 8}" fill="{color}"/>')
    if target:
        tx = round(width * target / scale, 1)
        parts.append(f'<rect class="target" x="{max(tx - 2, 0)}" y="0" width="2" '
                     f'height="{height}" fill="#222"/>')
    parts.append("</svg>")
    return "".join(parts)
