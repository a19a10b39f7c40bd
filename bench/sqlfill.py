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
