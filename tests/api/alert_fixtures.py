"""Hand-made cadastre alerts for API tests (the real computation is tested in
tests/layers/test_alerts_real.py): one import batch, one change, one alert per community."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from layers import batches
from layers.alert_tables import alert, concession_change


def add_alerts(conn: Connection, targets: dict[str, list[str]], code: str = "010000777"
               ) -> dict[str, int]:
    """An alert for each community id in ``targets`` naming those water source ids; returns
    community id -> alert id."""
    batch = batches.create_batch(conn, layer="concessions", file_name="catastro-prueba.zip",
                                 sha256="0" * 64, recorded_by="pytest")
    change = conn.execute(sa.insert(concession_change).values(
        batch_id=batch, code=code, kind="new").returning(concession_change.c.id)).scalar_one()
    out = {}
    for community_id, waters in targets.items():
        out[community_id] = int(conn.execute(sa.insert(alert).values(
            community_id=community_id, change_id=change, kind="new", code=code,
            hectares=12.5, share=0.05, water_source_ids=waters)
            .returning(alert.c.id)).scalar_one())
    return out
