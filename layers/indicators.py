"""Programme indicators: ONE registry, each computed from the versioned records as of a date.

Every indicator is one :class:`Indicator` entry in :data:`INDICATORS`: an id, Spanish and
English names, a unit, a one-line definition in both languages, and a function that builds
the SQL selecting the *items* behind the number (one row per community or per event, with
the record version that proves it). The value is the number of items, so the number, the
drill-down list and the evidence in the donor report can never disagree.
Adding an indicator = one entry here + one test that counts it independently.

What "as of D" means: the records as they were known at D (``layers.db.as_of_clause``:
a date is the end of that day, UTC), and events (registration, statute change, ...) dated in
the period ``[start, min(end, D)]``.

Visibility: the items come only from communities the reader may see (``layers.visibility``),
so a public reader's totals leave out network and restricted communities altogether: a count
can never reveal that a hidden record exists. Editors and admins see the full totals.

Cases (trámites) are read from their own versioned layer, ``legal_case`` (:mod:`layers.cases`),
in the version of each case valid at ``as_of``: a case is *opened* when its ``opened`` date
falls in the period, *closed* when its ``closed`` date does. A case at stage ``closed`` with
no ``closed`` date counts as closed on the day the version that moved it to that stage was
recorded (``stage_date`` is not used: an edit that changes the stage need not update it). A
case without an ``opened`` date is not counted as opened. The item's ``detail`` is the case
type's Spanish label (never the code) and its ``vid`` is the ``legal_case`` version (as a
flag indicator's ``vid`` is the flag id). Cases are restricted records: besides belonging to
a community the reader may see, each case must itself be visible to the reader. Both case
indicators are ``needs_restricted``: a public reader or a network member, who may see no
case, gets no value at all (``None``, *reserved*), never a zero that would read as "no case opened".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from geo import vocabulary as V
from layers import communities, consultations, networks
from layers.cases import legal_case
from layers.db import as_of_clause
from layers.derived_tables import flag
from layers.users import Principal
from layers.visibility import visible
from layers.vocabulary_sql import label_case

AsOf = dt.date | dt.datetime | None


@dataclass(frozen=True)
class Scope:
    """Which communities count: a country, an admin-code prefix, a network (or all)."""

    country: str | None = None
    district: str | None = None
    network: str | None = None

    @property
    def kind_value(self) -> tuple[str, str]:
        """The target scope this filter answers to (the most specific one given)."""
        if self.network:
            return "network", self.network
        if self.district:
            return "district", self.district
        if self.country:
            return "country", self.country
        return "all", ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("country", self.country), ("district", self.district),
                                  ("network", self.network)) if v}


@dataclass(frozen=True)
class Context:
    """Everything an indicator's SQL needs: who reads, when, which period, which scope."""

    principal: Principal
    as_of: AsOf
    upper: dt.datetime  # exclusive upper bound of "recorded by then"
    start: dt.date
    end: dt.date  # last event day counted: min(period end, as_of day)
    scope: Scope

    def base(self) -> sa.Subquery:
        """The communities that count: alive at ``as_of``, visible, inside the scope."""
        c = communities.community
        query = sa.select(c).where(as_of_clause(c, self.as_of), visible(c, self.principal))
        if self.scope.country:
            query = query.where(c.c.country == self.scope.country)
        if self.scope.district:
            query = query.where(c.c.admin_code.startswith(self.scope.district,
                                                          autoescape=True))
        if self.scope.network:
            n = networks.network
            query = query.where(sa.exists().where(
                as_of_clause(n, self.as_of), n.c.id == self.scope.network,
                c.c.id == sa.any_(n.c.members)))
        return query.subquery("c")

    def in_period(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        return sa.and_(column >= self.start, column <= self.end)

    def recorded(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """A timestamp recorded by ``as_of`` and inside the period."""
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=dt.UTC)
        end = min(self.upper, dt.datetime.combine(self.end + dt.timedelta(days=1),
                                                  dt.time.min, tzinfo=dt.UTC))
        return sa.and_(column >= sa.literal(start), column < sa.literal(end))

    def flag_alive(self, f: sa.FromClause) -> sa.ColumnElement[bool]:
        up = sa.literal(self.upper)
        return sa.and_(f.c.computed_at < up, sa.or_(f.c.valid_to.is_(None), f.c.valid_to >= up))


#: Items select exactly: community_id, vid (the record version behind it), detail.
ItemsQuery = Callable[[Context], sa.Select[Any]]


@dataclass(frozen=True)
class Indicator:
    id: str
    name_es: str
    name_en: str
    unit_es: str
    unit_en: str
    definition_es: str
    definition_en: str
    items: ItemsQuery = field(repr=False)
    #: "event": things that happened in the period; "state": how things stand at as_of.
    kind: str = "event"
    #: "higher": the target is a goal; "lower": the target is a ceiling (open flags).
    better: str = "higher"
    #: its items are flags (``vid`` is the flag id): a reader counts only the flags they may
    #: read, as the flag lists show them
    counts_flags: bool = False
    #: its source is a restricted layer (cases): a reader who may not see restricted records
    #: gets no number at all (``None``, shown as "reserved"), never a misleading zero
    needs_restricted: bool = False

    def reserved_for(self, principal: Principal) -> bool:
        """True when ``principal`` may not read this indicator's source at all."""
        return self.needs_restricted and not principal.sees_restricted

    def name(self, lang: str) -> str:
        return self.name_es if lang == "es" else self.name_en


def _community_event(date_col: str, *extra: str) -> ItemsQuery:
    def build(ctx: Context) -> sa.Select[Any]:
        c = ctx.base()
        conds = [ctx.in_period(c.c[date_col])]
        for cond in extra:
            column, _, value = cond.partition("=")
            conds.append(c.c[column] == value if value else c.c[column].is_(True))
        return sa.select(c.c.id.label("community_id"), c.c.vid,
                         sa.cast(c.c[date_col], sa.Text).label("detail")).where(*conds)
    return build


def _cases(ctx: Context, *conds: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """Cases in their version valid at ``as_of``, visible to the reader, of a counted
    community; the detail is the type's Spanish label."""
    t = legal_case
    ids = sa.select(ctx.base().c.id)
    return sa.select(t.c.community_id, t.c.vid,
                     label_case(t.c.type, V.CASE_TYPE, "es").label("detail")).where(
        as_of_clause(t, ctx.as_of), visible(t, ctx.principal), t.c.community_id.in_(ids),
        *conds)


def _cases_opened(ctx: Context) -> sa.Select[Any]:
    return _cases(ctx, ctx.in_period(legal_case.c.opened))


def _cases_closed(ctx: Context) -> sa.Select[Any]:
    t, p, q = legal_case, legal_case.alias("p"), legal_case.alias("q")
    # the last version of the case, up to this one, at another stage (0: none)
    before = (sa.select(sa.func.coalesce(sa.func.max(q.c.vid), 0))
              .where(q.c.id == t.c.id, q.c.vid < t.c.vid, q.c.stage != "closed")
              .scalar_subquery())
    # when the stage 'closed' was recorded: the first version after that one
    closed_at = (sa.select(sa.func.min(p.c.valid_from))
                 .where(p.c.id == t.c.id, p.c.vid <= t.c.vid, p.c.vid > before)
                 .scalar_subquery())
    return _cases(ctx, sa.or_(
        ctx.in_period(t.c.closed),
        sa.and_(t.c.closed.is_(None), t.c.stage == "closed", ctx.recorded(closed_at))))


def _flags_raised(ctx: Context) -> sa.Select[Any]:
    f, p = flag, flag.alias("p")
    ids = sa.select(ctx.base().c.id)
    before = sa.exists().where(p.c.community_id == f.c.community_id, p.c.rule_id == f.c.rule_id,
                               p.c.computed_at < f.c.computed_at,
                               sa.or_(p.c.valid_to.is_(None), p.c.valid_to >= f.c.computed_at))
    return sa.select(f.c.community_id, f.c.id.label("vid"), f.c.rule_id.label("detail")).where(
        f.c.community_id.in_(ids), ctx.recorded(f.c.computed_at), ~before)


def _flags_resolved(ctx: Context) -> sa.Select[Any]:
    f, n = flag, flag.alias("n")
    ids = sa.select(ctx.base().c.id)
    after = sa.exists().where(n.c.community_id == f.c.community_id, n.c.rule_id == f.c.rule_id,
                              n.c.id != f.c.id, n.c.computed_at <= f.c.valid_to,
                              sa.or_(n.c.valid_to.is_(None), n.c.valid_to > f.c.valid_to))
    return sa.select(f.c.community_id, f.c.id.label("vid"), f.c.rule_id.label("detail")).where(
        f.c.community_id.in_(ids), f.c.valid_to.is_not(None), ctx.recorded(f.c.valid_to),
        ~after)


def _flags_open(ctx: Context) -> sa.Select[Any]:
    ids = sa.select(ctx.base().c.id)
    return sa.select(flag.c.community_id, flag.c.id.label("vid"),
                     flag.c.rule_id.label("detail")).where(
        flag.c.community_id.in_(ids), ctx.flag_alive(flag))


def _facing_consultation(ctx: Context, c: sa.Subquery) -> sa.ColumnElement[bool]:
    k = consultations.consultation
    geom = sa.func.coalesce(c.c.territory, c.c.location)
    return sa.exists().where(as_of_clause(k, ctx.as_of), k.c.start_date > ctx.end,
                             sa.func.ST_Intersects(k.c.geom, geom))


def _consultation_communities(ctx: Context) -> sa.Select[Any]:
    c = ctx.base()
    return sa.select(c.c.id.label("community_id"), c.c.vid,
                     sa.literal("").label("detail")).where(_facing_consultation(ctx, c))


def _consultation_ready(ctx: Context) -> sa.Select[Any]:
    c = ctx.base()
    critical = sa.exists().where(flag.c.community_id == c.c.id, flag.c.severity == "critical",
                                 ctx.flag_alive(flag))
    return sa.select(c.c.id.label("community_id"), c.c.vid,
                     sa.literal("").label("detail")).where(_facing_consultation(ctx, c),
                                                           ~critical)


_CLAUSES = {"territory": ("territorio", "territory"), "water": ("agua", "water"),
            "environment": ("ambiente", "environment"),
            "consultation": ("consulta previa", "prior consultation"),
            "women": ("participación de las mujeres", "women's participation")}

_COMMUNITIES = ("comunidades", "communities")

INDICATORS: tuple[Indicator, ...] = (
    Indicator("legal_personalities", "Personerías jurídicas inscritas",
              "Legal personalities registered", *_COMMUNITIES,
              "Comunidades con personería inscrita cuya fecha de inscripción cae en el periodo.",
              "Communities with a registered legal personality whose registration date falls "
              "in the period.",
              _community_event("registration_date", "legal_status=registered")),
    Indicator("statutes_modified", "Estatutos modificados", "Statutes modified", *_COMMUNITIES,
              "Comunidades cuyo estatuto se modificó en el periodo.",
              "Communities whose statute was modified in the period.",
              _community_event("statute_modified")),
    *(Indicator(f"statutes_modified_{key}",
                f"Estatutos modificados con cláusula de {es}",
                f"Statutes modified with a {en} clause", *_COMMUNITIES,
                f"Estatutos modificados en el periodo que contienen la cláusula de {es}.",
                f"Statutes modified in the period that contain the {en} clause.",
                _community_event("statute_modified", f"clause_{key}"))
      for key, (es, en) in _CLAUSES.items()),
    Indicator("boards_registered", "Juntas directivas inscritas", "Boards registered",
              *_COMMUNITIES,
              "Juntas inscritas cuya elección cae en el periodo.",
              "Registered boards elected in the period.",
              _community_event("board_elected", "board_registered")),
    Indicator("cases_opened", "Trámites iniciados", "Cases opened", "trámites", "cases",
              "Trámites cuya fecha de apertura cae en el periodo (según la versión vigente "
              "en la fecha de corte); se desglosan por tipo de trámite.",
              "Cases whose opening date falls in the period (as recorded at the cut-off "
              "date); broken down by case type.", _cases_opened,
              needs_restricted=True),
    Indicator("cases_closed", "Trámites cerrados", "Cases closed", "trámites", "cases",
              "Trámites cuya fecha de cierre cae en el periodo; sin fecha de cierre, los "
              "archivados en el periodo (fecha del registro); por tipo de trámite.",
              "Cases whose closing date falls in the period; without a closing date, those "
              "moved to 'closed' in the period (date recorded); by case type.",
              _cases_closed, needs_restricted=True),
    Indicator("flags_raised", "Alertas levantadas", "Flags raised", "alertas", "flags",
              "Alertas (comunidad, regla) que aparecen en el periodo sin estar vigentes justo "
              "antes (según las ejecuciones de allpa analyze).",
              "Flags (community, rule) that appear in the period without being open just "
              "before (as computed by allpa analyze runs).", _flags_raised, counts_flags=True),
    Indicator("flags_resolved", "Alertas resueltas", "Flags resolved", "alertas", "flags",
              "Alertas cerradas en el periodo sin que la misma alerta siga vigente.",
              "Flags closed in the period without the same flag staying open.",
              _flags_resolved, counts_flags=True),
    Indicator("flags_open", "Alertas vigentes", "Open flags", "alertas", "flags",
              "Alertas vigentes en la fecha de corte.", "Flags open at the cut-off date.",
              _flags_open, kind="state", better="lower", counts_flags=True),
    Indicator("consultation_communities", "Comunidades ante una consulta próxima",
              "Communities facing an upcoming consultation", *_COMMUNITIES,
              "Comunidades dentro del área de una consulta previa que aún no empieza.",
              "Communities inside the area of a prior consultation that has not started yet.",
              _consultation_communities, kind="state"),
    Indicator("consultation_ready", "Comunidades sin alerta crítica antes de su consulta",
              "Communities with no open critical flag before their consultation",
              *_COMMUNITIES,
              "Comunidades ante una consulta próxima sin ninguna alerta crítica vigente.",
              "Communities facing an upcoming consultation with no open critical flag.",
              _consultation_ready, kind="state"),
)

BY_ID = {i.id: i for i in INDICATORS}
INDICATOR_IDS = tuple(BY_ID)


def upper_bound(as_of: AsOf, now: dt.datetime | None = None) -> dt.datetime:
    """The exclusive end of "recorded by ``as_of``" (a date: the next midnight UTC)."""
    if as_of is None:
        return (now or dt.datetime.now(dt.UTC)) + dt.timedelta(microseconds=1)
    if isinstance(as_of, dt.datetime):
        moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC)
        return moment + dt.timedelta(microseconds=1)
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def as_of_day(as_of: AsOf) -> dt.date:
    if as_of is None:
        return dt.datetime.now(dt.UTC).date()
    if isinstance(as_of, dt.datetime):
        moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).date()
    return as_of


def make_context(principal: Principal, as_of: AsOf, start: dt.date, end: dt.date,
                 scope: Scope) -> Context:
    day = as_of_day(as_of)
    return Context(principal=principal, as_of=as_of, upper=upper_bound(as_of), start=start,
                   end=min(end, day), scope=scope)


def sql_text(query: sa.Select[Any]) -> str:
    """The query with its values inlined, for the evidence (falls back to bound names)."""
    dialect = postgresql.dialect()
    try:
        return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except Exception:  # a type without a literal renderer: keep the bound names
        return str(query.compile(dialect=dialect))


def items(conn: Connection, indicator: Indicator, ctx: Context) -> list[dict[str, Any]]:
    """The items behind the number, with the community's name at ``as_of``."""
    sub = indicator.items(ctx).subquery("items")
    base = ctx.base()
    rows = conn.execute(
        sa.select(sub.c.community_id, sub.c.vid, sub.c.detail, base.c.name, base.c.admin_code)
        .join(base, base.c.id == sub.c.community_id)
        .order_by(sub.c.community_id, sub.c.detail, sub.c.vid))
    return [{"community_id": r.community_id, "community": r.name, "district": r.admin_code,
             "vid": int(r.vid), "detail": r.detail} for r in rows]


def breakdown(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Items per detail, for the event indicators whose detail is a type (cases, flags)."""
    out: dict[str, int] = {}
    for r in rows:
        key = str(r["detail"] or "")
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))
