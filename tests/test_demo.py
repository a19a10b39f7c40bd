"""`pantau demo`: the synthetic dataset against the real PostGIS (schema, triggers, boundaries)."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg2
import pytest

from geo.demo import DemoRefused, Size, load_demo
from geo.demo import meetings as DM
from geo.demo import profile as P
from geo.demo.generate import District, generate
from geo.settings import PROJECT_ROOT
from tests.conftest import DEMO_TODAY
from tests.dbutil import create_database, dbname_of, drop_database

pytestmark = pytest.mark.slow  # demo datasets generated, `pantau` in subprocesses

TODAY = DEMO_TODAY  # the day of the shared `demo_url` database (tests/conftest.py)


@pytest.fixture
def q(demo_url):
    conn = psycopg2.connect(demo_url)

    def query(sql: str, params=None):
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    yield query
    conn.close()


def one(q, sql, params=None):
    return q(sql, params)[0][0]


# Every row's content without ids or timestamps, employer by NIB, in a fixed order.
CONTENT_HASH = """
SELECT md5(string_agg(t, E'\\n' ORDER BY t)) FROM (
  SELECT concat_ws('|', nib, name, sector, kbli, address, encode(ST_AsBinary(geom), 'hex'), regency_code,
                   district_code, declared_regency, declared_district, location_mismatch, rptka_valid_until, status) AS t
    FROM companies
  UNION ALL
  SELECT concat_ws('|', c.nib, w.full_name, w.passport_number, w.nationality, w.sex, w.position, w.position_level,
                   w.rptka_number, w.permit_valid_until, w.itas_number, w.itas_valid_until,
                   encode(ST_AsBinary(w.work_site), 'hex'), w.work_site_district_code, w.status)
    FROM foreign_workers w JOIN companies c ON c.id = w.company_id
  UNION ALL
  SELECT concat_ws('|', c.nib, i.inspected_on, i.team::text, i.finding, i.notes, i.follow_up, i.status)
    FROM inspections i JOIN companies c ON c.id = i.company_id
  UNION ALL
  SELECT concat_ws('|', c.nib, r.agency, r.reported_values::text, b.kind, b.file_name, b.sha256, b.rows_total)
    FROM company_reports r JOIN companies c ON c.id = r.company_id JOIN import_batches b ON b.id = r.batch_id
  UNION ALL
  SELECT concat_ws('|', w.passport_number, r.agency, r.company_nib, r.reported_values::text, b.file_name)
    FROM worker_reports r JOIN foreign_workers w ON w.id = r.worker_id JOIN import_batches b ON b.id = r.batch_id
  UNION ALL
  SELECT concat_ws('|', p.passport_number, p.nationality, p.full_name, p.sex, p.birth_date, s.permit_type,
                   s.permit_number, s.valid_from, s.valid_until, s.purpose, k.nib, s.sponsor_name, s.address,
                   s.village_code, encode(ST_AsBinary(s.geom), 'hex'), s.location_source, s.reported_on)
    FROM foreign_nationals p LEFT JOIN foreign_national_stays s ON s.foreign_national_id = p.id
    LEFT JOIN companies k ON k.id = s.sponsor_company_id
  UNION ALL
  SELECT concat_ws('|', l.name, l.address, l.village_code, encode(ST_AsBinary(l.geom), 'hex'), p.passport_number,
                   ls.check_in, ls.check_out, ls.agency)
    FROM lodgings l LEFT JOIN lodging_stays ls ON ls.lodging_id = l.id
    LEFT JOIN foreign_nationals p ON p.id = ls.foreign_national_id
  UNION ALL
  SELECT concat_ws('|', a.held_on, a.kind, a.district_code, a.agencies::text, a.targets, a.findings, a.follow_up,
                   a.agency, (SELECT string_agg(c.nib, ',' ORDER BY c.nib) FROM activity_company_targets t
                                JOIN companies c ON c.id = t.company_id WHERE t.activity_id = a.id))
    FROM monitoring_activities a
  UNION ALL
  SELECT concat_ws('|', m.held_on, m.place, m.period, m.agencies::text, m.minutes, m.created_at, r.text, r.agency,
                   r.due_date, r.status, r.regions::text, r.version, r.updated_at,
                   (SELECT string_agg(c.nib, ',' ORDER BY c.nib) FROM recommendation_companies rc
                      JOIN companies c ON c.id = rc.company_id WHERE rc.recommendation_id = r.id),
                   (SELECT string_agg(concat_ws('/', g.regency_code, g.purpose, g.nationality, g.label), ',')
                      FROM recommendation_groups g WHERE g.recommendation_id = r.id),
                   (SELECT string_agg(concat_ws('/', n.at, n.agency, n.status_from, n.status_to, n.note, n.version),
                                      ',' ORDER BY n.version) FROM recommendation_notes n WHERE n.recommendation_id = r.id))
    FROM meetings m LEFT JOIN recommendations r ON r.meeting_id = m.id
) s
"""


def content_hash(url: str) -> str:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(CONTENT_HASH)
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_default_sizes(q):
    assert one(q, "SELECT count(*) FROM companies") == P.DEFAULT_COMPANIES == 150
    assert one(q, "SELECT count(*) FROM foreign_workers") == P.DEFAULT_WORKERS == 700
    assert one(q, "SELECT count(*) FROM inspections") == P.DEFAULT_INSPECTIONS == 400
    assert one(q, "SELECT count(*) FROM import_batches") == 7  # 4 of companies and workers, 3 of #17
    assert one(q, "SELECT count(*) FROM company_reports") == 300


def test_companies_lie_in_the_districts_meant(q):
    districts = [District(*r) for r in q(
        "SELECT code, parent_code, name, area_km2 FROM boundaries WHERE level = 'district'")]
    names = dict(q("SELECT code, name FROM boundaries WHERE level = 'regency'"))
    meant = generate(Size(), P.DEFAULT_SEED, TODAY, districts, names).companies
    meant = dict(zip(meant["nib"], meant["district_code"], strict=True))
    computed = dict(q("SELECT nib, district_code FROM companies"))  # set by the trigger
    assert computed == meant
    assert one(q, "SELECT count(*) FROM companies WHERE location_method <> 'contains'") == 0
    assert one(q, "SELECT count(*) FROM companies WHERE regency_code = '62.08'") == 0
    assert one(q, "SELECT count(*) FROM companies c JOIN boundaries b ON b.code = '62.08' "
                  "WHERE ST_Intersects(b.geom, c.geom)") == 0
    # Work sites, where given, lie in the province's districts, often far from the head office.
    assert one(q, "SELECT count(*) FROM foreign_workers WHERE work_site IS NOT NULL "
                  "AND work_site_district_code IS NULL") == 0
    assert one(q, "SELECT count(*) FROM foreign_workers w JOIN companies c ON c.id = w.company_id "
                  "WHERE w.work_site_district_code <> c.district_code "
                  "AND ST_Distance(w.work_site::geography, c.geom::geography) > 10000") >= 20


def test_regional_shape(q):
    workers = dict(q("SELECT c.regency_code, count(*) FROM foreign_workers w "
                     "JOIN companies c ON c.id = w.company_id GROUP BY 1"))
    total = sum(workers.values())
    assert 0.30 <= workers["62.10"] / total <= 0.38  # Gunung Mas: 238 of ~699
    assert max(workers, key=workers.get) == "62.10"
    plant = q("SELECT DISTINCT district_code FROM companies WHERE regency_code = '62.10' "
              "AND sector IN ('energi', 'konstruksi')")
    assert {d for (d,) in plant} <= {"62.10.05", "62.10.02"}  # Rungan, Kurun
    sawit = dict(q("SELECT regency_code, count(*) FROM companies WHERE sector = 'perkebunan_sawit' GROUP BY 1"))
    assert sawit["62.02"] == max(sawit.values())  # Kotawaringin Timur leads palm oil
    coal = {r for (r,) in q("SELECT DISTINCT regency_code FROM companies WHERE sector = 'pertambangan_batubara'")}
    assert {"62.12", "62.05", "62.04"} <= coal
    malaysian = one(q, "SELECT avg((nationality = 'MY')::int) FROM foreign_workers w "
                       "JOIN companies c ON c.id = w.company_id WHERE c.sector = 'perkebunan_sawit'")
    assert malaysian > 0.65
    city = dict(q("SELECT sector, count(*) FROM companies WHERE regency_code = '62.71' GROUP BY 1"))
    assert {"jasa", "perdagangan", "pendidikan"} <= set(city)


def test_people_are_shaped_as_designed(q):
    shares = dict(q("SELECT nationality, count(*)::float / sum(count(*)) OVER () FROM foreign_workers GROUP BY 1"))
    assert set(shares) == set(P.NATIONALITY_TARGET)
    for code, target in P.NATIONALITY_TARGET.items():
        assert abs(shares[code] - target) <= max(0.06, target / 2), (code, shares[code], target)
    ranked = sorted(shares, key=shares.get, reverse=True)
    assert ranked[:2] == ["CN", "MY"]
    levels = dict(q("SELECT position_level, count(*) FROM foreign_workers GROUP BY 1"))
    assert levels["profesional"] > levels["konsultan"] > levels["manajer"] > levels["direktur"] > 0
    assert levels["komisaris"] > 0
    men = one(q, "SELECT avg((sex = 'L')::int) FROM foreign_workers")
    assert 0.80 <= men <= 0.92
    assert one(q, "SELECT count(*) FROM foreign_workers WHERE full_name NOT LIKE 'Demo Pekerja %'") == 0
    assert one(q, "SELECT count(*) FROM companies WHERE name NOT LIKE 'PT Contoh %' OR nib !~ '^99'") == 0


def test_permits_spread_around_today(q):
    bands = dict(q("""
        SELECT CASE WHEN permit_valid_until < %(d)s THEN 'expired'
                    WHEN permit_valid_until <= %(d)s::date + 30 THEN 'within30'
                    WHEN permit_valid_until <= %(d)s::date + 90 THEN 'within90'
                    ELSE 'later' END, count(*)
          FROM foreign_workers GROUP BY 1""", {"d": TODAY}))
    assert bands["expired"] >= 20 and bands["within30"] >= 10 and bands["within90"] >= 20
    assert bands["later"] > 0.6 * 700
    assert one(q, "SELECT count(*) FROM companies WHERE rptka_valid_until < %s", (TODAY,)) > 0


def test_inspections(q):
    lo, hi = q("SELECT min(inspected_on), max(inspected_on) FROM inspections")[0]
    assert (TODAY - lo).days <= 760 and hi < TODAY
    findings = dict(q("SELECT finding, count(*) FROM inspections GROUP BY 1"))
    assert findings["none"] > 400 / 2
    assert {"expired_permit", "position_mismatch", "location_mismatch", "no_permit"} <= set(findings)
    assert one(q, "SELECT count(*) FROM inspections WHERE follow_up IS NULL OR notes IS NULL") == 0
    assert one(q, "SELECT count(*) FROM inspections WHERE finding <> 'none' AND status = 'closed'") > 0


def test_declared_regency_mismatch(q):
    rows = q("SELECT declared_regency, regency_code FROM companies WHERE location_mismatch")
    assert 1 <= len(rows) <= 10
    assert all(declared != computed for declared, computed in rows)


def test_agencies_disagree_somewhere(q):
    counts = q("""
        SELECT c.nib, (i.reported_values->>'jumlah_tka')::int, (d.reported_values->>'jumlah_tka')::int,
               (SELECT count(*) FROM worker_reports r WHERE r.company_nib = c.nib AND r.agency = 'imigrasi'),
               (SELECT count(*) FROM worker_reports r JOIN foreign_workers w ON w.id = r.worker_id
                 WHERE w.company_id = c.id AND r.agency = 'disnakertrans')
          FROM companies c
          JOIN company_reports i ON i.company_id = c.id AND i.agency = 'imigrasi'
          JOIN company_reports d ON d.company_id = c.id AND d.agency = 'disnakertrans'
         WHERE i.reported_values->'jumlah_tka' <> d.reported_values->'jumlah_tka'""")
    assert counts, "no company where Imigrasi and Disnakertrans count differently"
    assert any(im >= 20 and dn <= im / 2 for _, im, dn, _, _ in counts)  # the '27 vs 12' case
    for _, im, dn, im_rows, dn_rows in counts:
        assert im > dn and im_rows == im and dn_rows == dn
    fields = {k for (k,) in q("""
        SELECT key FROM company_reports i JOIN company_reports d USING (company_id),
               jsonb_each(i.reported_values) e(key, value)
         WHERE i.agency = 'imigrasi' AND d.agency = 'disnakertrans' AND d.reported_values->key <> value""")}
    assert {"alamat", "rptka_berlaku_hingga", "jumlah_tka"} <= fields
    # Most companies: both agencies agree.
    agree = one(q, "SELECT count(*) FROM company_reports i JOIN company_reports d USING (company_id) "
                   "WHERE i.agency = 'imigrasi' AND d.agency = 'disnakertrans' AND i.reported_values = d.reported_values")
    assert agree >= 130
    assert one(q, "SELECT count(*) FROM worker_reports i JOIN worker_reports d USING (worker_id) "
                  "WHERE i.agency = 'imigrasi' AND d.agency = 'disnakertrans' AND i.company_nib <> d.company_nib") >= 1
    batches = q("SELECT agency, file_name, sha256, mode FROM import_batches WHERE kind IN ('companies', 'workers') "
                "ORDER BY id")
    assert {a for a, _, _, _ in batches} == {"imigrasi", "disnakertrans"}
    assert any(f == f"demo-imigrasi-{TODAY.year}.xlsx" for _, f, _, _ in batches)
    assert len({s for _, _, s, _ in batches}) == 4 and all(m == "all_or_nothing" for *_, m in batches)


def test_deterministic_for_seed_and_date(server_url, template_db, demo_url):
    urls = [create_database(server_url, template=template_db) for _ in range(2)]
    try:
        for url, seed in zip(urls, (P.DEFAULT_SEED, 7), strict=True):
            conn = psycopg2.connect(url)
            try:
                load_demo(conn, today=TODAY, seed=seed)
            finally:
                conn.close()
        assert content_hash(urls[0]) == content_hash(demo_url)
        assert content_hash(urls[1]) != content_hash(demo_url)
    finally:
        for url in urls:
            drop_database(server_url, dbname_of(url))


# The generated tables' digest, in a process of its own (argv: database URL).
_DIGEST = """
import hashlib, sys
from datetime import date
import pandas as pd, psycopg2
from geo.demo import Size, _districts, _villages
from geo.demo.foreign import generate_foreign
from geo.demo.generate import generate
conn = psycopg2.connect(sys.argv[1])
with conn.cursor() as cur:
    districts, names = _districts(cur)
    villages = _villages(cur)
data = generate(Size(), 6200, date(2026, 5, 9), districts, names)
frames = [data.companies, data.workers, data.inspections, data.sites,
          *vars(generate_foreign(Size(), 6200, date(2026, 5, 9), data, villages)).values()]
h = hashlib.sha256()
for df in frames:
    h.update(pd.util.hash_pandas_object(df.astype(str), index=False).to_numpy().tobytes())
print(h.hexdigest())
"""


def test_same_data_whatever_the_hash_seed(db_url):
    """Deterministic across processes: nothing may depend on the order of a set of strings."""
    digests = set()
    for hash_seed in ("0", "1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run([sys.executable, "-c", _DIGEST, db_url], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        digests.add(done.stdout.strip())
    assert len(digests) == 1


def test_refuses_without_replace_and_replaces_in_one_go(fresh_db_url):
    conn = psycopg2.connect(fresh_db_url)
    try:
        load_demo(conn, Size(40, 120, 30), today=TODAY, seed=1)
        before = content_hash(fresh_db_url)
        with pytest.raises(DemoRefused):
            load_demo(conn, today=TODAY)
        assert content_hash(fresh_db_url) == before
        report = load_demo(conn, Size(60, 200, 50), today=TODAY, seed=2, replace=True)
        assert report.replaced == 40
        with conn.cursor() as cur:
            cur.execute("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM foreign_workers), "
                        "(SELECT count(*) FROM import_batches), (SELECT count(*) FROM inspections)")
            assert cur.fetchone() == (60, 200, 7, 50)
            cur.execute("SELECT (SELECT count(*) FROM meetings), (SELECT count(*) FROM recommendations)")
            assert cur.fetchone() == (2, len(DM.RECOMMENDATIONS))  # replaced, not added
    finally:
        conn.close()


def _pantau(args: list[str], url: str, home) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "PANTAU_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "geo.cli", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_demo_refuses_on_existing_data(fresh_db_url, tmp_path):
    first = _pantau(["demo", "--companies", "20", "--workers", "50", "--today", "2026-05-09"], fresh_db_url, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "20 perusahaan" in first.stdout
    second = _pantau(["demo"], fresh_db_url, tmp_path)
    assert second.returncode == 1
    assert "--replace" in second.stderr
    conn = psycopg2.connect(fresh_db_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM companies")
            assert cur.fetchone()[0] == 20
    finally:
        conn.close()


def test_up_loads_demo_once(fresh_db_url, tmp_path):
    first = _pantau(["up"], fresh_db_url, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "data demo dimuat" in first.stdout
    second = _pantau(["up"], fresh_db_url, tmp_path)
    assert second.returncode == 0, second.stderr
    assert "demo not loaded" in second.stdout
    conn = psycopg2.connect(fresh_db_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM import_batches)")
            assert cur.fetchone() == (150, 7)
    finally:
        conn.close()


def test_meeting_history(q):
    """Two past rakor, recommendations of every status across the agencies, some overdue on the day."""
    meetings = q("SELECT held_on, period, place, agencies FROM meetings ORDER BY held_on")
    assert [(TODAY - m[0]).days for m in meetings] == [165, 75]
    assert all(m[0].weekday() <= 3 for m in meetings)  # Monday to Thursday
    assert [m[1] for m in meetings] == ["2025-Q4", "2026-Q1"]
    assert meetings[1][2] == "Aula Kesbangpol Provinsi Kalimantan Tengah, Palangka Raya"
    assert meetings[1][3] == ["disnakertrans", "imigrasi", "kemendagri", "kesbangpol", "polda"]
    assert dict(q("SELECT status, count(*) FROM recommendations GROUP BY 1")) == {
        "baru": 3, "diproses": 3, "selesai": 4, "tidak_dapat_dilaksanakan": 1}
    assert {a for (a,) in q("SELECT DISTINCT agency FROM recommendations")} == {
        "imigrasi", "disnakertrans", "polda", "pemkab", "kesbangpol"}
    overdue = q("SELECT agency FROM recommendations WHERE recommendation_overdue(due_date, status, %s) ORDER BY id",
                (TODAY,))
    assert [a for (a,) in overdue] == ["polda", "imigrasi", "polda"]
    assert one(q, "SELECT count(*) FROM recommendations WHERE due_date >= %s AND status IN ('baru', 'diproses')",
               (TODAY,)) == 3
    assert one(q, "SELECT count(*) FROM recommendation_companies") == 4
    assert q("SELECT regency_code, purpose, nationality FROM recommendation_groups ORDER BY id") == [
        ("62.10", "keluarga", "CN"), ("62.01", "wisata", None)]
    # A named company's regency is among the recommendation's regions (the store's scope rule).
    assert one(q, "SELECT count(*) FROM recommendation_companies rc JOIN companies c ON c.id = rc.company_id "
                  "JOIN recommendations r ON r.id = rc.recommendation_id "
                  "WHERE NOT c.regency_code = ANY(r.regions)") == 0
    # Each history begins with the creation and ends at the recommendation's status and version,
    # between the meeting and the demo day; every write is audited.
    bad = q("""SELECT r.id FROM recommendations r JOIN meetings m ON m.id = r.meeting_id
                 JOIN LATERAL (SELECT array_agg(n.version ORDER BY n.at, n.id) AS versions,
                                      (array_agg(n.status_to ORDER BY n.at DESC, n.id DESC))[1] AS last_status,
                                      (array_agg(n.status_from ORDER BY n.at, n.id))[1] AS first_from,
                                      min(n.at) AS first_at, max(n.at) AS last_at
                                 FROM recommendation_notes n WHERE n.recommendation_id = r.id) n ON true
                WHERE n.versions <> (SELECT array_agg(v) FROM generate_series(1, r.version) v)
                   OR n.last_status <> r.status OR n.first_from IS NOT NULL
                   OR (n.first_at AT TIME ZONE 'Asia/Jakarta')::date <= m.held_on
                   OR (n.last_at AT TIME ZONE 'Asia/Jakarta')::date >= %s""", (TODAY,))
    assert bad == []
    assert one(q, "SELECT count(*) FROM recommendation_notes WHERE note <> ''") == 13
    # The change since a meeting counts companies by when they were recorded: all of them before
    # both meetings and before their workers arrived, none on the day the demo was loaded.
    assert one(q, "SELECT count(*) FROM companies WHERE created_at >= (SELECT min(held_on) FROM meetings)") == 0
    assert one(q, "SELECT count(*) FROM foreign_workers w JOIN companies c ON c.id = w.company_id "
                  "WHERE w.created_at < c.created_at") == 0
    audited = dict(q("SELECT action, count(*) FROM audit_log WHERE action LIKE 'meeting.%%' "
                     "OR action LIKE 'recommendation.%%' GROUP BY 1"))
    assert audited == {"meeting.create": 2, "recommendation.create": 11, "recommendation.update": 13}


def test_meetings_on_the_pages_sources(demo_url):
    """What /meetings, the pack's follow-up and the attention item read on the demo."""
    from api.security import Principal
    from geo.attention import attention_items
    from geo.db import connect
    from geo.filters import MonitoringFilter
    from geo.meetings import store
    from geo.reports import followup

    conn = connect(demo_url)
    try:
        kesbangpol = Principal("demo", "analyst", "kesbangpol", None)
        items = {i.kind: i for i in attention_items(conn, kesbangpol, TODAY)}
        assert items["overdue_recommendations"].count == 3
        listed = store.list_meetings(conn, kesbangpol, TODAY)
        assert [(m["recommendations"], m["open"], m["overdue"]) for m in listed] == [(7, 5, 2), (4, 1, 1)]
        # Kotawaringin Timur's Pemkab sees the meeting it attended, and there only the recommendations
        # concerning the whole province or its regency; not the last one, which it did not attend and
        # where its agency's only recommendation concerns Palangka Raya (geo.meetings.store.MEETING_VISIBLE).
        pemkab = Principal("demo", "viewer", "pemkab", ("62.02",))
        assert [m["recommendations"] for m in store.list_meetings(conn, pemkab, TODAY)] == [1]
        assert [m["id"] for m in store.list_meetings(conn, pemkab, TODAY)] == [listed[1]["id"]]
        last = followup.last_meeting(conn, TODAY)
        assert last["id"] == listed[0]["id"]
        rows = followup.recommendations(conn, MonitoringFilter(), last, TODAY)
        assert len(rows) == 8  # the last meeting's seven and the earlier one still open
        assert sum(r["overdue"] for r in rows) == 3 and all(r["last_note"] or r["status"] == "baru" for r in rows)
    finally:
        conn.close()
