"""`pantau demo` and the foreign nationals besides the workers (issue 17 item 8), against the real
PostGIS: every purpose and permit type, residences and lodgings in their villages, lodgings with
guests, monitoring activities, people present in every regency with workers; the demo never mixes
with existing foreign-national data and --replace leaves nothing of the old."""

from __future__ import annotations

import psycopg2
import pytest

from geo.demo import DemoRefused, Size, ensure_demo, load_demo
from geo.demo import profile as P
from tests.conftest import DEMO_TODAY

pytestmark = pytest.mark.slow  # a demo dataset generated and written

TODAY = DEMO_TODAY  # the day of the shared `demo_url` database (tests/conftest.py)


@pytest.fixture
def q(demo_url):
    conn = psycopg2.connect(demo_url)

    def query(sql: str, params=None):
        with conn.cursor() as cur:
            cur.execute(sql, {"d": TODAY, **(params or {})})
            return cur.fetchall()

    yield query
    conn.close()


def one(q, sql, params=None):
    return q(sql, params)[0][0]


def test_every_purpose_and_permit_type_is_there_and_present_today(q):
    purposes = {c for (c,) in q("SELECT code FROM stay_purposes")}
    permits = {c for (c,) in q("SELECT code FROM permit_types")}
    assert {p for (p,) in q("SELECT DISTINCT purpose FROM foreign_national_stays")} == purposes
    assert {p for (p,) in q("SELECT DISTINCT permit_type FROM foreign_national_stays")} == permits
    present = q("SELECT source, purpose, permit_type FROM foreign_nationals_present(%(d)s)")
    assert {p for s, p, _ in present if s == "stay"} == purposes
    assert {t for s, _, t in present if s == "stay"} == permits
    assert {s for s, _, _ in present} == {"stay", "worker", "lodging"}
    # Short visits are often over: some stays ended before today, most long ones go on.
    ended = dict(q("SELECT permit_type, avg((valid_until < %(d)s)::int) FROM foreign_national_stays GROUP BY 1"))
    assert ended["voa"] > 0.3 and ended["itap"] < 0.2


def test_who_comes_for_what(q):
    rows = q("SELECT s.purpose, p.nationality, count(*) FROM foreign_national_stays s "
             "JOIN foreign_nationals p ON p.id = s.foreign_national_id GROUP BY 1, 2")
    for purpose, nationality, _ in rows:
        if purpose in P.PURPOSE_NATIONALITY:
            assert nationality in P.PURPOSE_NATIONALITY[purpose], (purpose, nationality)
    sponsors = dict(q("SELECT purpose, array_agg(DISTINCT sponsor_name) FROM foreign_national_stays "
                      "WHERE sponsor_name IS NOT NULL GROUP BY 1"))
    assert sponsors["studi"] == ["Universitas Palangka Raya"]
    assert "BRIN" in sponsors["penelitian"]
    # Researchers in the peat and orangutan areas of Palangka Raya, Pulang Pisau and Katingan.
    research = {r for (r,) in q("SELECT DISTINCT regency_code FROM foreign_national_stays WHERE purpose = 'penelitian'")}
    assert {"62.71", "62.11", "62.06"} <= research
    # Tourists mostly at Tanjung Puting (Kotawaringin Barat), on short visit permits.
    tourists = dict(q("SELECT regency_code, count(*) FROM foreign_national_stays WHERE purpose = 'wisata' GROUP BY 1"))
    assert max(tourists, key=tourists.get) == "62.01"
    assert {t for (t,) in q("SELECT DISTINCT permit_type FROM foreign_national_stays WHERE purpose = 'wisata'")} \
        == {"visa_kunjungan", "voa", "bebas_visa"}
    assert one(q, "SELECT count(*) FROM foreign_national_stays WHERE purpose = 'studi' AND regency_code <> '62.71'") == 0
    ages = dict(q("SELECT s.purpose, min(extract(year FROM age(%(d)s, p.birth_date))) FROM foreign_national_stays s "
                  "JOIN foreign_nationals p ON p.id = s.foreign_national_id GROUP BY 1"))
    assert ages["lansia"] >= 55 and ages["studi"] >= 18


def test_families_follow_their_workers(q):
    families = q("""
        SELECT s.sponsor_company_id, p.nationality, s.regency_code, c.regency_code, s.valid_from,
               s.location_source, ST_Distance(s.geom::geography, c.geom::geography),
               (SELECT min((w.created_at AT TIME ZONE 'Asia/Jakarta')::date) FROM foreign_workers w
                 WHERE w.company_id = c.id AND w.nationality = p.nationality)
          FROM foreign_national_stays s JOIN foreign_nationals p ON p.id = s.foreign_national_id
          LEFT JOIN companies c ON c.id = s.sponsor_company_id
         WHERE s.purpose = 'keluarga'""")
    assert len(families) >= 0.8 * P.DEFAULT_FOREIGN_NATIONALS * P.PURPOSE_SHARES["keluarga"]
    for company, _nationality, regency, company_regency, since, source, metres, arrived in families:
        assert company is not None
        assert arrived is not None, "no worker of the dependant's nationality at the sponsor"
        assert regency == company_regency and since >= arrived
        if source == "reported":
            assert metres <= 1600  # drawn within 1.5 km of the office
    # Workers' own stays: their ITAS at their employer.
    bad = one(q, """
        SELECT count(*) FROM foreign_national_stays s JOIN foreign_workers w ON w.foreign_national_id = s.foreign_national_id
         WHERE s.purpose = 'bekerja' AND (s.sponsor_company_id <> w.company_id OR s.permit_number <> w.itas_number
                                          OR s.valid_until <> w.itas_valid_until)""")
    assert bad == 0
    assert one(q, "SELECT count(*) FROM foreign_national_stays s WHERE purpose = 'bekerja' AND NOT EXISTS "
                  "(SELECT 1 FROM foreign_workers w WHERE w.foreign_national_id = s.foreign_national_id)") == 0


def test_every_point_lies_within_2_km_of_its_village(q):
    for table in ("foreign_national_stays", "lodgings"):
        sources = dict(q(f"SELECT location_source, count(*) FROM {table} GROUP BY 1"))  # noqa: S608 (fixed names)
        assert sources.get("reported", 0) > 0 and sources.get("village", 0) > 0, (table, sources)
        far = one(q, f"""SELECT count(*) FROM {table} t JOIN boundaries v ON v.code = t.village_code
                         WHERE NOT ST_DWithin(v.geom::geography, t.geom::geography, 2000)
                            OR t.district_code <> v.parent_code OR t.regency_code <> left(v.code, 5)""")  # noqa: S608
        assert far == 0, table
    assert one(q, "SELECT count(*) FROM foreign_national_stays WHERE regency_code IN %(x)s",
               {"x": P.EXCLUDED_REGENCIES}) == 0


def test_lodgings_in_the_towns_with_guests(q):
    towns = {name: (regency, x, y) for name, (regency, x, y) in P.TOWNS.items()}
    rows = q("""
        SELECT l.id, t.name FROM lodgings l
          JOIN unnest(%(names)s::text[], %(regencies)s::text[], %(xs)s::float8[], %(ys)s::float8[]) t(name, regency, x, y)
            ON t.regency = l.regency_code
           AND ST_DWithin(l.geom::geography, ST_SetSRID(ST_MakePoint(t.x, t.y), 4326)::geography, %(r)s)""",
             {"names": list(towns), "regencies": [t[0] for t in towns.values()],
              "xs": [t[1] for t in towns.values()], "ys": [t[2] for t in towns.values()],
              "r": P.TOWN_RADIUS_M + 2000})  # the village's label point may lie a little beyond
    in_town = {lid for lid, _ in rows}
    assert one(q, "SELECT count(*) FROM lodgings") == P.DEFAULT_LODGINGS == len(in_town)
    assert {"Palangka Raya", "Sampit", "Pangkalan Bun", "Muara Teweh", "Kuala Kapuas"} <= {t for _, t in rows}
    empty = one(q, "SELECT count(*) FROM lodgings l WHERE NOT EXISTS (SELECT 1 FROM lodging_stays s WHERE s.lodging_id = l.id)")
    assert empty <= 2
    kinds = dict(q("""
        SELECT CASE WHEN EXISTS (SELECT 1 FROM foreign_workers w WHERE w.foreign_national_id = s.foreign_national_id)
                    THEN 'worker'
                    WHEN EXISTS (SELECT 1 FROM foreign_national_stays x WHERE x.foreign_national_id = s.foreign_national_id)
                    THEN 'stay' ELSE 'visitor' END, count(*)
          FROM lodging_stays s GROUP BY 1"""))
    assert set(kinds) == {"worker", "stay", "visitor"} and min(kinds.values()) >= 50
    times = dict(q("""
        SELECT CASE WHEN check_out IS NULL THEN 'open' WHEN check_out < %(d)s THEN 'past' ELSE 'current' END, count(*)
          FROM lodging_stays GROUP BY 1"""))
    assert times["past"] > 0.7 * sum(times.values()) and times["open"] > 0 and times["current"] > 0
    assert one(q, "SELECT count(*) FROM lodging_stays WHERE check_in > %(d)s OR check_in < %(d)s::date - 600") == 0
    # Nobody checks in before their permit began or (a worker) before they arrived.
    assert one(q, """
        SELECT count(*) FROM lodging_stays ls
         WHERE ls.check_in < (SELECT min(s.valid_from) FROM foreign_national_stays s WHERE s.foreign_national_id = ls.foreign_national_id)
            OR ls.check_in <= (SELECT min((w.created_at AT TIME ZONE 'Asia/Jakarta')::date) FROM foreign_workers w
                                WHERE w.foreign_national_id = ls.foreign_national_id)""") == 0


def test_monitoring_activities(q):
    kinds = dict(q("SELECT kind, count(*) FROM monitoring_activities GROUP BY 1"))
    assert set(kinds) == {"rapat", "operasi_gabungan", "pengawasan_lapangan", "sosialisasi"}
    assert sum(kinds.values()) == P.DEFAULT_ACTIVITIES
    lo, hi = q("SELECT min(held_on), max(held_on) FROM monitoring_activities")[0]
    assert (TODAY - lo).days <= 560 and hi < TODAY and (TODAY - lo).days >= 400
    # Where the companies and foreign nationals are.
    assert one(q, """SELECT count(*) FROM monitoring_activities a
                      WHERE NOT EXISTS (SELECT 1 FROM companies c WHERE c.regency_code = a.regency_code)
                        AND NOT EXISTS (SELECT 1 FROM foreign_national_stays s WHERE s.regency_code = a.regency_code)""") == 0
    # Field activities name companies of their regency by NIB; every activity says what was found.
    assert one(q, """SELECT count(*) FROM activity_company_targets t JOIN monitoring_activities a ON a.id = t.activity_id
                      JOIN companies c ON c.id = t.company_id WHERE c.regency_code <> a.regency_code""") == 0
    targeted = one(q, "SELECT count(DISTINCT activity_id) FROM activity_company_targets t JOIN monitoring_activities a "
                      "ON a.id = t.activity_id WHERE a.kind IN ('operasi_gabungan', 'pengawasan_lapangan')")
    assert targeted >= 0.8 * (kinds["operasi_gabungan"] + kinds["pengawasan_lapangan"])
    assert one(q, "SELECT count(*) FROM monitoring_activities WHERE findings IS NULL OR follow_up IS NULL "
                  "OR NOT agency = ANY(agencies)") == 0
    # Targets name the companies, and now and then a person (free text masked for roles without personal access).
    assert one(q, "SELECT count(*) FROM monitoring_activities WHERE targets LIKE '%%Demo WNA %%'") > 0
    # Names are no words of the texts (redaction masks a name's words of 4+ letters anywhere).
    words = {w.lower() for (n,) in q("SELECT full_name FROM foreign_nationals") for w in n.split() if len(w) >= 4}
    texts = " ".join(t for (t,) in q("SELECT findings || ' ' || follow_up FROM monitoring_activities")).lower()
    assert not {w for w in words if w in texts.split()}
    assert one(q, "SELECT count(*) FROM monitoring_activities a WHERE EXISTS (SELECT 1 FROM activity_company_targets t "
                  "JOIN companies c ON c.id = t.company_id WHERE t.activity_id = a.id AND position(c.name IN a.targets) = 0)") == 0


def test_present_in_every_regency_with_workers(q):
    with_workers = {r for (r,) in q("SELECT DISTINCT c.regency_code FROM foreign_workers w JOIN companies c ON c.id = w.company_id")}
    present = dict(q("SELECT regency_code, count(*) FILTER (WHERE source <> 'worker') FROM foreign_nationals_present(%(d)s) "
                     "GROUP BY 1"))
    assert with_workers <= set(present)
    assert all(present[r] > 0 for r in with_workers), present  # besides the workers themselves


def test_persons_keep_unique_passports(q):
    assert one(q, "SELECT count(*) - count(DISTINCT passport_number) FROM foreign_nationals") == 0
    assert one(q, "SELECT count(*) FROM foreign_workers WHERE foreign_national_id IS NULL") == 0
    workers, others = q("SELECT count(*) FILTER (WHERE passport_number LIKE 'DM%%'), "
                        "count(*) FILTER (WHERE passport_number LIKE 'DN%%') FROM foreign_nationals")[0]
    assert workers == P.DEFAULT_WORKERS and others > P.DEFAULT_FOREIGN_NATIONALS
    assert one(q, "SELECT count(*) FROM foreign_nationals WHERE full_name NOT LIKE 'Demo %%'") == 0
    # Everyone is somebody's record: a worker, a stay or a lodging guest.
    assert one(q, """SELECT count(*) FROM foreign_nationals p
                      WHERE NOT EXISTS (SELECT 1 FROM foreign_workers w WHERE w.foreign_national_id = p.id)
                        AND NOT EXISTS (SELECT 1 FROM foreign_national_stays s WHERE s.foreign_national_id = p.id)
                        AND NOT EXISTS (SELECT 1 FROM lodging_stays s WHERE s.foreign_national_id = p.id)""") == 0
    batches = dict(q("SELECT kind, agency FROM import_batches WHERE kind IN ('foreign_nationals', 'lodgings', 'activities')"))
    assert batches == {"foreign_nationals": "imigrasi", "lodgings": "imigrasi", "activities": "kesbangpol"}
    assert one(q, "SELECT count(*) FROM foreign_national_stays WHERE batch_id IS NULL") == 0


def test_refuses_when_only_foreign_nationals_exist(fresh_db_url):
    """Foreign nationals imported before any company: the demo must not mix with them."""
    conn = psycopg2.connect(fresh_db_url)
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO foreign_nationals (passport_number, nationality, full_name) "
                        "VALUES ('X1234567', 'NL', 'Imported Person')")
        conn.commit()
        with pytest.raises(DemoRefused, match="1 orang asing"):
            load_demo(conn, today=TODAY)
        assert ensure_demo(conn) is None
        with conn.cursor() as cur:
            cur.execute("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM foreign_nationals)")
            assert cur.fetchone() == (0, 1)
    finally:
        conn.close()


def test_replace_leaves_nothing_of_the_old(fresh_db_url):
    conn = psycopg2.connect(fresh_db_url)
    try:
        load_demo(conn, Size(30, 90, 10), today=TODAY, seed=3)
        report = load_demo(conn, Size(20, 50, 10), today=TODAY, seed=4, replace=True)
        assert report.replaced == 30
        with conn.cursor() as cur:
            # The first load's persons went with their workers, stays and lodging stays.
            cur.execute("""SELECT (SELECT count(*) FROM foreign_nationals WHERE passport_number LIKE 'DM%%'),
                                  (SELECT count(*) FROM foreign_nationals p
                                    WHERE NOT EXISTS (SELECT 1 FROM foreign_workers w WHERE w.foreign_national_id = p.id)
                                      AND NOT EXISTS (SELECT 1 FROM foreign_national_stays s WHERE s.foreign_national_id = p.id)
                                      AND NOT EXISTS (SELECT 1 FROM lodging_stays s WHERE s.foreign_national_id = p.id)),
                                  (SELECT count(*) FROM lodgings), (SELECT count(*) FROM monitoring_activities),
                                  (SELECT count(*) FROM import_batches)""")
            workers, orphans, lodgings, activities, batches = cur.fetchone()
            assert (workers, orphans) == (50, 0)
            assert (lodgings, activities, batches) == (P.DEFAULT_LODGINGS, P.DEFAULT_ACTIVITIES, 7)
    finally:
        conn.close()
