"""Writing validated foreign-national rows (issue 17): staging COPY, then set-based SQL.

Like `store`: everything on the caller's connection and transaction, nothing commits, and only rows
whose values really differ are touched, so a re-import changes nothing. Keys: a person is passport
+ nationality; a stay (person, permit type, valid from); a lodging its village + name (any case and
spacing); a guest's stay (lodging, person, check-in); an activity (date, kind, district, agencies).
A changed row takes the batch and agency of the import that changed it; an unchanged one keeps
those of the report that first said it.
"""

# The statements are fixed text composed from fixed fragments when the module loads; values are
# always bound parameters.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.db import Connection
from geo.imports.copying import copy_frame
from geo.imports.scope import params as scope_params

STAY_UNUSABLE = ("izin tinggal dengan paspor, jenis izin dan tanggal mulai ini tidak dapat digunakan dalam wilayah "
                 "kewenangan Anda; hubungi admin tingkat provinsi (this stay cannot be written within your regional "
                 "scope; ask a province-wide admin)")


def misplaced_reason(village: str) -> str:
    return (f"titik berada di luar desa {village} dan lebih dari 2 km dari batasnya "
            f"(point lies outside village {village} and more than 2 km from it)")


@dataclass(frozen=True)
class Spec:
    staging: str  # column definitions (fixed text, never user input)
    columns: tuple[str, ...]


SPECS = {
    "foreign_nationals": Spec(
        "line int PRIMARY KEY, passport_number text, nationality text, full_name text, sex text, birth_date date, "
        "permit_type text, permit_number text, valid_from date, valid_until date, purpose text, sponsor_name text, "
        "sponsor_company_id bigint, address text, village_code text, lat float8, lon float8, reported_on date",
        ("line", "passport_number", "nationality", "full_name", "sex", "birth_date", "permit_type", "permit_number",
         "valid_from", "valid_until", "purpose", "sponsor_name", "sponsor_company_id", "address", "village_code",
         "lat", "lon", "reported_on"),
    ),
    "lodgings": Spec(
        "line int PRIMARY KEY, lodging_name text, lodging_address text, village_code text, lat float8, lon float8, "
        "passport_number text, nationality text, guest_name text, check_in date, check_out date",
        ("line", "lodging_name", "lodging_address", "village_code", "lat", "lon", "passport_number", "nationality",
         "guest_name", "check_in", "check_out"),
    ),
    "activities": Spec(
        "line int PRIMARY KEY, held_on date, kind text, district_code text, agencies text[], company_ids bigint[], "
        "targets text, findings text, follow_up text",
        ("line", "held_on", "kind", "district_code", "agencies", "company_ids", "targets", "findings", "follow_up"),
    ),
}
_POINT = "CASE WHEN s.lat IS NOT NULL THEN ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END"
# The lodgings_identity_idx expression: one establishment whatever the capitals and spaces.
_IDENT = "lower(regexp_replace(btrim({}), '\\s+', ' ', 'g'))"
_SCOPE = "(%(scope)s::text[] IS NULL OR {} = ANY(%(scope)s::text[]))"


def stage(conn: Connection, kind: str, frame: pd.DataFrame) -> None:
    spec = SPECS[kind]
    with conn.cursor() as cur:
        cur.execute("SET LOCAL jit = off")
        cur.execute(f"CREATE TEMP TABLE import_stage ({spec.staging}) ON COMMIT DROP")
        copy_frame(cur, "import_stage", frame, spec.columns)
        point = _POINT if "lat" in spec.columns else "NULL::geometry"
        cur.execute(f"CREATE TEMP TABLE import_rows ON COMMIT DROP AS SELECT s.*, {point} AS geom FROM import_stage s")
        if kind == "activities":  # the order monitoring_activities_agencies stores them in
            cur.execute("UPDATE import_rows SET agencies = ARRAY(SELECT DISTINCT a FROM unnest(agencies) a ORDER BY a)")
        cur.execute("ANALYZE import_rows")


def misplaced(conn: Connection) -> list[tuple[int, str, str]]:
    """(line, 'lat, lon', village) of points neither in their village nor within 2 km of it: the rule
    of place_in_village(), which would refuse the row."""
    with conn.cursor() as cur:
        cur.execute("""SELECT r.line, concat_ws(', ', r.lat, r.lon), r.village_code
                         FROM import_rows r JOIN boundaries b ON b.level = 'village' AND b.code = r.village_code
                        WHERE r.geom IS NOT NULL AND NOT ST_Covers(b.geom, r.geom)
                          AND NOT ST_DWithin(b.geom::geography, r.geom::geography, 2000)
                        ORDER BY r.line""")
        return cur.fetchall()


_STAY_KEY = """import_rows r
  JOIN foreign_nationals p ON p.passport_number = r.passport_number AND p.nationality = r.nationality
  JOIN foreign_national_stays s ON s.foreign_national_id = p.id AND s.permit_type = r.permit_type
                               AND s.valid_from = r.valid_from"""


def lock(conn: Connection, kind: str, regencies: tuple[str, ...]) -> None:
    """The in-scope stays the rows would update, until the import ends (see scope.lock)."""
    if kind == "foreign_nationals":
        with conn.cursor() as cur:
            cur.execute(f"SELECT 1 FROM {_STAY_KEY} WHERE s.regency_code = ANY(%(scope)s::text[]) "
                        "ORDER BY s.id FOR SHARE OF s", scope_params(regencies))


def conflicts(conn: Connection, kind: str, regencies: tuple[str, ...]) -> list[tuple[int, str, None, str]]:
    """Rows whose stay key belongs to a stay outside the scope: the one thing a key cannot hide
    (lodgings and activities are keyed by a village or district the validation already scoped)."""
    if kind != "foreign_nationals":
        return []
    with conn.cursor() as cur:
        cur.execute(f"SELECT r.line FROM {_STAY_KEY} WHERE NOT (s.regency_code = ANY(%(scope)s::text[])) ORDER BY 1",
                    scope_params(regencies))
        return [(line, "nomor_paspor", None, STAY_UNUSABLE) for (line,) in cur.fetchall()]


def upsert(conn: Connection, kind: str, agency: str, batch_id: int, regencies: tuple[str, ...] | None,
           today) -> tuple[int, int]:
    """→ (rows inserted, rows updated), counted per file row."""
    values = {"agency": agency, "batch": batch_id, "today": today, **scope_params(regencies)}
    with conn.cursor() as cur:
        return {"foreign_nationals": _stays, "lodgings": _lodgings, "activities": _activities}[kind](cur, values)


def _lines(cur, sql: str, values: dict) -> set[int]:
    cur.execute(sql, values)
    return {line for (line,) in cur.fetchall()}


# --- orang_asing ----------------------------------------------------------------------------------
# A person's name, sex and birth date are shared by all their records: a scoped writer changes them
# only when every record of the person lies in the scope.
_PERSON_IN_SCOPE = """(%(scope)s::text[] IS NULL OR NOT (
       EXISTS (SELECT 1 FROM foreign_national_stays x WHERE x.foreign_national_id = p.id
                  AND NOT (x.regency_code = ANY(%(scope)s::text[])))
    OR EXISTS (SELECT 1 FROM foreign_workers w JOIN companies c ON c.id = w.company_id
                WHERE w.foreign_national_id = p.id AND NOT (c.regency_code = ANY(%(scope)s::text[])))
    OR EXISTS (SELECT 1 FROM lodging_stays ls JOIN lodgings l ON l.id = ls.lodging_id
                WHERE ls.foreign_national_id = p.id AND NOT (l.regency_code = ANY(%(scope)s::text[])))))"""
_PERSONS_UPDATE = f"""
UPDATE foreign_nationals p SET full_name = r.full_name, sex = coalesce(r.sex, p.sex),
       birth_date = coalesce(r.birth_date, p.birth_date)
  FROM import_rows r
 WHERE p.passport_number = r.passport_number AND p.nationality = r.nationality
   AND (p.full_name, p.sex, p.birth_date) IS DISTINCT FROM
       (r.full_name, coalesce(r.sex, p.sex), coalesce(r.birth_date, p.birth_date))
   AND {_PERSON_IN_SCOPE}
RETURNING r.line"""
# The persons on record are skipped by the ON CONFLICT alone: a NOT EXISTS on the table the statement
# grows could be planned as reading it again for every row (see geo/imports/store.py NEW).
_PERSONS_INSERT = """
INSERT INTO foreign_nationals (passport_number, nationality, full_name, sex, birth_date)
SELECT DISTINCT ON (passport_number, nationality) passport_number, nationality, {name}, {sex}, {born}
  FROM import_rows r
 ORDER BY passport_number, nationality, line
ON CONFLICT (passport_number, nationality) DO NOTHING"""
_PERSON_IDS = """
ALTER TABLE import_rows ADD COLUMN person_id bigint, ADD COLUMN is_new boolean;
UPDATE import_rows r SET person_id = p.id FROM foreign_nationals p
 WHERE p.passport_number = r.passport_number AND p.nationality = r.nationality"""
_STAY_NEW = """
UPDATE import_rows r SET is_new = NOT EXISTS (SELECT 1 FROM foreign_national_stays s WHERE
       s.foreign_national_id = r.person_id AND s.permit_type = r.permit_type AND s.valid_from = r.valid_from)"""
# Without a point in the file the village's label point stands in (place_row_in_village): keep
# that stand-in, replace a reported point by it.
_STAY_GEOM = "CASE WHEN r.geom IS NOT NULL THEN r.geom WHEN s.location_source = 'village' THEN s.geom END"
_STAYS_UPDATE = f"""
UPDATE foreign_national_stays s SET
       permit_number = r.permit_number, valid_until = r.valid_until, purpose = r.purpose,
       sponsor_company_id = r.sponsor_company_id, sponsor_name = r.sponsor_name, address = r.address,
       village_code = r.village_code, geom = {_STAY_GEOM}, reported_on = coalesce(r.reported_on, s.reported_on),
       agency = %(agency)s, batch_id = %(batch)s
  FROM import_rows r
 WHERE s.foreign_national_id = r.person_id AND s.permit_type = r.permit_type AND s.valid_from = r.valid_from
   AND (s.permit_number, s.valid_until, s.purpose, s.sponsor_company_id, s.sponsor_name, s.address, s.village_code,
        CASE WHEN s.location_source = 'reported' THEN s.geom END, s.reported_on)
       IS DISTINCT FROM
       (r.permit_number, r.valid_until, r.purpose, r.sponsor_company_id, r.sponsor_name, r.address, r.village_code,
        r.geom, coalesce(r.reported_on, s.reported_on))
   AND {_SCOPE.format("s.regency_code")} AND {_SCOPE.format("left(r.village_code, 5)")}
RETURNING r.line"""
_STAYS_INSERT = f"""
INSERT INTO foreign_national_stays (foreign_national_id, permit_type, permit_number, valid_from, valid_until, purpose,
       sponsor_company_id, sponsor_name, address, village_code, geom, agency, reported_on, batch_id)
SELECT person_id, permit_type, permit_number, valid_from, valid_until, purpose, sponsor_company_id, sponsor_name,
       address, village_code, geom, %(agency)s, coalesce(reported_on, %(today)s), %(batch)s
  FROM import_rows r WHERE is_new AND {_SCOPE.format("left(r.village_code, 5)")}
ON CONFLICT (foreign_national_id, permit_type, valid_from) DO NOTHING"""


def _stays(cur, values: dict) -> tuple[int, int]:
    changed = _lines(cur, _PERSONS_UPDATE, values)
    cur.execute(_PERSONS_INSERT.format(name="full_name", sex="sex", born="birth_date"), values)
    cur.execute(_PERSON_IDS)
    cur.execute(_STAY_NEW)
    new = _lines(cur, "SELECT line FROM import_rows WHERE is_new", values)
    changed |= _lines(cur, _STAYS_UPDATE, values)
    cur.execute(_STAYS_INSERT, values)
    return cur.rowcount, len(changed - new)


# --- penginapan -----------------------------------------------------------------------------------
_LODGINGS_FIRST = f"""
CREATE TEMP TABLE import_lodgings ON COMMIT DROP AS
SELECT DISTINCT ON (village_code, {_IDENT.format("lodging_name")}) line, lodging_name, lodging_address, village_code,
       geom, {_IDENT.format("lodging_name")} AS ident
  FROM import_rows ORDER BY village_code, {_IDENT.format("lodging_name")}, line"""
# A lodging's address or point left empty in a file keeps what is known.
_LODGINGS_UPDATE = f"""
UPDATE lodgings l SET address = coalesce(i.lodging_address, l.address), geom = coalesce(i.geom, l.geom)
  FROM import_lodgings i
 WHERE l.village_code = i.village_code AND {_IDENT.format("l.name")} = i.ident
   AND (l.address, l.geom) IS DISTINCT FROM (coalesce(i.lodging_address, l.address), coalesce(i.geom, l.geom))
   AND {_SCOPE.format("l.regency_code")}
RETURNING i.line"""
_LODGINGS_INSERT = f"""
INSERT INTO lodgings (name, address, village_code, geom)
SELECT lodging_name, lodging_address, village_code, geom FROM import_lodgings i
 WHERE {_SCOPE.format("left(i.village_code, 5)")}
ON CONFLICT DO NOTHING"""  # a lodging on record: skipped by its identity index (as the persons above)
_GUEST_IDS = f"""
ALTER TABLE import_rows ADD COLUMN lodging_id bigint, ADD COLUMN person_id bigint, ADD COLUMN is_new boolean;
UPDATE import_rows r SET lodging_id = l.id FROM lodgings l
 WHERE l.village_code = r.village_code AND {_IDENT.format("l.name")} = {_IDENT.format("r.lodging_name")};
UPDATE import_rows r SET person_id = p.id FROM foreign_nationals p
 WHERE p.passport_number = r.passport_number AND p.nationality = r.nationality;
UPDATE import_rows r SET is_new = NOT EXISTS (SELECT 1 FROM lodging_stays ls WHERE ls.lodging_id = r.lodging_id
       AND ls.foreign_national_id = r.person_id AND ls.check_in = r.check_in)"""
_GUESTS_UPDATE = f"""
UPDATE lodging_stays ls SET check_out = r.check_out, agency = %(agency)s, batch_id = %(batch)s
  FROM import_rows r
 WHERE ls.lodging_id = r.lodging_id AND ls.foreign_national_id = r.person_id AND ls.check_in = r.check_in
   AND ls.check_out IS DISTINCT FROM r.check_out
   AND EXISTS (SELECT 1 FROM lodgings l WHERE l.id = ls.lodging_id AND {_SCOPE.format("l.regency_code")})
RETURNING r.line"""
_GUESTS_INSERT = f"""
INSERT INTO lodging_stays (lodging_id, foreign_national_id, check_in, check_out, agency, batch_id)
SELECT lodging_id, person_id, check_in, check_out, %(agency)s, %(batch)s FROM import_rows r
 WHERE is_new AND lodging_id IS NOT NULL AND {_SCOPE.format("left(r.village_code, 5)")}
ON CONFLICT (lodging_id, foreign_national_id, check_in) DO NOTHING"""


def _lodgings(cur, values: dict) -> tuple[int, int]:
    cur.execute(_LODGINGS_FIRST)
    changed = _lines(cur, _LODGINGS_UPDATE, values)
    cur.execute(_LODGINGS_INSERT, values)
    # A guest not known yet becomes a person under the name of the first report; a known person's
    # name is never changed by a lodging's report.
    cur.execute(_PERSONS_INSERT.format(name="guest_name", sex="NULL", born="NULL::date"), values)
    cur.execute(_GUEST_IDS)
    new = _lines(cur, "SELECT line FROM import_rows WHERE is_new", values)
    changed |= _lines(cur, _GUESTS_UPDATE, values)
    cur.execute(_GUESTS_INSERT, values)
    return cur.rowcount, len(changed - new)


# --- kegiatan -------------------------------------------------------------------------------------
_ACTIVITY_KEY = ("a.held_on = r.held_on AND a.kind = r.kind AND a.district_code = r.district_code "
                 "AND a.agencies = r.agencies")
_ACTIVITIES_UPDATE = f"""
UPDATE monitoring_activities a SET targets = r.targets, findings = r.findings, follow_up = r.follow_up,
       agency = %(agency)s, batch_id = %(batch)s
  FROM import_rows r
 WHERE {_ACTIVITY_KEY}
   AND (a.targets, a.findings, a.follow_up) IS DISTINCT FROM (r.targets, r.findings, r.follow_up)
   AND {_SCOPE.format("a.regency_code")}
RETURNING r.line"""
_ACTIVITY_IDS = f"""
ALTER TABLE import_rows ADD COLUMN activity_id bigint, ADD COLUMN is_new boolean;
UPDATE import_rows r SET is_new = NOT EXISTS (SELECT 1 FROM monitoring_activities a WHERE {_ACTIVITY_KEY})"""
_ACTIVITIES_INSERT = f"""
WITH ins AS (
    INSERT INTO monitoring_activities (held_on, kind, district_code, regency_code, agencies, targets, findings,
                                       follow_up, agency, batch_id)
    SELECT held_on, kind, district_code, left(district_code, 5), agencies, targets, findings, follow_up,
           %(agency)s, %(batch)s
      FROM import_rows r WHERE is_new AND {_SCOPE.format("left(r.district_code, 5)")}
    ON CONFLICT (held_on, kind, district_code, agencies) DO NOTHING
    RETURNING 1
) SELECT count(*) FROM ins"""
_ACTIVITY_LINK = f"""
UPDATE import_rows r SET activity_id = a.id FROM monitoring_activities a WHERE {_ACTIVITY_KEY}"""
# The file names the activity's companies: those it no longer names go, within the writer's scope.
_TARGETS_DELETE = f"""
DELETE FROM activity_company_targets t USING import_rows r
 WHERE t.activity_id = r.activity_id AND NOT (t.company_id = ANY(r.company_ids))
   AND EXISTS (SELECT 1 FROM companies c WHERE c.id = t.company_id AND {_SCOPE.format("c.regency_code")})
RETURNING r.line"""
_TARGETS_INSERT = """
WITH ins AS (
    INSERT INTO activity_company_targets (activity_id, company_id)
    SELECT r.activity_id, c.id FROM import_rows r CROSS JOIN LATERAL unnest(r.company_ids) AS c(id)
     WHERE r.activity_id IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING activity_id
) SELECT DISTINCT r.line FROM ins JOIN import_rows r ON r.activity_id = ins.activity_id"""


def _activities(cur, values: dict) -> tuple[int, int]:
    cur.execute(_ACTIVITY_IDS)
    new = _lines(cur, "SELECT line FROM import_rows WHERE is_new", values)
    changed = _lines(cur, _ACTIVITIES_UPDATE, values)
    cur.execute(_ACTIVITIES_INSERT, values)
    inserted = cur.fetchone()[0]
    cur.execute(_ACTIVITY_LINK)
    changed |= _lines(cur, _TARGETS_DELETE, values)
    changed |= _lines(cur, _TARGETS_INSERT, values)
    return inserted, len(changed - new)
