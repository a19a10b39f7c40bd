"""Writing validated rows: COPY into a temporary staging table, then set-based SQL.

Everything runs on the caller's connection inside the caller's transaction; nothing here commits.
Upserts only touch rows whose values really differ, so a re-import leaves `version` unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from psycopg2 import errors

from geo.db import Connection
from geo.imports.copying import copy_frame
from geo.imports.scope import params as scope_params

OUTSIDE = ("lokasi di luar Kalimantan Tengah: tidak berada di kecamatan mana pun, bahkan dalam 2 km "
           "(location outside Kalimantan Tengah)")


@dataclass(frozen=True)
class Spec:
    staging: str  # column definitions of the staging table (fixed text, never user input)
    columns: tuple[str, ...]  # frame columns copied, in staging order


SPECS = {
    "companies": Spec(
        "line int PRIMARY KEY, nib text, name text, sector text, kbli text, address text, "
        "declared_regency text, declared_district text, lat float8, lon float8, rptka_valid_until date",
        ("line", "nib", "name", "sector", "kbli", "address", "declared_regency", "declared_district",
         "lat", "lon", "rptka_valid_until"),
    ),
    "workers": Spec(
        "line int PRIMARY KEY, company_id bigint, nib text, full_name text, passport_number text, "
        "nationality text, sex text, position text, position_level text, rptka_number text, "
        "permit_valid_until date, itas_number text, itas_valid_until date, lat float8, lon float8",
        ("line", "company_id", "nib", "full_name", "passport_number", "nationality", "sex", "position",
         "position_level", "rptka_number", "permit_valid_until", "itas_number", "itas_valid_until", "lat", "lon"),
    ),
    "inspections": Spec(
        "line int PRIMARY KEY, company_id bigint, nib text, inspected_on date, team text[], finding text, "
        "notes text, follow_up text",
        ("line", "company_id", "nib", "inspected_on", "team", "finding", "notes", "follow_up"),
    ),
}

# Districts cut into small pieces: point-in-polygon on pieces of <= 32 vertices is several times
# faster than on whole (TOASTed) polygons, and "covered by a piece" = "covered by the district".
_DISTRICT_PIECES = """
CREATE TEMP TABLE import_districts ON COMMIT DROP AS
SELECT code, parent_code, ST_Subdivide(geom, 32) AS geom FROM boundaries WHERE level = 'district';
CREATE INDEX ON import_districts USING gist (geom);
ANALYZE import_districts;
"""
# Each staged row's point, in a table of its own with a spatial index: each district piece then looks
# up the points it covers (OFFSET 0 keeps that order), several times cheaper than looking each point up
# among the pieces. The covering district with the lowest code is locate_district()'s rule.
_COVER = """
CREATE TEMP TABLE import_points ON COMMIT DROP AS SELECT s.line, {point} AS geom FROM import_stage s;
CREATE INDEX ON import_points USING gist (geom);
CREATE TEMP TABLE import_cover ON COMMIT DROP AS
SELECT DISTINCT ON (x.line) x.line, d.code, d.parent_code
  FROM import_districts d
 CROSS JOIN LATERAL (SELECT p.line, p.geom FROM import_points p WHERE d.geom ~ p.geom OFFSET 0) x
 WHERE ST_Covers(d.geom, x.geom)
 ORDER BY x.line, d.code;
"""
# Each staged row with its point and covering district (else, below, the nearest within 2 km), in file
# order (the order new records get their ids in); and the regency that decides whether the user may
# write the row: the point's own, or the employer's.
_ROWS = """
CREATE TEMP TABLE import_rows ON COMMIT DROP AS
SELECT s.*, g.geom, cov.code AS district_code, cov.parent_code AS regency_code,
       CASE WHEN cov.code IS NOT NULL THEN 'contains' END AS location_method,
       0::float8 AS location_distance_m, {scope} AS scope_regency
  FROM import_stage s
  {employer}
  JOIN import_points g ON g.line = s.line
  LEFT JOIN import_cover cov ON cov.line = s.line
 ORDER BY s.line
"""
_NEAREST = """
UPDATE import_rows r SET (district_code, regency_code, location_method, location_distance_m) =
       (SELECT d.district_code, d.regency_code, d.method, d.distance_m FROM locate_district(r.geom) d)
 WHERE r.district_code IS NULL AND r.geom IS NOT NULL
"""
# The village of each located point by village_of()'s rule (migration 0100), for all rows at once: the
# lowest-coded village of the point's district covering it, else village_of() itself (the nearest of
# the district). Each village looks up its points in import_points' index, as the districts do. A
# table of its own, as rewriting every row of import_rows would cost as much again. The triggers keep
# the village found here (migration 0118).
_VILLAGES = """
CREATE TEMP TABLE import_villages ON COMMIT DROP AS
SELECT x.line, min(v.code) AS village_code
  FROM boundaries v
 CROSS JOIN LATERAL (SELECT p.line, p.geom FROM import_points p WHERE v.geom ~ p.geom OFFSET 0) x
  JOIN import_rows r ON r.line = x.line
 WHERE v.level = 'village' AND r.district_code = v.parent_code AND ST_Covers(v.geom, x.geom)
 GROUP BY x.line;
INSERT INTO import_villages (line, village_code)
SELECT r.line, village_of(r.geom, r.district_code) FROM import_rows r
 WHERE r.geom IS NOT NULL AND r.district_code IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM import_villages x WHERE x.line = r.line);
ANALYZE import_villages;
"""
_POINT = "ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)"
_OPTIONAL_POINT = "CASE WHEN s.lat IS NOT NULL THEN ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END"
_EMPLOYER = "LEFT JOIN companies employer ON employer.id = s.company_id"
ROWS_SQL = {
    "companies": _ROWS.format(scope="cov.parent_code", employer=""),
    "workers": _ROWS.format(scope="employer.regency_code", employer=_EMPLOYER),
    "inspections": _ROWS.format(scope="employer.regency_code", employer=_EMPLOYER),
}
COVER_SQL = {
    "companies": _COVER.format(point=_POINT),
    "workers": _COVER.format(point=_OPTIONAL_POINT),
    "inspections": _COVER.format(point="NULL::geometry"),
}


def stage(conn: Connection, kind: str, frame: pd.DataFrame) -> None:
    """COPY the rows into `import_stage`, then `import_rows` with each point's district."""
    spec = SPECS[kind]
    with conn.cursor() as cur:
        # Set-based statements over many rows: JIT compiling them costs more (seconds) than it saves.
        cur.execute("SET LOCAL jit = off")
        # Hash joins of a whole file against a table: in memory rather than spilled to disk.
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute(f"CREATE TEMP TABLE import_stage ({spec.staging}) ON COMMIT DROP")
        copy_frame(cur, "import_stage", frame, spec.columns)
        cur.execute(_DISTRICT_PIECES)
        cur.execute(COVER_SQL[kind])
        cur.execute(ROWS_SQL[kind])
        cur.execute(_NEAREST)
        if kind == "companies":
            cur.execute("UPDATE import_rows SET scope_regency = regency_code WHERE location_method = 'nearest'")
        if kind != "inspections":
            cur.execute(_VILLAGES)
        cur.execute("ANALYZE import_rows")


def outside(conn: Connection) -> list[tuple[int, str]]:
    """(line, 'lat, lon') of points in no district of the province, not even within 2 km."""
    with conn.cursor() as cur:
        cur.execute("SELECT line, concat_ws(', ', lat, lon) FROM import_rows "
                    "WHERE geom IS NOT NULL AND district_code IS NULL ORDER BY line")
        return cur.fetchall()


def drop_lines(conn: Connection, lines: list[int]) -> None:
    with conn.cursor() as cur:
        cur.execute("DELETE FROM import_rows WHERE line = ANY(%s)", (lines,))


def new_batch(conn: Connection, kind, agency, file_name, sha256, user, mode, started_at) -> int:
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO import_batches (kind, agency, file_name, sha256, imported_by, mode, started_at, "
            "rows_total, imported, updated, unchanged, rejected, report) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, 0, 0, 0, 0, 0, '{}') RETURNING id",
            (kind, agency, file_name, sha256, user, mode, started_at),
        )
        return cur.fetchone()[0]


def finish_batch(conn: Connection, batch_id: int, report_json: str, counts: dict) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE import_batches SET rows_total = %(rows_total)s, imported = %(imported)s, updated = %(updated)s, "
            "unchanged = %(unchanged)s, rejected = %(rejected)s, report = %(report)s::jsonb, finished_at = now() "
            "WHERE id = %(id)s",
            {**counts, "report": report_json, "id": batch_id},
        )


def serialize_writes(conn: Connection) -> None:
    """Wait until no other import is writing, for the rest of this transaction.

    Two imports that touch the same companies in a different row order deadlock, and PostgreSQL
    then aborts one of them. Imports are rare and their write phase short next to reading and
    validating (which still run in parallel), so one import writes at a time.
    """
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('pantau.import.write'))")


def upsert(conn: Connection, kind: str, agency: str, batch_id: int,
           regencies: tuple[str, ...] | None = None) -> tuple[int, int]:
    """Insert new rows, update changed ones, record the agency's report; → (inserted, updated).
    With `regencies`, only records in them before and after the write are touched."""
    scope = scope_params(regencies)
    with conn.cursor() as cur:
        # The points were located above by the trigger's own rule; tell it (see migration 0010).
        cur.execute("SET LOCAL pantau.located_by_import = 'on'")

        def records(arbitrated: bool) -> tuple[int, int]:
            # Existing rows first, by a join that touches only real changes; then the new rows.
            cur.execute(UPDATE[kind], scope)
            changed = cur.rowcount
            cur.execute(NEW[kind], scope)  # dropped with the savepoint if written again
            cur.execute("ANALYZE import_new")
            if kind == "workers":
                # The new rows' persons, made here in one statement; the trigger keeps the ones
                # supplied (migration 0118) instead of looking each row up.
                cur.execute(_arbiter(WORKER_PERSONS, WORKER_PERSONS_CONFLICT, arbitrated), scope)
                cur.execute("SET LOCAL pantau.linked_by_import = 'on'")
            cur.execute(_arbiter(UPSERT[kind], UPSERT_CONFLICT[kind], arbitrated), scope)
            inserted, updated = cur.fetchone()
            return inserted or 0, (updated or 0) + changed

        result = _settled(cur, records)
        reports = REPORTS.get(kind)
        if reports:
            params = {"agency": agency, "batch": batch_id, **scope}
            cur.execute(reports.collect, params)

            def reported(arbitrated: bool) -> None:
                cur.execute(reports.update, params)
                cur.execute(_arbiter(reports.insert, reports.conflict, arbitrated), params)
                cur.execute(_arbiter(reports.insert_new, reports.conflict, arbitrated), params)

            _settled(cur, reported)
    return result


def _settled(cur, write):
    """`write(False)`: its statements insert the rows they found missing without an arbiter index,
    one index probe less per row. Only a key another session committed after the statement began
    could collide (unlikely: writers of these tables already wait for each other on their data
    versions); the writes are then rolled back to the savepoint and made again as `write(True)`,
    whose statements see that row and settle any later one by their ON CONFLICT clause."""
    cur.execute("SAVEPOINT import_write")
    try:
        result = write(False)
    except errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT import_write")
        result = write(True)
    cur.execute("RELEASE SAVEPOINT import_write")
    return result


def _arbiter(sql: str, on_conflict: str, arbitrated: bool) -> str:
    return sql.replace("{on_conflict}", on_conflict if arbitrated else "")


# Every write statement also checks the scope (%(scope)s: the user's regencies; NULL = the whole
# province, which PostgreSQL folds away) on the row it is about to write, re-read under its lock:
# the import rejected such rows already (geo/imports/scope.py); this keeps a record that changed
# meanwhile out of reach all the same.
UPDATE = {
    "companies": """
UPDATE companies c SET
       name = r.name, sector = r.sector, kbli = r.kbli, address = r.address, geom = r.geom,
       declared_regency = r.declared_regency, declared_district = r.declared_district,
       rptka_valid_until = r.rptka_valid_until
  FROM import_rows r
 WHERE c.nib = r.nib
   AND (c.name, c.sector, c.kbli, c.address, c.geom, c.declared_regency, c.declared_district, c.rptka_valid_until)
       IS DISTINCT FROM
       (r.name, r.sector, r.kbli, r.address, r.geom, r.declared_regency, r.declared_district, r.rptka_valid_until)
   AND (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
   AND (%(scope)s::text[] IS NULL OR r.regency_code = ANY(%(scope)s::text[]))
""",
    "workers": """
UPDATE foreign_workers w SET
       company_id = r.company_id, full_name = r.full_name, sex = r.sex, position = r.position,
       position_level = r.position_level, rptka_number = r.rptka_number, permit_valid_until = r.permit_valid_until,
       itas_number = r.itas_number, itas_valid_until = r.itas_valid_until, work_site = r.geom
  FROM import_rows r
 WHERE w.passport_number = r.passport_number AND w.nationality = r.nationality
   AND (w.company_id, w.full_name, w.sex, w.position, w.position_level, w.rptka_number, w.permit_valid_until,
        w.itas_number, w.itas_valid_until, w.work_site)
       IS DISTINCT FROM
       (r.company_id, r.full_name, r.sex, r.position, r.position_level, r.rptka_number, r.permit_valid_until,
        r.itas_number, r.itas_valid_until, r.geom)
   AND (%(scope)s::text[] IS NULL OR EXISTS (SELECT 1 FROM companies e WHERE e.id = w.company_id
                                             AND e.regency_code = ANY(%(scope)s::text[])))
   AND (%(scope)s::text[] IS NULL OR EXISTS (SELECT 1 FROM companies e WHERE e.id = r.company_id
                                             AND e.regency_code = ANY(%(scope)s::text[])))
""",
    "inspections": """
UPDATE inspections i SET finding = r.finding, notes = r.notes, follow_up = r.follow_up
  FROM import_rows r
 WHERE i.company_id = r.company_id AND i.inspected_on = r.inspected_on AND i.team = r.team
   AND (i.finding, i.notes, i.follow_up) IS DISTINCT FROM (r.finding, r.notes, r.follow_up)
   AND (%(scope)s::text[] IS NULL OR EXISTS (SELECT 1 FROM companies e WHERE e.id = r.company_id
                                             AND e.regency_code = ANY(%(scope)s::text[])))
""",
}


# The staged rows whose record is missing (and in scope), found before anything is inserted. Looked
# for by the inserting statement itself (NOT EXISTS on the table it grows), with statistics taken
# while that table was empty the planner reads the table again for every row: quadratic, minutes
# for a large file. The workers' also say whether the person is missing (same reason).
NEW = {
    "companies": """
CREATE TEMP TABLE import_new ON COMMIT DROP AS
SELECT r.line FROM import_rows r
 WHERE NOT EXISTS (SELECT 1 FROM companies x WHERE x.nib = r.nib)
   AND (%(scope)s::text[] IS NULL OR r.regency_code = ANY(%(scope)s::text[]))
""",
    "workers": """
CREATE TEMP TABLE import_new ON COMMIT DROP AS
SELECT r.line, NOT EXISTS (SELECT 1 FROM foreign_nationals x WHERE x.passport_number = r.passport_number
                                                             AND x.nationality = r.nationality) AS person_missing
  FROM import_rows r
 WHERE NOT EXISTS (SELECT 1 FROM foreign_workers x
                    WHERE x.passport_number = r.passport_number AND x.nationality = r.nationality)
   AND (%(scope)s::text[] IS NULL OR EXISTS (SELECT 1 FROM companies e WHERE e.id = r.company_id
                                             AND e.regency_code = ANY(%(scope)s::text[])))
""",
    "inspections": """
CREATE TEMP TABLE import_new ON COMMIT DROP AS
SELECT r.line FROM import_rows r
 WHERE NOT EXISTS (SELECT 1 FROM inspections x WHERE x.company_id = r.company_id
                      AND x.inspected_on = r.inspected_on AND x.team = r.team)
   AND (%(scope)s::text[] IS NULL OR EXISTS (SELECT 1 FROM companies e WHERE e.id = r.company_id
                                             AND e.regency_code = ANY(%(scope)s::text[])))
""",
}

UPSERT = {
    "companies": """
WITH up AS (
    INSERT INTO companies AS c (nib, name, sector, kbli, address, geom, declared_regency, declared_district,
                                rptka_valid_until, district_code, regency_code, location_method, location_distance_m,
                                village_code)
    SELECT nib, name, sector, kbli, address, geom, declared_regency, declared_district, rptka_valid_until,
           district_code, regency_code, location_method, location_distance_m, v.village_code
      FROM import_rows r JOIN import_new n ON n.line = r.line LEFT JOIN import_villages v ON v.line = r.line
    {on_conflict}
    RETURNING (xmax = 0) AS inserted
) SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up
""",
    "workers": """
WITH up AS (
    INSERT INTO foreign_workers AS w (company_id, full_name, passport_number, nationality, sex, position,
        position_level, rptka_number, permit_valid_until, itas_number, itas_valid_until, work_site,
        work_site_district_code, work_site_village_code, foreign_national_id)
    SELECT r.company_id, r.full_name, r.passport_number, r.nationality, r.sex, r.position, r.position_level,
           r.rptka_number, r.permit_valid_until, r.itas_number, r.itas_valid_until, r.geom, r.district_code,
           v.village_code, p.id
      FROM import_rows r
      JOIN import_new n ON n.line = r.line
      LEFT JOIN import_villages v ON v.line = r.line
      LEFT JOIN foreign_nationals p ON p.passport_number = r.passport_number AND p.nationality = r.nationality
    {on_conflict}
    RETURNING (xmax = 0) AS inserted
) SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up
""",
    "inspections": """
WITH up AS (
    INSERT INTO inspections AS i (company_id, inspected_on, team, finding, notes, follow_up)
    SELECT company_id, inspected_on, team, finding, notes, follow_up
      FROM import_rows r JOIN import_new n ON n.line = r.line
    {on_conflict}
    RETURNING (xmax = 0) AS inserted
) SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up
""",
}
# What each statement above does with a key inserted meanwhile (see _settled).
UPSERT_CONFLICT = {
    "companies": """
    ON CONFLICT (nib) DO UPDATE SET
        name = EXCLUDED.name, sector = EXCLUDED.sector, kbli = EXCLUDED.kbli, address = EXCLUDED.address,
        geom = EXCLUDED.geom, declared_regency = EXCLUDED.declared_regency,
        declared_district = EXCLUDED.declared_district, rptka_valid_until = EXCLUDED.rptka_valid_until
    WHERE (c.name, c.sector, c.kbli, c.address, c.geom, c.declared_regency, c.declared_district, c.rptka_valid_until)
          IS DISTINCT FROM
          (EXCLUDED.name, EXCLUDED.sector, EXCLUDED.kbli, EXCLUDED.address, EXCLUDED.geom,
           EXCLUDED.declared_regency, EXCLUDED.declared_district, EXCLUDED.rptka_valid_until)
      AND (%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))
""",
    "workers": """
    ON CONFLICT (passport_number, nationality) DO UPDATE SET
        company_id = EXCLUDED.company_id, full_name = EXCLUDED.full_name, sex = EXCLUDED.sex,
        position = EXCLUDED.position, position_level = EXCLUDED.position_level,
        rptka_number = EXCLUDED.rptka_number, permit_valid_until = EXCLUDED.permit_valid_until,
        itas_number = EXCLUDED.itas_number, itas_valid_until = EXCLUDED.itas_valid_until,
        work_site = EXCLUDED.work_site
    WHERE (w.company_id, w.full_name, w.sex, w.position, w.position_level, w.rptka_number, w.permit_valid_until,
           w.itas_number, w.itas_valid_until, w.work_site)
          IS DISTINCT FROM
          (EXCLUDED.company_id, EXCLUDED.full_name, EXCLUDED.sex, EXCLUDED.position, EXCLUDED.position_level,
           EXCLUDED.rptka_number, EXCLUDED.permit_valid_until, EXCLUDED.itas_number, EXCLUDED.itas_valid_until,
           EXCLUDED.work_site)
      AND (%(scope)s::text[] IS NULL OR EXISTS (SELECT 1 FROM companies e WHERE e.id = w.company_id
                                                AND e.regency_code = ANY(%(scope)s::text[])))
""",
    "inspections": """
    ON CONFLICT (company_id, inspected_on, team) DO UPDATE SET
        finding = EXCLUDED.finding, notes = EXCLUDED.notes, follow_up = EXCLUDED.follow_up
    WHERE (i.finding, i.notes, i.follow_up) IS DISTINCT FROM (EXCLUDED.finding, EXCLUDED.notes, EXCLUDED.follow_up)
""",
}

# workers_link_person's rule for the rows UPSERT inserts, in one statement: the person of the passport
# and nationality, made from the first such row's name and sex when missing (a person already on record
# is left as it is; the ON CONFLICT settles one inserted meanwhile as the trigger's does, see _settled).
WORKER_PERSONS = """
INSERT INTO foreign_nationals AS p (passport_number, nationality, full_name, sex)
SELECT r.passport_number, r.nationality, r.full_name, r.sex
  FROM import_rows r JOIN import_new n ON n.line = r.line
 WHERE n.person_missing
 ORDER BY r.line
{on_conflict}
"""
WORKER_PERSONS_CONFLICT = "ON CONFLICT (passport_number, nationality) DO UPDATE SET sex = coalesce(p.sex, EXCLUDED.sex)"

# What each agency reported, in the template's own field names (so differences read naturally).
# A report whose values did not change keeps the batch and time it was first made. Whether the agency
# reported the record before is decided as they are collected, before the insert (see NEW). The
# reports of the records this import inserted (import_new) are new by definition: written straight
# from the file's rows, without being collected first (half a million rows for a large file).
@dataclass(frozen=True)
class Reports:
    collect: str  # reports of records on record before this import, is_new: none of the agency's yet
    update: str  # reports on record whose values changed
    insert: str  # reports new to the agency, {on_conflict} put in by _settled
    insert_new: str  # reports of the records this import inserted, {on_conflict} as above
    conflict: str


_COMPANY_VALUES = """jsonb_build_object(
    'nama_perusahaan', r.name, 'sektor', r.sector, 'kbli', r.kbli, 'alamat', r.address,
    'kabupaten_kota', r.declared_regency, 'kecamatan', r.declared_district,
    'latitude', r.lat, 'longitude', r.lon, 'rptka_berlaku_hingga', r.rptka_valid_until)"""
_WORKER_VALUES = """jsonb_build_object(
    'nama_lengkap', r.full_name, 'nomor_paspor', r.passport_number,
    'kewarganegaraan', r.nationality, 'jenis_kelamin', r.sex, 'jabatan', r.position,
    'nomor_rptka', r.rptka_number, 'izin_berlaku_hingga', r.permit_valid_until,
    'nomor_itas', r.itas_number, 'itas_berlaku_hingga', r.itas_valid_until,
    'lokasi_kerja_lat', r.lat, 'lokasi_kerja_lon', r.lon)"""
_NOT_NEW = "NOT EXISTS (SELECT 1 FROM import_new n WHERE n.line = r.line)"
_COMPANY_IN_SCOPE = "(%(scope)s::text[] IS NULL OR c.regency_code = ANY(%(scope)s::text[]))"
_EMPLOYER_IN_SCOPE = """(%(scope)s::text[] IS NULL OR EXISTS (SELECT 1 FROM companies e WHERE e.id = w.company_id
                                                        AND e.regency_code = ANY(%(scope)s::text[])))"""
REPORTS = {
    "companies": Reports(
        f"""CREATE TEMP TABLE import_reports ON COMMIT DROP AS
           SELECT c.id AS target_id, r.nib, {_COMPANY_VALUES} AS vals,
                  NOT EXISTS (SELECT 1 FROM company_reports x WHERE x.company_id = c.id AND x.agency = %(agency)s) AS is_new
             FROM import_rows r JOIN companies c ON c.nib = r.nib
            WHERE {_NOT_NEW} AND {_COMPANY_IN_SCOPE}""",  # noqa: S608 - constants
        """UPDATE company_reports cr SET batch_id = %(batch)s, reported_values = v.vals, reported_at = now()
             FROM import_reports v
            WHERE cr.company_id = v.target_id AND cr.agency = %(agency)s AND NOT v.is_new
              AND cr.reported_values IS DISTINCT FROM v.vals""",
        """INSERT INTO company_reports (company_id, agency, batch_id, reported_values)
           SELECT v.target_id, %(agency)s, %(batch)s, v.vals FROM import_reports v WHERE v.is_new
           {on_conflict}""",
        f"""INSERT INTO company_reports (company_id, agency, batch_id, reported_values)
           SELECT c.id, %(agency)s, %(batch)s, {_COMPANY_VALUES}
             FROM import_rows r JOIN import_new n ON n.line = r.line JOIN companies c ON c.nib = r.nib
            WHERE {_COMPANY_IN_SCOPE}
           {{on_conflict}}""",  # noqa: S608 - constants
        """ON CONFLICT (company_id, agency) DO UPDATE SET
               batch_id = EXCLUDED.batch_id, reported_values = EXCLUDED.reported_values, reported_at = now()""",
    ),
    "workers": Reports(
        f"""CREATE TEMP TABLE import_reports ON COMMIT DROP AS
           SELECT w.id AS target_id, r.nib, {_WORKER_VALUES} AS vals,
                  NOT EXISTS (SELECT 1 FROM worker_reports x WHERE x.worker_id = w.id AND x.agency = %(agency)s) AS is_new
             FROM import_rows r
             JOIN foreign_workers w ON w.passport_number = r.passport_number AND w.nationality = r.nationality
            WHERE {_NOT_NEW} AND {_EMPLOYER_IN_SCOPE}""",  # noqa: S608 - constants
        """UPDATE worker_reports wr SET batch_id = %(batch)s, company_nib = v.nib, reported_values = v.vals,
                  reported_at = now()
             FROM import_reports v
            WHERE wr.worker_id = v.target_id AND wr.agency = %(agency)s AND NOT v.is_new
              AND (wr.company_nib, wr.reported_values) IS DISTINCT FROM (v.nib, v.vals)""",
        """INSERT INTO worker_reports (worker_id, agency, batch_id, company_nib, reported_values)
           SELECT v.target_id, %(agency)s, %(batch)s, v.nib, v.vals FROM import_reports v WHERE v.is_new
           {on_conflict}""",
        f"""INSERT INTO worker_reports (worker_id, agency, batch_id, company_nib, reported_values)
           SELECT w.id, %(agency)s, %(batch)s, r.nib, {_WORKER_VALUES}
             FROM import_rows r JOIN import_new n ON n.line = r.line
             JOIN foreign_workers w ON w.passport_number = r.passport_number AND w.nationality = r.nationality
            WHERE {_EMPLOYER_IN_SCOPE}
           {{on_conflict}}""",  # noqa: S608 - constants
        """ON CONFLICT (worker_id, agency) DO UPDATE SET batch_id = EXCLUDED.batch_id,
               company_nib = EXCLUDED.company_nib, reported_values = EXCLUDED.reported_values, reported_at = now()""",
    ),
}
