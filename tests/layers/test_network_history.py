"""Membership history of a network, derived from its versions, after real imports that add
and remove members (``allpa import networks`` through ``layers.importer``), per reader."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import to_shape
from sqlalchemy.engine import Engine

from layers import communities, network_status
from layers.config import Settings
from layers.importer import import_file
from layers.users import ANONYMOUS, Principal
from layers.versioning import LIFESPAN, write_snapshot
from tests.dbutil import fresh_database

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "redes.csv"
EDITOR = Principal(name="abogada", role="editor")


def _networks() -> dict[str, dict[str, str]]:
    with SAMPLE.open(encoding="utf-8") as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


def _write(path: Path, rows: dict[str, dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(next(iter(rows.values()))))
        w.writeheader()
        w.writerows(rows.values())
    return path


def _members(rows: dict[str, dict[str, str]], nid: str) -> list[str]:
    return rows[nid]["miembros"].split(";")


def _set_members(rows: dict[str, dict[str, str]], nid: str, members: list[str]) -> None:
    rows[nid]["miembros"] = ";".join(sorted(members))


def _reclassify(engine: Engine, cid: str, sensitivity: str) -> None:
    t = communities.community
    with engine.begin() as conn:
        row = dict(conn.execute(sa.select(t).where(t.c.id == cid, t.c.valid_to.is_(None)))
                   .mappings().one())
        row = {k: to_shape(v) if isinstance(v, WKBElement) else v for k, v in row.items()
               if k not in LIFESPAN}
        write_snapshot(conn, t, "id", [{**row, "sensitivity": sensitivity}],
                       recorded_by="pytest", batch_id=None, source="pytest",
                       close_missing=False)


@pytest.fixture(scope="module")
def history_world(settings: Settings, tmp_path_factory: Any) -> Iterator[Engine]:
    """The sample, then two imports of the networks file: the first adds HF-002 and HF-008
    to RED-01 and removes HF-001; the second removes HF-002 again and adds HF-009.
    HF-002 is then made network-only (it is in RED-02) and HF-008 restricted."""
    tmp = tmp_path_factory.mktemp("redes")
    with fresh_database(settings, "nethist", sample=True) as engine:
        rows = _networks()
        red1 = _members(rows, "RED-01")
        assert "HF-001" in red1 and not {"HF-002", "HF-008", "HF-009"} & set(red1)
        _set_members(rows, "RED-01", [m for m in red1 if m != "HF-001"] + ["HF-002", "HF-008"])
        with engine.begin() as conn:
            first = import_file(conn, "networks", _write(tmp / "redes_a.csv", rows),
                                recorded_by="Abg. Quispe", source="Acta de asamblea 2026-10")
        assert first.changed_keys == ["RED-01"] and first.rejections == []
        _set_members(rows, "RED-01", [m for m in _members(rows, "RED-01") if m != "HF-002"]
                     + ["HF-009"])
        with engine.begin() as conn:
            second = import_file(conn, "networks", _write(tmp / "redes_b.csv", rows),
                                 recorded_by="Lic. Mamani", source="Acta de asamblea 2026-11")
        assert second.changed_keys == ["RED-01"]
        _reclassify(engine, "HF-002", "network")
        _reclassify(engine, "HF-008", "restricted")
        yield engine


def _changes(body: dict[str, Any], after_vid: int) -> list[tuple[str, str, str, str]]:
    return [(e["change"], e["community_id"], e["recorded_by"], e["source"])
            for e in body["events"] if e["vid"] > after_vid]


def test_history_follows_the_imports(history_world: Engine) -> None:
    with history_world.connect() as conn:
        body = network_status.membership_history(conn, EDITOR, "RED-01")
        vids = [int(v) for (v,) in conn.execute(sa.text(
            "SELECT vid FROM network WHERE id = 'RED-01' ORDER BY vid"))]
    assert len(vids) == 3
    first_events = [e for e in body["events"] if e["vid"] == vids[0]]
    # the first version: every sample member joined, recorded by the sample load
    assert {e["community_id"] for e in first_events} == set(_members(_networks(), "RED-01"))
    assert all(e["change"] == "joined" and e["previous_vid"] is None for e in first_events)
    assert {e["recorded_by"] for e in first_events} == {"pytest"}
    a, b = "Acta de asamblea 2026-10", "Acta de asamblea 2026-11"
    assert sorted(_changes(body, vids[0])) == sorted([
        ("joined", "HF-002", "Abg. Quispe", a), ("joined", "HF-008", "Abg. Quispe", a),
        ("left", "HF-001", "Abg. Quispe", a),
        ("joined", "HF-009", "Lic. Mamani", b), ("left", "HF-002", "Lic. Mamani", b)])
    later = [e for e in body["events"] if e["vid"] == vids[2]]
    assert {e["previous_vid"] for e in later} == {vids[1]}
    assert later[0]["import_batch_id"] is not None
    # dates: each event at its version's start, in order
    assert [e["at"] for e in body["events"]] == sorted(e["at"] for e in body["events"])
    assert body["events"][-1]["at"] > first_events[0]["at"]
    assert "HF-001" not in body["members_now"] and {"HF-008", "HF-009"} <= set(
        body["members_now"])
    assert body["count"] == len(body["events"])
    labels = {e["change"]: e["change_label"] for e in body["events"]}
    assert labels == {"joined": "Se unió", "left": "Salió"}
    english = network_status.membership_history(history_world.connect(), EDITOR, "RED-01",
                                                 lang="en")
    assert {e["change_label"] for e in english["events"]} == {"Joined", "Left"}


@pytest.mark.parametrize(("who", "sees"), [
    (ANONYMOUS, set()),
    (Principal(name="red2", role="network", networks=("RED-02",)), {"HF-002"}),
    (Principal(name="red3", role="network", networks=("RED-03",)), set()),
    (EDITOR, {"HF-002", "HF-008"}),
])
def test_hidden_members_leave_no_trace(history_world: Engine, who: Principal,
                                       sees: set[str]) -> None:
    """HF-002 (network-only, a member of RED-02) and HF-008 (restricted): their events,
    members and counts reach only the readers who may see them."""
    with history_world.connect() as conn:
        body = network_status.membership_history(conn, who, "RED-01")
        status = network_status.network_status(conn, who, "RED-01")
        listed = {n["id"]: n["n_members"] for n in network_status.list_networks(conn, who)}
    secret = {"HF-002", "HF-008"}
    named = {e["community_id"] for e in body["events"]} & secret
    assert named == sees
    assert (set(body["members_now"]) & secret) == sees - {"HF-002"}  # HF-002 left
    members = {m["id"] for m in status["members"]}
    assert members & secret == sees - {"HF-002"}
    assert listed["RED-01"] == status["n_members"] == len(members)
    text = repr(body) + repr(status)
    for cid in secret - sees:
        assert cid not in text
    # the events left are exactly those of the members this reader may see (plain SQL)
    with history_world.connect() as conn:
        editor = network_status.membership_history(conn, EDITOR, "RED-01")
        governing = dict(conn.execute(sa.text(
            "SELECT DISTINCT ON (id) id, sensitivity FROM community ORDER BY id, vid DESC")
            ).all())
        own = {m for (ms,) in conn.execute(sa.text(
            "SELECT members FROM network WHERE valid_to IS NULL AND id = ANY(:n)"),
            {"n": list(who.networks)}) for m in ms}

    def may_see(cid: str) -> bool:
        level = governing.get(cid)
        return who.role == "editor" or level == "public" or (
            level == "network" and cid in own)

    assert body["count"] == len([e for e in editor["events"] if may_see(e["community_id"])])
    assert members == {m for m in editor["members_now"] if may_see(m)}


def test_status_labels_and_unknown_network(history_world: Engine) -> None:
    with history_world.connect() as conn:
        status = network_status.network_status(conn, EDITOR, "RED-01")
        public = network_status.network_status(conn, ANONYMOUS, "RED-01")
        with pytest.raises(network_status.NetworkNotFoundError):
            network_status.membership_history(conn, EDITOR, "RED-NO-EXISTE")
        legal = dict(conn.execute(sa.text(
            "SELECT id, legal_status FROM community WHERE valid_to IS NULL")).all())
    labels = {"registered": "Inscrita", "in_process": "En trámite",
              "none": "Sin personería jurídica"}
    for m in status["members"]:
        assert m["legal_status_label"] == labels.get(legal[m["id"]], "Sin dato")
    assert status["sees_cases"] and status["deadlines"] is not None
    assert not public["sees_cases"] and public["deadlines"] is None
    assert all(m["deadlines"] is None for m in public["members"])
