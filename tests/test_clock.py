"""One "today" in the province's own time zone (geo.clock): the zone of each province, the 'data per'
stamp, and a server whose process and database both run on another calendar day than Palangka Raya
(a UTC server in the evening, WIB): every count, status and stamp still follows the WIB day."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import psycopg2
import pytest

from geo import clock
from tests.conftest import LiveServer
from tests.dbutil import dbname_of

WIB = ZoneInfo("Asia/Jakarta")
PASSWORD = "Kalender-Uji-Zona-2026"


@pytest.mark.parametrize(("code", "zone"), [
    ("62", "WIB"), ("62.71", "WIB"), ("62.02.01", "WIB"), ("61", "WIB"), ("11", "WIB"), ("31", "WIB"),
    ("63", "WITA"), ("64.01", "WITA"), ("65", "WITA"), ("51", "WITA"), ("53", "WITA"), ("73", "WITA"),
    ("81", "WIT"), ("82", "WIT"), ("91", "WIT"), ("94", "WIT"), ("96", "WIT"),
])
def test_zone_of_each_province(code, zone):
    assert clock.zone_abbreviation(code) == zone


def test_unknown_province_is_refused():
    with pytest.raises(ValueError, match="20"):
        clock.zone_abbreviation("20")


def test_stamp_and_iso_are_in_the_province_time():
    assert clock.stamp(datetime(2026, 12, 5, 14, 7, tzinfo=WIB)) == "5 Desember 2026 14:07 WIB"
    # 17:30 UTC on the 5th is already the 6th in Palangka Raya
    assert clock.stamp(datetime(2026, 12, 5, 17, 30, tzinfo=UTC)) == "6 Desember 2026 00:30 WIB"
    assert clock.stamp(datetime(2026, 12, 5, 9, 0, tzinfo=ZoneInfo("Asia/Makassar"))) == "5 Desember 2026 09:00 WITA"
    assert clock.iso(datetime(2026, 12, 5, 14, 7, tzinfo=WIB)) == "2026-12-05T14:07:00+07:00"
    before = clock.now()
    header = datetime.fromisoformat(clock.header_now().decode())
    assert before <= header <= clock.now() and header.utcoffset() == timedelta(hours=7)


def test_today_and_now_follow_the_province_not_the_process():
    before = datetime.now(WIB)
    assert clock.now().utcoffset() == timedelta(hours=7) and clock.as_of().second == 0
    assert clock.today() in (before.date(), datetime.now(WIB).date())
    clock.use_province("63")  # what an entry point does with PANTAU_PROVINCE=63
    try:
        assert clock.zone_abbreviation() == "WITA" and clock.province() == "63"
        assert clock.now().utcoffset() == timedelta(hours=8)
        assert datetime.fromisoformat(clock.header_now().decode()).utcoffset() == timedelta(hours=8)
        assert clock.session_options() == "-c TimeZone=Asia/Makassar"
    finally:
        clock.use_province("62")
    assert clock.session_options() == "-c TimeZone=Asia/Jakarta"
    with pytest.raises(ValueError, match="20"):
        clock.use_province("20")
    assert clock.province() == "62"


# --- a server on another day ---------------------------------------------------------------------
def _other_day_zone(now_wib: datetime) -> str:
    """A zone whose calendar day differs from Palangka Raya's right now: UTC-12 (19 h behind WIB)
    until 19:00 WIB, UTC+14 (7 h ahead) after."""
    return "Etc/GMT+12" if now_wib.hour < 19 else "Etc/GMT-14"


def _login(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert r.status_code == 303, r.text
    return client


@pytest.fixture
def other_day(fresh_db_url):
    """A company whose RPTKA and one worker's permit end on the boundary day B, and two inspections
    that only the WIB day counts in its 12 months; process (TZ) and database (its TimeZone) on the
    neighbouring day."""
    from geo.auth.users import create_user

    now_wib = datetime.now(WIB)
    if (now_wib + timedelta(minutes=3)).date() != now_wib.date():
        pytest.skip("too close to midnight WIB: the day could change during the test")
    zone = _other_day_zone(now_wib)
    day = now_wib.date()
    other = datetime.now(ZoneInfo(zone)).date()
    assert other != day
    boundary = day - timedelta(days=1) if other < day else day
    conn = psycopg2.connect(fresh_db_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'ALTER DATABASE "{dbname_of(fresh_db_url)}" SET timezone = %s', (zone,))
        cur.execute("""INSERT INTO companies (nib, name, sector, geom, declared_regency, rptka_valid_until)
                       VALUES ('6271000000777', 'PT Batas Hari', 'jasa', ST_SetSRID(ST_MakePoint(113.92, -2.21), 4326),
                               '62.71', %s) RETURNING id""", (boundary,))
        company = cur.fetchone()[0]
        cur.execute("""INSERT INTO foreign_workers (company_id, full_name, passport_number, nationality, sex, position,
                                                    position_level, permit_valid_until)
                       VALUES (%s, 'ORANG UJI HARI', 'X1234567', 'CN', 'L', 'Teknisi', 'profesional', %s)""",
                    (company, boundary))
        cur.execute("""INSERT INTO inspections (company_id, inspected_on, team, finding)
                       VALUES (%s, %s, ARRAY['kesbangpol'], 'none'),
                              (%s, (%s::date - interval '12 months')::date + 1, ARRAY['imigrasi'], 'none')""",
                    (company, day, company, day))
        cur.execute("SELECT permit_status(%s, %s), permit_status(%s, %s)", (boundary, day, boundary, other))
        status, wrong_status = cur.fetchone()
        assert status != wrong_status  # the data tells the two days apart
    create_user(conn, "analis-hari", PASSWORD, "analyst", "kesbangpol", None)
    conn.close()
    server = LiveServer(fresh_db_url, extra_env={"TZ": zone})
    yield server, day, company, status
    server.stop()


@pytest.mark.slow  # a server of its own on another day
def test_a_server_on_another_day_counts_on_the_province_day(other_day):
    server, day, company, status = other_day
    client = _login(server.base, "analis-hari")
    wrong: list[str] = []  # every place that counts on the server's day, not only the first

    def check(what: str, got, want) -> None:
        if got != want:
            wrong.append(f"{what}: {got!r} != {want!r}")

    try:
        summary = client.get("/api/stats/summary")
        assert summary.status_code == 200, summary.text
        s = summary.json()
        check("summary today", s["today"], day.isoformat())
        stamp = summary.headers.get("X-Data-As-Of", "")
        check("X-Data-As-Of", (stamp[:10], stamp[-6:]), (day.isoformat(), "+07:00"))
        expired = 1 if status == "expired" else 0
        check("summary RPTKA", (s["rptka_expired"], s["rptka_expiring_90d"]), (expired, 1 - expired))
        check("summary permits", (s["permits_expired"], s["permits_expiring_30d"]), (expired, 1 - expired))
        check("summary not inspected", s["not_inspected_12m"], 0)

        regencies = client.get("/api/stats/regency").json()
        check("regency today", regencies["today"], day.isoformat())
        row = next(r for r in regencies["regions"] if r["code"] == "62.71")
        check("inspections 12 months", row["inspections_12m"], 2)  # both lie in the 12 months up to the WIB day

        # records, OGC features and exports take the same day (the last two read CURRENT_DATE)
        check("company record", client.get(f"/api/companies/{company}").json()["permit_status"], status)
        items = client.get("/api/collections/companies/items").json()["features"]
        check("features", [f["properties"]["permit_status"] for f in items], [status])
        export = client.get("/api/exports/companies", params={"format": "csv"})
        rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
        check("CSV export", [r["status_rptka"] for r in rows], [status])
        check("export file name", f'-{day:%Y%m%d}-' in export.headers.get("content-disposition", ""), True)
        long_day = clock.stamp(datetime.combine(day, datetime.min.time(), WIB)).rsplit(" ", 2)[0]
        stamped = re.compile(rf"data per {re.escape(long_day)} \d\d:\d\d WIB")
        geojson = client.get("/api/exports/companies", params={"format": "geojson"}).json()
        check("GeoJSON description", bool(stamped.search(geojson.get("description", ""))), True)
        xlsx = openpyxl.load_workbook(io.BytesIO(client.get("/api/exports/companies", params={"format": "xlsx"}).content))
        check("XLSX export properties", bool(stamped.search(xlsx.properties.subject or "")), True)

        # the home page: its figures and its 'data per' stamp on the WIB day
        home = client.get("/")
        assert home.status_code == 200
        check("home 'data per'", bool(re.search(rf"[Dd]ata per {re.escape(long_day)} \d\d:\d\d WIB", home.text)), True)
        figure = re.search(r'data-figure="permits_expiring_90d">\s*(\d+)\s*<', home.text)
        check("home permits", figure and int(figure.group(1)), 1 - expired)
    finally:
        client.close()
    assert not wrong, "\n".join(wrong)
