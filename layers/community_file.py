"""The community file: a community's legal personality, statute, board and procedure
grouped for reading, with its overlaps, flags and history as this reader may see them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from layers.layer_collections import COLLECTIONS, AsOf, FeatureNotFoundError, Viewer
from layers.reads import feature, history
from layers.redaction import flags, overlaps, redaction


def _group(props: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "legal_personality": {
            "status": props.get("legal_status"),
            "registry_office": props.get("registry_office"),
            "registry_entry": props.get("registry_entry"),
            "registration_date": props.get("registration_date"),
        },
        "statute": {
            "adopted": props.get("statute_adopted"),
            "modified": props.get("statute_modified"),
            "clauses": {k: props.get(f"clause_{k}") for k in
                        ("territory", "water", "environment", "consultation", "women")},
        },
        "board": {
            "elected": props.get("board_elected"),
            "term_end": props.get("board_term_end"),
            "registered": props.get("board_registered"),
        },
        "procedure": {
            "what": props.get("procedure_what"),
            "stage": props.get("procedure_stage"),
            "since": props.get("procedure_since"),
        },
    }


def community_history(conn: Connection, viewer: Viewer, community_id: str
                      ) -> list[dict[str, Any]]:
    """Every version of a community the viewer may see, oldest first, with who/when/source
    (:func:`layers.reads.history`); empty when it may see none."""
    try:
        feats = history(conn, COLLECTIONS["communities"], viewer, community_id)
    except FeatureNotFoundError:
        return []
    return [{"vid": f["properties"]["vid"], **f} for f in feats]


def community_detail(conn: Connection, viewer: Viewer, community_id: str, *,
                     as_of: AsOf = None, lang: str = "es") -> dict[str, Any]:
    """A community with its legal file, overlaps, current flags and full history."""
    coll = COLLECTIONS["communities"]
    feat = feature(conn, coll, viewer, community_id, as_of=as_of)
    hidden = redaction(conn, viewer)
    props = feat["properties"]
    return {
        **feat,
        "vid": props["vid"],
        **_group(props),
        "overlaps": overlaps(conn, viewer, community_id, as_of=as_of, hidden=hidden),
        "flags": flags(conn, viewer, lang=lang, community_id=community_id, as_of=as_of,
                       limit=1000, hidden=hidden).features,
        "history": [
            {k: v["properties"].get(k) for k in
             ("vid", "valid_from", "valid_to", "recorded_by", "source", "import_batch_id",
              "change_note")}
            for v in community_history(conn, viewer, community_id)
        ],
    }
