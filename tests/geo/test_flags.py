"""Rule engine: every rule fires on its case and not on its near miss; escalation, due dates,
ranking, the safe condition language and rule-file validation."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, box

from geo.community_facts import community_facts
from geo.flag_rank import rank_flags
from geo.flags import Flag, evaluate, flags_frame
from geo.overlay import AnalysisResult, analyse
from geo.rule_expr import compile_condition
from geo.rule_facts import FACTS
from geo.rule_files import RuleFileError, RuleSet, load_rules

TODAY = date(2025, 3, 1)


def gdf(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def dbox(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.segmentize(box(x0, y0, x1, y1), 0.0005)


CLEAN = {
    "id": "C1",
    "name": "Comunidad Campesina Uno",
    "kind": "comunidad_campesina",
    "country": "PE",
    "title_status": "titled",
    "legal_status": "registered",
    "registry_entry": "11000001",
    "statute_adopted": date(2010, 1, 1),
    "clause_territory": True,
    "clause_water": True,
    "clause_environment": True,
    "clause_consultation": True,
    "clause_women": True,
    "board_elected": date(2024, 1, 1),
    "board_term_end": date(2027, 12, 31),
    "board_registered": True,
}


@pytest.fixture(scope="module")
def clean_facts() -> dict[str, Any]:
    comm = gdf([{**CLEAN, "geometry": dbox(-70.1, -15.1, -70.0, -15.0)}])
    conc = gdf([{"code": "X", "state": "titled", "geometry": box(0, 0, 1, 1)}])
    res = analyse(comm, conc)
    return community_facts(CLEAN, res, None, today=TODAY)


def test_clean_community_raises_nothing(clean_facts: dict[str, Any]) -> None:
    for country in ("PE", "BO"):
        for rule in load_rules(country):
            assert not rule.test(clean_facts), rule.id


# (fires, near miss) fact overrides per rule; keys are the rule id without the country prefix
CONSULT = {
    "in_consultation": True,
    "consultation_start": date(2025, 9, 1),
    "days_to_consultation": 184,
}
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "PJ-01": (
        {"legal_status": "in_process", "concession_count": 2, "under_pressure": True},
        {"legal_status": "registered", "concession_count": 2, "under_pressure": True},
    ),
    "EST-TERR": (
        {"clause_territory": None, "concession_count": 1},
        {"clause_territory": True, "concession_count": 1},
    ),
    "EST-AGUA": (
        {"clause_water": False, "water_in_concession_count": 1},
        {"clause_water": False, "water_in_concession_count": 0, "water_count": 3},
    ),
    "EST-CONS": ({"clause_consultation": None, **CONSULT}, {"clause_consultation": None}),
    "JUN-VENC": ({"board_days_left": -1}, {"board_days_left": 0}),
    "JUN-CONS": (
        {**CONSULT, "board_days_left": 100, "board_term_end_days_before_consultation": 84},
        {**CONSULT, "board_days_left": 184, "board_term_end_days_before_consultation": 0},
    ),
    "JUN-INSC": (
        {"board_registered": False, "under_pressure": True},
        {"board_registered": None, "under_pressure": True},
    ),
    "TERR-TIT": (
        {"title_status": "recognised_untitled", "concession_count": 1},
        {"title_status": "titled", "concession_count": 1},
    ),
    "TERR-GEO": (
        {"georeferenced": False, "nearby_concession_count": 1, "nearest_concession_m": 1200.0},
        {"georeferenced": False, "nearby_concession_count": 0},
    ),
    "VEC-SUP": ({"neighbour_overlap_ha": 10.5}, {"neighbour_overlap_ha": 10.0}),
    # raster-fed rules (facts from layers.raster_analysis through extra_facts)
    "AGUA-BOF": (
        {"wetland_in_concession_ha": 1.2, "wetland_in_concession_codes": ["010000001"],
         "wetland_ha": 30.0, "raster_available": True},
        {"wetland_in_concession_ha": 1.0, "wetland_ha": 30.0, "raster_available": True},
    ),
    "AGUA-CAB": (
        {"concession_max_elevation_m": 4501.0, "glacier_in_concession_ha": 0.0,
         "territory_max_elevation_m": 5100.0},
        {"concession_max_elevation_m": 4500.0, "glacier_in_concession_ha": 0.0,
         "territory_max_elevation_m": 5100.0},
    ),
}
ALIASES = {"AUT-VENC": "JUN-VENC", "AUT-CONS": "JUN-CONS"}


def _case_key(rule_id: str) -> str:
    key = rule_id.split("-", 1)[1]
    return ALIASES.get(key, key)


RULE_IDS = [(c, r.id) for c in ("PE", "BO") for r in load_rules(c)]


@pytest.mark.parametrize(("country", "rule_id"), RULE_IDS)
def test_rule_fires_on_its_case_and_not_on_near_miss(
    country: str, rule_id: str, clean_facts: dict[str, Any]
) -> None:
    rules = load_rules(country)
    rule = rules.by_id(rule_id)
    assert _case_key(rule_id) in CASES, f"no test case for {rule_id}"
    fires, miss = CASES[_case_key(rule_id)]
    assert rule.test({**clean_facts, **fires}), rule_id
    assert not rule.test({**clean_facts, **miss}), rule_id
    # the messages render for the firing case without leaking template syntax
    facts = {**clean_facts, **fires}
    from geo.flags import _flag

    flag = _flag(rule, rules, facts, None)
    assert "{" not in flag.message_es + flag.message_en + flag.action_es + flag.action_en
    assert flag.legal_ref


# ----------------------------------------------------------------------- end to end


def _scenario() -> tuple[gpd.GeoDataFrame, AnalysisResult, gpd.GeoDataFrame]:
    start = date(2025, 9, 1)
    comm = gdf(
        [
            {
                **CLEAN,
                "legal_status": "in_process",
                "clause_territory": None,
                "clause_water": False,
                "clause_consultation": None,
                "board_term_end": date(2025, 6, 30),  # before the consultation starts
                "geometry": dbox(-70.10, -15.10, -70.00, -15.00),
            },
            {
                **CLEAN,
                "id": "C2",
                "name": "Vecina",
                "geometry": dbox(-70.02, -15.10, -69.95, -15.00),
            },
            {
                **CLEAN,
                "id": "P1",
                "name": "Solo punto",
                "title_status": "recognised_untitled",
                "geometry": Point(-70.5, -15.5),
            },
            {
                **CLEAN,
                "id": "B1",
                "country": "BO",
                "legal_status": "none",
                "geometry": dbox(-68.2, -16.6, -68.1, -16.5),
            },
        ]
    )
    conc = gdf(
        [
            {
                "code": "010000001",
                "state": "titled",
                "geometry": dbox(-70.08, -15.08, -70.04, -15.04),
            },
            {
                "code": "010000002",
                "state": "in_process",
                "geometry": dbox(-70.06, -15.06, -70.02, -15.02),
            },
            {
                "code": "010000003",
                "state": "titled",
                "geometry": dbox(-70.49, -15.49, -70.47, -15.47),
            },
            {
                "code": "020000001",
                "state": "titled",
                "geometry": dbox(-68.18, -16.58, -68.15, -16.55),
            },
        ]
    )
    water = gdf([{"id": "M1", "kind": "spring", "geometry": Point(-70.07, -15.07)}])
    cons = gdf(
        [
            {
                "id": "CP-1",
                "name": "Proyecto Ccollpa",
                "stage": "planning",
                "start_date": start,
                "geometry": dbox(-70.2, -15.2, -69.9, -14.9),
            },
        ]
    )
    return comm, analyse(comm, conc, water, cons), cons


def test_evaluate_end_to_end_peru() -> None:
    comm, res, cons = _scenario()
    flags = evaluate(load_rules("PE"), comm, res, cons, today=TODAY)
    by = {(f.community_id, f.rule_id): f for f in flags}
    assert {"B1"} & {f.community_id for f in flags} == set()  # Bolivian community skipped
    assert set(k[1] for k in by if k[0] == "C1") == {
        "PE-PJ-01",
        "PE-EST-TERR",
        "PE-EST-AGUA",
        "PE-EST-CONS",
        "PE-JUN-CONS",
        "PE-VEC-SUP",
    }
    assert ("P1", "PE-TERR-GEO") in by  # point-only with a concession 1-2 km away
    pj = by[("C1", "PE-PJ-01")]
    assert pj.severity == "high"  # 184 days to go: not yet within 180
    assert pj.evidence["concession_codes"] == ["010000001", "010000002"]
    assert pj.evidence["consultation_id"] == "CP-1"
    assert pj.evidence["consultation_start"] == "2025-09-01"
    terr = by[("C1", "PE-EST-TERR")]
    assert "no consta" in terr.message_es and "not on record" in terr.message_en
    assert terr.due_date == date(2025, 9, 1) - timedelta(days=120)
    assert by[("C1", "PE-JUN-CONS")].due_date == date(2025, 9, 1) - timedelta(days=90)
    water = by[("C1", "PE-EST-AGUA")]
    assert water.evidence["water_in_concession_ids"] == ["M1"]
    assert "M1" in water.message_es
    geo = by[("P1", "PE-TERR-GEO")]
    assert geo.evidence["estimate"] is True and geo.evidence["nearby_concession_codes"] == [
        "010000003"
    ]
    assert geo.due_date is None  # no consultation for P1
    frame = flags_frame(flags)
    assert list(frame.columns)[:3] == ["community_id", "rule_id", "severity"]


def test_evaluate_bolivia() -> None:
    comm, res, cons = _scenario()
    flags = evaluate(load_rules("BO"), comm, res, cons, today=TODAY)
    assert {(f.community_id, f.rule_id) for f in flags} == {("B1", "BO-PJ-01")}


def test_escalation_as_consultation_approaches() -> None:
    comm, res, cons = _scenario()
    rules = load_rules("PE")

    def severity(today: date, rule_id: str) -> str:
        flags = evaluate(rules, comm, res, cons, today=today)
        return next(f.severity for f in flags if f.community_id == "C1" and f.rule_id == rule_id)

    start = date(2025, 9, 1)
    assert severity(start - timedelta(days=181), "PE-PJ-01") == "high"
    assert severity(start - timedelta(days=180), "PE-PJ-01") == "critical"
    assert severity(start - timedelta(days=121), "PE-EST-CONS") == "high"
    assert severity(start - timedelta(days=120), "PE-EST-CONS") == "critical"
    rule = rules.by_id("PE-JUN-VENC")
    assert [rule.severity_for(d) for d in (None, 181, 180, 91, 90, -5)] == [
        "medium",
        "medium",
        "high",
        "high",
        "critical",
        "critical",
    ]
    flag = next(
        f
        for f in evaluate(rules, comm, res, cons, today=start - timedelta(days=10))
        if f.rule_id == "PE-PJ-01"
    )
    assert flag.evidence["severity_base"] == "high"


def test_due_date_lead_overrides() -> None:
    comm, res, cons = _scenario()
    rules = load_rules("PE")
    start = date(2025, 9, 1)

    def due(lead: Any, rule_id: str) -> date | None:
        flags = evaluate(rules, comm, res, cons, today=TODAY, lead_days=lead)
        return next(f.due_date for f in flags if f.community_id == "C1" and f.rule_id == rule_id)

    assert due(None, "PE-EST-TERR") == start - timedelta(days=120)
    assert due(60, "PE-EST-TERR") == start - timedelta(days=60)  # caller overrides default
    assert due(60, "PE-JUN-CONS") == start - timedelta(days=90)  # rule's own lead kept
    assert due({"PE-JUN-CONS": 30}, "PE-JUN-CONS") == start - timedelta(days=30)


def test_closed_consultation_does_not_count() -> None:
    comm, res, cons = _scenario()
    closed = cons.assign(stage="closed")
    flags = evaluate(load_rules("PE"), comm, res, closed, today=TODAY)
    assert not any(f.rule_id in ("PE-EST-CONS", "PE-JUN-CONS") for f in flags)


def test_rank_flags() -> None:
    def fl(cid: str, sev: str, due: date | None, share: float) -> Flag:
        return Flag(cid, "R", sev, "", "", "", "", "", {"share_union": share}, due)

    flags = [
        fl("a", "medium", None, 0.9),
        fl("b", "critical", date(2025, 5, 1), 0.1),
        fl("c", "critical", date(2025, 4, 1), 0.1),
        fl("d", "medium", date(2025, 4, 1), 0.2),
        fl("e", "medium", date(2025, 4, 1), 0.5),
    ]
    assert [f.community_id for f in rank_flags(flags)] == ["c", "b", "e", "d", "a"]


# ------------------------------------------------------------------ condition language


@pytest.mark.parametrize(
    ("condition", "facts", "expected"),
    [
        ("clause_territory != true", {"clause_territory": None}, True),
        ("clause_territory != true", {"clause_territory": False}, True),
        ("clause_territory != true", {"clause_territory": True}, False),
        ("clause_territory == none", {"clause_territory": None}, True),
        ("share_union > 0.5", {"share_union": None}, False),
        ("not (share_union > 0.5)", {"share_union": None}, True),
        (
            "share_union >= 0.5 and concession_count > 1",
            {"share_union": 0.5, "concession_count": 2},
            True,
        ),
        ("true or false and false", {}, True),
        ('legal_status in ["none", "in_process"]', {"legal_status": "none"}, True),
        ('legal_status not in ["none", "in_process"]', {"legal_status": "registered"}, True),
        ('"010000001" in concession_codes', {"concession_codes": ["010000001"]}, True),
        ("in_consultation", {"in_consultation": None}, False),
        ("days_to_consultation <= -1", {"days_to_consultation": -3}, True),
        ("board_term_end == none or board_days_left < 30", {"board_term_end": None}, True),
    ],
)
def test_condition_language(condition: str, facts: dict[str, Any], expected: bool) -> None:
    assert compile_condition(condition)(facts) is expected


@pytest.mark.parametrize(
    "condition",
    [
        '__import__("os").system("true")',
        "share_union >",
        "share_union > 0.5 and",
        "(share_union > 0.5",
        "share_union = 0.5",
        "legal_staus == 'none'",
        'legal_status == "registred"',
        'share_union > "high"',
        "clause_water > true",
        "board_term_end > 3",
        "share_union.real > 0",
        "share_union in 3",
    ],
)
def test_condition_language_rejects(condition: str) -> None:
    with pytest.raises(ValueError):
        compile_condition(condition)


def test_facts_catalogue_covers_brief() -> None:
    for name in (
        "legal_status",
        "concession_count",
        "share_union",
        "in_consultation",
        "clause_territory",
        "board_term_end_days_before_consultation",
        "water_in_concession_count",
        "georeferenced",
        "title_status",
        "neighbour_overlap_ha",
        "days_to_consultation",
    ):
        assert name in FACTS


# ------------------------------------------------------------------- file validation

GOOD_RULE = """
[[rule]]
id = "X-1"
severity = "low"
condition = "concession_count > 0"
message_es = "m {name}"
message_en = "m {name}"
action_es = "a"
action_en = "a"
legal_ref = "Ley 29785, art. 4"
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "rules.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_every_bundled_rule_names_the_case_it_asks_for(tmp_path: Path) -> None:
    """"abrir trámite" on a flag opens the case type its rule file maps it to."""
    from geo.vocabulary import CASE_TYPE

    for country in ("PE", "BO"):
        for rule in load_rules(country):
            assert rule.case_type in CASE_TYPE.codes, rule.id
    rules = {r.id: r.case_type for r in load_rules("PE")}
    assert rules["PE-PJ-01"] == "legal_personality"
    assert rules["PE-JUN-INSC"] == "board_registration"
    case_rule = load_rules(_write(tmp_path, GOOD_RULE.replace(
        "legal_ref =", 'case_type = "titling"\nlegal_ref =')))
    assert case_rule.rules[0].case_type == "titling"


def test_minimal_file_loads(tmp_path: Path) -> None:
    rs = load_rules(_write(tmp_path, "[defaults]\nstatute_lead_days = 30\n" + GOOD_RULE))
    assert isinstance(rs, RuleSet) and rs.statute_lead_days == 30 and rs.rules[0].id == "X-1"


@pytest.mark.parametrize(
    ("mutation", "needle"),
    [
        (('severity = "low"', 'severity = "urgent"'), "bad severity"),
        (("legal_ref =", 'colour = "red"\nlegal_ref ='), "unknown keys: colour"),
        (("concession_count > 0", "concession_count >"), "condition"),
        (("concession_count > 0", "concesion_count > 0"), "unknown fact 'concesion_count'"),
        (("concession_count > 0", "legal_status == 'registred'"), "registred"),
        (('m {name}"\nmessage_en', 'm {nmae}"\nmessage_en'), "unknown fact 'nmae'"),
        (('m {name}"\nmessage_en', 'm {name.__class__}"\nmessage_en'), "plain fact name"),
        (('action_es = "a"\n', ""), "missing keys: action_es"),
        (("legal_ref =", 'evidence = ["shares"]\nlegal_ref ='), "evidence names unknown fact"),
        (("legal_ref =", "due_lead_days = -3\nlegal_ref ="), "due_lead_days"),
        (("legal_ref =", 'case_type = "tramite_magico"\nlegal_ref ='),
         "case_type 'tramite_magico' is not a case type"),
    ],
)
def test_validation_errors_name_file_and_rule(
    tmp_path: Path, mutation: tuple[str, str], needle: str
) -> None:
    old, new = mutation
    assert old in GOOD_RULE
    path = _write(tmp_path, GOOD_RULE.replace(old, new, 1))
    with pytest.raises(RuleFileError) as err:
        load_rules(path)
    assert needle in str(err.value)
    assert str(path) in str(err.value) and "X-1" in str(err.value)
    assert isinstance(err.value, ValueError)


def test_validation_escalation_and_duplicates(tmp_path: Path) -> None:
    lower = GOOD_RULE.replace('severity = "low"', 'severity = "high"') + (
        '[[rule.escalate]]\nwithin_days = 30\nseverity = "low"\n'
    )
    with pytest.raises(RuleFileError, match="lower"):
        load_rules(_write(tmp_path, lower))
    with pytest.raises(RuleFileError, match="duplicate"):
        load_rules(_write(tmp_path, GOOD_RULE + GOOD_RULE))
    with pytest.raises(RuleFileError, match="top-level"):
        load_rules(_write(tmp_path, "[extra]\nx = 1\n" + GOOD_RULE))
    with pytest.raises(RuleFileError, match="not valid TOML"):
        load_rules(_write(tmp_path, "[[rule]\n"))
    with pytest.raises(RuleFileError, match="unknown country"):
        load_rules("atlantis")


# ------------------------------------------------------------------- raster facts


def test_raster_facts_unknown_without_rasters(clean_facts: dict[str, Any]) -> None:
    from geo.rule_facts import RASTER_FACTS

    assert set(RASTER_FACTS) <= set(FACTS)
    assert all(clean_facts[name] is None for name in RASTER_FACTS)


def test_extra_facts_feed_raster_rules() -> None:
    comm, res, cons = _scenario()
    extra = {"C1": {"wetland_in_concession_ha": 7.5, "wetland_in_concession_codes": ["010000001"],
                    "wetland_ha": 12.0, "glacier_in_concession_ha": 0.0,
                    "concession_max_elevation_m": 4620.0, "raster_available": True,
                    "name": "ignored: not a raster fact"}}
    flags = evaluate(load_rules("PE"), comm, res, cons, today=TODAY, extra_facts=extra)
    by = {(f.community_id, f.rule_id): f for f in flags}
    bof = by[("C1", "PE-AGUA-BOF")]
    assert bof.evidence["wetland_in_concession_ha"] == 7.5
    assert "7.5 ha de bofedal" in bof.message_es and "010000001" in bof.message_en
    assert bof.due_date == date(2025, 9, 1) - timedelta(days=120)
    assert "4620 m" in by[("C1", "PE-AGUA-CAB")].message_es
    assert "Comunidad Campesina Uno" in bof.message_es
    # no raster facts: silent
    assert not any(k[1].startswith("PE-AGUA") for k in by if k[0] != "C1")
    plain = evaluate(load_rules("PE"), comm, res, cons, today=TODAY)
    assert not any(f.rule_id.startswith("PE-AGUA") for f in plain)
