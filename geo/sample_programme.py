"""The FICTIONAL programme of the bundled sample: targets for every indicator, so the
programme page and the donor report are alive in the demo.

Written to ``data/sample/programa_metas.csv`` by ``python -m geo.sample_programme``; the
test suite checks the committed file is byte-identical to :func:`programme_csv`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

PROGRAMME = "PROG-DEMO"
NAME = "Programa FICTICIO de fortalecimiento comunal Huancané 2022-2026"
DONOR = "Fondo ficticio de ejemplo"
PERIOD = ("2022-01-01", "2026-12-31")

#: indicator -> target over the whole period (fictional, sized to the 72 sample communities)
TARGETS = {
    "legal_personalities": 6, "statutes_modified": 10, "statutes_modified_territory": 6,
    "statutes_modified_water": 6, "statutes_modified_environment": 5,
    "statutes_modified_consultation": 4, "statutes_modified_women": 4,
    "boards_registered": 30, "cases_opened": 20, "cases_closed": 10,
    "flags_resolved": 20, "flags_open": 150, "consultation_communities": 10,
    "consultation_ready": 10,
}
#: flags_raised has no target: more flags found is neither success nor failure;
#: flags_open's target is a ceiling (``better="lower"`` in layers.indicators).
#: a district-scoped target, to show targets per scope
DISTRICT_TARGETS = {"legal_personalities": ("219901", 3), "boards_registered": ("219901", 12)}
HEADER = ["programa", "programa_nombre", "financiador", "indicador", "meta", "desde", "hasta",
          "ambito"]


def programme_csv() -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for indicator, target in TARGETS.items():
        w.writerow([PROGRAMME, NAME, DONOR, indicator, target, *PERIOD, "todo"])
    for indicator, (district, target) in DISTRICT_TARGETS.items():
        w.writerow([PROGRAMME, NAME, DONOR, indicator, target, *PERIOD,
                    f"distrito:{district}"])
    return buf.getvalue()


def write_programme(out_dir: Path) -> Path:
    path = out_dir / "programa_metas.csv"
    path.write_text(programme_csv(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_programme(Path(__file__).resolve().parent.parent / "data" / "sample"))
