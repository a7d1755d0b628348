"""The figures of a programme as of a date: every indicator with its target, period, items
and evidence, as one plain dict that the API, the CLI, the page, the PDF and the XLSX share
(one computation, so every output shows the same numbers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Connection

from geo.errors import NotFoundError
from geo.programme import progress_share
from layers import indicators as ind
from layers import programme as prog
from layers import queries
from layers.users import Principal
from layers.visibility import level_tag, scrub


class ProgrammeNotFoundError(NotFoundError):
    code = "programme_not_found"


def _visibility_note(principal: Principal) -> dict[str, str]:
    tag = level_tag(principal)
    if tag == "r":
        return {"es": "Todas las comunidades (incluidas las de acceso restringido).",
                "en": "All communities (restricted ones included)."}
    if tag == "n":
        return {"es": "Comunidades públicas y las de sus redes; las demás no se cuentan.",
                "en": "Public communities and those of your networks; others are not counted."}
    return {"es": "Solo comunidades públicas; las reservadas no se cuentan.",
            "en": "Public communities only; reserved ones are not counted."}


def compute(conn: Connection, principal: Principal, *, as_of: ind.AsOf = None,
            scope: ind.Scope | None = None, programme_id: str | None = None,
            since: dt.date | None = None) -> dict[str, Any]:
    """Every indicator of :data:`layers.indicators.INDICATORS` for ``programme_id`` (the
    first programme when None) as of ``as_of``. ``since`` overrides the period start."""
    scope = scope or ind.Scope()
    day = ind.as_of_day(as_of)
    progs = prog.programmes(conn, as_of=as_of)
    chosen = None
    if programme_id is not None:
        chosen = next((p for p in progs if p["id"] == programme_id), None)
        if chosen is None:
            raise ProgrammeNotFoundError(
                f"No existe el programa '{programme_id}' / programme '{programme_id}' not "
                "found")
    elif progs:
        chosen = progs[0]
    targets = prog.targets(conn, chosen["id"], as_of=as_of) if chosen else []
    # an indicator without a target is counted over the programme's period (the targets'
    # periods that hold the day), else over the calendar year
    spans = [(t["period_start"], t["period_end"]) for t in targets
             if t["period_start"] <= day <= t["period_end"]]
    default_start = min((a for a, _ in spans), default=dt.date(day.year, 1, 1))
    default_end = max((b for _, b in spans), default=day)
    # free text of visible records may name hidden ones ("deslinde con HF-033")
    viewer = queries.Viewer(principal=principal)
    hidden = queries.redaction(conn, viewer)
    out = []
    for indicator in ind.INDICATORS:
        target = prog.pick_target(targets, indicator.id, scope.kind_value, day)
        start = since or (target["period_start"] if target else default_start)
        end = target["period_end"] if target else default_end
        ctx = ind.make_context(principal, as_of, start, end, scope)
        reserved = indicator.reserved_for(principal)
        # a source the reader may not see: no number, no items (not a false zero)
        rows = [] if reserved else ind.items(conn, indicator, ctx)
        if hidden is not None and indicator.counts_flags:
            # a flag that exists only because of hidden records is neither listed nor counted
            unreadable = queries.unreadable_flags(conn, viewer, {int(r["vid"]) for r in rows})
            rows = [r for r in rows if int(r["vid"]) not in unreadable]
        if hidden is not None:
            rows = [{**r, "detail": scrub(r["detail"], hidden)} for r in rows]
        value = None if reserved else len(rows)
        goal = float(target["target"]) if target else None
        out.append({
            "id": indicator.id, "name_es": indicator.name_es, "name_en": indicator.name_en,
            "unit_es": indicator.unit_es, "unit_en": indicator.unit_en, "kind": indicator.kind,
            "better": indicator.better,
            "definition_es": indicator.definition_es,
            "definition_en": indicator.definition_en,
            "value": value, "reserved": reserved, "target": goal,
            "progress": None if value is None else progress_share(value, goal),
            "period": {"start": start.isoformat(), "end": end.isoformat(),
                       "counted_until": ctx.end.isoformat()},
            "target_record": ({"key": target["key"], "vid": int(target["vid"]),
                               "recorded_by": target["recorded_by"]} if target else None),
            "communities": None if reserved else len({r["community_id"] for r in rows}),
            "breakdown": ind.breakdown(rows) if indicator.id.startswith(("cases", "flags"))
            else {},
            "items": rows,
            "evidence": {"sql": ind.sql_text(indicator.items(ctx)),
                         "filters": _filters(as_of, scope, start, ctx.end),
                         "versions": [{"community_id": r["community_id"], "vid": r["vid"]}
                                      for r in rows]},
        })
    return {"as_of": _iso(as_of) or day.isoformat(), "as_of_day": day.isoformat(),
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "programme": chosen and {"id": chosen["id"], "name": chosen["name"],
                                     "donor": chosen["donor"], "vid": int(chosen["vid"])},
            "scope": scope.as_dict(), "visibility": _visibility_note(principal),
            "indicators": out}


def _filters(as_of: ind.AsOf, scope: ind.Scope, start: dt.date, end: dt.date
             ) -> dict[str, str | None]:
    out: dict[str, str | None] = {"as_of": _iso(as_of)}
    out.update(scope.as_dict())
    out.update(period_start=start.isoformat(), period_end=end.isoformat())
    return out


def _iso(value: ind.AsOf) -> str | None:
    return value.isoformat() if value is not None else None
