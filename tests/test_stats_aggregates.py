"""The statistics' aggregates (migration 0090, geo/stats/aggregates.py) against a straight recount
from the tables and an independent count in Python, after every kind of write, an import, a change
of day, concurrent writers, and through a server with its caches off."""

from __future__ import annotations

import csv
import json
import random
import re
import threading
import time
import uuid
from datetime import date, timedelta

import httpx
import psycopg2
import psycopg2.extras
import pytest

from geo.filters import MonitoringFilter
from geo.stats import aggregates, region_stats, region_stats_json, summary
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database
from tests.importutil import pantau
from tests.test_stats_data import TODAY, by_code, expected_stats, populate, read_raw

COUNTED = ("province", "regency", "district")
FILTERS = [
    {},
    {"sector": ("perkebunan_sawit", "konstruksi")},
    {"nationality": ("CN",)},
    {"nationality": ("MY", "KR")},
    {"permit_status": "expired"},
    {"permit_status": "expiring"},
    {"permit_status": "valid"},
    {"regency_code": "62.71"},
    {"sector": ("jasa", "energi"), "nationality": ("JP", "KR", "CN"), "permit_status": "valid"},
]


@pytest.fixture(scope="module")
def populated(server_url, template_db):
    """The statistics tests' dataset once per module; each test writes to a copy of it."""
    url = create_database(server_url, template=template_db)
    populate(url)
    yield dbname_of(url)
    drop_database(server_url, dbname_of(url))


@pytest.fixture
def db(server_url, populated):
    url = create_database(server_url, template=populated)
    conn = psycopg2.connect(url)
    yield url, conn
    conn.close()
    drop_database(server_url, dbname_of(url))


MONTH = (TODAY.replace(day=28) + timedelta(days=4)).replace(day=1)  # the first day of next month
# RPTKA date ranges (closed, open at either end) alone and with other filters, at every level.
RANGES = [
    {"period_start": TODAY - timedelta(days=100), "period_end": TODAY + timedelta(days=200)},
    {"period_start": TODAY},
    {"period_end": TODAY + timedelta(days=30)},
    {"period_start": TODAY - timedelta(days=300), "period_end": TODAY + timedelta(days=500),
     "sector": ("jasa", "energi", "konstruksi"), "nationality": ("CN", "MY"), "permit_status": "expiring"},
    {"period_start": TODAY - timedelta(days=50), "regency_code": "62.71", "nationality": ("KR",)},
    # Whole months (summed per month of the end date), a range within one month, an open start on a
    # month's last day.
    {"period_start": MONTH, "period_end": MONTH.replace(year=MONTH.year + 1) - timedelta(days=1)},
    {"period_start": MONTH + timedelta(days=3), "period_end": MONTH + timedelta(days=20), "sector": ("jasa", "energi")},
    {"period_end": MONTH - timedelta(days=1), "permit_status": "expired"},
]
# Filters of the village level (parents: districts and whole regencies).
VILLAGE_FILTERS = [
    {},
    {"sector": ("perkebunan_sawit", "konstruksi")},
    {"nationality": ("CN",)},
    {"permit_status": "valid"},
    {"district_code": "62.02.01", "permit_status": "expired"},
    RANGES[0],
    RANGES[3],
]


def same_counts_per_company(url: str, conn, day: date = TODAY, scope=None, ranges=RANGES,
                            village_filters=VILLAGE_FILTERS) -> dict:
    """Villages and date ranges: aggregates == tables == the Python count (villages: the company's
    district's village covering its point, else the nearest one). The answers by (level, parent, filter)."""
    aggregates.refresh(conn, day)
    raw = read_raw(url)
    districts = sorted({c["district"] for c in raw.companies if c["district"] in raw.villages})
    cases = [(level, None, flt) for level in COUNTED for flt in ranges]
    cases += [("district", "62.02", flt) for flt in ranges[:2]]
    cases += [("village", parent, flt) for parent in (*districts[:4], "62.71", "62.02") for flt in village_filters]
    answers = {}
    for level, parent, flt in cases:
        f = MonitoringFilter(**flt, scope=scope)
        fast, _ = region_stats_json(conn, level, f, parent=parent, today=day, source="aggregates")
        slow, _ = region_stats_json(conn, level, f, parent=parent, today=day, source="tables")
        assert fast == slow, (level, parent, flt)
        got = by_code(json.loads(fast))
        assert got == expected_stats(raw, level, day, parent=parent, scope=scope, **flt), (level, parent, flt)
        answers[(level, parent, repr(flt))] = got
    assert any(r["companies"] for got in answers.values() for r in got.values())
    # The month sums are those of the per-company rows they are kept from.
    differ = execute(conn, """
        WITH kept AS (SELECT regency_code, district_code, sector, rptka_status, nationalities, month, companies,
                             inspected_12m, inspections_12m FROM stats_company_months),
        now AS (SELECT regency_code, district_code, sector, rptka_status, nationalities,
                       date_trunc('month', rptka_valid_until)::date, count(*)::int, count(*) FILTER (WHERE inspections_12m > 0)::int,
                       sum(inspections_12m)::int FROM stats_company WHERE rptka_valid_until IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6)
        SELECT count(*) FROM ((TABLE kept EXCEPT TABLE now) UNION ALL (TABLE now EXCEPT TABLE kept)) d""")[0][0]
    differ += execute(conn, """
        WITH kept AS (SELECT regency_code, district_code, sector, rptka_status, nationality, month, workers,
                             permits_expired, permits_30d, sex_p, level_konsultan FROM stats_worker_months),
        now AS (SELECT regency_code, district_code, sector, rptka_status, nationality,
                       date_trunc('month', rptka_valid_until)::date, sum(workers)::int, sum(permits_expired)::int,
                       sum(permits_30d)::int, sum(sex_p)::int, sum(level_konsultan)::int
                  FROM stats_company_workers WHERE rptka_valid_until IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6)
        SELECT count(*) FROM ((TABLE kept EXCEPT TABLE now) UNION ALL (TABLE now EXCEPT TABLE kept)) d""")[0][0]
    assert differ == 0
    conn.commit()
    return answers


def same_counts(url: str, conn, day: date = TODAY, filters=FILTERS, scope=None) -> None:
    """Aggregates == tables (the same JSON text) == the Python count, at every level they answer."""
    aggregates.refresh(conn, day)
    raw = read_raw(url)
    for level in COUNTED:
        for flt in filters:
            f = MonitoringFilter(**flt, scope=scope)
            fast, _ = region_stats_json(conn, level, f, today=day, source="aggregates")
            slow, _ = region_stats_json(conn, level, f, today=day, source="tables")
            assert fast == slow, (level, flt)
            got = by_code(region_stats(conn, level, f, today=day, source="aggregates"))
            assert got == expected_stats(raw, level, day, scope=scope, **flt), (level, flt)
    with conn.cursor() as cur:  # nothing left counted as zero
        cur.execute("SELECT (SELECT count(*) FROM stats_worker_counts WHERE workers <= 0) "
                    "+ (SELECT count(*) FROM stats_company_counts WHERE companies <= 0) "
                    "+ (SELECT count(*) FROM stats_worker_months WHERE workers <= 0) "
                    "+ (SELECT count(*) FROM stats_company_months WHERE companies <= 0)")
        assert cur.fetchone()[0] == 0
    conn.commit()


def execute(conn, sql: str, params=()) -> list:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall() if cur.description else []
    conn.commit()
    return rows


def point_in(conn, regency: str) -> tuple[float, float]:
    """A point well inside some district of a regency (lon, lat)."""
    return execute(conn, """SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM boundaries
                             WHERE level = 'district' AND parent_code = %s ORDER BY code LIMIT 1) s""", (regency,))[0]


def test_every_filter_and_scope(db):
    url, conn = db
    same_counts(url, conn)
    same_counts(url, conn, filters=[{}, {"nationality": ("CN", "MY")}], scope=("62.71", "62.10"))
    district = execute(conn, "SELECT district_code FROM companies GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0][0]
    aggregates.refresh(conn, TODAY)
    for level in COUNTED:
        f = MonitoringFilter(district_code=district)
        assert (region_stats_json(conn, level, f, today=TODAY, source="aggregates")
                == region_stats_json(conn, level, f, today=TODAY, source="tables"))
    for parent in ("62", "62.02"):
        f = MonitoringFilter(sector=("perkebunan_sawit",))
        assert (region_stats_json(conn, "district", f, parent=parent, today=TODAY, source="aggregates")
                == region_stats_json(conn, "district", f, parent=parent, today=TODAY, source="tables"))


def test_villages_and_date_ranges(db):
    """Villages of districts and regencies and RPTKA date ranges at every level are summed from the
    per-company aggregates, for every filter and a user's regencies."""
    url, conn = db
    same_counts_per_company(url, conn)
    same_counts_per_company(url, conn, scope=("62.71", "62.10"), ranges=RANGES[:2], village_filters=VILLAGE_FILTERS[:3])


def test_summary(db):
    url, conn = db
    aggregates.refresh(conn, TODAY)
    execute(conn, "INSERT INTO inspections (company_id, inspected_on, team, finding) "
                  "SELECT id, %s, ARRAY['polda'], 'no_permit' FROM companies ORDER BY id LIMIT 3", (TODAY,))
    for flt in [*FILTERS, *RANGES, {**RANGES[0], "scope": ("62.02",)},
                {"nationality": ("CN",), "scope": ("62.71", "62.02")}]:
        f = MonitoringFilter(**flt)
        got = summary(conn, f, today=TODAY, source="aggregates")
        assert got == summary(conn, f, today=TODAY, source="tables"), flt
    assert got["inspections_quarter"] > 0 and got["findings_quarter"]["no_permit"] > 0


def test_reads_no_worker_or_company_rows(db):
    """The request path sums the aggregates: no statement it sends reads foreign_workers or
    companies (the tables' path groups every active worker)."""
    url, _ = db
    conn = psycopg2.connect(url, connection_factory=psycopg2.extras.LoggingConnection)
    sent: list[str] = []

    class Log:
        def write(self, text: str) -> None:
            sent.append(text)

    conn.initialize(Log())
    try:
        aggregates.refresh(conn, TODAY)
        sent.clear()
        for level in COUNTED:
            region_stats(conn, level, MonitoringFilter(nationality=("CN",), permit_status="valid"), today=TODAY)
        summary(conn, MonitoringFilter(sector=("jasa",)), today=TODAY)
        assert sent and not [s for s in sent if re.search(r"\b(FROM|JOIN)\s+(foreign_workers|companies)\b", s)]
        sent.clear()  # villages and date ranges: the per-company rows, joined to companies by id only
        region_stats(conn, "district", MonitoringFilter(period_start=TODAY), today=TODAY)
        region_stats(conn, "village", MonitoringFilter(nationality=("CN",)), parent="62.02", today=TODAY)
        region_stats(conn, "village", MonitoringFilter(period_end=TODAY), parent="62.71.01", today=TODAY)
        summary(conn, MonitoringFilter(period_start=TODAY, sector=("jasa",)), today=TODAY)
        assert sent and not [s for s in sent if re.search(r"\b(FROM|JOIN)\s+foreign_workers\b", s)]
        assert not [s for s in sent if re.search(r"\bFROM\s+companies\b", s)]
    finally:
        conn.close()


def test_edits_moves_and_deletes(db):
    url, conn = db
    lon, lat = point_in(conn, "62.02")
    company = execute(conn, """INSERT INTO companies (nib, name, sector, geom, rptka_valid_until)
                               VALUES ('9199999999999', 'PT Baru', 'konstruksi', ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s)
                               RETURNING id""", (lon, lat, TODAY + timedelta(days=40)))[0][0]
    workers = [execute(conn, """INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, sex,
                                    position, position_level, permit_valid_until, itas_valid_until)
                                VALUES (%s, 'Nama', %s, %s, %s, 'Staf', %s, %s, %s) RETURNING id""",
                       (company, f"XAGG{i:05d}", nat, sex, level, permit, itas))[0][0]
               for i, (nat, sex, level, permit, itas) in enumerate([
                   ("CN", "L", "manajer", TODAY + timedelta(days=10), None),
                   ("PH", None, "direktur", None, TODAY - timedelta(days=3)),
                   ("CN", "P", "konsultan", TODAY + timedelta(days=200), TODAY + timedelta(days=60)),
               ])]
    execute(conn, "INSERT INTO inspections (company_id, inspected_on, team, finding) VALUES "
                  "(%s, %s, ARRAY['polda'], 'none'), (%s, %s, ARRAY['polda'], 'other')",
            (company, TODAY - timedelta(days=20), company, TODAY - timedelta(days=500)))
    same_counts(url, conn)

    # Workers: another nationality (PH leaves the company's nationalities), departed, another company.
    other = execute(conn, "SELECT id FROM companies WHERE regency_code = '62.71' ORDER BY id LIMIT 1")[0][0]
    execute(conn, "UPDATE foreign_workers SET nationality = 'MY', sex = 'P', position_level = 'profesional' WHERE id = %s",
            (workers[1],))
    execute(conn, "UPDATE foreign_workers SET status = 'departed' WHERE id = %s", (workers[0],))
    execute(conn, "UPDATE foreign_workers SET company_id = %s, itas_valid_until = %s WHERE id = %s",
            (other, TODAY + timedelta(days=5), workers[2]))
    same_counts(url, conn)

    # The company moves to another regency (its district is recomputed), changes sector and RPTKA.
    lon, lat = point_in(conn, "62.10")
    execute(conn, "UPDATE companies SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326), sector = 'energi', "
                  "rptka_valid_until = %s WHERE id = %s", (lon, lat, TODAY - timedelta(days=1), company))
    assert execute(conn, "SELECT regency_code FROM companies WHERE id = %s", (company,))[0][0] == "62.10"
    same_counts(url, conn)

    # Inspections: out of the 12 months, to another company; then everything of the company goes.
    execute(conn, "UPDATE inspections SET inspected_on = %s WHERE company_id = %s AND finding = 'none'",
            (TODAY - timedelta(days=400), company))
    execute(conn, "UPDATE inspections SET company_id = %s, inspected_on = %s WHERE company_id = %s AND finding = 'other'",
            (other, TODAY, company))
    same_counts(url, conn)
    execute(conn, "DELETE FROM inspections WHERE company_id = %s", (company,))
    execute(conn, "DELETE FROM foreign_workers WHERE company_id = %s", (company,))
    execute(conn, "DELETE FROM companies WHERE id = %s", (company,))
    same_counts(url, conn)
    assert execute(conn, "SELECT count(*) FROM stats_company WHERE company_id = %s", (company,))[0][0] == 0


def gap_point(conn, district: str) -> tuple[float, float]:
    """A point of the district covered by none of its villages (lon, lat): inside the largest part of
    what they leave uncovered."""
    return execute(conn, """SELECT ST_X(ST_PointOnSurface(g)), ST_Y(ST_PointOnSurface(g)) FROM (
                              SELECT (ST_Dump(ST_Difference(d.geom, ST_Union(v.geom)))).geom AS g
                                FROM boundaries d JOIN boundaries v ON v.level = 'village' AND v.parent_code = d.code
                               WHERE d.code = %s GROUP BY d.code, d.geom) s
                            ORDER BY ST_Area(g) DESC LIMIT 1""", (district,))[0]


def test_villages_and_date_ranges_after_writes(db):
    """A company moved to another village of its district (queued: its rows keep the village), to
    another regency, a company in a gap between villages, RPTKA dates changed, another day."""
    url, conn = db
    few = {"ranges": RANGES[:2], "village_filters": [{}, RANGES[0]]}
    same_counts_per_company(url, conn, **few)
    company, district, village = execute(conn, "SELECT id, district_code, village_code FROM companies "
                                                "WHERE regency_code = '62.02' ORDER BY id LIMIT 1")[0]
    other = execute(conn, """SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM boundaries
                              WHERE level = 'village' AND parent_code = %s AND code <> %s
                                AND ST_Covers(geom, ST_PointOnSurface(geom)) ORDER BY code LIMIT 1""", (district, village))[0]
    execute(conn, "UPDATE companies SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326) WHERE id = %s",
            (other[1], other[2], company))
    assert execute(conn, "SELECT district_code, village_code FROM companies WHERE id = %s",
                   (company,))[0] == (district, other[0])
    assert execute(conn, "SELECT * FROM stats_dirty") == [(company,)]  # its rows keep the village (0111)
    answers = same_counts_per_company(url, conn, **few)
    assert answers[("village", "62.02", "{}")][other[0]]["companies"] >= 1

    # Another regency, and a date range it leaves and one it enters.
    lon, lat = point_in(conn, "62.10")
    execute(conn, "UPDATE companies SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326), rptka_valid_until = %s "
                  "WHERE id = %s", (lon, lat, TODAY + timedelta(days=1), company))
    execute(conn, "UPDATE companies SET rptka_valid_until = rptka_valid_until + 120 WHERE regency_code = '62.71'")
    execute(conn, "UPDATE companies SET rptka_valid_until = NULL WHERE id IN "
                  "(SELECT id FROM companies WHERE regency_code = '62.02' ORDER BY id DESC LIMIT 3)")
    same_counts_per_company(url, conn, **few)

    # A point in a gap between the villages of its district: counted in the nearest one.
    gap_district = execute(conn, "SELECT code FROM boundaries WHERE level = 'district' AND parent_code = '62.02' "
                                 "ORDER BY code LIMIT 1")[0][0]
    before = same_counts_per_company(url, conn, ranges=[], village_filters=[{}])
    lon, lat = gap_point(conn, gap_district)
    gap = execute(conn, """INSERT INTO companies (nib, name, sector, geom, rptka_valid_until)
                           VALUES ('9199999999998', 'PT Celah', 'jasa', ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s)
                           RETURNING district_code, village_code,
                                     (SELECT count(*) FROM boundaries v WHERE v.parent_code = %s
                                         AND ST_Covers(v.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)))""",
                  (lon, lat, TODAY + timedelta(days=10), gap_district, lon, lat))[0]
    assert gap[0] == gap_district and gap[1] is not None and gap[2] == 0
    after = same_counts_per_company(url, conn, ranges=[], village_filters=[{}])
    for parent in (gap_district, "62.02"):
        key = ("village", parent, "{}")
        assert after[key][gap[1]]["companies"] == before[key][gap[1]]["companies"] + 1

    # Other days: the ranges' RPTKA status and the per-company buckets move with the day.
    for shift in (1, 45, -30):
        same_counts_per_company(url, conn, TODAY + timedelta(days=shift), **few)


def test_truncate_and_a_statement_over_many_rows(db):
    url, conn = db
    execute(conn, "UPDATE foreign_workers SET permit_valid_until = permit_valid_until + 45 WHERE nationality IN ('CN', 'KR')")
    same_counts(url, conn)
    execute(conn, "TRUNCATE inspections CASCADE")  # with their photos (inspection_photos)
    same_counts(url, conn)


def _write_import_files(conn, folder) -> tuple:
    companies, workers = folder / "companies.csv", folder / "workers.csv"
    rng = random.Random(16)
    points = [point_in(conn, r) for r in ("62.02", "62.71", "62.05")]
    with companies.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["nib", "nama_perusahaan", "sektor", "kbli", "alamat", "kabupaten_kota", "kecamatan",
                    "latitude", "longitude", "rptka_berlaku_hingga"])
        for i in range(12):
            lon, lat = points[i % 3]
            w.writerow([f"{9300000000000 + i}", f"PT Impor {i}", ("Jasa", "Konstruksi", "Energi dan pembangkit listrik")[i % 3],
                        "02420", "", "", "", f"{lat + 0.0001 * i:.6f}", f"{lon:.6f}",
                        (TODAY + timedelta(days=rng.randint(-60, 200))).isoformat()])
    with workers.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["nib", "nama_lengkap", "nomor_paspor", "kewarganegaraan", "jenis_kelamin", "jabatan",
                    "nomor_rptka", "izin_berlaku_hingga", "nomor_itas", "itas_berlaku_hingga"])
        for i in range(40):
            w.writerow([f"{9300000000000 + i % 12}", f"Pekerja Impor {i}", f"IMP{i:06d}", ("CN", "Malaysia", "KR")[i % 3],
                        "LP"[i % 2], ("Direktur", "Manajer Proyek", "Ahli Geologi")[i % 3], f"RPTKA/{i}",
                        (TODAY + timedelta(days=rng.randint(-30, 120))).isoformat(), f"2C{i:010d}",
                        (TODAY + timedelta(days=rng.randint(-30, 120))).isoformat()])
    return companies, workers


@pytest.mark.slow
def test_imports(db, tmp_path):
    url, conn = db
    same_counts(url, conn, filters=[{}])
    companies, workers = _write_import_files(conn, tmp_path)
    for kind, path in (("companies", companies), ("workers", workers)):
        res = pantau("import", kind, path, "--source", "disnakertrans", database_url=url)
        assert res.returncode == 0, res.stdout + res.stderr
    # The import's statements queued its companies; the next read counts them.
    assert execute(conn, "SELECT count(DISTINCT company_id) FROM stats_dirty")[0][0] == 12
    same_counts(url, conn)


def test_change_of_day(db):
    """Dates on every bucket edge; counted on later and earlier days, each refresh moves only the
    companies with a date that changes bucket."""
    url, conn = db
    lon, lat = point_in(conn, "62.02")
    for k, (rptka, permit, inspected) in enumerate([(0, 0, -365), (90, 30, -364), (91, 31, -366), (-1, 90, 0), (1, 91, 1)]):
        company = execute(conn, """INSERT INTO companies (nib, name, sector, geom, rptka_valid_until)
                                   VALUES (%s, 'PT Tepi', 'jasa', ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s)
                                   RETURNING id""", (f"{9400000000000 + k}", lon + 0.001 * k, lat, TODAY + timedelta(days=rptka)))[0][0]
        execute(conn, """INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, position,
                             position_level, permit_valid_until) VALUES (%s, 'Nama', %s, 'IN', 'Staf', 'manajer', %s)""",
                (company, f"XDAY{k:05d}", TODAY + timedelta(days=permit)))
        execute(conn, "INSERT INTO inspections (company_id, inspected_on, team, finding) VALUES (%s, %s, ARRAY['polda'], 'none')",
                (company, TODAY + timedelta(days=inspected)))
    filters = [{}, {"permit_status": "expiring"}, {"permit_status": "expired"}]
    same_counts(url, conn, TODAY, filters)
    total = execute(conn, "SELECT count(*) FROM companies")[0][0]
    for shift in (1, 30, 31, 61, 91, 400, -1, -200, 0):
        day = TODAY + timedelta(days=shift)
        with conn.cursor() as cur:
            cur.execute("SELECT stats_refresh(%s)", (day,))
            moved = cur.fetchone()[0]
        conn.commit()
        if shift == 1:
            assert 0 < moved < total / 2
        same_counts(url, conn, day, filters)


def test_reads_count_a_long_queue_a_batch_at_a_time(db, monkeypatch):
    """After a load of many companies no read recounts them all: each counts one batch and answers
    from the tables while more remain; the same numbers throughout."""
    url, conn = db
    raw = read_raw(url)
    want = expected_stats(raw, "regency", TODAY)
    aggregates.refresh(conn, TODAY)
    execute(conn, "INSERT INTO stats_dirty SELECT id FROM companies")
    monkeypatch.setattr(aggregates, "REFRESH_BATCH", 25)
    monkeypatch.setattr(aggregates.clock, "today", lambda *a: TODAY)
    queued = [execute(conn, "SELECT count(DISTINCT company_id) FROM stats_dirty")[0][0]]
    while queued[-1]:
        got = by_code(region_stats(conn, "regency", MonitoringFilter(), today=TODAY))
        assert got == want
        queued.append(execute(conn, "SELECT count(DISTINCT company_id) FROM stats_dirty")[0][0])
        assert queued[-1] < queued[-2] and len(queued) < 10
    assert len(queued) >= 3  # 60-odd companies, 25 a read
    assert by_code(region_stats(conn, "regency", MonitoringFilter(), today=TODAY, source="aggregates")) == want


def test_concurrent_writers_and_refreshes(db):
    """Writers in overlapping transactions while refreshes run; then the sums equal the tables."""
    url, conn = db
    ids = [r[0] for r in execute(conn, "SELECT id FROM companies ORDER BY id")]
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        c = psycopg2.connect(url)
        try:
            for i in range(15):
                with c, c.cursor() as cur:
                    company = rng.choice(ids)
                    cur.execute("""INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality,
                                       position, position_level, permit_valid_until)
                                   VALUES (%s, 'Nama', %s, %s, 'Staf', 'konsultan', %s)""",
                                (company, f"XC{seed}{i:05d}", rng.choice(("CN", "MY", "LK")),
                                 TODAY + timedelta(days=rng.randint(-10, 100))))
                    cur.execute("UPDATE foreign_workers SET nationality = %s WHERE id = "
                                "(SELECT min(id) FROM foreign_workers WHERE company_id = %s)", (rng.choice(("JP", "AU")), company))
                    cur.execute("INSERT INTO inspections (company_id, inspected_on, team, finding) "
                                "VALUES (%s, %s, %s, 'none') ON CONFLICT DO NOTHING",
                                (rng.choice(ids), TODAY - timedelta(days=rng.randint(0, 500)), [f"t{seed}{i}"]))
                    cur.execute("UPDATE companies SET rptka_valid_until = %s WHERE id = %s",
                                (TODAY + timedelta(days=rng.randint(-5, 100)), rng.choice(ids)))
                    time.sleep(rng.random() * 0.02)  # the transaction stays open a little
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            c.close()

    def refresher() -> None:
        c = psycopg2.connect(url)
        try:
            while not stop.is_set():
                aggregates.refresh(c, TODAY)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            c.close()

    threads = [threading.Thread(target=writer, args=(s,)) for s in range(4)]
    background = [threading.Thread(target=refresher) for _ in range(2)]
    for t in threads + background:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    for t in background:
        t.join()
    assert not errors
    same_counts(url, conn, filters=[{}, {"nationality": ("JP",)}, {"permit_status": "expiring"}])


def test_columns_follow_the_check_constraints(db):
    """Sex and position level are summed in fixed columns: they must be the values foreign_workers allows."""
    _, conn = db
    rows = dict(execute(conn, """SELECT a.attname, pg_get_constraintdef(c.oid) FROM pg_constraint c
                                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
                                 WHERE c.conrelid = 'foreign_workers'::regclass AND c.contype = 'c'
                                   AND a.attname IN ('sex', 'position_level')"""))
    assert set(re.findall(r"'(\w+)'", rows["position_level"])) == set(aggregates.POSITION_LEVELS)
    assert set(re.findall(r"'(\w+)'", rows["sex"])) | {"unknown"} == set(aggregates.SEXES)


def test_aggregates_hold_no_personal_data(db):
    _, conn = db
    columns = {r[0] for r in execute(conn, "SELECT column_name FROM information_schema.columns "
                                           "WHERE table_name LIKE %s", ("stats\\_%",))}
    assert columns and not columns & {"full_name", "passport_number", "itas_number", "name", "position"}


def test_days_the_aggregates_leave_to_the_tables(db):
    url, conn = db
    raw = read_raw(url)
    aggregates.refresh(conn, TODAY)
    past = TODAY - timedelta(days=100)  # a report of an earlier quarter: not the counted day, not today
    got = by_code(region_stats(conn, "regency", MonitoringFilter(), today=past))
    assert got == expected_stats(raw, "regency", past)
    with pytest.raises(LookupError):
        region_stats(conn, "regency", MonitoringFilter(), today=past, source="aggregates")
    assert execute(conn, "SELECT day FROM stats_day")[0][0] == TODAY  # the past day moved nothing


@pytest.mark.slow
def test_server_without_cache_answers_the_last_write(db):
    """A server with its statistics cache off: every answer is counted anew, and a write shows in the
    next one (the read refreshes the aggregates first), for a viewer and within a user's regencies."""
    url, conn = db
    from geo.auth.users import create_user
    from geo.clock import today

    server = LiveServer(url, {"PANTAU_STATS_CACHE_MB": "0"})
    try:
        def login(regencies=None) -> dict:
            name, password = f"v-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
            create_user(conn, name, password, "viewer", "kesbangpol", regencies)
            r = httpx.post(f"{server.base}/api/auth/token", data={"username": name, "password": password})
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        viewer, scoped = login(), login(["62.02"])
        company, district = execute(conn, "SELECT id, district_code FROM companies WHERE regency_code = '62.02' "
                                          "ORDER BY id LIMIT 1")[0]

        def workers_in(headers, **params) -> int:
            r = httpx.get(f"{server.base}/api/stats/district", params=params, headers=headers, timeout=60)
            assert r.status_code == 200, r.text
            return next(row["foreign_workers"] for row in r.json()["regions"] if row["code"] == district)

        before = workers_in(viewer, nationality="NP")
        execute(conn, """INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, position,
                             position_level) VALUES (%s, 'Nama', 'XSRV00001', 'NP', 'Staf', 'manajer')""", (company,))
        assert workers_in(viewer, nationality="NP") == before + 1
        assert workers_in(scoped, nationality="NP") == before + 1
        r = httpx.get(f"{server.base}/api/stats/regency", headers=scoped, timeout=60)
        assert [row["code"] for row in r.json()["regions"]] == ["62.02"]

        # Villages and an RPTKA date range, from the per-company aggregates: a move to another
        # village of the district and a new RPTKA date show in the next answers.
        def companies_in(headers, level: str, code: str, **params) -> int:
            r = httpx.get(f"{server.base}/api/stats/{level}", params=params, headers=headers, timeout=60)
            assert r.status_code == 200, r.text
            return next((row["companies"] for row in r.json()["regions"] if row["code"] == code), None)

        village = execute(conn, "SELECT village_code FROM companies WHERE id = %s", (company,))[0][0]
        other, lon, lat = execute(conn, """SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
                                             FROM boundaries WHERE level = 'village' AND parent_code = %s AND code <> %s
                                              AND ST_Covers(geom, ST_PointOnSurface(geom)) ORDER BY code LIMIT 1""",
                                  (district, village))[0]
        far = (today() + timedelta(days=3000)).isoformat()
        span = {"datetime": f"{far}/{far}"}
        counts = {(code, scope): companies_in(h, "village", code, parent=district)
                  for code in (village, other) for scope, h in (("all", viewer), ("62.02", scoped))}
        assert companies_in(viewer, "district", district, **span) == 0
        execute(conn, "UPDATE companies SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326), rptka_valid_until = %s "
                      "WHERE id = %s", (lon, lat, far, company))
        for scope, h in (("all", viewer), ("62.02", scoped)):
            assert companies_in(h, "village", village, parent=district) == counts[(village, scope)] - 1
            assert companies_in(h, "village", other, parent=district) == counts[(other, scope)] + 1
            assert companies_in(h, "district", district, **span) == 1
            assert companies_in(h, "village", other, parent="62.02", **span) == 1
        assert companies_in(scoped, "village", "62.71.01.1001", parent="62.71") is None  # outside the scope: absent
        assert execute(conn, "SELECT day FROM stats_day")[0][0] == today()
    finally:
        server.stop()
