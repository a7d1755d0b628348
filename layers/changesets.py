"""The change set of a concessions import, and the alerts it raises per community.

Computed set-based in SQL right after the import wrote its versions, inside the same
transaction (so a refused or dry-run import leaves neither changes nor alerts):

* ``new``: a version the batch inserted for a code with no earlier version;
* ``changed``: the batch inserted a successor, with which of geometry / state / holder /
  substance differ from the previous version (``extinguished`` when the state became so);
* ``vanished``: a version this import closed without successor, counted only when it lies
  inside the file's coverage (the convex hull of the source's current rights after the
  import): a per-zone file does not withdraw the rights of other zones.

An alert is raised for each change that touches a community's territory (overlap with an
area, not a shared edge) or, for a community known only by a point, its search radius; it
gets the response deadline its country's rule file gives that kind of change
(``layers.alert_deadlines``).
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.engine import Connection

#: Changes to these fields raise an alert (names as in ``geo.vocabulary.CHANGE_FIELD``).
WATCHED = ("geometry", "state", "holder", "substance")

_CHANGES = sa.text("""
WITH hist AS MATERIALIZED (
  -- every version of the codes this batch wrote, each with the version before it
  SELECT k.vid, k.code, k.state, k.holder, k.substance, k.geom, k.import_batch_id,
         lag(k.vid) OVER (PARTITION BY k.code ORDER BY k.vid) AS prev_vid
  FROM concession k
  WHERE k.code IN (SELECT n.code FROM concession n WHERE n.import_batch_id = :batch)
), ins AS (
  SELECT h.* FROM hist h WHERE h.import_batch_id = :batch
), prev AS (
  SELECT i.vid AS new_vid, o.vid, o.state, o.holder, o.substance, o.geom
  FROM ins i JOIN concession o ON o.vid = i.prev_vid
), closed AS MATERIALIZED (
  -- closed by this import (now() is the transaction's time) with no current successor
  SELECT o.vid, o.code, o.geom FROM concession o
  WHERE o.valid_to = now()
    AND NOT EXISTS (SELECT 1 FROM concession c WHERE c.code = o.code AND c.valid_to IS NULL)
), source AS MATERIALIZED (
  -- once, not once per concession: the report is a large JSONB
  SELECT b.report -> 'options' ->> 'source' AS name FROM import_batch b WHERE b.id = :batch
), coverage AS (
  -- only when something vanished (the hull of a whole source is most of this query's time)
  SELECT ST_ConvexHull(ST_Collect(k.geom)) AS hull FROM concession k, source s
  WHERE k.valid_to IS NULL AND k.source = s.name AND EXISTS (SELECT 1 FROM closed)
)
INSERT INTO concession_change (batch_id, code, kind, fields, old_vid, new_vid)
SELECT :batch, i.code,
       CASE WHEN p.vid IS NULL THEN 'new'
            WHEN i.state = 'extinguished' AND p.state IS DISTINCT FROM 'extinguished'
              THEN 'extinguished'
            ELSE 'changed' END,
       CASE WHEN p.vid IS NULL THEN '{}'::text[] ELSE array_remove(ARRAY[
         CASE WHEN NOT ST_Equals(p.geom, i.geom) THEN 'geometry' END,
         CASE WHEN p.state IS DISTINCT FROM i.state THEN 'state' END,
         CASE WHEN p.holder IS DISTINCT FROM i.holder THEN 'holder' END,
         CASE WHEN p.substance IS DISTINCT FROM i.substance THEN 'substance' END
       ], NULL) END,
       p.vid, i.vid
FROM ins i LEFT JOIN prev p ON p.new_vid = i.vid
UNION ALL
SELECT :batch, o.code, 'vanished', '{}'::text[], o.vid, NULL
FROM closed o, coverage cv
WHERE NOT EXISTS (SELECT 1 FROM concession_change x WHERE x.old_vid = o.vid)
  AND ST_Intersects(o.geom, cv.hull)
""")

_ALERTS = sa.text("""
WITH ch AS MATERIALIZED (
  SELECT c.id, c.code, c.kind,
         CASE WHEN c.kind = 'vanished' THEN o.geom ELSE n.geom END AS geom,
         CASE WHEN 'geometry' = ANY(c.fields) THEN o.geom END AS old_geom
  FROM concession_change c
  LEFT JOIN concession n ON n.vid = c.new_vid
  LEFT JOIN concession o ON o.vid = c.old_vid
  WHERE c.batch_id = :batch
    AND (c.kind IN ('extinguished', 'vanished')
         OR (c.kind = 'new' AND n.state <> 'extinguished')
         OR (c.kind = 'changed' AND c.fields && CAST(:watched AS text[])))
), near AS MATERIALIZED (
  -- candidate communities by bounding box (GiST on territory / location), so only those
  -- near a change get a search zone; :deg is the radius in degrees, rounded up
  SELECT DISTINCT m.vid FROM ch JOIN community m
    ON m.territory && ch.geom OR m.territory && ch.old_geom
    OR (m.territory IS NULL AND (m.location && ST_Expand(ch.geom, :deg)
                                 OR m.location && ST_Expand(ch.old_geom, :deg)))
  WHERE m.valid_to IS NULL
), area AS MATERIALIZED (
  SELECT m.id, m.territory,
         COALESCE(m.territory,
                  geometry(ST_Buffer(geography(m.location), :radius))) AS zone
  FROM community m JOIN near USING (vid)
), hit AS (
  SELECT ch.id AS change_id, ch.code, ch.kind, ch.geom, a.id AS community_id,
         a.territory, a.zone,
         ST_Area(geography(ST_CollectionExtract(ST_Intersection(a.zone, ch.geom), 3)))
           / 10000.0 AS ha
  FROM ch JOIN area a
    ON (a.zone && ch.geom OR a.zone && ch.old_geom)
   AND ((ST_Intersects(a.zone, ch.geom) AND NOT ST_Touches(a.zone, ch.geom))
    OR (ch.old_geom IS NOT NULL AND ST_Intersects(a.zone, ch.old_geom)
        AND NOT ST_Touches(a.zone, ch.old_geom)))
)
INSERT INTO alert (community_id, change_id, kind, code, hectares, share, water_source_ids,
                   consultation_id)
SELECT h.community_id, h.change_id, h.kind, h.code, h.ha,
       CASE WHEN h.territory IS NOT NULL
            THEN h.ha * 10000.0 / NULLIF(ST_Area(geography(h.territory)), 0) END,
       ARRAY(SELECT w.id FROM water_source w
             WHERE w.valid_to IS NULL AND ST_Intersects(w.geom, h.zone)
               AND ST_Intersects(w.geom, h.geom) ORDER BY w.id),
       (SELECT k.id FROM consultation k
        WHERE k.valid_to IS NULL AND h.code = ANY(k.concession_codes) ORDER BY k.id LIMIT 1)
FROM hit h
""")


def radius_degrees(radius_m: float) -> float:
    """A search radius in degrees large enough for a bounding-box prefilter up to 60° of
    latitude (a degree of longitude is at least 55 km there); the exact test is geodesic."""
    return radius_m / 55_000.0


#: Seconds of each step of the last :func:`record` in this process (the benchmark reads
#: them: the steps run inside the import's transaction).
last_timings: dict[str, float] = {}


def record(conn: Connection, batch_id: int, *, radius_m: float) -> tuple[int, int]:
    """Store the change set of concessions batch ``batch_id`` and its alerts; return how
    many changes and alerts were written."""
    t0 = time.perf_counter()
    n_changes = conn.execute(_CHANGES, {"batch": batch_id}).rowcount
    t1 = time.perf_counter()
    # a few changes against every community: PostgreSQL's JIT would spend ~1 s compiling a
    # plan that then runs in a tenth of that (the buffers' cost estimate trips it); off for
    # this statement only
    jit = conn.execute(sa.text("SELECT current_setting('jit')")).scalar_one()
    conn.execute(sa.text("SELECT set_config('jit', 'off', true)"))
    n_alerts = conn.execute(_ALERTS, {"batch": batch_id, "radius": radius_m,
                                      "deg": radius_degrees(radius_m),
                                      "watched": list(WATCHED)}).rowcount
    conn.execute(sa.text("SELECT set_config('jit', :v, true)"), {"v": jit})
    t2 = time.perf_counter()
    if n_alerts:
        from layers import alert_deadlines

        alert_deadlines.stamp(conn, batch_id)
    last_timings.clear()
    last_timings.update(change_set=t1 - t0, alerts=t2 - t1,
                        deadlines=time.perf_counter() - t2)
    return int(n_changes or 0), int(n_alerts or 0)


def after_import(conn: Connection, layer: str, batch_id: int | None,
                 radius_m: float | None = None) -> None:
    """The importer's hook: a concessions batch gets its change set and alerts."""
    if layer != "concessions" or batch_id is None:
        return
    if radius_m is None:
        from layers.config import load_settings

        radius_m = load_settings().point_radius_m
    record(conn, batch_id, radius_m=radius_m)
