"""The programme over HTTP: indicators per role, admin-only targets, the page and the donor
report (PDF rendered to PNG, XLSX read back with openpyxl) carrying the JSON's figures."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pypdfium2 as pdfium
import sqlalchemy as sa
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.cli.main import app
from layers.indicators import INDICATOR_IDS
from tests.api.conftest import ApiWorld, auth
from tests.maps.pdfcheck import look, off_page

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


def _values(client: TestClient, world: ApiWorld, role: str, query: str = ""
            ) -> dict[str, int | None]:
    r = client.get(f"/api/programme/indicators{query}", headers=auth(world, role))
    assert r.status_code == 200, r.text
    return {i["id"]: i["value"] for i in r.json()["indicators"]}


def test_indicators_answer_with_names_targets_and_periods(client: TestClient,
                                                          api_world: ApiWorld) -> None:
    body = client.get("/api/programme/indicators?as_of=2026-11-28").json()
    assert body["programme"]["id"] == "PROG-DEMO"
    assert [i["id"] for i in body["indicators"]] == list(INDICATOR_IDS)
    first = body["indicators"][0]
    assert {"id", "name_es", "name_en", "value", "target", "period"} <= set(first)
    assert first["target"] == 6 and first["period"] == {
        "start": "2022-01-01", "end": "2026-12-31", "counted_until": "2026-11-28"}
    assert "versions" not in first["evidence"] and "sql" in first["evidence"]
    bad = client.get("/api/programme/indicators?as_of=ayer")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_as_of"


def test_public_totals_leave_hidden_communities_out(client: TestClient,
                                                    api_world: ApiWorld) -> None:
    """The fixture's restricted community carries an open flag: editors count it, the
    public does not, and each reader's total equals what that reader can list."""
    public = _values(client, api_world, "public")
    editor = _values(client, api_world, "editor")
    listed = client.get("/api/flags?limit=1000").json()
    listed_editor = client.get("/api/flags?limit=1000",
                               headers=auth(api_world, "editor")).json()
    counted = client.get("/api/programme/indicators/flags_open/communities").json()["items"]
    missing = sorted({(i["community_id"], i["detail"]) for i in counted}
                     - {(f["community_id"], f["rule_id"]) for f in listed["items"]})
    assert public["flags_open"] == listed["total"], missing
    assert editor["flags_open"] == listed_editor["total"] > public["flags_open"]
    drill = client.get("/api/programme/indicators/flags_open/communities").json()
    assert "ZZ-SECRETO-1" not in str(drill)
    editor_drill = client.get("/api/programme/indicators/flags_open/communities",
                              headers=auth(api_world, "editor")).json()
    # the communities behind the number are those of the flags the reader can list
    assert {c["id"] for c in editor_drill["communities"]} == {
        f["community_id"] for f in listed_editor["items"]}
    assert {c["id"] for c in drill["communities"]} == {f["community_id"] for f in listed["items"]}


def test_only_admins_change_targets(client: TestClient, api_world: ApiWorld) -> None:
    target = [{"programme": "PROG-API", "programme_name": "Programa de prueba",
               "indicator": "legal_personalities", "target": 75,
               "period_start": "2024-01-01", "period_end": "2026-12-31"}]
    assert client.put("/api/programme/targets", json=target).status_code == 401
    denied = client.put("/api/programme/targets", json=target,
                        headers=auth(api_world, "editor"))
    assert denied.status_code == 403
    ok = client.put("/api/programme/targets", json=target, headers=auth(api_world, "admin"))
    assert ok.status_code == 200 and ok.json()["stored"]["inserted"] == 1
    bad = client.put("/api/programme/targets", headers=auth(api_world, "admin"),
                     json=[{**target[0], "target": 80}, {**target[0], "indicator": "nope"}])
    assert bad.status_code == 422
    problem = bad.json()
    assert problem["code"] == "invalid_targets"
    assert problem["details"]["errors"][0]["message_en"].startswith("line 3")
    listed = client.get("/api/programme/targets?programme=PROG-API").json()["targets"]
    assert [t["target"] for t in listed] == [75]  # the bad request stored nothing
    mine = client.get("/api/programme/indicators?programme=PROG-API").json()
    assert mine["indicators"][0]["target"] == 75
    assert client.get("/api/programme/indicators?programme=NOPE").status_code == 404


def test_page_is_spanish_by_default_and_english_on_request(client: TestClient) -> None:
    es = client.get("/programa")
    assert es.status_code == 200 and "Avance del programa" in es.text
    assert "Personerías jurídicas inscritas" in es.text and "<svg" in es.text
    assert "script-src 'self'" in es.headers["content-security-policy"]
    assert "<script" not in es.text and "style=" not in es.text
    en = client.get("/programa?lang=en")
    assert "Programme progress" in en.text and "Legal personalities registered" in en.text
    assert "legal_personalities<" not in en.text  # no raw code shown as a label


def test_donor_report_has_the_same_figures(client: TestClient, api_world: ApiWorld) -> None:
    OUTPUT.mkdir(exist_ok=True)
    query = "?as_of=2026-11-28&programme=PROG-DEMO"
    headers = auth(api_world, "editor")
    figures = client.get(f"/api/programme/indicators{query}", headers=headers).json()
    values = {i["id"]: i["value"] for i in figures["indicators"]}
    xlsx = client.get(f"/programa/informe.xlsx{query}", headers=headers)
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    rows = list(book["Resumen"].iter_rows(values_only=True))
    assert ("Fecha de corte", "2026-11-28") in [r[:2] for r in rows]
    read = {r[0]: r[2] for r in rows if r and r[0] in values}
    assert read == values
    evidence = list(book["Evidencia"].iter_rows(values_only=True))[1:]
    assert len(evidence) == sum(values.values())
    assert all(isinstance(r[3], int) for r in evidence)  # the record version of each item
    queries = {r[0]: r[3] for r in book["Consultas"].iter_rows(values_only=True)}
    assert "community" in queries["legal_personalities"]
    pdf = client.get(f"/programa/informe.pdf{query}", headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (OUTPUT / "programme_report.pdf").write_bytes(pdf.content)
    doc = pdfium.PdfDocument(pdf.content)
    assert len(doc) >= 2
    for n in range(2):
        image = doc[n].render(scale=1.5).to_pil()
        image.save(OUTPUT / f"programme_report_p{n + 1}.png")
        assert image.convert("L").getextrema()[0] < 100  # something dark is drawn
    seen = look(pdf.content)
    assert "Informe al financiador" in seen.text and "2026-11-28" in seen.text
    assert "Personerías jurídicas inscritas" in seen.text
    assert off_page(seen) == []
    csv_text = client.get(f"/programa/informe.csv{query}", headers=headers).text
    assert f"legal_personalities,Personerías jurídicas inscritas,{values['legal_personalities']}" \
        in csv_text


def test_donor_report_shows_each_case_by_its_type(client: TestClient,
                                                 api_world: ApiWorld) -> None:
    """Today (the sample cases were opened 60 days ago) the editor's cases_opened lists each
    case under its type's Spanish label: drill-down, XLSX evidence and PDF alike."""
    from geo.vocabulary import CASE_TYPE

    headers = auth(api_world, "editor")
    query = "?programme=PROG-DEMO"
    drill = client.get(f"/api/programme/indicators/cases_opened/communities{query}",
                       headers=headers).json()
    labels = {it["detail"] for it in drill["items"]}
    assert labels and labels <= {CASE_TYPE.label(c, "es") for c in CASE_TYPE.codes}
    book = load_workbook(io.BytesIO(client.get(f"/programa/informe.xlsx{query}",
                                               headers=headers).content))
    assert labels <= {r[4] for r in book["Evidencia"].iter_rows(values_only=True)}
    text = " ".join(look(client.get(f"/programa/informe.pdf{query}", headers=headers)
                         .content).text.split())
    assert all(label in text for label in labels)


def test_cli_indicators_and_targets_import(client: TestClient, api_world: ApiWorld,
                                           tmp_path: Path, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("ALLPA_DATABASE_URL", api_world.url)
    runner = CliRunner()
    run = runner.invoke(app, ["indicators", "--as-of", "2026-11-28", "--format", "csv"])
    assert run.exit_code == 0, run.output
    http = _values(client, api_world, "admin", "?as_of=2026-11-28")
    lines = run.output.strip().splitlines()
    assert lines[0].startswith("id,name_es,name_en,value,target")
    assert {ln.split(",")[0]: int(ln.split(",")[3]) for ln in lines[1:]} == http
    table = runner.invoke(app, ["indicators", "--as-of", "2026-11-28"])
    assert "Personerías jurídicas inscritas" in table.output
    bad = tmp_path / "metas.csv"
    bad.write_text("programa,indicador,meta,desde,hasta\nPROG-CLI,flags_open,x,2024-01-01,"
                   "2024-12-31\n", encoding="utf-8")
    refused = runner.invoke(app, ["targets", "import", str(bad)])
    assert refused.exit_code == 2 and "invalid_targets" in refused.output
    assert "línea 2" in refused.output and "line 2" in refused.output
    with api_world.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM programme_target WHERE "
                                    "programme_id = 'PROG-CLI'")).scalar_one() == 0
    bad.write_text("programa,indicador,meta,desde,hasta\nPROG-CLI,flags_open,4,2024-01-01,"
                   "2024-12-31\n", encoding="utf-8")
    done = runner.invoke(app, ["targets", "import", str(bad)])
    assert done.exit_code == 0 and "1 nuevas" in done.output
    out = tmp_path / "informe.xlsx"
    assert runner.invoke(app, ["indicators", "-o", str(out)]).exit_code == 0
    assert load_workbook(out)["Resumen"]["A1"].value == "Informe al financiador"


def test_case_indicators_show_the_type_never_free_text_nor_to_the_public(
        api_world: ApiWorld) -> None:
    """A case of a visible community whose free text names a restricted one ("deslinde con
    …"): the editor's cases_opened lists it by its type's label, with none of its free text;
    the public counts no case at all (cases are restricted) and sees neither the case nor the
    hidden community."""
    import json

    from layers import cases, programme_report
    from layers.users import ANONYMOUS, Principal

    secret = ("ZZ-SECRETO-1", "Comunidad Secretisima Qhapaq (prueba)")
    editor = Principal(name="e", role="editor")
    with api_world.engine.connect() as conn:
        trans = conn.begin()
        try:
            cases.create_case(conn, {"id": "TR-PRUEBA-9", "community_id": "HF-001",
                                     "type": "titling", "opened": dt.date.today(),
                                     "note": f"Deslinde con {secret[0]} {secret[1]}"},
                              principal=editor)
            public = programme_report.compute(conn, ANONYMOUS)
            seen = programme_report.compute(conn, editor)
        finally:
            trans.rollback()
    opened = {i["id"]: i for i in seen["indicators"]}["cases_opened"]
    mine = [it for it in opened["items"] if it["community_id"] == "HF-001"
            and it["detail"] == "Titulación / saneamiento"]
    assert mine and opened["breakdown"]["Titulación / saneamiento"] >= 1
    public_opened = {i["id"]: i for i in public["indicators"]}["cases_opened"]
    assert public_opened["value"] is None and public_opened["reserved"] is True
    assert public_opened["items"] == []
    shown = json.dumps(public, default=str)
    assert secret[0] not in shown and secret[1] not in shown
    for report in (shown, json.dumps(seen, default=str)):  # the editor sees the community
        assert "Deslinde con" not in report and "TR-PRUEBA-9" not in report  # but no note
    # the drill-down and the breakdown name the type, never the code
    assert "titling" not in json.dumps([opened["items"], opened["breakdown"]])


def test_case_indicators_are_reserved_not_zero_for_who_may_not_see_cases(
        client: TestClient, api_world: ApiWorld, monkeypatch: object) -> None:
    """Cases are restricted: the public and a network member get ``null`` with
    ``reserved: true`` for the two case indicators (not a false zero, no progress, no
    drill-down items), every other indicator keeps its number; editors and admins get the
    numbers. The CLI and the donor report for a public reader say "reservado"."""
    import pytest

    from layers.indicators import BY_ID

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    restricted = {i for i in INDICATOR_IDS if BY_ID[i].needs_restricted}
    assert restricted == {"cases_opened", "cases_closed"}
    query = "?programme=PROG-DEMO"
    for role in ("public", "network"):
        body = client.get(f"/api/programme/indicators{query}", headers=auth(api_world, role))
        assert body.status_code == 200, body.text
        by_id = {i["id"]: i for i in body.json()["indicators"]}
        for ind_id in restricted:
            shown = by_id[ind_id]
            assert shown["value"] is None and shown["reserved"] is True, (role, shown)
            assert shown["progress"] is None and shown["communities"] is None
        assert all(isinstance(by_id[i]["value"], int) and by_id[i]["reserved"] is False
                   for i in set(by_id) - restricted)
        drill = client.get(f"/api/programme/indicators/cases_opened/communities{query}",
                           headers=auth(api_world, role)).json()
        assert drill["value"] is None and drill["reserved"] is True
        assert drill["items"] == [] and drill["communities"] == []
    for role in ("editor", "admin"):
        by_id = {i["id"]: i for i in client.get(f"/api/programme/indicators{query}",
                                                headers=auth(api_world, role)).json()
                 ["indicators"]}
        # the sample cases were opened 60 days ago, inside the programme's period
        assert by_id["cases_opened"]["value"] >= 1 and by_id["cases_opened"]["reserved"] is False
        assert isinstance(by_id["cases_closed"]["value"], int)
    csv_text = client.get(f"/programa/informe.csv{query}").text
    assert "cases_opened,Trámites iniciados,reservado," in csv_text
    assert "cases_opened,Cases opened,reserved," in client.get(
        f"/programa/informe.csv{query}&lang=en").text
    book = load_workbook(io.BytesIO(client.get(f"/programa/informe.xlsx{query}").content))
    assert {r[0]: r[2] for r in book["Resumen"].iter_rows(values_only=True)
            if r and r[0] in restricted} == dict.fromkeys(restricted, "reservado")
    text = " ".join(look(client.get(f"/programa/informe.pdf{query}").content).text.split())
    assert "Trámites iniciados [cases_opened]: reservado" in text
    assert "Reservado: solo el equipo legal lo ve" in text
    monkeypatch.setenv("ALLPA_DATABASE_URL", api_world.url)
    runner = CliRunner()
    table = runner.invoke(app, ["indicators", "--public"]).output
    line = next(ln for ln in table.splitlines() if ln.startswith("cases_opened"))
    assert "reservado" in line.split()
    full = runner.invoke(app, ["indicators"]).output
    line = next(ln for ln in full.splitlines() if ln.startswith("cases_opened"))
    assert "reservado" not in line
    csv_public = runner.invoke(app, ["indicators", "--public", "--format", "csv",
                                     "--lang", "en"]).output
    assert any(ln.startswith("cases_closed,") and ln.split(",")[3] == "reserved"
               for ln in csv_public.splitlines())
