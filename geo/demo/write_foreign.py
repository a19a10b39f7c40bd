"""Write the demo's foreign nationals, lodgings and activities (geo/demo/foreign.py) after the
companies and workers, in the caller's transaction: COPY into temporary tables, then set-based
INSERTs through the tables' own triggers (place_row_in_village places every residence and lodging
in its village and checks every reported point against it). Reported points are drawn by PostGIS
inside the village, near the company for those who live by one."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd

from geo.demo import profile as P
from geo.demo.foreign import ForeignDataset
from geo.demo.write import WIB, _copy, _digest

_TEMP_TABLES = """
CREATE TEMP TABLE _demo_fn_persons (
    idx int PRIMARY KEY, passport_number text, nationality text, full_name text, sex text, birth_date date
) ON COMMIT DROP;
CREATE TEMP TABLE _demo_fn_stays (
    idx int PRIMARY KEY, passport_number text, nationality text, permit_type text, permit_number text,
    from_days int, until_days int, purpose text, sponsor_nib text, sponsor_name text, street text, house int,
    village_code text, town text, anchor text, anchor_nib text, worker_passport text, reported_point boolean
) ON COMMIT DROP;
CREATE TEMP TABLE _demo_lodgings (
    idx int PRIMARY KEY, name text, town text, village_code text, street text, house int, reported_point boolean
) ON COMMIT DROP;
CREATE TEMP TABLE _demo_towns (name text PRIMARY KEY, geom geometry(Point, 4326)) ON COMMIT DROP;
CREATE TEMP TABLE _demo_guests (
    idx int PRIMARY KEY, lodging int, passport_number text, nationality text, check_in_days int, nights int,
    open boolean
) ON COMMIT DROP;
CREATE TEMP TABLE _demo_activities (
    idx int PRIMARY KEY, days_ago int, kind text, district_code text, agencies text[], targets text,
    findings text, follow_up text, agency text
) ON COMMIT DROP;
CREATE TEMP TABLE _demo_activity_targets (activity int, nib text) ON COMMIT DROP;
"""

_PERSONS = """
INSERT INTO foreign_nationals (passport_number, nationality, full_name, sex, birth_date)
SELECT passport_number, nationality, full_name, sex, birth_date FROM _demo_fn_persons ORDER BY idx;
ANALYZE foreign_nationals;
"""

# Where each stay's residence lies: the village drawn (a town's or a district's), or for those who
# live by a company the village of its office or work site (else the nearest), in the part of it
# within 1.5 km.
# A reported point is drawn in that zone, one seeded ST_GeneratePoints call per zone.
# The part of each town village within the town's radius: town residences and lodgings lie there.
_TOWN_ZONES = """
CREATE TEMP TABLE _demo_town_zones ON COMMIT DROP AS
SELECT DISTINCT ON (x.village_code, x.town) x.village_code, x.town,
       COALESCE((SELECT z FROM (SELECT ST_CollectionExtract(ST_Intersection(
                     b.geom, ST_Buffer(t.geom, %(radius)s / %(m_per_degree)s)), 3) AS z) i
                  WHERE ST_Area(z) > 1e-7), b.geom) AS zone,
       ST_DWithin(b.label_point::geography, t.geom::geography, %(radius)s) AS label_in_town
  FROM (SELECT village_code, town FROM _demo_fn_stays WHERE town IS NOT NULL
        UNION SELECT village_code, town FROM _demo_lodgings) x
  JOIN _demo_towns t ON t.name = x.town
  JOIN boundaries b ON b.code = x.village_code;
"""

_RESIDENCES = """
CREATE TEMP TABLE _demo_anchors ON COMMIT DROP AS
SELECT a.anchor, a.anchor_nib, a.pt, v.code AS village_code,
       COALESCE((SELECT x FROM (SELECT ST_CollectionExtract(ST_Intersection(
                     b.geom, ST_Buffer(a.pt, 1500 / %(m_per_degree)s)), 3) AS x) t
                  WHERE ST_Area(x) > 1e-7), b.geom) AS zone
  FROM (SELECT DISTINCT ON (s.anchor, s.anchor_nib) s.anchor, s.anchor_nib,
               coalesce(site.work_site, k.geom) AS pt,
               left(coalesce(site.work_site_district_code, k.district_code), 5) AS regency
          FROM _demo_fn_stays s JOIN companies k ON k.nib = s.anchor_nib
          LEFT JOIN LATERAL (SELECT w.work_site, w.work_site_district_code FROM foreign_workers w
                              WHERE s.anchor = 'site' AND w.company_id = k.id AND w.work_site IS NOT NULL
                              ORDER BY w.id LIMIT 1) site ON true
         WHERE s.anchor IS NOT NULL) a
 -- Within the anchor's regency: village and district boundaries do not always agree at the edges.
 CROSS JOIN LATERAL (SELECT coalesce(
           (SELECT b.code FROM boundaries b WHERE b.level = 'village' AND left(b.code, 5) = a.regency
               AND ST_Covers(b.geom, a.pt) ORDER BY b.code LIMIT 1),
           (SELECT b.code FROM boundaries b WHERE b.level = 'village' AND left(b.code, 5) = a.regency
               AND ST_DWithin(b.geom, a.pt, 0.2) ORDER BY ST_Distance(b.geom, a.pt), b.code LIMIT 1)) AS code) v
  JOIN boundaries b ON b.code = v.code;

CREATE TEMP TABLE _demo_residences ON COMMIT DROP AS
SELECT s.idx, coalesce(s.village_code, a.village_code) AS village_code,
       coalesce(s.anchor || '/' || s.anchor_nib, s.village_code || '/' || coalesce(s.town, '')) AS zone_key,
       CASE WHEN s.anchor IS NOT NULL THEN a.zone WHEN s.town IS NOT NULL THEN tz.zone ELSE b.geom END AS zone,
       s.reported_point
  FROM _demo_fn_stays s
  LEFT JOIN _demo_anchors a ON a.anchor = s.anchor AND a.anchor_nib = s.anchor_nib
  LEFT JOIN boundaries b ON b.code = s.village_code
  LEFT JOIN _demo_town_zones tz ON tz.village_code = s.village_code AND tz.town = s.town;

CREATE TEMP TABLE _demo_residence_points ON COMMIT DROP AS
WITH need AS (
    SELECT zone_key, (array_agg(zone))[1] AS zone, count(*)::int AS n
      FROM _demo_residences WHERE reported_point GROUP BY zone_key
), drawn AS (
    SELECT zone_key, (dp).path[1] AS ord, (dp).geom AS geom
      FROM (SELECT zone_key, ST_Dump(ST_GeneratePoints(zone, n,
                   ('x' || substr(md5(%(seed)s || '/fn/' || zone_key), 1, 7))::bit(28)::int + 1)) AS dp
              FROM need) d
)
SELECT r.idx, d.geom
  FROM (SELECT idx, zone_key, row_number() OVER (PARTITION BY zone_key ORDER BY idx) AS ord
          FROM _demo_residences WHERE reported_point) r
  JOIN drawn d USING (zone_key, ord);
"""

# A worker's stay begins when they arrived (from_days NULL); a dependant's not before their worker's arrival.
_STAYS = """
INSERT INTO foreign_national_stays (foreign_national_id, permit_type, permit_number, valid_from, valid_until,
                                    purpose, sponsor_company_id, sponsor_name, address, village_code, geom,
                                    agency, reported_on, batch_id)
SELECT p.id, s.permit_type, s.permit_number, f.valid_from, greatest(%(today)s::date + s.until_days, f.valid_from),
       s.purpose, k.id, s.sponsor_name,
       'Jl. Contoh ' || s.street || ' No. ' || s.house || ', ' || v.name, r.village_code, pt.geom,
       'imigrasi', least(f.valid_from + 3, %(today)s::date), %(batch)s
  FROM _demo_fn_stays s
  JOIN foreign_nationals p USING (passport_number, nationality)
  JOIN _demo_residences r ON r.idx = s.idx
  JOIN boundaries v ON v.code = r.village_code
  LEFT JOIN _demo_residence_points pt ON pt.idx = s.idx
  LEFT JOIN companies k ON k.nib = s.sponsor_nib
  LEFT JOIN foreign_workers w ON w.passport_number = s.worker_passport AND w.nationality = s.nationality
  CROSS JOIN LATERAL (SELECT (w.created_at AT TIME ZONE 'Asia/Jakarta')::date AS arrived) me
  CROSS JOIN LATERAL (SELECT CASE WHEN s.from_days IS NULL THEN me.arrived
                                  ELSE greatest(%(today)s::date + s.from_days, me.arrived) END AS valid_from) f
 ORDER BY s.idx;
"""

_LODGINGS = """
-- Reported where the file says so, and always when the village's own point lies out of town.
CREATE TEMP TABLE _demo_lodging_points ON COMMIT DROP AS
WITH want AS (
    SELECT l.idx, l.village_code, l.town, z.zone
      FROM _demo_lodgings l JOIN _demo_town_zones z USING (village_code, town)
     WHERE l.reported_point OR NOT z.label_in_town
), need AS (
    SELECT village_code, town, (array_agg(zone))[1] AS zone, count(*)::int AS n FROM want GROUP BY 1, 2
), drawn AS (
    SELECT village_code, town, (dp).path[1] AS ord, (dp).geom AS geom
      FROM (SELECT village_code, town, ST_Dump(ST_GeneratePoints(zone, n,
                   ('x' || substr(md5(%(seed)s || '/lodging/' || village_code || '/' || town), 1, 7))::bit(28)::int + 1)) AS dp
              FROM need) d
)
SELECT w.idx, d.geom
  FROM (SELECT idx, village_code, town, row_number() OVER (PARTITION BY village_code, town ORDER BY idx) AS ord
          FROM want) w
  JOIN drawn d USING (village_code, town, ord);

INSERT INTO lodgings (name, address, village_code, geom)
SELECT l.name, 'Jl. ' || l.street || ' No. ' || l.house || ', ' || b.name, l.village_code, p.geom
  FROM _demo_lodgings l JOIN boundaries b ON b.code = l.village_code
  LEFT JOIN _demo_lodging_points p ON p.idx = l.idx
 ORDER BY l.idx;
"""

# A guest checks in on the day drawn, but not before their permit began or (a worker) arrived.
_GUESTS = """
INSERT INTO lodging_stays (lodging_id, foreign_national_id, check_in, check_out, agency, batch_id)
SELECT lodging_id, person, check_in, CASE WHEN g.open THEN NULL ELSE check_in + g.nights END,
       'imigrasi', %(batch)s
  FROM _demo_guests g
  JOIN _demo_lodgings dl ON dl.idx = g.lodging
  JOIN lodgings l ON l.village_code = dl.village_code AND l.name = dl.name
  JOIN foreign_nationals p USING (passport_number, nationality)
  CROSS JOIN LATERAL (SELECT l.id AS lodging_id, p.id AS person, least(%(today)s::date, greatest(
           %(today)s::date + g.check_in_days,
           (SELECT min(s.valid_from) FROM foreign_national_stays s WHERE s.foreign_national_id = p.id),
           (SELECT min((w.created_at AT TIME ZONE 'Asia/Jakarta')::date) + 1 FROM foreign_workers w
             WHERE w.foreign_national_id = p.id))) AS check_in) c
 ORDER BY g.idx
ON CONFLICT (lodging_id, foreign_national_id, check_in) DO NOTHING;
"""

_ACTIVITIES = """
INSERT INTO monitoring_activities (held_on, kind, district_code, agencies, targets, findings, follow_up,
                                   agency, batch_id)
SELECT %(today)s::date - days_ago, kind, district_code, agencies, targets, findings, follow_up, agency, %(batch)s
  FROM _demo_activities ORDER BY idx;

INSERT INTO activity_company_targets (activity_id, company_id)
SELECT m.id, k.id
  FROM _demo_activity_targets t
  JOIN _demo_activities a ON a.idx = t.activity
  JOIN monitoring_activities m ON m.held_on = %(today)s::date - a.days_ago AND m.kind = a.kind
                               AND m.district_code = a.district_code AND m.agencies = a.agencies
  JOIN companies k ON k.nib = t.nib
ON CONFLICT DO NOTHING;
"""

_BATCH = """
INSERT INTO import_batches (kind, agency, file_name, sha256, imported_by, mode, started_at, finished_at,
                            rows_total, imported, updated, unchanged, rejected, report)
VALUES (%(kind)s, %(agency)s, %(file_name)s, %(sha256)s, 'pantau demo', 'all_or_nothing',
        %(started)s, %(finished)s, %(rows)s, %(rows)s, 0, 0, 0, %(report)s)
RETURNING id
"""


def _batch(cur, kind: str, agency: str, name: str, frame: pd.DataFrame, seed: int, today: date, days_before: int) -> int:
    started = datetime.combine(today - timedelta(days=days_before), time(9, 0), WIB)
    cur.execute(_BATCH, {
        "kind": kind, "agency": agency, "file_name": name, "sha256": _digest(frame), "started": started,
        "finished": started + timedelta(minutes=2), "rows": len(frame),
        "report": f'{{"demo": true, "seed": {seed}, "rejected": []}}',
    })
    return cur.fetchone()[0]


def write_foreign(cur, data: ForeignDataset, nib, worker_passport, seed: int, today: date) -> dict[str, int]:
    """Insert `data`; `nib` maps company row index to NIB, `worker_passport` worker row index to
    passport number. Returns row counts."""
    wp = worker_passport
    def nibs(idx) -> list:
        return [nib[int(i)] if int(i) >= 0 else None for i in idx]

    st = data.stays
    stays = pd.DataFrame({
        "idx": range(len(st)), **{k: st[k] for k in ("passport_number", "nationality", "permit_type", "permit_number")},
        "from_days": st["from_days"].astype("Int64"), "until_days": st["until_days"].astype("Int64"),
        "purpose": st["purpose"], "sponsor_nib": nibs(st["sponsor_company"]), "sponsor_name": st["sponsor_name"],
        "street": st["street"], "house": st["house"], "village_code": st["village_code"], "town": st["town"],
        "anchor": st["anchor"],
        "anchor_nib": nibs(st["anchor_company"].where(st["anchor"].notna(), -1)),
        "worker_passport": [wp[int(i)] if int(i) >= 0 else None for i in st["worker"]],
        "reported_point": st["reported_point"],
    })
    persons = data.persons.assign(idx=range(len(data.persons)))[
        ["idx", "passport_number", "nationality", "full_name", "sex", "birth_date"]]
    lodgings = data.lodgings.assign(idx=range(len(data.lodgings)))[
        ["idx", "name", "town", "village_code", "street", "house", "reported_point"]]
    g = data.guests
    guests = pd.DataFrame({"idx": range(len(g)), "lodging": g["lodging"], "passport_number": g["passport_number"],
                           "nationality": g["nationality"], "check_in_days": g["check_in_days"],
                           "nights": g["nights"], "open": g["open"]})
    a = data.activities
    activities = a.assign(idx=range(len(a)))[["idx", "days_ago", "kind", "district_code", "agencies", "targets",
                                             "findings", "follow_up", "agency"]]
    targets = pd.DataFrame({"activity": data.targets["activity"], "nib": nibs(data.targets["company"])})

    cur.execute(_TEMP_TABLES)
    for table, frame in (("_demo_fn_persons", persons), ("_demo_fn_stays", stays), ("_demo_lodgings", lodgings),
                         ("_demo_guests", guests), ("_demo_activities", activities),
                         ("_demo_activity_targets", targets)):
        _copy(cur, table, frame)
    cur.execute("ANALYZE _demo_fn_persons; ANALYZE _demo_fn_stays; ANALYZE _demo_guests")
    # Buffers in degrees: the province straddles the equator, where a degree is about as long both ways.
    params = {"today": today, "seed": str(seed), "radius": P.TOWN_RADIUS_M, "m_per_degree": 111_320.0}
    cur.execute("INSERT INTO _demo_towns SELECT n, ST_SetSRID(ST_MakePoint(x, y), 4326)"
                " FROM unnest(%s::text[], %s::float8[], %s::float8[]) AS t(n, x, y)",
                (list(P.TOWNS), [t[1] for t in P.TOWNS.values()], [t[2] for t in P.TOWNS.values()]))
    batches = {
        "stays": _batch(cur, "foreign_nationals", "imigrasi", f"demo-imigrasi-orang-asing-{today.year}.xlsx",
                        persons.merge(stays, on=["passport_number", "nationality"], how="right"), seed, today, 7),
        "guests": _batch(cur, "lodgings", "imigrasi", f"demo-imigrasi-penginapan-{today.year}.xlsx", guests,
                         seed, today, 5),
        "activities": _batch(cur, "activities", "kesbangpol", f"demo-kesbangpol-kegiatan-{today.year}.xlsx",
                             activities, seed, today, 3),
    }
    cur.execute(_PERSONS)
    cur.execute(_TOWN_ZONES, params)
    cur.execute(_RESIDENCES, params)
    cur.execute(_STAYS, {**params, "batch": batches["stays"]})
    cur.execute(_LODGINGS, params)
    cur.execute("ANALYZE lodgings; ANALYZE foreign_national_stays")
    cur.execute(_GUESTS, {**params, "batch": batches["guests"]})
    cur.execute(_ACTIVITIES, {**params, "batch": batches["activities"]})
    cur.execute("SELECT (SELECT count(*) FROM lodging_stays WHERE batch_id = %s),"
                " (SELECT count(*) FROM activity_company_targets)", (batches["guests"],))
    guests_written, targets_written = cur.fetchone()
    return {"foreign_nationals": len(persons), "stays": len(stays), "lodgings": len(lodgings),
            "lodging_stays": guests_written, "activities": len(activities), "activity_targets": targets_written,
            "import_batches": 3}
