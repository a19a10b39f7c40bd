"""The foreign nationals' kept counts (migrations 0110 and 0119, geo/stats/foreign.py): after every
kind of write the counts summed from fn_present_counts equal foreign_nationals_present grouped
(computed here in SQL), and the statistics' foreign columns read from them (with the guests' and
activities' windows) equal those counted by the rule from the tables, at every level, with every
filter and a scoped user; a new day; concurrent writers; a read that cannot refresh never uses
counts that miss a write it can see; the API with its caches off."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import httpx
import psycopg2
import pytest

from geo import clock
from geo.filters import MonitoringFilter
from geo.stats import foreign, region_stats
from geo.stats.foreign import FIELDS, ForeignFilter
from tests.conftest import LiveServer
from tests.dbutil import create_database, dbname_of, drop_database
from tests.seed import fill

pytestmark = pytest.mark.slow  # a database per test and every level compared many times

TODAY = clock.today()
KEYS = ("village_code", "district_code", "regency_code", "nationality", "purpose", "permit_type")

# (filter, purpose/permit filter) pairs compared at every level.
FILTERS = [
    (MonitoringFilter(), ForeignFilter()),
    (MonitoringFilter(nationality=("CN",)), ForeignFilter()),
    (MonitoringFilter(nationality=("US", "SG", "AU")), ForeignFilter()),
    (MonitoringFilter(), ForeignFilter(purpose=("bekerja",))),
    (MonitoringFilter(), ForeignFilter(purpose=("tidak_diketahui", "studi"))),
    (MonitoringFilter(), ForeignFilter(permit_type=("itas",))),
    (MonitoringFilter(regency_code="62.71"), ForeignFilter()),
    (MonitoringFilter(district_code="62.02.06"), ForeignFilter(permit_type=("itas", "visa_kunjungan"))),
    (MonitoringFilter(scope=("62.02",)), ForeignFilter()),
    (MonitoringFilter(scope=("62.71",), nationality=("CN", "KR")), ForeignFilter(purpose=("bekerja",))),
    # Guests of two regencies do not add up at the province: read from the tables there.
    (MonitoringFilter(scope=("62.02", "62.71")), ForeignFilter()),
    (MonitoringFilter(scope=("62.02", "62.71"), district_code="62.71.01"), ForeignFilter()),
]
# (level, parent)
LEVELS = [("province", None), ("regency", None), ("district", None), ("district", "62.02"),
          ("village", "62.71"), ("village", "62.02.06")]


@pytest.fixture(scope="module")
def base(server_url, template_db):
    url = create_database(server_url, template=template_db)
    fill(url)
    yield dbname_of(url)
    drop_database(server_url, dbname_of(url))


@pytest.fixture
def db(server_url, base):
    url = create_database(server_url, template=base)
    conn = psycopg2.connect(url)
    conn.autocommit = True
    yield url, conn
    conn.close()
    drop_database(server_url, dbname_of(url))


def q(conn, sql: str, params=()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def kept_equal_rule(conn, day: date) -> None:
    """The kept counts are current on `day` and equal the rule's persons grouped by the same keys."""
    assert q(conn, "SELECT fn_present_ready(%s)", (day,))[0][0]
    for table, keys in (("fn_present_village_counts", KEYS), ("fn_present_counts", KEYS[1:])):
        kept = dict(((*k,), n) for *k, n in q(conn, f"SELECT {', '.join(keys)}, n FROM {table}"))  # noqa: S608
        rule = dict(((*k,), n) for *k, n in q(conn, f"""
            SELECT {", ".join(f"x.{k}" for k in keys)}, count(*)
              FROM (SELECT p.village_code, p.district_code, p.regency_code, n.nationality,
                           coalesce(p.purpose, 'tidak_diketahui') AS purpose,
                           coalesce(p.permit_type, 'tidak_diketahui') AS permit_type
                      FROM foreign_nationals_present(%s) p JOIN foreign_nationals n ON n.id = p.foreign_national_id) x
             GROUP BY {", ".join(f"x.{k}" for k in keys)}""", (day,)))  # noqa: S608
        assert kept == rule, table
        assert sum(rule.values()) > 0


def foreign_part(rows: list[dict]) -> dict:
    return {r["code"]: {k: r[k] for k in FIELDS} for r in rows}


def stats_equal(url: str, day: date = TODAY) -> None:
    """The read (which refreshes first) from the kept counts equals the rule from the tables, for
    every level and filter; the kept counts were used (ready on `day` after it)."""
    conn = psycopg2.connect(url)
    try:
        for flt, ff in FILTERS:
            for level, parent in LEVELS:
                kept = region_stats(conn, level, flt, parent, day, foreign=ff)
                with conn.cursor() as cur:
                    cur.execute("SELECT fn_present_ready(%s), fn_window_ready(%s)", (day, day))
                    assert cur.fetchone() == (True, True), "the read did not bring the counts up to date"
                conn.commit()
                tables = region_stats(conn, level, flt, parent, day, source="tables", foreign=ff)
                assert foreign_part(kept) == foreign_part(tables), (level, parent, flt, ff)
        kept_equal_rule(conn, day)
    finally:
        conn.close()


def read(url: str, day: date = TODAY, **flt) -> dict:
    conn = psycopg2.connect(url)
    try:
        return foreign_part(region_stats(conn, "district", MonitoringFilter(**flt), None, day,
                                         foreign=ForeignFilter()))
    finally:
        conn.close()


def test_backfill_and_first_read(db):
    url, conn = db
    stats_equal(url)


# Each write, then the comparison. `conn` is autocommit: every statement is its own transaction.
WRITES = {
    "stay added": """
        INSERT INTO foreign_national_stays (foreign_national_id, permit_type, valid_from, valid_until, purpose,
                                            village_code, agency, reported_on)
        SELECT id, 'itas', current_date - 3, current_date + 100, 'investasi',
               (SELECT code FROM boundaries WHERE level = 'village' AND parent_code = '62.02.06' ORDER BY code LIMIT 1),
               'imigrasi', current_date
          FROM foreign_nationals WHERE passport_number = 'FN5500105'""",
    "stay ended": "UPDATE foreign_national_stays SET valid_until = current_date - 1 "
                  "WHERE foreign_national_id = (SELECT id FROM foreign_nationals WHERE passport_number = 'FN5500101')",
    "stay moved": """
        UPDATE foreign_national_stays SET geom = NULL, village_code =
               (SELECT code FROM boundaries WHERE level = 'village' AND parent_code = '62.02.06' ORDER BY code LIMIT 1)
         WHERE foreign_national_id = (SELECT id FROM foreign_nationals WHERE passport_number = 'FN5500102')""",
    "stay deleted": "DELETE FROM foreign_national_stays "
                    "WHERE foreign_national_id = (SELECT id FROM foreign_nationals WHERE passport_number = 'FN5500103')",
    "worker linked": """
        INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, sex, position,
                                     position_level, permit_valid_until, itas_valid_until)
        SELECT id, 'PEKERJA BARU PRIVATE', 'NEW000777', 'KR', 'L', 'Insinyur', 'profesional',
               current_date + 200, current_date + 150
          FROM companies ORDER BY id LIMIT 1""",
    "worker ended": """
        UPDATE foreign_workers SET status = 'departed'
         WHERE foreign_national_id = (SELECT min(foreign_national_id) FROM foreign_nationals_present(current_date)
                                       WHERE source = 'worker')""",
    "worker moved company": """
        UPDATE foreign_workers SET work_site = NULL,
               company_id = (SELECT id FROM companies WHERE regency_code = '62.71' ORDER BY id LIMIT 1)
         WHERE foreign_national_id = (SELECT max(foreign_national_id) FROM foreign_nationals_present(current_date)
                                       WHERE source = 'worker' AND regency_code = '62.02')""",
    "lodging stay": """
        INSERT INTO lodging_stays (lodging_id, foreign_national_id, check_in, check_out, agency)
        SELECT (SELECT id FROM lodgings ORDER BY id DESC LIMIT 1), id, current_date, NULL, 'polda'
          FROM foreign_nationals WHERE passport_number = 'FN5500105'""",
    "lodging moved": """
        UPDATE lodgings SET village_code =
               (SELECT code FROM boundaries WHERE level = 'village' AND parent_code = '62.02.06' ORDER BY code LIMIT 1)
         WHERE id = (SELECT min(id) FROM lodgings)""",
    # The seeded workers all have a work site: one placed by its company first (set-up, counted).
    "company moved": ("""
        UPDATE foreign_workers SET work_site = NULL
         WHERE foreign_national_id = (SELECT max(foreign_national_id) FROM foreign_nationals_present(current_date)
                                       WHERE source = 'worker' AND regency_code = '62.02')""", """
        UPDATE companies SET geom = (SELECT label_point FROM boundaries WHERE code = '62.71.01')
         WHERE id IN (SELECT w.company_id FROM foreign_workers w JOIN companies c ON c.id = w.company_id
                       WHERE c.regency_code = '62.02' AND w.status = 'active' AND w.work_site IS NULL)"""),
    "nationality corrected": "UPDATE foreign_nationals SET nationality = 'GB' WHERE passport_number = 'FN5500101'",
    "guest's nationality corrected": """
        UPDATE foreign_nationals SET nationality = 'GB'
         WHERE id = (SELECT min(foreign_national_id) FROM lodging_stays WHERE counted_until >= current_date)""",
    "activity held": """
        INSERT INTO monitoring_activities (held_on, kind, district_code, regency_code, agencies, agency)
        VALUES (current_date - 40, 'rapat', '62.02.06', '62.02', '{polda}', 'polda'),
               (current_date - 300, 'pengawasan_lapangan', '62.71.01', '62.71', '{imigrasi,polda}', 'polda')""",
    "activity moved": ("""
        INSERT INTO monitoring_activities (held_on, kind, district_code, regency_code, agencies, agency)
        VALUES (current_date - 2, 'rapat', '62.02.06', '62.02', '{polda}', 'polda')""", """
        UPDATE monitoring_activities SET district_code = '62.71.01', regency_code = '62.71'
         WHERE held_on = current_date - 2 AND district_code = '62.02.06'"""),
    "person deleted": "DELETE FROM foreign_nationals WHERE passport_number = 'FN5500106'",
}


@pytest.mark.parametrize("kind", list(WRITES))
def test_each_write(db, kind):
    url, conn = db
    *setup, write = (WRITES[kind],) if isinstance(WRITES[kind], str) else WRITES[kind]
    for sql in setup:
        q(conn, sql)
    stats_equal(url)
    before = read(url)
    q(conn, write)
    queued = q(conn, "SELECT (SELECT count(*) FROM fn_present_dirty), (SELECT count(*) FROM fn_window_dirty)")[0]
    assert sum(queued) > 0, "the write queued nothing"
    after = read(url)
    assert after != before, "the write changed no count"
    stats_equal(url)


def test_every_write_in_one_transaction(db):
    url, conn = db
    with psycopg2.connect(url) as writer, writer.cursor() as cur:
        for sql in WRITES.values():
            for statement in (sql,) if isinstance(sql, str) else sql:
                cur.execute(statement)
    stats_equal(url)


def test_day_change(db):
    """Counted today, then read on later days: only persons with a date in between are queued,
    and the counts equal the rule's on each day (stays, lodging stays and permits end on the way)."""
    url, conn = db
    stats_equal(url)
    total = q(conn, "SELECT count(*) FROM fn_present")[0][0]
    for ahead in (1, 3, 41, 400):
        day = TODAY + timedelta(days=ahead)
        conn2 = psycopg2.connect(url)
        try:
            counted = foreign.refresh(conn2, day)
        finally:
            conn2.close()
        assert counted < max(total, 1) + 5
        stats_equal(url, day)
    # Back to today (a read on the province's day moves the counts back).
    stats_equal(url, TODAY)


def read_while_held(url: str, day_table: str) -> tuple[dict, dict]:
    """A read while another session holds `day_table`'s row, as a long refresh would (so the read
    cannot bring those counts up to date), and the same read counted from the tables."""
    holder = psycopg2.connect(url)
    try:
        with holder.cursor() as cur:
            cur.execute(f"SELECT * FROM {day_table} FOR UPDATE")  # noqa: S608 - a test constant
            after = read(url)
        holder.rollback()
    finally:
        holder.close()
    conn = psycopg2.connect(url)
    try:
        return after, foreign_part(region_stats(conn, "district", MonitoringFilter(), None, TODAY, source="tables",
                                                foreign=ForeignFilter()))
    finally:
        conn.close()


def test_read_never_uses_counts_missing_a_write(db):
    """While another refresh holds the counts (so this read cannot bring them up to date), a
    committed write is in the read's answer all the same: counted from the tables."""
    url, conn = db
    stats_equal(url)
    before = read(url)
    q(conn, WRITES["stay added"])
    after, tables = read_while_held(url, "fn_present_day")
    assert after == tables
    assert after != before
    assert not q(conn, "SELECT fn_present_ready(%s)", (TODAY,))[0][0]
    stats_equal(url)


def test_one_time_filter(db):
    """Only one branch of the read runs: the other is never executed (EXPLAIN ANALYZE)."""
    url, conn = db
    stats_equal(url)
    sql, params = foreign.counts_sql("district", MonitoringFilter(), ForeignFilter(), None, TODAY)
    plan = "\n".join(r[0] for r in q(conn, "EXPLAIN (ANALYZE, COSTS OFF) " + sql, params))
    assert "One-Time Filter" in plan
    assert "never executed" in plan
    # Without the kept counts being ready, the rule runs instead.
    q(conn, WRITES["stay ended"])
    plan = "\n".join(r[0] for r in q(conn, "EXPLAIN (ANALYZE, COSTS OFF) " + sql, params))
    assert "never executed" in plan
    assert "fn_present_counts" in plan


def plan_lines(conn, sql: str, params) -> dict[str, str]:
    """EXPLAIN ANALYZE of `sql`: the line of each table read, by table name."""
    lines = [r[0] for r in q(conn, "EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)]
    return {t: next(line for line in lines if f" on {t} " in line)
            for t in ("lodging_stays", "fn_guest_counts", "monitoring_activities", "fn_activity_counts")}


def test_windows_read_one_branch_and_miss_no_write(db):
    """The guests' and activities' windows (migration 0119): when counted, only the kept counts are
    read (the tables' branch is never executed); after a write only the tables are; and while another
    refresh holds the counts, a read's answer has the committed write all the same."""
    url, conn = db
    stats_equal(url)
    sql, params = foreign.counts_sql("province", MonitoringFilter(district_code="62.02.06"), ForeignFilter(), None,
                                     TODAY)
    lines = plan_lines(conn, sql, params)
    assert "never executed" in lines["lodging_stays"] and "never executed" in lines["monitoring_activities"]
    assert "never executed" not in lines["fn_guest_counts"] + lines["fn_activity_counts"]
    before = read(url)
    q(conn, WRITES["lodging stay"])
    lines = plan_lines(conn, sql, params)
    assert "never executed" in lines["fn_guest_counts"] and "never executed" in lines["fn_activity_counts"]
    stats_equal(url)
    q(conn, WRITES["activity held"])
    after, tables = read_while_held(url, "fn_window_day")
    assert not q(conn, "SELECT fn_window_ready(%s)", (TODAY,))[0][0]
    assert after == tables
    assert {k: (v["lodging_guests_30d"], v["activities_12m"]) for k, v in after.items()} != {
        k: (v["lodging_guests_30d"], v["activities_12m"]) for k, v in before.items()}
    stats_equal(url)


def test_concurrent_writers(db):
    """Writers of stays and lodging stays in several threads while readers read: no error, and
    the counts equal the rule's afterwards."""
    url, conn = db
    stats_equal(url)
    q(conn, """INSERT INTO foreign_nationals (passport_number, nationality, full_name)
               SELECT 'CC' || lpad(g::text, 7, '0'), 'DE', 'CONCURRENT PRIVATE ' || g FROM generate_series(1, 60) g""")
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            c = psycopg2.connect(url)
            c.autocommit = True
            with c.cursor() as cur:
                for i in range(k, 60, 3):
                    cur.execute("""
                        INSERT INTO foreign_national_stays (foreign_national_id, permit_type, valid_from, valid_until,
                                                            purpose, village_code, agency, reported_on)
                        SELECT id, 'itas', current_date - 1, current_date + 30, 'sosial',
                               (SELECT code FROM boundaries WHERE level = 'village' AND parent_code = '62.71.01'
                                 ORDER BY code LIMIT 1), 'imigrasi', current_date
                          FROM foreign_nationals WHERE passport_number = %s""", (f"CC{i + 1:07d}",))
                    if i % 2:
                        cur.execute("""INSERT INTO lodging_stays (lodging_id, foreign_national_id, check_in, agency)
                                       SELECT (SELECT min(id) FROM lodgings), id, current_date, 'polda'
                                         FROM foreign_nationals WHERE passport_number = %s""", (f"CC{i + 1:07d}",))
            c.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(8):
                read(url)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)] + [threading.Thread(target=reader)
                                                                                 for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    stats_equal(url)
    assert read(url)["62.71.01"]["foreign_nationals"] >= 60


def test_api_caches_off(db):
    """Through a server with its caches off: a stay added shows on the next request, equal to the
    rule's count; a scoped user sees only their regencies."""
    url, conn = db
    from geo.auth.users import create_user

    create_user(conn, "fn-viewer", "Kahayan-sungai-7731", "viewer", "kesbangpol", ["62.02"])
    server = LiveServer(url, {"PANTAU_STATS_CACHE_MB": "0"})
    try:
        with httpx.Client(base_url=server.base, timeout=60) as client:
            r = client.post("/api/auth/token", data={"username": "fn-viewer", "password": "Kahayan-sungai-7731"})
            r.raise_for_status()
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

            def total() -> int:
                r = client.get("/api/stats/regency", headers=headers)
                r.raise_for_status()
                rows = r.json()["regions"] if isinstance(r.json(), dict) else r.json()
                assert {row["code"] for row in rows} == {"62.02"}
                return rows[0]["foreign_nationals"]

            first = total()
            q(conn, WRITES["stay added"])
            assert total() == first + 1
            assert total() == q(conn, "SELECT count(*) FROM foreign_nationals_present(%s) WHERE regency_code = '62.02'",
                                (TODAY,))[0][0]
            assert q(conn, "SELECT fn_present_ready(%s)", (TODAY,))[0][0]
    finally:
        server.stop()


def test_counted_in_the_province_zone_whatever_the_session(db):
    """The rule casts a worker record's start time to a date: a refresh from a session whose zone is
    ahead of the province's (its date already tomorrow) still counts in the province's zone, so a
    record begun late today (province time) is present today, as the app's own reads count it."""
    from datetime import datetime, time

    url, conn = db
    stats_equal(url)
    q(conn, WRITES["worker linked"])
    late = datetime.combine(TODAY, time(23, 30), tzinfo=clock.zone())
    q(conn, "UPDATE foreign_workers SET created_at = %s WHERE passport_number = 'NEW000777'", (late,))
    ahead = psycopg2.connect(url, options="-c TimeZone=Pacific/Kiritimati")
    try:
        foreign.refresh(ahead, TODAY)
    finally:
        ahead.close()
    province = psycopg2.connect(url, options=clock.session_options())
    province.autocommit = True
    try:
        kept_equal_rule(province, TODAY)
        assert q(province, """SELECT count(*) FROM fn_present p JOIN foreign_workers w
                               ON w.foreign_national_id = p.foreign_national_id
                              WHERE w.passport_number = 'NEW000777'""")[0][0] == 1
    finally:
        province.close()
