"""Write a generated dataset into PostGIS in one transaction: points drawn by PostGIS inside the
intended districts, rows sent with COPY into temporary tables, then set-based INSERTs (the
location triggers still compute every company's regency and district)."""

from __future__ import annotations

import hashlib
import io
from datetime import date, datetime, time, timedelta, timezone

import pandas as pd

from geo.demo import profile as P
from geo.demo.generate import Dataset

WIB = timezone(timedelta(hours=7))

_TEMP_TABLES = """
CREATE TEMP TABLE _demo_companies (
    idx int PRIMARY KEY, nib text, name text, sector text, kbli text, address text,
    district_code text, town boolean, declared_regency text, declared_district text,
    rptka_days int, status text, workers int, dn_workers int, dn_address text, dn_rptka_days int
) ON COMMIT DROP;
CREATE TEMP TABLE _demo_sites (company int PRIMARY KEY, district_code text) ON COMMIT DROP;
CREATE TEMP TABLE _demo_workers (
    idx int PRIMARY KEY, company int, nib text, full_name text, passport_number text, nationality text,
    sex text, position text, position_level text, rptka_number text, permit_days int,
    itas_number text, itas_days int, at_site boolean, status text, dn_listed boolean, dn_nib text
) ON COMMIT DROP;
CREATE TEMP TABLE _demo_inspections (
    idx int PRIMARY KEY, nib text, days_ago int, team text[], finding text, notes text,
    follow_up text, status text
) ON COMMIT DROP;
CREATE TEMP TABLE _demo_seats (regency text PRIMARY KEY, geom geometry(Point, 4326)) ON COMMIT DROP;
"""

# Each (kind, district, town) group gets its points from one seeded ST_GeneratePoints call, drawn
# in the district less any lower-coded district overlapping it (locate_district() gives overlaps
# to the lowest code), and for town offices within 8 km of the regency seat when that overlaps.
_POINTS = """
CREATE TEMP TABLE _demo_points ON COMMIT DROP AS
WITH need AS (
    SELECT 'hq'::text AS kind, district_code, town, count(*)::int AS n FROM _demo_companies GROUP BY 2, 3
    UNION ALL
    SELECT 'site', district_code, false, count(*)::int FROM _demo_sites GROUP BY 2
), zone AS (
    SELECT n.kind, n.district_code, n.town, n.n,
           ('x' || substr(md5(%(seed)s || '/' || n.kind || '/' || n.district_code || '/' || n.town), 1, 7))::bit(28)::int + 1 AS seed,
           COALESCE(ST_CollectionExtract(ST_Difference(d.geom, (
               SELECT ST_Union(o.geom) FROM boundaries o
                WHERE o.level = 'district' AND o.code < d.code AND ST_Intersects(o.geom, d.geom))), 3),
               d.geom) AS g,
           s.geom AS seat
      FROM need n
      JOIN boundaries d ON d.level = 'district' AND d.code = n.district_code
      LEFT JOIN _demo_seats s ON s.regency = d.parent_code AND n.town
), shaped AS (
    SELECT kind, district_code, town, n, seed,
           COALESCE((SELECT x FROM (SELECT ST_CollectionExtract(ST_Intersection(
                         g, ST_Buffer(seat::geography, 8000)::geometry), 3) AS x) t
                      WHERE seat IS NOT NULL AND ST_Area(x) > 1e-5), g) AS g
      FROM zone
)
SELECT kind, district_code, town, (dp).path[1] AS ord, (dp).geom AS geom
  FROM (SELECT kind, district_code, town, ST_Dump(ST_GeneratePoints(g, n, seed)) AS dp FROM shaped) s;
CREATE INDEX ON _demo_points (kind, district_code, town, ord);
ANALYZE _demo_points;
"""

_COMPANIES = """
INSERT INTO companies (nib, name, sector, kbli, address, geom, declared_regency, declared_district,
                       rptka_valid_until, status, created_at, updated_at)
SELECT c.nib, c.name, c.sector, c.kbli, c.address, p.geom, c.declared_regency, c.declared_district,
       %(today)s::date + c.rptka_days, c.status, a.at, a.at
  FROM (SELECT *, row_number() OVER (PARTITION BY district_code, town ORDER BY idx) AS ord
          FROM _demo_companies) c
  JOIN _demo_points p ON p.kind = 'hq' AND p.district_code = c.district_code AND p.town = c.town
                     AND p.ord = c.ord
  -- Recorded before any of its workers arrived (below) or its inspections: the change since a past
  -- meeting (geo/meetings/changes.py) counts companies by when they were recorded.
  CROSS JOIN LATERAL (SELECT ((%(today)s::date - (900 + abs(hashtext(c.nib)::bigint) %% 360)::int)::timestamp
                              + interval '9 hours') AT TIME ZONE 'Asia/Jakarta' AS at) a
 ORDER BY c.idx;
"""

_MISPLACED = """
SELECT count(*) FROM companies k JOIN _demo_companies c USING (nib)
 WHERE k.district_code <> c.district_code
"""

_WORKERS = """
CREATE TEMP TABLE _demo_site_points ON COMMIT DROP AS
SELECT s.company, p.geom
  FROM (SELECT *, row_number() OVER (PARTITION BY district_code ORDER BY company) AS ord FROM _demo_sites) s
  JOIN _demo_points p ON p.kind = 'site' AND p.district_code = s.district_code AND NOT p.town AND p.ord = s.ord;
CREATE UNIQUE INDEX ON _demo_site_points (company);
ANALYZE _demo_site_points;
INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, sex, position,
                             position_level, rptka_number, permit_valid_until, itas_number,
                             itas_valid_until, work_site, status, created_at, updated_at)
SELECT k.id, w.full_name, w.passport_number, w.nationality, w.sex, w.position, w.position_level,
       w.rptka_number, %(today)s::date + w.permit_days, w.itas_number, %(today)s::date + w.itas_days,
       CASE WHEN w.at_site THEN sp.geom END, w.status, a.at, a.at
  FROM _demo_workers w
  JOIN companies k ON k.nib = w.nib
  LEFT JOIN _demo_site_points sp ON sp.company = w.company
  -- Arrival spread over the last ~2.5 years (deterministic per passport), at least a year before
  -- the permit ends, so quarterly trends have a history instead of everyone arriving today.
  CROSS JOIN LATERAL (SELECT ((%(today)s::date + LEAST(-(30 + abs(hashtext(w.passport_number)::bigint) %% 870)::int,
                                                       w.permit_days - 365))::timestamp
                              + interval '9 hours') AT TIME ZONE 'Asia/Jakarta' AS at) a
 ORDER BY w.idx;
"""

_INSPECTIONS = """
INSERT INTO inspections (company_id, inspected_on, team, finding, notes, follow_up, status)
SELECT k.id, %(today)s::date - i.days_ago, i.team, i.finding, i.notes, i.follow_up, i.status
  FROM _demo_inspections i JOIN companies k ON k.nib = i.nib
 ORDER BY i.idx;
"""

_BATCH = """
INSERT INTO import_batches (kind, agency, file_name, sha256, imported_by, mode, started_at, finished_at,
                            rows_total, imported, updated, unchanged, rejected, report)
VALUES (%(kind)s, %(agency)s, %(file_name)s, %(sha256)s, 'pantau demo', 'all_or_nothing',
        %(started)s, %(finished)s, %(rows)s, %(rows)s, 0, 0, 0, %(report)s)
RETURNING id
"""

# What each agency's file says: Imigrasi the full picture, Disnakertrans with the planted
# differences (fewer workers, an old address or RPTKA date, a worker under another employer).
_REPORTS = """
INSERT INTO company_reports (company_id, agency, batch_id, reported_values, reported_at)
SELECT k.id, 'imigrasi', %(im_companies)s,
       jsonb_build_object('nib', c.nib, 'nama_perusahaan', c.name, 'alamat', c.address,
                          'kabupaten_kota', c.declared_regency,
                          'rptka_berlaku_hingga', %(today)s::date + c.rptka_days, 'jumlah_tka', c.workers),
       %(im_at)s
  FROM _demo_companies c JOIN companies k USING (nib)
UNION ALL
SELECT k.id, 'disnakertrans', %(dn_companies)s,
       jsonb_build_object('nib', c.nib, 'nama_perusahaan', c.name, 'alamat', c.dn_address,
                          'kabupaten_kota', c.declared_regency,
                          'rptka_berlaku_hingga', %(today)s::date + c.dn_rptka_days, 'jumlah_tka', c.dn_workers),
       %(dn_at)s
  FROM _demo_companies c JOIN companies k USING (nib);

INSERT INTO worker_reports (worker_id, agency, batch_id, company_nib, reported_values, reported_at)
SELECT f.id, 'imigrasi', %(im_workers)s, w.nib,
       jsonb_build_object('nama_lengkap', w.full_name, 'nomor_paspor', w.passport_number,
                          'kewarganegaraan', w.nationality, 'jenis_kelamin', w.sex,
                          'nomor_itas', w.itas_number, 'itas_berlaku_hingga', %(today)s::date + w.itas_days),
       %(im_at)s
  FROM _demo_workers w JOIN foreign_workers f USING (passport_number, nationality)
UNION ALL
SELECT f.id, 'disnakertrans', %(dn_workers)s, w.dn_nib,
       jsonb_build_object('nama_lengkap', w.full_name, 'nomor_paspor', w.passport_number,
                          'kewarganegaraan', w.nationality, 'jabatan', w.position,
                          'nomor_rptka', w.rptka_number, 'izin_berlaku_hingga', %(today)s::date + w.permit_days),
       %(dn_at)s
  FROM _demo_workers w JOIN foreign_workers f USING (passport_number, nationality)
 WHERE w.dn_listed;
"""


def _copy(cur, table: str, df: pd.DataFrame) -> None:
    buf = io.StringIO()
    df.to_csv(buf, header=False, index=False, na_rep="")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} ({', '.join(df.columns)}) FROM STDIN WITH (FORMAT csv)", buf)


def _digest(*frames: pd.DataFrame) -> str:
    """sha256 of the generated content an agency's file would carry."""
    h = hashlib.sha256()
    for df in frames:
        h.update(",".join(df.columns).encode())
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def write(cur, data: Dataset, seed: int, today: date) -> dict[str, int]:
    """Insert `data` using cursor `cur` (inside the caller's transaction); returns row counts."""
    c, w = data.companies, data.workers
    nib = c["nib"].to_numpy()
    companies = pd.DataFrame({
        "idx": range(len(c)), **{k: c[k] for k in (
            "nib", "name", "sector", "kbli", "address", "district_code", "town", "declared_regency",
            "declared_district", "rptka_days", "status")},
        "workers": w.groupby("company").size().reindex(range(len(c)), fill_value=0).to_numpy(),
        "dn_workers": c["dn_workers"], "dn_address": c["dn_address"], "dn_rptka_days": c["dn_rptka_days"],
    })
    workers = pd.DataFrame({
        "idx": range(len(w)), "company": w["company"], "nib": nib[w["company"].to_numpy()],
        **{k: w[k] for k in ("full_name", "passport_number", "nationality", "sex", "position",
                             "position_level", "rptka_number", "permit_days", "itas_number",
                             "itas_days", "at_site", "status", "dn_listed")},
        "dn_nib": nib[w["dn_company"].to_numpy()],
    })
    ins = data.inspections
    inspections = pd.DataFrame({
        "idx": range(len(ins)), "nib": nib[ins["company"].to_numpy().astype(int)],
        **{k: ins[k] for k in ("days_ago", "team", "finding", "notes", "follow_up", "status")},
    })
    params = {"today": today, "seed": str(seed)}

    cur.execute(_TEMP_TABLES)
    cur.execute(
        "INSERT INTO _demo_seats SELECT r, ST_SetSRID(ST_MakePoint(x, y), 4326)"
        " FROM unnest(%s::text[], %s::float8[], %s::float8[]) AS t(r, x, y)",
        ([r.code for r in P.REGENCIES], [r.seat[0] for r in P.REGENCIES], [r.seat[1] for r in P.REGENCIES]),
    )
    _copy(cur, "_demo_companies", companies)
    _copy(cur, "_demo_sites", data.sites[["company", "district_code"]])
    cur.execute("ANALYZE _demo_companies; ANALYZE _demo_sites")
    cur.execute(_POINTS, params)
    cur.execute(_COMPANIES, params)
    cur.execute("ANALYZE companies")  # fresh rows: give the joins below real statistics
    cur.execute(_MISPLACED)
    misplaced = cur.fetchone()[0]
    if misplaced:
        raise RuntimeError(f"{misplaced} demo company point(s) fell outside their intended district")

    _copy(cur, "_demo_workers", workers)
    _copy(cur, "_demo_inspections", inspections)
    cur.execute("ANALYZE _demo_workers; ANALYZE _demo_inspections")
    cur.execute(_WORKERS, params)
    cur.execute("ANALYZE foreign_workers")
    cur.execute(_INSPECTIONS, params)

    batches = _batches(cur, companies, workers, seed, today)
    cur.execute(_REPORTS, {**params, **batches})
    return {"companies": len(companies), "workers": len(workers), "inspections": len(inspections),
            "import_batches": 4}


def _batches(cur, companies: pd.DataFrame, workers: pd.DataFrame, seed: int, today: date) -> dict:
    """One companies file and one workers file from each of Imigrasi and Disnakertrans."""
    out = {}
    year = today.year
    im_c = ["nib", "name", "address", "declared_regency", "rptka_days", "workers"]
    dn_c = ["nib", "name", "dn_address", "declared_regency", "dn_rptka_days", "dn_workers"]
    im_w = ["nib", "full_name", "passport_number", "nationality", "sex", "itas_number", "itas_days"]
    dn_w = ["dn_nib", "full_name", "passport_number", "nationality", "position", "rptka_number", "permit_days"]
    files = {
        "imigrasi": ("im", 14, companies[im_c], workers[im_w]),
        "disnakertrans": ("dn", 10, companies[dn_c], workers.loc[workers["dn_listed"], dn_w]),
    }
    for agency, (prefix, days_before, company_rows, worker_rows) in files.items():
        started = datetime.combine(today - timedelta(days=days_before), time(9, 0), WIB)
        for kind, frame, name in (
            ("companies", company_rows, f"demo-{agency}-perusahaan-{year}.xlsx"),
            ("workers", worker_rows, f"demo-{agency}-{year}.xlsx"),
        ):
            cur.execute(_BATCH, {
                "kind": kind, "agency": agency, "file_name": name, "sha256": _digest(frame),
                "started": started, "finished": started + timedelta(minutes=2), "rows": len(frame),
                "report": f'{{"demo": true, "seed": {seed}, "rejected": []}}',
            })
            out[f"{prefix}_{kind}"] = cur.fetchone()[0]
        out[f"{prefix}_at"] = started + timedelta(minutes=2)
    return out
