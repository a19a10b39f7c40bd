"""Bulk synthetic data in plain SQL: companies at random points inside the loaded districts, their
foreign workers and inspections. Set-based (generate_series + ST_GeneratePoints), so 100,000
companies take seconds, not minutes. Used by the benchmark when `pantau demo` is not available and
by tests that need a database big enough for a request to take a while.

Deterministic for a given size: ST_GeneratePoints gets a seed and every other value comes from
the row number.
"""

from __future__ import annotations

import psycopg2

SECTORS = ("perkebunan_sawit", "pertambangan_batubara", "konstruksi", "jasa", "smelter", "energi",
           "perdagangan", "pertambangan_emas", "kehutanan", "industri_pengolahan")
NATIONS = ("CN", "CN", "CN", "MY", "MY", "KR", "JP", "IN", "US", "LK", "AU", "PH", "GB")
LEVELS = ("direktur", "komisaris", "manajer", "profesional", "konsultan")
FINDINGS = ("none", "none", "none", "expired_permit", "position_mismatch", "location_mismatch", "no_permit", "other")

_COMPANIES = """
WITH d AS (
    SELECT code, geom, row_number() OVER (ORDER BY code) AS k, count(*) OVER () AS n
      FROM boundaries WHERE level = 'district' AND code LIKE %(scope)s
), pts AS (
    SELECT (ST_Dump(ST_GeneratePoints(ST_Buffer(d.geom, -0.003), %(per)s, 7 + d.k::int))).geom AS geom, d.k
      FROM d
), numbered AS (
    SELECT geom, row_number() OVER (ORDER BY k, ST_X(geom), ST_Y(geom)) AS i FROM pts
)
INSERT INTO companies (nib, name, sector, kbli, address, geom, rptka_valid_until, status)
SELECT lpad((%(base)s + i)::text, 13, '0'),
       'PT Sintetis ' || i,
       (%(sectors)s::text[])[1 + i %% cardinality(%(sectors)s::text[])],
       lpad(((i * 37) %% 100000)::text, 5, '0'),
       'Jl. Contoh No. ' || (i %% 300),
       geom,
       DATE '2024-01-01' + ((i * 7919) %% 1500)::int,
       'active'
  FROM numbered WHERE i <= %(n)s
"""

_WORKERS = """
INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, sex, position, position_level,
                             rptka_number, permit_valid_until, itas_number, itas_valid_until)
SELECT c.id, 'Pekerja Sintetis ' || g, 'S' || lpad(g::text, 9, '0'),
       (%(nations)s::text[])[1 + g %% cardinality(%(nations)s::text[])],
       CASE WHEN g %% 5 = 0 THEN 'P' ELSE 'L' END,
       'Jabatan ' || (g %% 17),
       (%(levels)s::text[])[1 + g %% cardinality(%(levels)s::text[])],
       'RPTKA/' || g, DATE '2024-06-01' + ((g * 104729) %% 1400)::int,
       '2C' || lpad(g::text, 10, '0'), DATE '2024-06-01' + ((g * 104723) %% 1400)::int
  FROM generate_series(1::bigint, %(n)s) g
  JOIN companies c ON c.id = %(first)s + ((g * 2654435761) %% %(companies)s)
"""

_INSPECTIONS = """
INSERT INTO inspections (company_id, inspected_on, team, finding, notes, status)
SELECT c.id, DATE '2024-07-01' + (g %% 700)::int, ARRAY['imigrasi', 'kesbangpol'],
       (%(findings)s::text[])[1 + g %% cardinality(%(findings)s::text[])], 'Pemeriksaan ' || g,
       CASE WHEN g %% 3 = 0 THEN 'closed' ELSE 'open' END
  FROM generate_series(1::bigint, %(n)s) g
  JOIN companies c ON c.id = %(first)s + ((g * 40503) %% %(companies)s)
ON CONFLICT DO NOTHING
"""


def fill(url: str, companies: int, workers: int, inspections: int = 0, *, scope: str = "62", nib_base: int = 6_200_000_000_000) -> dict:
    """Insert the rows in one transaction; returns the counts now in the database."""
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM boundaries WHERE level = 'district' AND code LIKE %s", (scope + "%",))
            districts = cur.fetchone()[0]
            if not districts:
                raise RuntimeError(f"no districts with code {scope}* loaded")
            per = companies // districts + 2
            cur.execute(_COMPANIES, {"scope": scope + "%", "per": per, "base": nib_base, "n": companies,
                                     "sectors": list(SECTORS)})
            cur.execute("SELECT min(id), count(*) FROM companies WHERE nib >= %s AND nib < %s",
                        (f"{nib_base:013d}", f"{nib_base + 10**9:013d}"))
            first, made = cur.fetchone()
            if workers:
                cur.execute(_WORKERS, {"n": workers, "first": first, "companies": made,
                                       "nations": list(NATIONS), "levels": list(LEVELS)})
            if inspections:
                cur.execute(_INSPECTIONS, {"n": inspections, "first": first, "companies": made,
                                           "findings": list(FINDINGS)})
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("ANALYZE companies")
            cur.execute("ANALYZE foreign_workers")
            cur.execute("ANALYZE inspections")
            cur.execute("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM foreign_workers), "
                        "(SELECT count(*) FROM inspections)")
            c, w, i = cur.fetchone()
    finally:
        conn.close()
    return {"companies": c, "workers": w, "inspections": i}


PURPOSES = ("keluarga", "keluarga", "wisata", "wisata", "studi", "penelitian", "sosial", "keagamaan", "investasi",
            "jurnalistik", "lansia", "lainnya")
VISITOR_PERMITS = ("itas", "itas", "itap", "visa_kunjungan", "voa", "bebas_visa")

# Persons other than the workers, each with one stay in a village (no reported point: the village's
# label point stands in), dated over the last two years, open-ended for every tenth.
_PERSONS = """
INSERT INTO foreign_nationals (passport_number, nationality, full_name, sex)
SELECT 'V' || lpad(g::text, 9, '0'), (%(nations)s::text[])[1 + g %% cardinality(%(nations)s::text[])],
       'Orang Asing Sintetis ' || g, CASE WHEN g %% 2 = 0 THEN 'P' ELSE 'L' END
  FROM generate_series(1::bigint, %(n)s) g
ON CONFLICT DO NOTHING
"""
_STAYS = """
WITH v AS (SELECT array_agg(code ORDER BY code) AS codes FROM boundaries WHERE level = 'village')
INSERT INTO foreign_national_stays (foreign_national_id, permit_type, valid_from, valid_until, purpose, village_code,
                                    agency, reported_on)
SELECT p.id, (%(permits)s::text[])[1 + p.id %% cardinality(%(permits)s::text[])],
       %(today)s::date - (p.id * 7 %% 730)::int,
       CASE WHEN p.id %% 10 = 0 THEN NULL ELSE %(today)s::date - (p.id * 7 %% 730)::int + 90 + (p.id %% 600)::int END,
       (%(purposes)s::text[])[1 + p.id %% cardinality(%(purposes)s::text[])],
       v.codes[1 + (p.id * 2654435761) %% cardinality(v.codes)], 'imigrasi', %(today)s::date
  FROM foreign_nationals p, v WHERE p.passport_number LIKE 'V%%'
ON CONFLICT DO NOTHING
"""
# A share of the workers' ITAS also reported as a stay (purpose 'bekerja'), at their company's village.
_WORKER_STAYS = """
INSERT INTO foreign_national_stays (foreign_national_id, permit_type, valid_from, valid_until, purpose,
                                    sponsor_company_id, village_code, agency, reported_on)
SELECT DISTINCT ON (w.foreign_national_id) w.foreign_national_id, 'itas', w.created_at::date,
       w.itas_valid_until, 'bekerja', c.id, c.village_code, 'imigrasi', %(today)s::date
  FROM foreign_workers w JOIN companies c ON c.id = w.company_id
 WHERE w.id %% %(every)s = 0 AND c.village_code IS NOT NULL AND w.itas_valid_until >= w.created_at::date
ORDER BY w.foreign_national_id, w.id
ON CONFLICT DO NOTHING
"""
_LODGINGS = """
WITH v AS (SELECT array_agg(code ORDER BY code) AS codes FROM boundaries WHERE level = 'village')
INSERT INTO lodgings (name, village_code)
SELECT 'Hotel Sintetis ' || g, v.codes[1 + (g * 40503) %% cardinality(v.codes)]
  FROM generate_series(1, %(n)s) g, v
ON CONFLICT DO NOTHING
"""
# Guests: persons with a stay and workers, over the last 18 months; every twelfth without a check-out.
_LODGING_STAYS = """
WITH l AS (SELECT array_agg(id ORDER BY id) AS ids FROM lodgings),
p AS (SELECT array_agg(id ORDER BY id) AS ids FROM foreign_nationals)
INSERT INTO lodging_stays (lodging_id, foreign_national_id, check_in, check_out, agency)
SELECT l.ids[1 + (g * 7919) %% cardinality(l.ids)], p.ids[1 + (g * 2654435761) %% cardinality(p.ids)],
       %(today)s::date - (g %% 548)::int,
       CASE WHEN g %% 12 = 0 THEN NULL ELSE %(today)s::date - (g %% 548)::int + 1 + (g %% 6)::int END, 'polda'
  FROM generate_series(1, %(n)s) g, l, p
ON CONFLICT DO NOTHING
"""
_ACTIVITIES = """
WITH d AS (SELECT array_agg(code ORDER BY code) AS codes FROM boundaries WHERE level = 'district')
INSERT INTO monitoring_activities (held_on, kind, district_code, regency_code, agencies, agency)
SELECT %(today)s::date - (g %% 548)::int,
       (ARRAY['rapat', 'operasi_gabungan', 'pengawasan_lapangan', 'sosialisasi'])[1 + g %% 4],
       d.codes[1 + (g * 7919) %% cardinality(d.codes)], left(d.codes[1 + (g * 7919) %% cardinality(d.codes)], 5),
       ARRAY['imigrasi', 'kesbangpol'], 'kesbangpol'
  FROM generate_series(1, %(n)s) g, d
ON CONFLICT DO NOTHING
"""


def fill_foreign(url: str, today, persons: int, worker_stay_every: int = 3, lodgings: int = 400,
                 lodging_stays: int = 30_000, activities: int = 3_000) -> dict:
    """Foreign nationals besides the workers (issue 17), after `fill`: `persons` with a stay, a stay
    for every `worker_stay_every`-th worker, lodgings and their guests over 18 months, monitoring
    activities over 18 months. In one transaction; returns the counts now in the database."""
    conn = psycopg2.connect(url)
    args = {"today": today, "nations": list(NATIONS), "permits": list(VISITOR_PERMITS), "purposes": list(PURPOSES)}
    try:
        with conn, conn.cursor() as cur:
            cur.execute(_PERSONS, {**args, "n": persons})
            cur.execute(_STAYS, args)
            cur.execute(_WORKER_STAYS, {**args, "every": worker_stay_every})
            cur.execute(_LODGINGS, {**args, "n": lodgings})
            cur.execute(_LODGING_STAYS, {**args, "n": lodging_stays})
            cur.execute(_ACTIVITIES, {**args, "n": activities})
        conn.autocommit = True
        with conn.cursor() as cur:
            for table in ("foreign_nationals", "foreign_national_stays", "lodgings", "lodging_stays",
                          "monitoring_activities"):
                cur.execute(f"ANALYZE {table}")
            cur.execute("SELECT (SELECT count(*) FROM foreign_nationals), (SELECT count(*) FROM foreign_national_stays), "
                        "(SELECT count(*) FROM lodging_stays), (SELECT count(*) FROM monitoring_activities)")
            n, s, ls, a = cur.fetchone()
    finally:
        conn.close()
    return {"foreign_nationals": n, "stays": s, "lodging_stays": ls, "activities": a}
